// Cases 1–6: Taskscope's in-memory primitives against their counterparts, all in this process.
import { Concurrent, Executor, Limiter, Registry, TaskGroup, WorkQueue } from "@taskscope/core"
import { Executor as PromiseExecutor, limit as promiseLimit } from "@taskscope/promise"
import Bottleneck from "bottleneck"
import { Effect, Exit, Fiber, FiberSet, Queue, Scope } from "effect"
import { setMaxListeners } from "node:events"
import pLimit from "p-limit"
import PQueue from "p-queue"
import { promiseRows } from "./promise.mjs"

const run = (effect) => Effect.runPromise(effect)
const immediate = () => new Promise((resolve) => setImmediate(resolve))
const effectImmediate = Effect.async((resume) => {
  setImmediate(() => resume(Effect.void))
})
const fmt = (n) => n.toLocaleString("en")

/**
 * Runs `effect` n times one after another, the way a user writes a loop over their items. (Not
 * `Effect.repeatN`: it yields to the scheduler between repetitions, a cost of its own that the
 * peers' plain loops do not pay.)
 */
const times = (n, effect) => Effect.forEach(Array.from({ length: n }), () => effect, { discard: true })

/** The practical floor: a hand-written promise limiter (no fibers, no bookkeeping). */
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

/**
 * Runs `f` with the registry of live groups and tasks (what `taskscope ps` reads) switched off: the
 * rows that carry it show what the registry costs, beside the same rows with it on (the default).
 */
const registryOff = async (f) => {
  Registry.unsafeSetEnabled(false)
  try {
    return await f()
  } finally {
    Registry.unsafeSetEnabled(true)
  }
}

/** Starts a TaskGroup with `n` children; resolves with its owner fiber once every child has been spawned. */
const groupOf = (n, child, options) =>
  new Promise((resolve) => {
    const fiber = Effect.runFork(TaskGroup.scoped((g) =>
      Effect.zipRight(
        times(n, g.spawn(child)),
        Effect.zipRight(Effect.sync(() => resolve(fiber)), Effect.never)
      ), options))
  })

// ---------------------------------------------------------------------------------------------
// 1. many small tasks under a concurrency limit

export const case1 = async ({ h, quick, scale }) => {
  const N = Math.round(100_000 * scale)
  // Bottleneck schedules every job through a timer (~400 jobs/s here): it gets fewer jobs
  const NB = quick ? 100 : 400
  for (
    const [label, promiseTask, effectTask] of [
      ["resolved", () => Promise.resolve(), Effect.void],
      ["setImmediate", immediate, effectImmediate]
    ]
  ) {
    for (const c of [8, 64]) {
      const group = `1. ${fmt(N)} ${label} tasks, concurrency ${c}`
      const bottleneck = `Bottleneck (${fmt(NB)} tasks)`
      const spec = { name: "t", effect: effectTask }
      // the table's variants sample in rounds, so a drift of the machine's speed hits them alike
      await h.interleave(async () => {
        await h.measure(
          group,
          "TaskGroup concurrency",
          N,
          () =>
            run(TaskGroup.scoped((g) => times(N, g.spawn(effectTask)), {
              concurrency: c
            })),
          {
            ours: true,
            vs: [
              { peer: "Effect.forEach", target: ">= 1" },
              { peer: "p-limit" },
              // what `taskscope ps` reads costs at most 3%
              { peer: "TaskGroup concurrency, registry off", target: ">= 0.97" }
            ]
          }
        )
        await h.measure(
          group,
          "TaskGroup concurrency, registry off",
          N,
          () =>
            registryOff(() =>
              run(TaskGroup.scoped((g) => times(N, g.spawn(effectTask)), {
                concurrency: c
              }))
            )
        )
        await h.measure(
          group,
          "Concurrent.gather",
          N,
          () => run(Concurrent.gather(Array.from({ length: N }, () => effectTask), { concurrency: c })),
          { ours: true, vs: [{ peer: "Effect.all" }] }
        )
        await h.measure(
          group,
          "Executor.runAll",
          N,
          () =>
            run(Effect.scoped(Effect.flatMap(
              Executor.make({ concurrency: c, queueCapacity: Infinity }),
              (ex) => ex.runAll(Array.from({ length: N }, () => spec))
            ))),
          // like for like: one batch, an outcome for each task — p-queue's `addAll`; beside it,
          // p-queue's add-then-onIdle, which hands back nothing
          {
            ours: true,
            vs: [{ peer: "p-queue.addAll", target: ">= 1.2" }, { peer: "p-queue" }, { peer: bottleneck }]
          }
        )
        // p-queue's own pattern: add every task, then wait until the queue is idle
        await h.measure(
          group,
          "Executor.submit + onIdle",
          N,
          () =>
            run(Effect.scoped(Effect.gen(function*() {
              const ex = yield* Executor.make({ concurrency: c, queueCapacity: Infinity })
              yield* times(N, ex.submit(spec))
              yield* ex.onIdle
            }))),
          { ours: true, vs: [{ peer: "p-queue", target: ">= 1.2" }, { peer: bottleneck }] }
        )
        await h.measure(
          group,
          "Effect.forEach",
          N,
          () => run(Effect.forEach(Array.from({ length: N }), () => effectTask, { concurrency: c, discard: true }))
        )
        await h.measure(
          group,
          "Effect.all",
          N,
          () => run(Effect.all(Array.from({ length: N }, () => effectTask), { concurrency: c }))
        )
        await h.measure(group, "p-limit", N, () => {
          const limit = pLimit(c)
          return Promise.all(Array.from({ length: N }, () => limit(promiseTask)))
        })
        await h.measure(group, "p-queue", N, async () => {
          const queue = new PQueue({ concurrency: c })
          for (let i = 0; i < N; i++) queue.add(promiseTask)
          await queue.onIdle()
        })
        await h.measure(group, "p-queue.addAll", N, () => {
          const queue = new PQueue({ concurrency: c })
          return queue.addAll(Array.from({ length: N }, () => promiseTask))
        })
        await promiseRows({ h, group, N, c, promiseTask })
        await h.measure(group, bottleneck, NB, () => {
          const limiter = new Bottleneck({ maxConcurrent: c })
          return Promise.all(Array.from({ length: NB }, () => limiter.schedule(promiseTask)))
        })
        await h.measure(group, "promise limiter (floor)", N, () => promiseLimiter(N, c, promiseTask))
      })
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 2. semaphore contention

export const case2 = async ({ h, quick, scale }) => {
  const N = Math.round(20_000 * scale)
  const task = Effect.yieldNow()
  // the children arrive one per scheduler turn (repeatN yields between spawns), as requests do:
  // 20,000 waiting at once would take Effect 3's semaphore (every release wakes every waiter)
  // past the heap
  const ours = (permits, n) => () =>
    run(
      Effect.flatMap(Limiter.semaphore(permits), (sem) =>
        TaskGroup.scoped((g) => Effect.repeatN(g.spawn(sem.withPermit(task)), n - 1)))
    )
  const effects = (permits, n) => () =>
    run(
      Effect.flatMap(Effect.makeSemaphore(permits), (sem) =>
        TaskGroup.scoped((g) => Effect.repeatN(g.spawn(sem.withPermits(1)(task)), n - 1)))
    )
  for (const permits of [1, 8, 64]) {
    const group = `2. ${fmt(N)} fibers contending for ${permits} permit${permits === 1 ? "" : "s"}`
    if (permits === 1) {
      // Effect 3's semaphore wakes every waiter on each release: with one permit its cost grows
      // with the square of the waiters, so it runs 300 fibers — and so does a row of ours beside it
      const NE = Math.min(N, quick ? 100 : 300)
      const small = `Limiter.semaphore (${fmt(NE)} fibers)`
      const effectSmall = `Effect.makeSemaphore (${fmt(NE)} fibers)`
      await h.measure(group, "Limiter.semaphore", N, ours(permits, N), { ours: true, vs: [{ peer: "p-limit" }] })
      await h.measure(group, small, NE, ours(permits, NE), { ours: true, vs: [{ peer: effectSmall }] })
      await h.measure(group, effectSmall, NE, effects(permits, NE))
    } else {
      await h.measure(group, "Limiter.semaphore", N, ours(permits, N), {
        ours: true,
        vs: [{ peer: "Effect.makeSemaphore" }, { peer: "p-limit" }]
      })
      await h.measure(group, "Effect.makeSemaphore", N, effects(permits, N))
    }
    await h.measure(group, "p-limit", N, () => {
      const limit = pLimit(permits)
      return Promise.all(Array.from({ length: N }, () => limit(() => Promise.resolve())))
    })
  }
}

// ---------------------------------------------------------------------------------------------
// 3. queues

export const case3 = async ({ h, scale }) => {
  const N = Math.round(100_000 * scale)
  for (const [producers, consumers] of [[1, 1], [4, 4]]) {
    const group = `3. ${fmt(N)} items through a bounded(1024) queue, ${producers} × ${consumers}`
    const per = N / producers
    const through = (make, put, take) => () =>
      run(Effect.gen(function*() {
        const q = yield* make
        const prod = Effect.forEach(
          Array.from({ length: producers }),
          () => Effect.forEach(Array.from({ length: per }, (_, i) => i), (i) => put(q, i), { discard: true }),
          { concurrency: "unbounded", discard: true }
        )
        const cons = Effect.forEach(
          Array.from({ length: consumers }),
          () => Effect.repeatN(take(q), N / consumers - 1),
          { concurrency: "unbounded", discard: true }
        )
        yield* Effect.all([prod, cons], { concurrency: 2, discard: true })
      }))
    await h.measure(
      group,
      "WorkQueue.bounded",
      N,
      through(WorkQueue.bounded(1024), (q, i) => q.put(i), (q) => q.take),
      {
        ours: true,
        vs: [{ peer: "Effect Queue.bounded" }]
      }
    )
    await h.measure(group, "Effect Queue.bounded", N, through(Queue.bounded(1024), Queue.offer, Queue.take))
    await h.measure(group, "promise channel (floor)", N, async () => {
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

// ---------------------------------------------------------------------------------------------
// 4. memory per pending task

export const case4 = async ({ h, scale }) => {
  const N = Math.round(100_000 * scale)
  const group = `4. memory per pending task, ${fmt(N)} tasks`
  await h.memory(group, "Executor: queued, not started", N, async (n) => {
    const scope = await run(Scope.make())
    const ex = await run(Scope.extend(Executor.make({ concurrency: 1, queueCapacity: Infinity }), scope))
    await run(ex.submit({ name: "blocker", effect: Effect.never }))
    await run(times(n, ex.submit({ name: "t", effect: Effect.void })))
    return () => run(Effect.zipRight(ex.drain({ grace: 0 }), Scope.close(scope, Exit.void)))
  }, { ours: true, limit: "<= 331", vs: [{ peer: "p-queue: queued" }] })
  await h.memory(group, "TaskGroup: queued child (concurrency 1)", N, async (n) => {
    const fiber = await groupOf(n, Effect.never, { concurrency: 1 })
    return () => run(Fiber.interrupt(fiber))
  }, { ours: true, vs: [{ peer: "p-limit: queued" }] })
  await h.memory(group, "TaskGroup: suspended child", N, async (n) => {
    const fiber = await groupOf(n, Effect.never)
    return () => run(Fiber.interrupt(fiber))
  }, {
    ours: true,
    vs: [
      { peer: "Effect fiber in a FiberSet" },
      // the registry's entry for a task costs at most 5%
      { peer: "TaskGroup: suspended child, registry off", target: "<= 1.05" }
    ]
  })
  await h.memory(group, "TaskGroup: suspended child, registry off", N, (n) =>
    registryOff(async () => {
      const fiber = await groupOf(n, Effect.never)
      return () => run(Fiber.interrupt(fiber))
    }))
  await h.memory(group, "Effect fiber in a FiberSet", N, async (n) => {
    const scope = await run(Scope.make())
    const set = await run(Scope.extend(FiberSet.make(), scope))
    await run(times(n, FiberSet.run(set, Effect.never)))
    await immediate()
    return () => run(Scope.close(scope, Exit.void))
  })
  // the promise package's drop-ins and their peers, held by one setup per shape: one running
  // blocker, then n queued tasks, each a fresh `() => Promise.resolve()`
  const queued = (make) => async (n) => {
    const queue = make()
    let release
    queue.add(() => new Promise((r) => (release = r)))
    for (let i = 0; i < n; i++) queue.add(() => Promise.resolve())
    return async () => {
      // (our clear settles the dropped tasks' promises: rejected, marked handled)
      queue.clear()
      release()
      await queue.onIdle()
    }
  }
  const limited = (make) => async (n) => {
    const limit = make()
    let release
    limit(() => new Promise((r) => (release = r)))
    const all = Array.from({ length: n }, () => limit(() => Promise.resolve()))
    return async () => {
      limit.clearQueue()
      release()
      void all
    }
  }
  await h.memory(group, "promise Executor: queued", N, queued(() => new PromiseExecutor({ concurrency: 1 })), {
    ours: true,
    vs: [{ peer: "p-queue: queued", target: "<= 1" }]
  })
  await h.memory(group, "promise limit: queued", N, limited(() => promiseLimit(1)), {
    ours: true,
    vs: [{ peer: "p-limit: queued", target: "<= 1" }]
  })
  await h.memory(group, "p-queue: queued", N, queued(() => new PQueue({ concurrency: 1 })))
  await h.memory(group, "p-limit: queued", N, limited(() => pLimit(1)))
  await h.memory(group, "raw pending promise", N, async (n) => {
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

export const case5 = async ({ h, scale }) => {
  const N = Math.round(10_000 * Math.max(scale, 0.2))
  const group = `5. cancel ${fmt(N)} suspended children, every finalizer run`
  let finalized = 0
  const child = Effect.never.pipe(Effect.ensuring(Effect.sync(() => finalized++)))
  const check = (name) => () => {
    if (finalized !== N) throw new Error(`${name}: ${finalized} of ${N} finalizers ran`)
  }
  // in rounds, as case 1: measured one after the other, the row that ran second found the heap the
  // first had grown and read about 15% faster (FiberSet: 158 ms alone, 138 ms right after TaskGroup)
  await h.interleave(async () => {
    await h.time(group, "TaskGroup (interrupt owner)", N, {
      setup: async () => {
        finalized = 0
        const fiber = await groupOf(N, child)
        await immediate()
        return () => run(Fiber.interrupt(fiber))
      },
      check: check("TaskGroup")
    }, { ours: true, vs: [{ peer: "FiberSet scope close", target: "<= 1" }, { peer: "AbortController" }] })
    await h.time(group, "FiberSet scope close", N, {
      setup: async () => {
        finalized = 0
        const scope = await run(Scope.make())
        const set = await run(Scope.extend(FiberSet.make(), scope))
        await run(times(N, FiberSet.run(set, child)))
        await immediate()
        return () => run(Scope.close(scope, Exit.void))
      },
      check: check("FiberSet")
    })
    await h.time(group, "AbortController", N, {
      setup: async () => {
        finalized = 0
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
      },
      check: check("AbortController")
    })
  })
}

// ---------------------------------------------------------------------------------------------
// 6. rate limiter

export const case6 = async ({ h, quick, scale }) => {
  const N = Math.round(200_000 * scale)
  const group = "6a. rate limiter: one acquire when tokens are available"
  const NB = quick ? 100 : 400
  const bottleneck = `Bottleneck reservoir (${fmt(NB)} calls)`
  await h.measure(
    group,
    "Limiter.rate (token bucket)",
    N,
    () =>
      run(
        Effect.flatMap(Limiter.rate({ limit: 1e12, interval: "1 second" }), (l) =>
          Effect.repeatN(l.withPermit(Effect.void), N - 1))
      ),
    { ours: true, vs: [{ peer: bottleneck }] }
  )
  await h.measure(
    group,
    "Limiter.rate (sliding window)",
    N,
    () =>
      run(
        Effect.flatMap(Limiter.rate({ limit: 1e7, interval: "1 millis", algorithm: "slidingWindow" }), (l) =>
          Effect.repeatN(l.withPermit(Effect.void), N - 1))
      ),
    { ours: true, vs: [{ peer: bottleneck }] }
  )
  await h.measure(group, bottleneck, NB, () => {
    const limiter = new Bottleneck({ reservoir: 1e12 })
    return Promise.all(Array.from({ length: NB }, () => limiter.schedule(() => Promise.resolve())))
  })
  // accuracy: 1,000/s for `seconds` of real time
  const seconds = quick ? 2 : 5
  const starts = []
  await run(
    Effect.flatMap(
      Limiter.rate({ limit: 1000, interval: "1 second", algorithm: "slidingWindow" }),
      (l) =>
        Effect.forEach(
          Array.from({ length: 1000 * seconds + 1000 }),
          () => l.withPermit(Effect.sync(() => starts.push(performance.now()))),
          { concurrency: 64, discard: true }
        ).pipe(Effect.timeout(`${seconds} seconds`), Effect.ignore)
    )
  )
  let worst = 0
  for (let i = 0; i + 1000 < starts.length; i++) worst = Math.max(worst, 1001 / ((starts[i + 1000] - starts[i]) / 1000))
  const achieved = starts.length / seconds
  h.record({
    group: `6b. rate limiter accuracy: 1,000/s sliding window over ${seconds} s of real time`,
    name: "Limiter.rate",
    ours: true,
    achievedPerSec: Math.round(achieved),
    worstWindow: Math.round(worst)
  }, `achieved ${achieved.toFixed(0)}/s, busiest 1 s window ${worst.toFixed(0)}`)
}
