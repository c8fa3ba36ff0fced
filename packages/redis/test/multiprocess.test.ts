/**
 * Worker processes on one shared queue: one is killed with SIGKILL mid-item, or the Redis server is
 * killed and restarted mid-run. Real processes, real time.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { Redis, RedisWorkQueue } from "@taskscope/redis"
import { startRedis } from "@taskscope/test-support"
import { Effect, Layer, Schema } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { randomUUID } from "node:crypto"
import { existsSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { inject } from "vitest"

const worker = fileURLToPath(new URL("./fixtures/worker.mjs", import.meta.url))
const Job = Schema.Struct({ n: Schema.Number, ms: Schema.Number })

const startWorker = (url: string, prefix: string, log: string, claimIdleMs: number, workers: number) =>
  new Promise<ChildProcess>((resolve, reject) => {
    const child = spawn(process.execPath, [worker, url, prefix, log, String(claimIdleMs), String(workers)], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    child.stdout!.once("data", () => resolve(child))
    child.once("exit", (code) => reject(new Error(`worker exited early with ${code}`)))
  })

const stop = (child: ChildProcess, signal: NodeJS.Signals) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode)
    child.removeAllListeners("exit")
    child.once("exit", (code) => resolve(code))
    child.kill(signal)
  })

const readLog = (log: string) =>
  (existsSync(log) ? readFileSync(log, "utf8") : "").split("\n").filter((l) => l.length > 0).map((l) => {
    const [what, n, pid] = l.split(" ")
    return { what: what as "start" | "done", n: Number(n), pid: Number(pid) }
  })

const waitFor = async (check: () => boolean, ms: number, what: string) => {
  const until = Date.now() + ms
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/**
 * Puts the jobs, from this process; the queue it returns waits (join) until every one is
 * acknowledged. It waits for a lost connection for `retryFor` (the workers do the same).
 */
const produce = (url: string, prefix: string, jobs: ReadonlyArray<{ n: number; ms: number }>) =>
  Effect.gen(function*() {
    const redis = yield* Layer.build(Redis.layer({ url, prefix, retryFor: "30 seconds" }))
    const queue = yield* Effect.provide(RedisWorkQueue.open("jobs", Job), redis)
    yield* Effect.forEach(jobs, (job) => queue.put(job), { discard: true })
    return queue
  })

describe("RedisWorkQueue across processes", () => {
  it.scopedLive(
    "a worker killed with SIGKILL mid-item: the item is redelivered and processed exactly once more",
    () =>
      Effect.gen(function*() {
        const url = inject("redisUrl")
        const prefix = `kill-${randomUUID()}`
        const log = join(mkdtempSync(join(tmpdir(), "taskscope-kill-")), "log")
        const a = yield* Effect.promise(() => startWorker(url, prefix, log, 1000, 1))
        const b = yield* Effect.promise(() => startWorker(url, prefix, log, 1000, 1))
        const queue = yield* produce(url, prefix, Array.from({ length: 12 }, (_, n) => ({ n, ms: 150 })))
        // kill worker a while it is in the middle of an item
        let killed = -1
        yield* Effect.promise(() =>
          waitFor(
            () => {
              const lines = readLog(log).filter((l) => l.pid === a.pid)
              const open = lines.filter((l) =>
                l.what === "start" && !lines.some((d) => d.what === "done" && d.n === l.n)
              )
              if (open.length === 0) return false
              killed = open[0]!.n
              a.kill("SIGKILL")
              return true
            },
            10_000,
            "worker a to start an item"
          )
        )
        const t0 = Date.now()
        yield* queue.join.pipe(
          Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => new Error("join timed out") })
        )
        const took = Date.now() - t0
        assert.strictEqual(yield* Effect.promise(() => stop(b, "SIGTERM")), 0)
        const lines = readLog(log)
        const starts = lines.filter((l) => l.what === "start" && l.n === killed)
        const dones = lines.filter((l) => l.what === "done")
        console.log(
          `SIGKILL mid-item: item ${killed} started by the killed worker, redelivered to pid ${
            starts.at(-1)?.pid
          }; join returned ${took} ms after the kill (claimIdle 1000 ms)`
        )
        // the killed item: started twice (the killed worker, then the other), done once, by the other
        expect(starts.map((l) => l.pid)).toStrictEqual([a.pid, b.pid])
        expect(dones.filter((l) => l.n === killed).map((l) => l.pid)).toStrictEqual([b.pid])
        // every item done exactly once, and no other item started twice
        expect(dones.map((l) => l.n).sort((x, y) => x - y)).toStrictEqual(Array.from({ length: 12 }, (_, n) => n))
        const startCounts = new Map<number, number>()
        for (const l of lines) if (l.what === "start") startCounts.set(l.n, (startCounts.get(l.n) ?? 0) + 1)
        for (const [n, count] of startCounts) assert.strictEqual(count, n === killed ? 2 : 1, `item ${n}`)
        const stats = yield* queue.stats
        assert.strictEqual(stats.unfinished, 0)
        assert.strictEqual(stats.inFlight, 0)
      }),
    60_000
  )

  it.scopedLive(
    "Redis killed and restarted mid-run: the workers recover and no queued item is lost",
    () =>
      Effect.gen(function*() {
        // a server of this test's own, persistent (append-only file, fsync on every write)
        const server = yield* Effect.acquireRelease(
          Effect.promise(() => startRedis({ persistent: true })),
          (s) => Effect.promise(() => s.stop())
        )
        const prefix = `restart-${randomUUID()}`
        const log = join(mkdtempSync(join(tmpdir(), "taskscope-restart-")), "log")
        const workers = yield* Effect.promise(() =>
          Promise.all([startWorker(server.url, prefix, log, 3000, 2), startWorker(server.url, prefix, log, 3000, 2)])
        )
        const total = 80
        const queue = yield* produce(server.url, prefix, Array.from({ length: total }, (_, n) => ({ n, ms: 25 })))
        yield* Effect.promise(() =>
          waitFor(() => readLog(log).filter((l) => l.what === "done").length >= 20, 20_000, "20 items done")
        )
        const doneBefore = readLog(log).filter((l) => l.what === "done").length
        yield* Effect.promise(() => server.stop("SIGKILL"))
        yield* Effect.sleep("1500 millis")
        yield* Effect.promise(() => server.start())
        const t0 = Date.now()
        yield* queue.join.pipe(
          Effect.timeoutFail({ duration: "40 seconds", onTimeout: () => new Error("join timed out") })
        )
        const recovered = Date.now() - t0
        for (const w of workers) assert.strictEqual(yield* Effect.promise(() => stop(w, "SIGTERM")), 0)
        const dones = readLog(log).filter((l) => l.what === "done")
        const distinct = new Set(dones.map((l) => l.n))
        console.log(
          `Redis killed after ${doneBefore} of ${total} items, down 1.5 s: all ${distinct.size} items done ` +
            `(${dones.length - distinct.size} processed twice), join returned ${recovered} ms after the restart`
        )
        assert.strictEqual(distinct.size, total)
        const stats = yield* queue.stats
        assert.strictEqual(stats.unfinished, 0)
        assert.strictEqual(stats.size, 0)
      }),
    90_000
  )
})
