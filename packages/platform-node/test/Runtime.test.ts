import { assert, describe, expect, it } from "@effect/vitest"
import { Runtime, Signals } from "@taskscope/platform-node"
import { afterCpu } from "@taskscope/test-support"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

const app = fileURLToPath(new URL("./fixtures/executor-app.mjs", import.meta.url))
const runmainApp = fileURLToPath(new URL("./fixtures/runmain-app.mjs", import.meta.url))
const drainPattern = fileURLToPath(new URL("./fixtures/drain-pattern.mjs", import.meta.url))
const earlyApp = fileURLToPath(new URL("./fixtures/early-app.mjs", import.meta.url))

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

interface Step {
  readonly step: string
  /** Milliseconds since the signal (null before it). */
  readonly t: number | null
  readonly [key: string]: unknown
}

/** Runs the runMain fixture in `mode`; sends `signal` once it is ready (unless none). */
const runMode = (mode: string, env: Record<string, string> = {}, signal: NodeJS.Signals | null = "SIGINT") =>
  new Promise<{ code: number | null; steps: Array<Step>; stderr: string; exitedAfterMs: number | undefined }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, [runmainApp], {
        env: { ...process.env, MODE: mode, ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let out = "", stderr = ""
      let signalAt: number | undefined
      const timer = setTimeout(() => {
        child.kill("SIGKILL")
        reject(new Error(`the ${mode} program did not exit: ${out.slice(-500)} ${stderr.slice(-500)}`))
      }, 15_000)
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString()
        if (signal !== null && signalAt === undefined && out.includes("\"ready\"")) {
          signalAt = Date.now()
          child.kill(signal)
        }
      })
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
      child.on("exit", (code) => {
        clearTimeout(timer)
        resolve({
          code,
          stderr,
          steps: out.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Step),
          exitedAfterMs: signalAt === undefined ? undefined : Date.now() - signalAt
        })
      })
    }
  )

const order = (steps: ReadonlyArray<Step>) => steps.map((s) => s.step)
const at = (steps: ReadonlyArray<Step>, step: string) => steps.find((s) => s.step === step)?.t

describe("runMain: the grace is the bound, the phases come after the drain", () => {
  it("a program that ignores the request is interrupted once the grace is over, its finalizers run, then flush and report", async () => {
    const r = await runMode("ignore", { GRACE: "700 millis" })
    assert.strictEqual(r.code, 0, r.stderr)
    expect(order(r.steps)).toStrictEqual(["ready", "finalizer", "flush", "report"])
    // interrupted when the grace is over, not before and not much after
    assert.isAtLeast(at(r.steps, "finalizer")!, 650)
    assert.isBelow(r.exitedAfterMs!, 700 + 2_000)
  })

  it("flush and report run after the program has drained its own tasks, not when the signal arrives", async () => {
    const r = await runMode("drain", { GRACE: "5 seconds", DRAIN_MS: "400" })
    assert.strictEqual(r.code, 0, r.stderr)
    expect(order(r.steps)).toStrictEqual(["ready", "requested", "drained", "finalizer", "flush", "report"])
    expect(r.steps[1]).toMatchObject({ reason: "SIGINT" })
    assert.isAtLeast(at(r.steps, "flush")!, 400)
  })

  it("flush and report also run when the program ends by itself", async () => {
    const r = await runMode("exit", {}, null)
    assert.strictEqual(r.code, 0, r.stderr)
    expect(order(r.steps)).toStrictEqual(["ready", "returned", "finalizer", "flush", "report"])
  })

  it("one budget: the drain phase gets what is left of the grace when the program runs the phases late", async () => {
    const r = await runMode("late", { GRACE: "1500 millis", LATE_MS: "700" })
    assert.strictEqual(r.code, 0, r.stderr)
    expect(order(r.steps)).toStrictEqual(["ready", "flush", "report", "ran", "finalizer"])
    const ran = r.steps.find((s) => s.step === "ran")!
    // 1500 ms from the signal, 700 of them already spent: the never-ending drain gets about 800
    assert.isBelow(ran.drainMs as number, 1_200)
    assert.isAtLeast(ran.drainMs as number, 600)
    assert.isBelow(at(r.steps, "flush")!, 1_500 + 400)
  })

  it("signals received before runMain was called request shutdown at once", async () => {
    const r = await runMode("drain", { RECEIVED: "SIGTERM", DRAIN_MS: "50" }, null)
    assert.strictEqual(r.code, 0, r.stderr)
    expect(order(r.steps)).toStrictEqual(["ready", "requested", "drained", "finalizer", "flush", "report"])
    expect(r.steps[1]).toMatchObject({ reason: "SIGTERM" })
  })

  it("the documented drain pattern: stop intake, drain, flush and report, exit 0", async () => {
    const r = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [drainPattern], { stdio: ["ignore", "pipe", "inherit"] })
      let out = ""
      child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()))
      // 1.5 s, and 700 ms of the child's CPU time: its handler is installed at 525 ms of CPU time (measured);
      // 1.5 s of wall-clock time alone came before it on a loaded machine
      Promise.all([new Promise((r) => setTimeout(r, 1_500)), afterCpu(child.pid!, 700)])
        .then(() => child.kill("SIGTERM"), reject)
      child.on("exit", (code) => resolve({ code, out }))
    })
    assert.strictEqual(r.code, 0)
    const lines = r.out.trim().split("\n")
    assert.strictEqual(lines.length, 3, r.out)
    assert.strictEqual(lines[0], "stopping (SIGTERM)")
    assert.match(lines[1], /^flushed \d+ results$/)
    assert.isAbove(Number(lines[1].split(" ")[1]), 0)
    assert.strictEqual(lines[2], "bye")
  })

  it("a bad grace is a defect that names runMain and the value, before anything runs", () => {
    // what a config file or an untyped caller could pass
    const untyped = (options: Record<string, unknown>) => options as Runtime.RunMainOptions
    for (const grace of [-1, Number.NaN, "soon", "-2 seconds"]) {
      assert.throws(() => Runtime.runMain(Effect.void, untyped({ grace })), /Runtime\.runMain.*grace/)
    }
    assert.throws(() => Runtime.runMain(Effect.void, untyped({ received: ["SIGKILL"] })), /Runtime\.runMain.*received/)
    assert.strictEqual(process.listenerCount("SIGINT"), 0)
  })
})

describe("runMain: the grace is a hard bound (real subprocess)", () => {
  it("a program stuck in an uninterruptible region ends at grace + the exit margin after one SIGINT, naming what still runs", async () => {
    const r = await runMode("stuck", { GRACE: "700 millis" })
    assert.strictEqual(r.code, Runtime.graceExceededExitCode, r.stderr)
    // 700 ms of grace + 500 ms of margin; the rest is the process's own start and exit
    assert.isAtLeast(r.exitedAfterMs!, 1_150)
    assert.isBelow(r.exitedAfterMs!, 700 + 500 + 400, r.stderr)
    const lines = r.stderr.trim().split("\n")
    assert.match(
      lines[0],
      /^taskscope: the shutdown \(SIGINT\) overran its grace of 0\.7 s by 0\.\d s; exiting with code 124\. Still running:$/
    )
    assert.include(lines, "  main program (running)")
    assert.isTrue(lines.some((l) => /^ {2}workers\/stuck \(running, for \d+\.\d s\)$/.test(l)), r.stderr)
    assert.isTrue(lines.some((l) => /^ {2}workers\/frozen cleanup \(running, for \d+\.\d s\)$/.test(l)), r.stderr)
    expect(order(r.steps), "no flush: the process was ended").toStrictEqual(["ready"])
  })

  it("SIGHUP (the terminal closed) drains like SIGINT: phases, report, exit 0", async () => {
    const r = await runMode("drain", { GRACE: "5 seconds", DRAIN_MS: "100" }, "SIGHUP")
    assert.strictEqual(r.code, 0, r.stderr)
    expect(order(r.steps)).toStrictEqual(["ready", "requested", "drained", "finalizer", "flush", "report"])
    expect(r.steps[1]).toMatchObject({ reason: "SIGHUP" })
  })

  it("a second SIGHUP exits at once with 129; a second SIGTERM with 143", async () => {
    assert.strictEqual((await run(["SIGHUP", "SIGHUP"], 400, { DRAIN: "10 seconds" })).code, 129)
    assert.strictEqual((await run(["SIGTERM", "SIGTERM"], 400, { DRAIN: "10 seconds" })).code, 143)
  }, 30_000)

  it("a signal while the program is still loading (Signals installed first) is a request like any other", async () => {
    const r = await new Promise<{ code: number | null; steps: Array<string>; reason: unknown }>((resolve, reject) => {
      const child = spawn(process.execPath, [earlyApp], {
        env: { ...process.env, LOAD_MS: "600" },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let out = ""
      const timer = setTimeout(() => {
        child.kill("SIGKILL")
        reject(new Error(`did not exit: ${out}`))
      }, 15_000)
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString()
        if (out.includes("installed")) child.kill("SIGINT")
      })
      child.on("exit", (code) => {
        clearTimeout(timer)
        const steps = out.trim().split("\n").map((l) => JSON.parse(l))
        resolve({ code, steps: steps.map((s) => s.step), reason: steps.find((s) => s.step === "requested")?.reason })
      })
    })
    assert.strictEqual(r.code, 0)
    expect(r.steps).toStrictEqual(["installed", "loaded", "requested", "report"])
    assert.strictEqual(r.reason, "SIGINT")
  })

  it("Signals describes each signal, naming how to force the exit", () => {
    expect((["SIGINT", "SIGTERM", "SIGHUP"] as const).map((s) => Signals.describe(s).force)).toStrictEqual([
      "press Ctrl-C again to force",
      "send SIGTERM again to force",
      "send SIGHUP again to force"
    ])
  })
})

describe("runMain and signals (real subprocess)", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal}: drains, reports, exits 0; no task lost or run twice`, async () => {
      const r = await run([signal])
      assert.strictEqual(r.code, 0)
      expect(r.lines.find((l) => l.shutdown !== undefined)).toStrictEqual({ shutdown: signal })
      const { done, report, started } = account(r)
      assert.isDefined(report)
      assert.strictEqual(new Set(started).size, started.length, "no task started twice")
      const all = [...done, ...report.neverRan, ...report.interrupted]
      assert.strictEqual(new Set(all).size, all.length, "no task counted twice")
      expect(all.sort()).toStrictEqual(Array.from({ length: 200 }, (_, i) => `t${i}`).sort())
      assert.isAbove(report.neverRan.length, 0)
      assert.isFalse(report.completedInTime)
    }, 30_000)
  }

  it("a drain that fits its budget completes every task", async () => {
    const r = await run(["SIGINT"], 100, { TASKS: "40", DRAIN: "5 seconds" })
    assert.strictEqual(r.code, 0)
    const { done, report } = account(r)
    assert.isTrue(report.completedInTime)
    expect([done.length, report.neverRan.length, report.interrupted.length]).toStrictEqual([40, 0, 0])
  }, 30_000)

  it("a second SIGINT exits at once with 130", async () => {
    const r = await run(["SIGINT", "SIGINT"], 400, { DRAIN: "10 seconds" })
    assert.strictEqual(r.code, 130)
    assert.isUndefined(r.lines.find((l) => l.report !== undefined), "no report: it did not wait")
    const { started } = account(r)
    assert.strictEqual(new Set(started).size, started.length)
  }, 30_000)

  it("a signal within 200 ms of the first is the same request (pnpm run passes Ctrl-C on twice)", async () => {
    const r = await run(["SIGINT", "SIGINT"], 20, { TASKS: "40", DRAIN: "5 seconds" })
    assert.strictEqual(r.code, 0)
    const { done, report } = account(r)
    assert.isTrue(report.completedInTime)
    assert.strictEqual(done.length, 40)
  }, 30_000)

  it("exit codes per signal", () => {
    expect([Runtime.exitCodeOf("SIGINT"), Runtime.exitCodeOf("SIGTERM"), Runtime.exitCodeOf("SIGHUP")])
      .toStrictEqual([130, 143, 129])
  })
})
