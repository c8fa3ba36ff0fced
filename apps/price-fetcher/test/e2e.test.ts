/**
 * End to end: the built app, spawned with `node` (signals through `pnpm run` are not passed on
 * cleanly), against its embedded mock exchange with faults on. Real time is the point here.
 */
import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url))

interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly file: string
}

const runApp = (args: ReadonlyArray<string>, options: {
  readonly signals?: ReadonlyArray<NodeJS.Signals>
  readonly afterPrices?: number
  readonly gapMs?: number
  readonly env?: Record<string, string>
} = {}) =>
  new Promise<Result>((resolve, reject) => {
    const file = join(mkdtempSync(join(tmpdir(), "price-fetcher-")), "prices.jsonl")
    const child = spawn(process.execPath, [main, "--out", file, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = "", stderr = "", sent = false
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`the app did not exit:\n${stdout.slice(-1000)}\n${stderr.slice(-1000)}`))
    }, 60_000)
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
      const prices = (stdout.match(/"fetched"/g) ?? []).length
      if (!sent && options.signals !== undefined && prices >= (options.afterPrices ?? 20)) {
        sent = true
        options.signals.forEach((signal, i) => setTimeout(() => child.kill(signal), i * (options.gapMs ?? 30)))
      }
    })
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.on("exit", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, file })
    })
  })

const lines = (text: string) => text.split("\n").filter((l) => l.length > 0)

/** Checks the file parses line by line and holds exactly the prices the app reported, once each. */
const checkFile = (r: Result) => {
  const fileLines = lines(readFileSync(r.file, "utf8"))
  const saved = fileLines.map((l) => JSON.parse(l) as { id: string; price: number })
  const reported = lines(r.stdout).map((l) => JSON.parse(l)).filter((o) => o.fetched !== undefined).map((o) =>
    o.fetched.id as string
  )
  const ids = saved.map((p) => p.id)
  assert.strictEqual(new Set(ids).size, ids.length, "a price is in the file twice")
  assert.deepStrictEqual([...reported].sort(), [...ids].sort(), "reported and saved prices differ")
  for (const p of saved) assert.isTrue(Number.isFinite(p.price) && p.price > 0)
  return saved
}

const summaryOf = (r: Result) => lines(r.stdout).map((l) => JSON.parse(l)).find((o) => o.summary !== undefined)?.summary

describe("price-fetcher end to end", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal} mid-flight: exit 0, every reported price saved exactly once, summary matches the file`, async () => {
      const r = await runApp(["--json", "--faults", "heavy", "--duration", "30s", "--grace", "3s"], {
        signals: [signal]
      })
      assert.strictEqual(r.code, 0, r.stderr)
      const saved = checkFile(r)
      const summary = summaryOf(r)
      assert.isDefined(summary, "no summary printed")
      assert.strictEqual(summary.reason, signal)
      assert.strictEqual(summary.fetched, saved.length)
      // the exchange's own counters: no advertised limit exceeded, nothing sent during a Retry-After
      for (
        const [name, c] of Object.entries(
          summary.server as Record<
            string,
            { breaches: number; duringPause: number; maxPerSecond: number; limit: number }
          >
        )
      ) {
        assert.strictEqual(c.breaches, 0, `${name} breached its rate limit`)
        assert.strictEqual(c.duringPause, 0, `${name} got requests during a Retry-After pause`)
        assert.isAtMost(c.maxPerSecond, c.limit)
      }
    }, 90_000)
  }

  it("a second SIGINT exits at once with 130, and the file still parses", async () => {
    const r = await runApp(["--json", "--faults", "heavy", "--duration", "30s", "--grace", "10s"], {
      signals: ["SIGINT", "SIGINT"],
      gapMs: 20
    })
    assert.strictEqual(r.code, 130)
    const fileLines = lines(readFileSync(r.file, "utf8"))
    for (const l of fileLines) JSON.parse(l)
    assert.isAbove(fileLines.length, 0)
  }, 90_000)

  it("runs to its end by --rounds and exits 0 with the summary", async () => {
    const r = await runApp(["--json", "--rounds", "2", "--interval", "100ms", "--faults", "light"])
    assert.strictEqual(r.code, 0, r.stderr)
    const saved = checkFile(r)
    const summary = summaryOf(r)
    assert.strictEqual(summary.reason, "finished")
    assert.strictEqual(summary.rounds, 2)
    assert.strictEqual(summary.fetched, saved.length)
    assert.isAtLeast(saved.length, 60, "most of 2 × 36 prices arrive despite faults")
  }, 90_000)

  it("20 interrupted runs in a row lose no line", async () => {
    for (let i = 0; i < 20; i++) {
      const r = await runApp([
        "--json",
        "--faults",
        "heavy",
        "--seed",
        String(i),
        "--grace",
        "2s",
        "--symbols",
        "BTC,ETH,SOL,XRP"
      ], {
        signals: [i % 2 === 0 ? "SIGINT" : "SIGTERM"],
        afterPrices: 2 + (i % 7) * 3
      })
      assert.strictEqual(r.code, 0, `run ${i}: ${r.stderr}`)
      const saved = checkFile(r)
      assert.strictEqual(summaryOf(r).fetched, saved.length, `run ${i}`)
    }
  }, 300_000)

  it("bad flags and environment values: one clear line and exit 2", async () => {
    const bad = await runApp(["--concurrency", "zero"])
    assert.strictEqual(bad.code, 2)
    assert.strictEqual(
      bad.stderr,
      "price-fetcher: --concurrency: expected a whole number from 1 to 256, got \"zero\"\n"
    )
    const env = await runApp([], { env: { PRICE_FETCHER_DURATION: "forever" } })
    assert.strictEqual(env.code, 2)
    assert.match(env.stderr, /^price-fetcher: --duration: expected a time/)
  }, 30_000)
})
