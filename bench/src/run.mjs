// Taskscope benchmarks: Taskscope and its peers measured in the same process, case by case.
// Usage: node --expose-gc bench/src/run.mjs [--quick]
import { Concurrent, Executor, Limiter, TaskGroup, WorkQueue } from "@taskscope/core"
import Bottleneck from "bottleneck"
import { Effect, Exit, Fiber, FiberSet, Queue, Scope } from "effect"
import { setMaxListeners } from "node:events"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { cpus } from "node:os"
import pLimit from "p-limit"
import PQueue from "p-queue"
import { case7, redisServer } from "./redis.mjs"

const quick = process.argv.includes("--quick")
// `--only 3,7`: just those cases (the results files are not written then)
const onlyAt = process.argv.indexOf("--only")
const only = onlyAt >= 0 ? new Set(process.argv[onlyAt + 1].split(",").map(Number)) : undefined
const wanted = (n) => only === undefined || only.has(n)
const RUNS = quick ? 1 : 3
const scale = quick ? 0.05 : 1
const results = []

const gc = () => globalThis.gc?.()
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Times `fn` (which performs `ops` operations) RUNS times after a warm-up; records ops/s. */
const measure = async (group, name, ops, fn, options = {}) => {
  const rates = []
  if (options.warmup !== false) await fn()
  for (let r = 0; r < (options.runs ?? RUNS); r++) {
    gc()
    const start = performance.now()
    await fn()
    const ms = performance.now() - start
    rates.push(ops / (ms / 1000))
  }
  const m = median(rates)
  const spread = (Math.max(...rates) - Math.min(...rates)) / m
  results.push({
    group,
    name,
    ops,
    opsPerSec: Math.round(m),
    spread: Math.round(spread * 100),
    ours: options.ours ?? false
  })
  process.stderr.write(
    `  ${group} · ${name}: ${Math.round(m).toLocaleString("en")} ops/s (±${Math.round(spread * 50)}%)\n`
  )
}

/** Bytes of heap per item while `n` items are held by `setup` (which returns a release function). */
const memory = async (group, name, n, setup, options = {}) => {
  const samples = []
  for (let r = 0; r < (quick ? 1 : 3); r++) {
    gc()
    gc()
    const before = process.memoryUsage().heapUsed
    const release = await setup(n)
    gc()
    gc()
    const after = process.memoryUsage().heapUsed
    samples.push((after - before) / n)
    await release()
  }
  const bytes = Math.round(median(samples))
  results.push({ group, name, ops: n, bytesPerItem: bytes, ours: options.ours ?? false })
  process.stderr.write(`  ${group} · ${name}: ${bytes} B per item\n`)
}

const run = (effect) => Effect.runPromise(effect)
const immediate = () => new Promise((resolve) => setImmediate(resolve))
const effectImmediate = Effect.async((resume) => {
  setImmediate(() => resume(Effect.void))
})

/** The practical floor: a hand-written promise limiter. */
const promiseLimiter = async (n, concurrency, task) => {
  let next = 0
  const worker = async () => {
    while (next < n) {
      next++
      await task()
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

// ---------------------------------------------------------------------------------------------
// 1. many trivial tasks under a concurrency limit

const case1 = async () => {
  const N = Math.round(100_000 * scale)
  for (
    const [label, promiseTask, effectTask] of [
      ["resolved", () => Promise.resolve(), Effect.void],
      ["setImmediate", immediate, effectImmediate]
    ]
  ) {
    for (const c of [8, 64]) {
      const group = `1. ${N.toLocaleString("en")} ${label} tasks, concurrency ${c}`
      await measure(group, "TaskGroup concurrency", N, () =>
        run(TaskGroup.scoped((g) =>
          Effect.suspend(() => {
            const spawn = g.spawn(effectTask)
            return Effect.repeatN(spawn, N - 1)
          }), { concurrency: c })), { ours: true })
      await measure(
        group,
        "Concurrent.gather",
        N,
        () => run(Concurrent.gather(Array.from({ length: N }, () => effectTask), { concurrency: c })),
        { ours: true }
      )
      await measure(
        group,
        "Executor.runAll",
        N,
        () =>
          run(
            Effect.scoped(Effect.flatMap(Executor.make({ concurrency: c, queueCapacity: Infinity }), (ex) =>
              ex.runAll(Array.from({ length: N }, () => ({ name: "t", effect: effectTask })))))
          ),
        { ours: true }
      )
      await measure(
        group,
        "Effect.forEach",
        N,
        () => run(Effect.forEach(Array.from({ length: N }), () => effectTask, { concurrency: c, discard: true }))
      )
      await measure(group, "p-limit", N, () => {
        const limit = pLimit(c)
        return Promise.all(Array.from({ length: N }, () => limit(promiseTask)))
      })
      await measure(group, "p-queue", N, async () => {
        const queue = new PQueue({ concurrency: c })
        for (let i = 0; i < N; i++) queue.add(promiseTask)
        await queue.onIdle()
      })
      // Bottleneck schedules through timers (~400 tasks/s here): fewer tasks keep the run short
      if (c === 64) {
        const NB = quick ? 100 : 400
        await measure(group, `Bottleneck (${NB.toLocaleString("en")} tasks)`, NB, () => {
          const limiter = new Bottleneck({ maxConcurrent: c })
          return Promise.all(Array.from({ length: NB }, () => limiter.schedule(promiseTask)))
        })
      }
      await measure(group, "promise limiter (floor)", N, () => promiseLimiter(N, c, promiseTask))
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 2. semaphore contention

const case2 = async () => {
  const N = Math.round(20_000 * scale)
  for (const permits of [1, 8, 64]) {
    const group = `2. ${N.toLocaleString("en")} fibers contending for ${permits} permit(s)`
    const task = Effect.yieldNow()
    await measure(
      group,
      "Limiter.semaphore",
      N,
      () =>
        run(
          Effect.flatMap(Limiter.semaphore(permits), (sem) =>
            TaskGroup.scoped((g) => Effect.repeatN(g.spawn(sem.withPermit(task)), N - 1)))
        ),
      { ours: true }
    )
    // Effect 3's semaphore wakes every waiter on each release: with one permit the cost grows with
    // the square of the waiters, so it gets fewer fibers to finish in time (the ratio is per task)
    const NE = permits === 1 ? Math.min(N, quick ? 100 : 300) : N
    await measure(
      group,
      permits === 1 ? `Effect.makeSemaphore (${NE.toLocaleString("en")} fibers)` : "Effect.makeSemaphore",
      NE,
      () =>
        run(
          Effect.flatMap(Effect.makeSemaphore(permits), (sem) =>
            TaskGroup.scoped((g) => Effect.repeatN(g.spawn(sem.withPermits(1)(task)), NE - 1)))
        )
    )
    await measure(group, "p-limit", N, () => {
      const limit = pLimit(permits)
      return Promise.all(Array.from({ length: N }, () => limit(() => Promise.resolve())))
    })
  }
}

// ---------------------------------------------------------------------------------------------
// 3. queues

const case3 = async () => {
  const N = Math.round(1_000_000 * scale)
  for (const [producers, consumers] of [[1, 1], [4, 4]]) {
    const group = `3. ${N.toLocaleString("en")} items through a bounded(1024) queue, ${producers} × ${consumers}`
    const per = N / producers
    await measure(group, "WorkQueue.bounded", N, () =>
      run(Effect.gen(function*() {
        const q = yield* WorkQueue.bounded(1024)
        const put = (i) => q.put(i)
        const prod = Effect.forEach(Array.from({ length: producers }), () =>
          Effect.forEach(Array.from({ length: per }, (_, i) => i), put, { discard: true }), {
          concurrency: "unbounded",
          discard: true
        })
        const cons = Effect.forEach(
          Array.from({ length: consumers }),
          () =>
            Effect.repeatN(q.take, N / consumers - 1),
          { concurrency: "unbounded", discard: true }
        )
        yield* Effect.all([prod, cons], { concurrency: 2, discard: true })
      })), { ours: true, warmup: false, runs: 1 })
    await measure(group, "Effect Queue.bounded", N, () =>
      run(Effect.gen(function*() {
        const q = yield* Queue.bounded(1024)
        const put = (i) => Queue.offer(q, i)
        const prod = Effect.forEach(Array.from({ length: producers }), () =>
          Effect.forEach(Array.from({ length: per }, (_, i) => i), put, { discard: true }), {
          concurrency: "unbounded",
          discard: true
        })
        const cons = Effect.forEach(Array.from({ length: consumers }), () =>
          Effect.repeatN(Queue.take(q), N / consumers - 1), { concurrency: "unbounded", discard: true })
        yield* Effect.all([prod, cons], { concurrency: 2, discard: true })
      })), { warmup: false, runs: 1 })
    await measure(group, "promise channel (floor)", N, async () => {
      const buffer = []
      const takers = []
      const putters = []
      const put = (x) => {
        if (takers.length > 0) return takers.shift()(x)
        if (buffer.length < 1024) return buffer.push(x)
        return new Promise((resolve) => putters.push(() => (buffer.push(x), resolve())))
      }
      const take = () => {
        if (buffer.length > 0) {
          const x = buffer.shift()
          if (putters.length > 0) putters.shift()()
          return x
        }
        return new Promise((resolve) => takers.push(resolve))
      }
      const prod = async () => {
        for (let i = 0; i < per; i++) {
          const p = put(i)
          if (p instanceof Promise) await p
        }
      }
      const cons = async () => {
        for (let i = 0; i < N / consumers; i++) {
          const x = take()
          if (x instanceof Promise) await x
        }
      }
      await Promise.all([...Array.from({ length: producers }, prod), ...Array.from({ length: consumers }, cons)])
    })
  }
}

/** Starts a TaskGroup with `n` suspended children; resolves once every child has been spawned. */
const suspendedGroup = (n, child) =>
  new Promise((resolve) => {
    const fiber = Effect.runFork(TaskGroup.scoped((g) =>
      Effect.zipRight(
        Effect.repeatN(g.spawn(child), n - 1),
        Effect.zipRight(Effect.sync(() => resolve(fiber)), Effect.never)
      )
    ))
  })

// ---------------------------------------------------------------------------------------------
// 4. memory per pending task

const case4 = async () => {
  const N = Math.round(100_000 * scale)
  const group = `4. memory per pending task, ${N.toLocaleString("en")} tasks`
  await memory(group, "Executor: queued, not started", N, async (n) => {
    const scope = await run(Scope.make())
    const ex = await run(Scope.extend(Executor.make({ concurrency: 1, queueCapacity: Infinity }), scope))
    await run(ex.submit({ name: "blocker", effect: Effect.never }))
    for (let i = 0; i < n; i++) await run(ex.submit({ name: "t", effect: Effect.void }))
    return () => run(Effect.zipRight(ex.drain({ grace: 0 }), Scope.close(scope, Exit.void)))
  }, { ours: true })
  await memory(group, "TaskGroup: suspended child", N, async (n) => {
    const fiber = await suspendedGroup(n, Effect.never)
    return () => run(Fiber.interrupt(fiber))
  }, { ours: true })
  await memory(group, "Effect fiber in a FiberSet", N, async (n) => {
    const scope = await run(Scope.make())
    const set = await run(Scope.extend(FiberSet.make(), scope))
    await run(Effect.repeatN(FiberSet.run(set, Effect.never), n - 1))
    await immediate()
    return () => run(Scope.close(scope, Exit.void))
  })
  await memory(group, "p-queue: queued", N, async (n) => {
    const queue = new PQueue({ concurrency: 1 })
    let release
    queue.add(() => new Promise((r) => (release = r)))
    for (let i = 0; i < n; i++) queue.add(() => Promise.resolve())
    return async () => {
      queue.clear()
      release()
      await queue.onIdle()
    }
  })
  await memory(group, "p-limit: queued", N, async (n) => {
    const limit = pLimit(1)
    let release
    limit(() => new Promise((r) => (release = r)))
    const all = Array.from({ length: n }, () => limit(() => Promise.resolve()))
    return async () => {
      limit.clearQueue()
      release()
      void all
    }
  })
  await memory(group, "raw pending promise", N, async (n) => {
    const resolvers = []
    const promises = Array.from({ length: n }, () => new Promise((r) => resolvers.push(r)))
    globalThis.__benchHeld = promises // keep them reachable while the heap is measured
    return () => {
      resolvers.forEach((r) => r())
      globalThis.__benchHeld = undefined
    }
  })
}

// ---------------------------------------------------------------------------------------------
// 5. cancellation

const case5 = async () => {
  const N = Math.round(10_000 * Math.max(scale, 0.2))
  const group = `5. cancel ${N.toLocaleString("en")} suspended children, every finalizer run`
  let finalized = 0
  const child = Effect.never.pipe(Effect.ensuring(Effect.sync(() => finalized++)))
  const cancels = async (name, setup, ours) => {
    const rates = []
    for (let r = 0; r < RUNS; r++) {
      finalized = 0
      const cancel = await setup()
      gc()
      const start = performance.now()
      await cancel()
      const ms = performance.now() - start
      if (finalized !== N && name !== "AbortController") throw new Error(`${name}: ${finalized} of ${N} finalizers ran`)
      rates.push(ms)
    }
    const ms = median(rates)
    results.push({ group, name, ops: N, ms: Math.round(ms * 100) / 100, ours })
    process.stderr.write(`  ${group} · ${name}: ${ms.toFixed(2)} ms\n`)
  }
  await cancels("TaskGroup (interrupt owner)", async () => {
    const fiber = await suspendedGroup(N, child)
    await immediate()
    return () => run(Fiber.interrupt(fiber))
  }, true)
  await cancels("FiberSet scope close", async () => {
    const scope = await run(Scope.make())
    const set = await run(Scope.extend(FiberSet.make(), scope))
    await run(Effect.repeatN(FiberSet.run(set, child), N - 1))
    await immediate()
    return () => run(Scope.close(scope, Exit.void))
  }, false)
  await cancels("AbortController", async () => {
    const controller = new AbortController()
    setMaxListeners(N + 10, controller.signal)
    const all = Array.from({ length: N }, () => {
      // one signal per child, as each fetch() would get its own, all following one parent
      const child = new AbortController()
      controller.signal.addEventListener("abort", () => child.abort(), { once: true })
      return new Promise((resolve) =>
        child.signal.addEventListener("abort", () => (finalized++, resolve()), { once: true })
      )
    })
    return async () => {
      controller.abort()
      await Promise.all(all)
    }
  }, false)
}

// ---------------------------------------------------------------------------------------------
// 6. rate limiter

const case6 = async () => {
  const N = Math.round(200_000 * scale)
  const group = "6a. rate limiter: one acquire when tokens are available"
  await measure(
    group,
    "Limiter.rate (token bucket)",
    N,
    () =>
      run(
        Effect.flatMap(Limiter.rate({ limit: 1e12, interval: "1 second" }), (l) =>
          Effect.repeatN(l.withPermit(Effect.void), N - 1))
      ),
    { ours: true }
  )
  await measure(
    group,
    "Limiter.rate (sliding window)",
    N,
    () =>
      run(
        Effect.flatMap(Limiter.rate({ limit: 1e7, interval: "1 millis", algorithm: "slidingWindow" }), (l) =>
          Effect.repeatN(l.withPermit(Effect.void), N - 1))
      ),
    { ours: true }
  )
  const NB = quick ? 100 : 400
  await measure(group, `Bottleneck reservoir (${NB.toLocaleString("en")} calls)`, NB, () => {
    const limiter = new Bottleneck({ reservoir: 1e12 })
    return Promise.all(Array.from({ length: NB }, () => limiter.schedule(() => Promise.resolve())))
  })
  // accuracy: 1,000/s for `seconds` of real time
  const seconds = quick ? 1 : 5
  const starts = []
  await run(
    Effect.flatMap(
      Limiter.rate({ limit: 1000, interval: "1 second", algorithm: "slidingWindow" }),
      (l) =>
        Effect.forEach(
          Array.from({ length: 1000 * seconds + 1000 }),
          () => l.withPermit(Effect.sync(() => starts.push(performance.now()))),
          { concurrency: 64, discard: true }
        )
          .pipe(Effect.timeout(`${seconds} seconds`), Effect.ignore)
    )
  )
  let worst = 0
  for (let i = 0; i + 1000 < starts.length; i++) worst = Math.max(worst, 1001 / ((starts[i + 1000] - starts[i]) / 1000))
  const achieved = starts.length / seconds
  results.push({
    group: `6b. rate limiter accuracy: 1,000/s sliding window over ${seconds} s of real time`,
    name: "Limiter.rate",
    achievedPerSec: Math.round(achieved),
    worstWindow: Math.round(worst),
    ours: true
  })
  process.stderr.write(`  6b. achieved ${achieved.toFixed(0)}/s, busiest 1 s window ${worst.toFixed(0)}\n`)
}

// ---------------------------------------------------------------------------------------------

const started = performance.now()
process.stderr.write(
  `Taskscope benchmarks${quick ? " (quick)" : ""}: node ${process.version}, ${cpus().length} × ${cpus()[0]?.model}\n`
)
for (const [i, c] of [case1, case2, case3, case4, case5, case6].entries()) if (wanted(i + 1)) await c()
const server = wanted(7) ? await redisServer() : undefined
if (!wanted(7)) {
  // not asked for
} else if (server === undefined) {
  process.stderr.write("  7. skipped: no redis-server (install Debian's redis-server, or set REDIS_URL)\n")
} else {
  await case7({ measure, quick, url: server.url })
  await server.stop()
}

const version = (pkg) =>
  JSON.parse(readFileSync(new URL(`../node_modules/${pkg}/package.json`, import.meta.url), "utf8")).version
const meta = {
  date: new Date().toISOString(),
  quick,
  node: process.version,
  cpu: `${cpus().length} × ${cpus()[0]?.model}`,
  versions: {
    effect: version("effect"),
    "p-limit": version("p-limit"),
    "p-queue": version("p-queue"),
    bottleneck: version("bottleneck"),
    bullmq: version("bullmq"),
    ioredis: version("ioredis")
  },
  seconds: Math.round((performance.now() - started) / 1000)
}

// the markdown table: each group, each entry, and ratios of ours to each peer
const groups = [...new Set(results.map((r) => r.group))]
const lines = [
  `# Benchmark results`,
  "",
  `${meta.date} · node ${meta.node} · ${meta.cpu} · ${
    Object.entries(meta.versions).map(([k, v]) => `${k} ${v}`).join(" · ")
  }${quick ? " · quick mode" : ""}`,
  ""
]
for (const g of groups) {
  const rows = results.filter((r) => r.group === g)
  lines.push(`## ${g}`, "")
  if (rows[0].opsPerSec !== undefined) {
    const best = Math.max(...rows.filter((r) => r.ours).map((r) => r.opsPerSec))
    lines.push("| | ops/s | spread | ours ÷ this |", "|---|---:|---:|---:|")
    for (const r of rows) {
      lines.push(
        `| ${r.ours ? "**" + r.name + "**" : r.name} | ${r.opsPerSec.toLocaleString("en")} | ±${
          Math.round(r.spread / 2)
        }% | ${r.ours ? "" : (best / r.opsPerSec).toFixed(2) + "×"} |`
      )
    }
  } else if (rows[0].bytesPerItem !== undefined) {
    lines.push("| | bytes per item |", "|---|---:|")
    for (const r of rows) {
      lines.push(`| ${r.ours ? "**" + r.name + "**" : r.name} | ${r.bytesPerItem.toLocaleString("en")} |`)
    }
  } else if (rows[0].ms !== undefined) {
    const ours = rows.find((r) => r.ours).ms
    lines.push("| | ms | this ÷ ours |", "|---|---:|---:|")
    for (const r of rows) {
      lines.push(
        `| ${r.ours ? "**" + r.name + "**" : r.name} | ${r.ms} | ${r.ours ? "" : (r.ms / ours).toFixed(2) + "×"} |`
      )
    }
  } else {
    lines.push("| | achieved/s | busiest 1 s window |", "|---|---:|---:|")
    for (const r of rows) lines.push(`| **${r.name}** | ${r.achievedPerSec} | ${r.worstWindow} |`)
  }
  lines.push("")
}
lines.push(`Total time: ${meta.seconds} s.`)
const markdown = lines.join("\n") + "\n"
if (only === undefined) {
  mkdirSync(new URL("../results/", import.meta.url), { recursive: true })
  writeFileSync(new URL(`../results/${quick ? "quick" : "latest"}.md`, import.meta.url), markdown)
  writeFileSync(
    new URL(`../results/${quick ? "quick" : "latest"}.json`, import.meta.url),
    JSON.stringify({ meta, results }, null, 2) + "\n"
  )
}
process.stdout.write(markdown)
