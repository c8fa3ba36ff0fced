// `taskscope ps|pstree|top|trace` against real processes: small fixtures (a deadlock on an Event, a
// task waiting on a rate limit, a tree 20 groups deep, 10,000 live tasks) and each error case. Real
// processes and real time are the point here.
import { assert, describe, expect, it } from "@effect/vitest"
import type { Registry } from "@taskscope/core"
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { existsSync, readFileSync, readlinkSync } from "node:fs"
import { request } from "node:http"
import { basename } from "node:path"
import { fileURLToPath } from "node:url"

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url))
const target = fileURLToPath(new URL("./fixtures/target.mjs", import.meta.url))

interface Started {
  readonly child: ChildProcess
  readonly pid: number
  stderr: string
  stdout: string
}

/** Starts the fixture with `env` and waits for its "ready" line. */
const start = (env: Record<string, string>, args: ReadonlyArray<string> = [target]): Promise<Started> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    const started: Started = { child, pid: child.pid!, stderr: "", stdout: "" }
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`not ready in 20 s: ${started.stdout} ${started.stderr}`))
    }, 20_000)
    child.stderr!.on("data", (chunk: Buffer) => (started.stderr += chunk.toString()))
    child.stdout!.on("data", (chunk: Buffer) => {
      started.stdout += chunk.toString()
      if (started.stdout.includes("ready")) {
        clearTimeout(timer)
        resolve(started)
      }
    })
  })

const stop = (s: Started) =>
  new Promise<void>((resolve) => {
    if (s.child.exitCode !== null) return resolve()
    s.child.once("exit", () => resolve())
    s.child.kill("SIGKILL")
  })

/** Runs the command; returns its exit code and output. */
const taskscope = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>((resolve) => {
    const began = Date.now()
    const child = spawn(process.execPath, [cli, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = "", stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.on("exit", (code) => resolve({ code, stdout, stderr, ms: Date.now() - began }))
  })

/** Whether an inspector answers on 127.0.0.1:9229. */
const inspectorOpen = () =>
  new Promise<boolean>((resolve) => {
    const req = request({ host: "127.0.0.1", port: 9229, path: "/json/version", timeout: 500 }, (res) => {
      res.resume()
      resolve(true)
    })
    req.on("error", () => resolve(false))
    req.on("timeout", () => {
      req.destroy()
      resolve(false)
    })
    req.end()
  })

const snapshotOf = (stdout: string) => JSON.parse(stdout) as Registry.Snapshot & { pid: number; via: string }

// the tests share 127.0.0.1:9229 (Node's default inspector port): one at a time
describe.sequential("taskscope against a running program", () => {
  it("ps --json on a deadlock: both waiters, waiting on the Event for as long as they have", async () => {
    const s = await start({ SCENARIO: "event" })
    try {
      await new Promise((resolve) => setTimeout(resolve, 300))
      const r = await taskscope(["ps", String(s.pid), "--json"])
      assert.strictEqual(r.code, 0, r.stderr)
      const snapshot = snapshotOf(r.stdout)
      assert.strictEqual(snapshot.pid, s.pid)
      assert.strictEqual(snapshot.via, "inspector")
      const tasks = snapshot.tasks.filter((t) => t.group === "deadlock")
      expect(tasks.map((t) => [t.name, t.state, t.waiting?.on, t.waiting?.reason])).toStrictEqual([
        ["waiter-a", "running", "event", "waiting for event event to be set"],
        ["waiter-b", "running", "event", "waiting for event event to be set"]
      ])
      for (const t of tasks) {
        assert.isAtLeast(t.waiting!.forMillis, 250)
        assert.isBelow(t.waiting!.forMillis, 10_000)
        assert.isAtLeast(t.forMillis!, t.waiting!.forMillis)
      }
      // detached: the inspector is closed again, and the program goes on undisturbed
      assert.isFalse(await inspectorOpen(), "the inspector was left open")
      assert.isNull(s.child.exitCode)
      assert.match(s.stderr, /Debugger listening on ws:\/\/127\.0\.0\.1:9229\//)
      assert.match(s.stderr, /Debugger ending/)
    } finally {
      await stop(s)
    }
  }, 30_000)

  it(
    "read after read on a busy machine: the program lives on (Node crashed when its inspector was closed with our session still attached)",
    async () => {
      // two busy loops for the length of the test, and a program that keeps its event loop busy: the
      // crash came with load (a segmentation fault in the target within 1 to 21 reads). Taskscope need
      // not be loaded: each read opens the inspector, finds no registry, and closes it again.
      const burners = [0, 1].map(() => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }))
      const busy =
        "const a = []; setInterval(() => { a.push({ x: Math.random() }); if (a.length > 1e4) a.length = 0 }, 1);" +
        "process.stdout.write('ready\\n')"
      const s = await start({}, ["-e", busy])
      try {
        for (let i = 0; i < 12; i++) {
          const r = await taskscope(["ps", String(s.pid)])
          const target = s.child.signalCode ?? s.child.exitCode ?? "alive"
          expect([r.code, r.stderr, target], `read ${i + 1}`).toStrictEqual([
            1,
            `taskscope: process ${s.pid} is a Node process without Taskscope (no @taskscope/core registry in it)\n`,
            "alive"
          ])
        }
        assert.isFalse(await inspectorOpen(), "the inspector was left open")
      } finally {
        for (const b of burners) b.kill("SIGKILL")
        await stop(s)
      }
    },
    60_000
  )

  it("ps and pstree as text: one line per task with its wait; the tree nests each group under its task", async () => {
    const s = await start({ SCENARIO: "mixed" })
    try {
      const ps = await taskscope(["ps", String(s.pid)])
      assert.strictEqual(ps.code, 0, ps.stderr)
      const lines = ps.stdout.trimEnd().split("\n")
      assert.match(lines[0], /^ID\s+NAME\s+GROUP\s+STATE\s+AGE\s+DEADLINE\s+ATTEMPT\s+WAITING ON$/)
      assert.strictEqual(lines.length, 5)
      assert.match(
        ps.stdout,
        /consumer\s+mixed\s+running\s+[\d.]+m?s\s+in 59m\d\ds\s+1\s+waiting for an item from queue WorkQueue/
      )
      assert.match(ps.stdout, /parent\s+mixed\s+running.*waiting for task child to end/)
      const tree = await taskscope(["pstree", String(s.pid)])
      assert.strictEqual(tree.code, 0, tree.stderr)
      expect(tree.stdout.split("\n")[0]).toStrictEqual("mixed (failFast, 4 running)")
      assert.match(tree.stdout, /├─ #\d+ consumer \[running [\d.]+m?s\] deadline in 59m\d\ds — waiting for an item/)
      assert.isFalse(await inspectorOpen())
    } finally {
      await stop(s)
    }
  }, 30_000)

  it("a task waiting on a rate limit: ps says so, in the Limiter's words", async () => {
    const s = await start({ SCENARIO: "rate" })
    try {
      const r = await taskscope(["ps", String(s.pid), "--json"])
      assert.strictEqual(r.code, 0, r.stderr)
      const tasks = snapshotOf(r.stdout).tasks.filter((t) => t.group === "pollers")
      expect(tasks.map((t) => [t.name, t.waiting?.on, t.waiting?.reason])).toStrictEqual([
        ["binance BTC", undefined, undefined],
        ["binance ETH", "limiter", "waiting for the rate window of binance"],
        ["binance SOL", "limiter", "waiting in line for binance (1 ahead)"]
      ])
    } finally {
      await stop(s)
    }
  }, 30_000)

  it("a tree 20 groups deep: pstree shows every level under the task it was opened in", async () => {
    const s = await start({ SCENARIO: "deep", DEPTH: "20" })
    try {
      const r = await taskscope(["pstree", String(s.pid)])
      assert.strictEqual(r.code, 0, r.stderr)
      const lines = r.stdout.trimEnd().split("\n")
      // a group line and a task line per level
      assert.strictEqual(lines.length, 40)
      assert.match(lines[0], /^g20 \(failFast, 1 running\)$/)
      assert.match(lines[1], /^└─ #\d+ level-20 \[running/)
      assert.match(lines[39], /^ {3}( {3})*└─ #\d+ level-1 \[running/)
      const json = snapshotOf((await taskscope(["ps", String(s.pid), "--json"])).stdout)
      const deepest = json.groups.find((g) => g.name === "g1")!
      expect(deepest.path.split("/").length).toStrictEqual(39)
    } finally {
      await stop(s)
    }
  }, 30_000)

  it("10,000 live tasks: ps --json lists them all (100 running, the rest queued) within seconds", async () => {
    const s = await start({ SCENARIO: "many", COUNT: "10000" })
    try {
      const r = await taskscope(["ps", String(s.pid), "--json"])
      assert.strictEqual(r.code, 0, r.stderr)
      const tasks = snapshotOf(r.stdout).tasks.filter((t) => t.group === "many")
      assert.strictEqual(tasks.length, 10_000)
      assert.strictEqual(tasks.filter((t) => t.state === "running").length, 100)
      assert.strictEqual(tasks.filter((t) => t.state === "queued").length, 9_900)
      assert.isBelow(r.ms, 10_000)
    } finally {
      await stop(s)
    }
  }, 60_000)

  it("top --json -n 3: three snapshots a second apart; the ages grow", async () => {
    const s = await start({ SCENARIO: "event" })
    try {
      const r = await taskscope(["top", String(s.pid), "--json", "-n", "3"])
      assert.strictEqual(r.code, 0, r.stderr)
      const frames = r.stdout.trim().split("\n").map(snapshotOf)
      assert.strictEqual(frames.length, 3)
      const ages = frames.map((f) => f.tasks.find((t) => t.name === "waiter-a")!.forMillis!)
      assert.isAbove(ages[1] - ages[0], 800)
      assert.isAbove(ages[2] - ages[1], 800)
      assert.isFalse(await inspectorOpen())
    } finally {
      await stop(s)
    }
  }, 30_000)

  it("top: a group's children ended per second, from one read to the next", async () => {
    const s = await start({ SCENARIO: "churn" })
    try {
      const r = await taskscope(["top", String(s.pid), "-n", "2"])
      assert.strictEqual(r.code, 0, r.stderr)
      // two frames (not a terminal: no repaint); the first has no previous read to compare with
      const rows = r.stdout.split("\n").filter((l) => l.startsWith("workers "))
      assert.strictEqual(rows.length, 2, r.stdout)
      expect(rows.map((row) => row.trim().split(/\s+/).at(-1) === "-")).toStrictEqual([true, false])
      // a job every 5 ms (plus the time to spawn it): well above 50 a second, at most 200
      const perSecond = Number(rows[1].trim().split(/\s+/).at(-1))
      assert.isAbove(perSecond, 50, rows[1])
      assert.isAtMost(perSecond, 200, rows[1])
      const json = await taskscope(["top", String(s.pid), "--json", "-n", "2"])
      const ended = json.stdout.trim().split("\n").map(snapshotOf).map((f) => f.groups[0]!.ended)
      assert.isAbove(ended[1] - ended[0], 50)
    } finally {
      await stop(s)
    }
  }, 30_000)

  it("trace --seconds 1: a Chrome trace of what ran, with the tasks still running", async () => {
    const s = await start({ SCENARIO: "mixed" })
    try {
      const r = await taskscope(["trace", String(s.pid), "--seconds", "1"])
      assert.strictEqual(r.code, 0, r.stderr)
      const trace = JSON.parse(r.stdout) as { traceEvents: Array<Record<string, any>> }
      const tasks = trace.traceEvents.filter((e) => e.ph === "X")
      expect(tasks.map((e) => e.name).sort()).toStrictEqual(["child", "consumer", "parent", "waits-for-go"])
      for (const e of tasks) assert.strictEqual(e.cat, "running")
      assert.isFalse(await inspectorOpen())
    } finally {
      await stop(s)
    }
  }, 30_000)

  it(
    "a program that serves its socket (TASKSCOPE_INSPECT_SOCKET=1) is read there: no inspector is opened",
    async () => {
      const s = await start({ SCENARIO: "event", TASKSCOPE_INSPECT_SOCKET: "1" })
      try {
        const r = await taskscope(["ps", String(s.pid), "--json"])
        assert.strictEqual(r.code, 0, r.stderr)
        const snapshot = snapshotOf(r.stdout)
        assert.strictEqual(snapshot.via, "socket")
        assert.strictEqual(snapshot.tasks.filter((t) => t.group === "deadlock").length, 2)
        assert.notMatch(s.stderr, /Debugger/)
        const socket = `/tmp/taskscope-${process.getuid!()}/${s.pid}.sock`
        assert.isTrue(existsSync(socket))
        const mode = execFileSync("stat", ["-c", "%a", socket], { encoding: "utf8" }).trim()
        assert.strictEqual(mode, "600")
      } finally {
        await stop(s)
      }
    },
    30_000
  )
})

describe.sequential("taskscope's errors: one line each", () => {
  it("no such process", async () => {
    const r = await taskscope(["ps", "999999"])
    expect([r.code, r.stderr]).toStrictEqual([1, "taskscope: no process 999999\n"])
  })

  it("not a Node process: refused before any signal is sent", async () => {
    const sleeper = spawn("sleep", ["30"])
    try {
      const r = await taskscope(["ps", String(sleeper.pid)])
      expect([r.code, r.stderr]).toStrictEqual([1, `taskscope: process ${sleeper.pid} is not a Node process (sleep)\n`])
      assert.isNull(sleeper.exitCode, "the process was not touched")
    } finally {
      sleeper.kill()
    }
  })

  // SIGUSR1 ends a program that does not handle it: a process whose executable cannot be read is
  // judged by its command line. Here that is pid 1 (a process manager whose /proc/1/exe the kernel
  // hides), before the fix sent SIGUSR1 "to see what the inspector says".
  const hiddenInit = (() => {
    try {
      readlinkSync("/proc/1/exe")
      return undefined
    } catch {
      const argv0 = readFileSync("/proc/1/cmdline", "utf8").split("\0")[0] ?? ""
      return /^(node|nodejs)\d*$/.test(basename(argv0)) ? undefined : basename(argv0)
    }
  })()
  it.runIf(hiddenInit !== undefined)(
    "an executable that cannot be read: judged by its command line, never signalled",
    async () => {
      const r = await taskscope(["ps", "1"])
      expect([r.code, r.stderr]).toStrictEqual([1, `taskscope: process 1 is not a Node process (${hiddenInit})\n`])
    }
  )

  it("a Node process without Taskscope: said so, and its inspector is closed again", async () => {
    const s = await start({}, ["-e", "process.stdout.write('ready\\n'); setInterval(() => {}, 1000)"])
    try {
      const r = await taskscope(["ps", String(s.pid)])
      expect([r.code, r.stderr]).toStrictEqual([
        1,
        `taskscope: process ${s.pid} is a Node process without Taskscope (no @taskscope/core registry in it)\n`
      ])
      assert.isFalse(await inspectorOpen())
      assert.isNull(s.child.exitCode)
    } finally {
      await stop(s)
    }
  }, 30_000)

  it("the inspector port is taken by another process: said so, naming it", async () => {
    const other = await start({}, [
      "--inspect=127.0.0.1:9229",
      "-e",
      "process.stdout.write('ready\\n'); setInterval(() => {}, 1000)"
    ])
    const s = await start({ SCENARIO: "event" })
    try {
      const r = await taskscope(["ps", String(s.pid)])
      assert.strictEqual(r.code, 1)
      assert.match(
        r.stderr,
        new RegExp(
          `^taskscope: 127\\.0\\.0\\.1:9229 is taken by the inspector of process ${other.pid}, so process ${s.pid} could not open its own`
        )
      )
      assert.strictEqual(r.stderr.split("\n").length, 2)
    } finally {
      await stop(s)
      await stop(other)
    }
  }, 30_000)

  it("a process of another user: permission denied (the command run as nobody against ours)", async () => {
    // needs root to switch to nobody: elsewhere there is no other user to try it with
    if (process.getuid?.() !== 0) return
    // nobody's ids from /etc/passwd; node switches to them itself (no runuser, which may not be on PATH)
    const entry = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("nobody:"))
    if (entry === undefined) return
    const [uid, gid] = entry.split(":").slice(2, 4).map(Number)
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [cli, "ps", String(process.pid)], {
        uid,
        gid,
        stdio: ["ignore", "ignore", "pipe"]
      })
      let stderr = ""
      child.once("error", reject)
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
      child.on("exit", (code) => resolve({ code, stderr }))
    })
    expect([r.code, r.stderr]).toStrictEqual([
      1,
      `taskscope: process ${process.pid} belongs to another user: run as that user\n`
    ])
  })

  it("bad usage: exit 2 with a one-line reason", async () => {
    for (
      const [args, message] of [
        [["ps"], "ps: which process? (taskscope ps <pid>)"],
        [["ps", "abc"], "ps: not a process id: \"abc\""],
        [["kill", "1"], "unknown command \"kill\" (ps, pstree, top, trace)"],
        [["ps", "1", "--frobnicate"], "unknown option \"--frobnicate\" (taskscope --help)"]
      ] as const
    ) {
      const r = await taskscope(args)
      expect([r.code, r.stderr]).toStrictEqual([2, `taskscope: ${message}\n`])
    }
  })
})
