// The benchmark report's verdicts: a ratio of rows sampled in rounds is the median of the rounds'
// ratios, with an interval that decides whether a target is clearly met.
import { assert, describe, expect, it } from "@effect/vitest"
import { compare, paired, type Row } from "../../bench/src/report.mjs"

const row = (name: string, roundMs: Array<number>, vs?: Row["vs"]): Row => ({
  group: "g",
  name,
  ops: 1_000,
  opsPerSec: 1_000 / (roundMs[0] / 1000),
  spread: 10,
  samples: roundMs.length,
  roundMs,
  ...(vs === undefined ? {} : { vs })
})

describe("bench report: rows paired by round", () => {
  it("the ratio is the median of the rounds' ratios; a drift common to both rows cancels", () => {
    // the machine slows down 3× over the run; ours is 10% faster in every round
    const peer = Array.from({ length: 15 }, (_, i) => 100 * (1 + i / 7))
    const ours = peer.map((ms) => ms / 1.1)
    const p = paired(row("ours", ours), row("peer", peer))!
    assert.closeTo(p.ratio, 1.1, 1e-9)
    assert.closeTo(p.low, 1.1, 1e-9)
    assert.closeTo(p.high, 1.1, 1e-9)
    assert.strictEqual(p.rounds, 15)
  })

  it("the interval is the 4th and 12th of 15 sorted ratios (≥ 95%), the 2nd and 8th of 9", () => {
    const ones = (n: number) => Array.from({ length: n }, () => 100)
    // ours takes 100/r ms in round r: ratios 1..n
    const ours = (n: number) => Array.from({ length: n }, (_, i) => 100 / (i + 1))
    const p15 = paired(row("ours", ours(15)), row("peer", ones(15)))!
    expect([p15.low, p15.ratio, p15.high].map((x) => Math.round(x * 1e6) / 1e6)).toStrictEqual([4, 8, 12])
    const p9 = paired(row("ours", ours(9)), row("peer", ones(9)))!
    expect([p9.low, p9.ratio, p9.high].map((x) => Math.round(x * 1e6) / 1e6)).toStrictEqual([2, 5, 8])
    // fewer than 6 rounds: no interval can hold the median at 95%, so no pairing
    assert.isUndefined(paired(row("ours", ours(5)), row("peer", ones(5))))
  })

  it("time rows pair as times: ours ÷ theirs, below 1 is faster", () => {
    const time = (name: string, roundMs: Array<number>, vs?: Row["vs"]): Row => ({
      group: "t",
      name,
      ops: 10,
      ms: roundMs[0],
      spread: 10,
      samples: roundMs.length,
      roundMs,
      ...(vs === undefined ? {} : { vs })
    })
    // ours takes 0.8× the peer's time in every round, while the machine drifts
    const peer = Array.from({ length: 9 }, (_, i) => 200 + 20 * i)
    const p = paired(time("ours", peer.map((ms) => ms * 0.8)), time("peer", peer))!
    assert.closeTo(p.ratio, 0.8, 1e-9)
    const [t] = compare([
      time("ours", peer.map((ms) => ms * 0.8), [{ peer: "peer", target: "<= 1" }]),
      time("peer", peer)
    ])
    assert.strictEqual(t.met, true)
    assert.strictEqual(t.clear, true)
  })

  it("a target is met by the median, and 'clear' only when the whole interval is on one side", () => {
    const peer = Array.from({ length: 15 }, () => 100)
    // ratios 0.93 … 1.21 (median 1.05): met, but the interval holds 1.0
    const close = Array.from({ length: 15 }, (_, i) => 100 / (0.93 + i * 0.02))
    // ratios 1.13 … 1.41: clearly met
    const far = Array.from({ length: 15 }, (_, i) => 100 / (1.13 + i * 0.02))
    const targets = compare([
      row("close", close, [{ peer: "peer", target: ">= 1" }]),
      row("far", far, [{ peer: "peer", target: ">= 1" }]),
      row("behind", far, [{ peer: "far", target: ">= 1.5" }]),
      row("peer", peer)
    ])
    const by = Object.fromEntries(targets.map((t) => [t.name, t]))
    assert.strictEqual(by.close.met, true)
    assert.strictEqual(by.close.clear, false)
    assert.strictEqual(by.close.withinNoise, true)
    assert.strictEqual(by.far.met, true)
    assert.strictEqual(by.far.clear, true)
    assert.strictEqual(by.far.withinNoise, false)
    // the same samples against themselves: 1× exactly, clearly short of 1.5
    assert.strictEqual(by.behind.ratio, 1)
    assert.strictEqual(by.behind.met, false)
    assert.strictEqual(by.behind.clear, true)
  })
})
