/**
 * The runtime smoke suite: one short check per public module of `@taskscope/core` (and of the
 * promise package), with nothing but the packages themselves — no Node built-in, no test runner —
 * so that the same file runs under Node, Bun, Deno and, bundled, in a browser.
 *
 * Each check runs its module for real (timers on the runtime's own clock where time matters,
 * Effect's TestClock where the module is about virtual time) and compares what it gives with what
 * it must give. `run()` resolves with one entry per module: "ok", or what went wrong.
 */
import {
  Concurrent,
  Deadline,
  Errors,
  Event,
  Executor,
  Limiter,
  Options,
  Orphans,
  Progress,
  Retry,
  Shutdown,
  Task,
  TaskGroup,
  TaskResult,
  Testing,
  Timeline,
  WorkQueue
} from "@taskscope/core"
import * as P from "@taskscope/promise"
import { Duration, Effect, Exit, Fiber, Option, Schema, Stream, TestClock, TestContext } from "effect"

type Check = () => Promise<unknown>

/** The value a check must give, as JSON. */
const same = (actual: unknown, expected: unknown) => {
  const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)]
  if (a !== e) throw new Error(`gave ${a}, expected ${e}`)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const real = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
/** On the TestClock, the clock moved on by an hour. */
const virtual = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.runPromise(
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(effect)
      yield* TestClock.adjust("1 hour")
      return yield* Fiber.join(fiber)
    }).pipe(Effect.provide(TestContext.TestContext))
  )

export const checks: Record<string, Check> = {
  "core/TaskGroup": async () => {
    const cleaned: Array<string> = []
    const exit = await real(Effect.exit(TaskGroup.scoped((group) =>
      Effect.gen(function*() {
        yield* group.spawn(Effect.never.pipe(Effect.ensuring(Effect.sync(() => cleaned.push("sibling")))))
        yield* group.spawn(Effect.fail("boom").pipe(Effect.delay("20 millis")))
        return "unreachable"
      })
    )))
    same({ failed: Exit.isFailure(exit), cleaned }, { failed: true, cleaned: ["sibling"] })
  },
  "core/Task": async () => {
    const value = await real(TaskGroup.scoped((group) =>
      Effect.gen(function*() {
        const task = yield* group.spawn(Effect.succeed(7).pipe(Effect.delay("10 millis")), { name: "seven" })
        const timedOut = yield* group.spawn(Effect.never)
        const waited = yield* Effect.either(Task.waitFor(timedOut, "10 millis"))
        return { name: task.name, value: yield* task.join, waited: waited._tag }
      })
    ))
    same(value, { name: "seven", value: 7, waited: "Left" })
  },
  "core/TaskResult": async () => {
    const result = TaskResult.fromExit(Exit.succeed(1), { name: "a", attempts: 1, startedAt: 0, endedAt: 5 })
    same([result._tag, TaskResult.isSucceeded(result), result.attempts], ["Succeeded", true, 1])
  },
  "core/Concurrent": async () => {
    // completion order on the TestClock: real timers 10 ms apart may fire out of order on a busy machine
    const effects = [30, 10, 20].map((ms) => Effect.succeed(ms).pipe(Effect.delay(`${ms} millis`)))
    const gathered = await real(Concurrent.gather(effects))
    const order = await virtual(Stream.runCollect(Concurrent.asCompleted(effects)).pipe(Effect.map((c) => [...c])))
    const settled = await real(Concurrent.settle([Effect.succeed(1), Effect.fail("no")]))
    same({ gathered, order, settled: settled.map((r) => r._tag) }, {
      gathered: [30, 10, 20],
      order: [10, 20, 30],
      settled: ["Succeeded", "Failed"]
    })
  },
  "core/Deadline": async () => {
    const timedOut = await real(Effect.either(Effect.never.pipe(Deadline.within("20 millis"))))
    const moved = await real(Effect.sleep("1 second").pipe(Deadline.moveOnAfter("20 millis")))
    const budget = await real(Deadline.remaining.pipe(Deadline.within("1 second")))
    same(
      {
        timedOut: timedOut._tag === "Left" && timedOut.left._tag,
        moved: Option.isNone(moved),
        budget: Option.isSome(budget)
      },
      { timedOut: "TimeoutError", moved: true, budget: true }
    )
  },
  "core/Retry": async () => {
    let calls = 0
    const value = await virtual(
      Effect.suspend(() => (++calls < 3 ? Effect.fail("flaky") : Effect.succeed("done"))).pipe(
        Retry.retry({ maxAttempts: 5, base: "100 millis" })
      )
    )
    const header = Option.map(Retry.parseRetryAfter("2"), Duration.toMillis)
    same({ value, calls, header: Option.getOrNull(header) }, { value: "done", calls: 3, header: 2000 })
  },
  "core/Limiter": async () => {
    const order = await real(Effect.gen(function*() {
      const semaphore = yield* Limiter.semaphore(1)
      const seen: Array<number> = []
      yield* Effect.forEach(
        [1, 2, 3],
        (n) => semaphore.withPermit(Effect.sync(() => seen.push(n)).pipe(Effect.zipRight(Effect.sleep("5 millis")))),
        {
          concurrency: "unbounded"
        }
      )
      return seen
    }))
    same(order, [1, 2, 3])
  },
  "core/WorkQueue": async () => {
    const report = await real(Effect.gen(function*() {
      const queue = yield* WorkQueue.bounded<number>(2)
      return yield* TaskGroup.scoped((group) =>
        Effect.gen(function*() {
          const pool = yield* group.spawn(WorkQueue.consume(queue, { concurrency: 2 }, () => Effect.sleep("5 millis")))
          yield* Effect.forEach([1, 2, 3, 4], (n) => queue.put(n))
          yield* queue.join
          yield* queue.shutdown()
          return yield* pool.join
        })
      )
    }))
    same(report.processed, 4)
  },
  "core/Event": async () => {
    const woke = await real(Effect.gen(function*() {
      const event = yield* Event.make()
      const waiter = yield* Effect.fork(event.wait)
      yield* Effect.sleep("5 millis")
      yield* event.set
      yield* Fiber.join(waiter)
      return yield* event.isSet
    }))
    same(woke, true)
  },
  "core/Executor": async () => {
    const results = await real(Effect.scoped(Effect.gen(function*() {
      const executor = yield* Executor.make({ concurrency: 2 })
      return yield* executor.runAll(
        [3, 1, 2].map((n) => ({ name: `job ${n}`, effect: Effect.succeed(n).pipe(Effect.delay(`${n} millis`)) }))
      )
    })))
    same(results.map((r) => r._tag === "Succeeded" ? r.value : r._tag), [3, 1, 2])
  },
  "core/Shutdown": async () => {
    const report = await real(Effect.gen(function*() {
      const shutdown = yield* Shutdown.make({ grace: "1 second" })
      const flushed: Array<string> = []
      yield* shutdown.register("flush", "log", Effect.sync(() => flushed.push("log")))
      yield* shutdown.request("test")
      const report = yield* shutdown.run()
      return { reason: report.reason, flushed, inTime: report.drainedInTime }
    }))
    same(report, { reason: "test", flushed: ["log"], inTime: true })
  },
  "core/Timeline": async () => {
    const svg = await virtual(Effect.gen(function*() {
      const timeline = yield* Timeline.make()
      yield* TaskGroup.scoped((group) => group.spawn(Effect.sleep("100 millis"), { name: "a" }), { timeline })
      return Timeline.toSvg(yield* timeline.entries, { width: 300 })
    }))
    same([svg.startsWith("<svg"), svg.includes("a: 100 ms (succeeded)")], [true, true])
  },
  "core/Progress": async () => {
    const snapshot = await real(Effect.gen(function*() {
      const tracker = yield* Progress.make("all")
      const child = yield* tracker.child("part")
      yield* child.add(4)
      yield* child.advance(3)
      return yield* tracker.snapshot
    }))
    same([snapshot.done, snapshot.total], [3, 4])
  },
  "core/Options": async () => {
    const good = await real(
      Options.decode("Smoke", Schema.Struct({ concurrency: Options.PositiveInt }))({
        concurrency: 2
      })
    )
    const bad = await real(Effect.either(
      Options.decode("Smoke", Schema.Struct({ concurrency: Options.PositiveInt }))({ concurrency: 0 })
    ))
    same([good.concurrency, bad._tag === "Left" && bad.left._tag], [2, "InvalidOptionsError"])
  },
  "core/Orphans": async () => {
    const exit = await real(Orphans.check(TaskGroup.scoped((group) => group.spawn(Effect.sleep("5 millis")))))
    same(Exit.isSuccess(exit), true)
  },
  "core/Testing": async () => {
    const report = await virtual(
      Testing.interruptEverywhere((probe) =>
        TaskGroup.scoped((group) => group.spawn(probe.guard("child", Effect.sleep("1 second"))))
      )
    )
    same(report.points > 0 && report.runs === report.points + 1, true)
  },
  "core/Errors": async () => {
    const error = new Errors.InvalidOptionsError({ subject: "Smoke", detail: "bad" })
    same([error._tag, error.message, error instanceof Error], ["InvalidOptionsError", "Smoke options: bad", true])
  },
  "promise/TaskGroup": async () => {
    const cleaned: Array<string> = []
    const outcome = await P.TaskGroup.run(async (group) => {
      group.spawn(async (signal) => {
        await new Promise((resolve) => signal.addEventListener("abort", resolve))
        cleaned.push("sibling")
      })
      group.spawn(async () => {
        await sleep(10)
        throw new Error("boom")
      })
    }).catch((error: Error) => error.message)
    same({ outcome, cleaned }, { outcome: "boom", cleaned: ["sibling"] })
  },
  "promise/Concurrent": async () => {
    const values = await P.gather([async () => 1, async () => 2], { concurrency: 1 })
    const settled = await P.settle([async () => 1, async () => Promise.reject(new Error("no"))])
    same({ values, settled: settled.map((r) => r.status) }, { values: [1, 2], settled: ["fulfilled", "rejected"] })
  },
  "promise/Deadline": async () => {
    const outcome = await P.withTimeout(20, async (signal) => {
      await new Promise((resolve) => signal.addEventListener("abort", resolve))
      return "aborted"
    }).catch((error: unknown) => error instanceof P.TimeoutError ? "TimeoutError" : String(error))
    same(outcome, "TimeoutError")
  },
  "promise/Limiter": async () => {
    const limit = P.limit(1)
    let running = 0
    let most = 0
    await Promise.all([1, 2, 3].map(() =>
      limit(async () => {
        most = Math.max(most, ++running)
        await sleep(5)
        running--
      })
    ))
    same(most, 1)
  },
  "promise/Queue": async () => {
    const queue = new P.Queue<number>({ capacity: 2 })
    await queue.put(1)
    await queue.put(2)
    const taken = [await queue.take(), await queue.take()]
    queue.taskDone()
    queue.taskDone()
    await queue.join()
    same(taken, [1, 2])
  },
  "promise/Executor": async () => {
    const executor = new P.Executor({ concurrency: 1 })
    const order: Array<number> = []
    await Promise.all([1, 2, 3].map((n) => executor.add(async () => order.push(n))))
    await executor.onIdle()
    same(order, [1, 2, 3])
  },
  "promise/Retry": async () => {
    let calls = 0
    const value = await P.retry(async () => {
      if (++calls < 2) throw new Error("flaky")
      return "done"
    }, { maxAttempts: 3, base: 1 })
    same({ value, calls }, { value: "done", calls: 2 })
  }
}

/** Runs every check, one after the other: "ok" or what went wrong, by module. */
export const run = async (): Promise<Record<string, string>> => {
  const results: Record<string, string> = {}
  for (const [name, check] of Object.entries(checks)) {
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      await Promise.race([
        check(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("did not finish within 10 s")), 10_000)
        })
      ])
      results[name] = "ok"
    } catch (error) {
      results[name] = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    } finally {
      clearTimeout(timer)
    }
  }
  return results
}
