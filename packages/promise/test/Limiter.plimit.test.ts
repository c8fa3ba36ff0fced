/**
 * p-limit's own test suite, scenario by scenario (rewritten, with p-limit's expected values), run
 * on p-limit and on `limit`: one test per implementation.
 * Recorded: 14 scenarios; p-limit passes 14; `limit` before the kernel (0997bcd) passed 10, on the
 * kernel 14.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { limit, limitFunction } from "@taskscope/promise"
import { AsyncLocalStorage } from "node:async_hooks"
import pLimit, { limitFunction as pLimitFunction } from "p-limit"
import { deferred, ticks } from "./helpers.js"

type Limit = ReturnType<typeof pLimit>
const implementations: ReadonlyArray<
  readonly [
    string,
    (options: number | { concurrency: number; rejectOnClear?: boolean }) => Limit,
    typeof pLimitFunction
  ]
> = [
  ["p-limit", (o) => pLimit(o as any), pLimitFunction],
  ["limit", (o) => limit(o as any) as unknown as Limit, limitFunction as unknown as typeof pLimitFunction]
]

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

describe.each(implementations)("p-limit's suite on %s", (_name, make, makeFunction) => {
  it("concurrency 1: one at a time, in order", async () => {
    const l = make(1)
    let running = 0
    let most = 0
    const values = await Promise.all([30, 10, 20].map((ms, i) =>
      l(async () => {
        running++
        most = Math.max(most, running)
        await sleep(ms)
        running--
        return i
      })
    ))
    expect(values).toStrictEqual([0, 1, 2])
    assert.strictEqual(most, 1)
  })

  it("concurrency 4: never more than 4 at once", async () => {
    const l = make(4)
    let running = 0
    await Promise.all(Array.from({ length: 40 }, (_, i) =>
      l(async () => {
        running++
        assert.isAtMost(running, 4)
        await sleep(i % 5)
        running--
      })))
  })

  it("each call keeps its caller's AsyncLocalStorage context", async () => {
    const l = make(1)
    const storage = new AsyncLocalStorage<number>()
    const seen = await Promise.all([1, 2, 3, 4].map((id) => storage.run(id, () => l(async () => storage.getStore()))))
    expect(seen).toStrictEqual([1, 2, 3, 4])
  })

  it("a function that throws rejects; the next call runs", async () => {
    const l = make(1)
    const failed = l(() => {
      throw new Error("boom")
    })
    const next = l(async () => "next")
    let error: unknown
    try {
      await failed
    } catch (e) {
      error = e
    }
    assert.strictEqual((error as Error).message, "boom")
    assert.strictEqual(await next, "next")
  })

  it("activeCount and pendingCount", async () => {
    const l = make(5)
    assert.strictEqual(l.activeCount, 0)
    assert.strictEqual(l.pendingCount, 0)
    const running = l(() => sleep(20))
    assert.strictEqual(l.activeCount, 1)
    assert.strictEqual(l.pendingCount, 0)
    await running
    assert.strictEqual(l.activeCount, 0)
    const all = Array.from({ length: 8 }, () => l(() => sleep(20)))
    assert.strictEqual(l.activeCount, 5)
    assert.strictEqual(l.pendingCount, 3)
    await Promise.all(all)
    assert.strictEqual(l.activeCount, 0)
    assert.strictEqual(l.pendingCount, 0)
  })

  it("the next waiting call has started when a call's promise settles", async () => {
    const l = make(1)
    const gate = deferred()
    const first = l(() => gate.promise)
    const second = l(() => sleep(10))
    assert.strictEqual(l.pendingCount, 1)
    gate.resolve()
    await first
    assert.strictEqual(l.activeCount, 1)
    assert.strictEqual(l.pendingCount, 0)
    await second
    assert.strictEqual(l.activeCount, 0)
  })

  it("clearQueue empties the line", async () => {
    const l = make(1)
    const gate = deferred()
    const running = l(() => gate.promise)
    for (let i = 0; i < 3; i++) l(() => sleep(1)).catch(() => {})
    await ticks(1)
    assert.strictEqual(l.pendingCount, 3)
    l.clearQueue()
    assert.strictEqual(l.pendingCount, 0)
    gate.resolve()
    await running
  })

  it("clearQueue with rejectOnClear: the waiting calls reject with an AbortError", async () => {
    const l = make({ concurrency: 1, rejectOnClear: true })
    const gate = deferred()
    const running = l(() => gate.promise)
    const waiting = [l(() => sleep(1)), l(() => sleep(1))]
    l.clearQueue()
    for (const promise of waiting) {
      const error = await promise.then(() => undefined, (e) => e)
      assert.strictEqual((error as Error).name, "AbortError")
    }
    gate.resolve()
    await running
  })

  it("raising concurrency starts more calls", async () => {
    const l = make(1)
    const gates = [deferred(), deferred(), deferred()]
    const all = gates.map((g) => l(() => g.promise))
    assert.strictEqual(l.activeCount, 1)
    l.concurrency = 3
    await ticks(1)
    assert.strictEqual(l.activeCount, 3)
    for (const g of gates) g.resolve()
    await Promise.all(all)
  })

  it("TypeError for a bad concurrency", () => {
    for (const bad of [0, -1, 1.5, undefined, null, "1"]) {
      assert.throws(() => make(bad as any), TypeError)
    }
    const l = make(1)
    assert.throws(() => {
      l.concurrency = 0
    }, TypeError)
  })

  it("arguments are passed on", async () => {
    const l = make(1)
    assert.strictEqual(await l((a: number, b: number) => a + b, 1, 2), 3)
  })

  it("map: each input with its index, in order", async () => {
    const l = make(2)
    expect(await l.map([1, 2, 3], async (x, i) => x * 10 + i)).toStrictEqual([10, 21, 32])
  })

  it("map takes an array-like, as Array.from does (found in review)", async () => {
    const l = make(2)
    const arrayLike = { length: 2, 0: "a", 1: "b" } as unknown as Iterable<string>
    expect(await l.map(arrayLike, async (x, i) => `${x}${i}`)).toStrictEqual(["a0", "b1"])
  })

  it("limitFunction: calls the function through the limit; clearQueue", async () => {
    let running = 0
    let most = 0
    const f = makeFunction(async (x: number) => {
      running++
      most = Math.max(most, running)
      await sleep(5)
      running--
      return x * 2
    }, { concurrency: 2 })
    expect(await Promise.all([1, 2, 3, 4].map((x) => f(x)))).toStrictEqual([2, 4, 6, 8])
    assert.strictEqual(most, 2)
    assert.isFunction(f.clearQueue)
  })

  it("a thousand calls, concurrency 3: all settle in order", async () => {
    const l = make(3)
    const values = await Promise.all(Array.from({ length: 1000 }, (_, i) => l(async () => i)))
    assert.strictEqual(values.length, 1000)
    assert.strictEqual(values[999], 999)
  })
})
