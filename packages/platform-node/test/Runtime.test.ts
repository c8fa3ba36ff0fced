import { assert, describe, it } from "@effect/vitest"
import { Runtime } from "@taskscope/platform-node"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

const app = fileURLToPath(new URL("./fixtures/executor-app.mjs", import.meta.url))

interface Run {
  readonly code: number | null
  readonly lines: Array<Record<string, any>>
}

/** Runs the fixture, sends `signals` (the first once tasks are running), and collects its output. */
const run = (signals: ReadonlyArray<NodeJS.Signals>, gapMs = 100, env: Record<string, string> = {}) =>
  new Promise<Run>((resolve, reject) => {
    const child = spawn(process.execPath, [app], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let sent = false
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`the app did not exit: ${out.slice(-500)}`))
    }, 20_000)
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString()
      if (!sent && (out.match(/"Succeeded"/g) ?? []).length >= 8) {
        sent = true
        signals.forEach((signal, i) => setTimeout(() => child.kill(signal), i * gapMs))
      }
    })
    child.on("exit", (code) => {
      clearTimeout(timer)
      resolve({ code, lines: out.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) })
    })
  })

const account = (r: Run) => {
  const started = r.lines.filter((l) => l.event === "Started").map((l) => l.task as string)
  const done = r.lines.filter((l) => l.event === "Succeeded").map((l) => l.task as string)
  const report = r.lines.find((l) => l.report !== undefined)?.report as {
    neverRan: Array<string>
    interrupted: Array<string>
    completedInTime: boolean
  }
  return { started, done, report }
}

describe("runMain and signals (real subprocess)", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal}: drains, reports, exits 0; no task lost or run twice`, async () => {
      const r = await run([signal])
      assert.strictEqual(r.code, 0)
      assert.deepStrictEqual(r.lines.find((l) => l.shutdown !== undefined), { shutdown: signal })
      const { done, report, started } = account(r)
      assert.isDefined(report)
      assert.strictEqual(new Set(started).size, started.length, "no task started twice")
      const all = [...done, ...report.neverRan, ...report.interrupted]
      assert.strictEqual(new Set(all).size, all.length, "no task counted twice")
      assert.deepStrictEqual(all.sort(), Array.from({ length: 200 }, (_, i) => `t${i}`).sort())
      assert.isAbove(report.neverRan.length, 0)
      assert.isFalse(report.completedInTime)
    }, 30_000)
  }

  it("a drain that fits its budget completes every task", async () => {
    const r = await run(["SIGINT"], 100, { TASKS: "40", DRAIN: "5 seconds" })
    assert.strictEqual(r.code, 0)
    const { done, report } = account(r)
    assert.isTrue(report.completedInTime)
    assert.deepStrictEqual([done.length, report.neverRan.length, report.interrupted.length], [40, 0, 0])
  }, 30_000)

  it("a second SIGINT exits at once with 130", async () => {
    const r = await run(["SIGINT", "SIGINT"], 50, { DRAIN: "10 seconds" })
    assert.strictEqual(r.code, 130)
    assert.isUndefined(r.lines.find((l) => l.report !== undefined), "no report: it did not wait")
    const { started } = account(r)
    assert.strictEqual(new Set(started).size, started.length)
  }, 30_000)

  it("exit codes per signal", () => {
    assert.deepStrictEqual([Runtime.exitCodeOf("SIGINT"), Runtime.exitCodeOf("SIGTERM")], [130, 143])
  })
})
