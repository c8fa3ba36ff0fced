import { assert, describe, expect, it } from "@effect/vitest"
import { Executor } from "@taskscope/core"
import { Chunk, Duration, Effect, Exit, Fiber, Option, Stream, TestClock } from "effect"
import { now } from "./helpers.js"

const job = (
  name: string,
  ms: number,
  log: Array<string>,
  extra: Partial<Executor.TaskSpec<string>> = {}
): Executor.TaskSpec<string> => ({
  name,
  effect: Effect.sync(() => log.push(name)).pipe(Effect.zipRight(Effect.sleep(ms)), Effect.as(name)),
  ...extra
})

describe("Executor", () => {
  it.scoped("runs by priority (lowest first, FIFO among equals) under its concurrency", () =>
    Effect.gen(function*() {
      const executor = yield* Executor.make({ concurrency: 1 })
      const log: Array<string> = []
      const fiber = yield* Effect.fork(executor.runAll([
        job("first", 10, log),
        job("low", 10, log, { priority: 5 }),
        job("high", 10, log, { priority: -1 }),
        job("mid-a", 10, log, { priority: 1 }),
        job("mid-b", 10, log, { priority: 1 })
      ]))
      yield* TestClock.adjust(50)
      const results = yield* Fiber.join(fiber)
      expect(log).toStrictEqual(["first", "high", "mid-a", "mid-b", "low"])
      expect(results.map((r) => r._tag)).toStrictEqual([
        "Succeeded",
        "Succeeded",
        "Succeeded",
        "Succeeded",
        "Succeeded"
      ])
    }))

  it.scoped("never exceeds its global and per-key limits", () =>
    Effect.gen(function*() {
      const executor = yield* Executor.make({
        concurrency: 4,
        keys: (key) => ({ concurrency: key === "slow" ? 1 : 4 })
      })
      let running = 0, peak = 0, slowRunning = 0, slowPeak = 0
      const spec = (i: number): Executor.TaskSpec<void> => {
        const key = i % 3 === 0 ? "slow" : "fast"
        return {
          name: `t${i}`,
          key,
          effect: Effect.acquireUseRelease(
            Effect.sync(() => {
              peak = Math.max(peak, ++running)
              if (key === "slow") slowPeak = Math.max(slowPeak, ++slowRunning)
            }),
            () => Effect.sleep(10),
            () =>
              Effect.sync(() => {
                running--
                if (key === "slow") slowRunning--
              })
          )
        }
      }
      const fiber = yield* Effect.fork(executor.runAll(Array.from({ length: 30 }, (_, i) => spec(i))))
      yield* TestClock.adjust(1000)
      const results = yield* Fiber.join(fiber)
      assert.strictEqual(results.filter((r) => r._tag === "Succeeded").length, 30)
      assert.strictEqual(peak, 4)
      assert.strictEqual(slowPeak, 1)
    }))

  it.scoped("retries and timeouts, with events and counted attempts", () =>
    Effect.gen(function*() {
      const executor = yield* Executor.make({
        concurrency: 2,
        defaults: { retry: { maxAttempts: 3, base: 100, jitter: "none" } }
      })
      const events = yield* Effect.fork(
        Stream.runCollect(Stream.take(Stream.filter(executor.events, (e) => "task" in e), 8))
      )
      yield* Effect.yieldNow()
      let calls = 0
      const fiber = yield* Effect.fork(executor.runAll<unknown, unknown, never>([
        { name: "flaky", effect: Effect.suspend(() => ++calls < 3 ? Effect.fail("busy") : Effect.succeed("ok")) },
        { name: "slow", effect: Effect.never, timeout: 50, retry: false }
      ]))
      yield* TestClock.adjust(1000)
      const [flaky, slow] = yield* Fiber.join(fiber)
      assert.strictEqual(flaky._tag, "Succeeded")
      assert.strictEqual(flaky.attempts, 3)
      assert.strictEqual(slow._tag, "TimedOut")
      const seen = Chunk.toReadonlyArray(yield* Fiber.join(events)).map((e) => `${e._tag}:${e.task.name}@${e.at}`)
      expect(seen).toStrictEqual([
        "Queued:flaky@0",
        "Started:flaky@0",
        "Retrying:flaky@0",
        "Queued:slow@0",
        "Started:slow@0",
        "TimedOut:slow@50",
        "Retrying:flaky@100",
        "Succeeded:flaky@300"
      ])
      const stats = yield* executor.stats
      expect([stats.submitted, stats.succeeded, stats.timedOut, stats.retries, stats.running, stats.queued, stats.done])
        .toStrictEqual([2, 1, 1, 2, 0, 0, 2])
    }))

  it.scoped("backpressure: submit waits while the intake queue is full", () =>
    Effect.gen(function*() {
      const executor = yield* Executor.make({ concurrency: 1, queueCapacity: 2 })
      const log: Array<string> = []
      yield* executor.submit(job("running", 100, log))
      yield* executor.submit(job("queued-1", 100, log))
      yield* executor.submit(job("queued-2", 100, log))
      const blocked = yield* Effect.fork(executor.submit(job("blocked", 100, log)).pipe(Effect.zipRight(now)))
      yield* TestClock.adjust(99)
      assert.isTrue(Option.isNone(yield* Fiber.poll(blocked)))
      yield* TestClock.adjust(1)
      assert.strictEqual(yield* Fiber.join(blocked), 100)
      yield* TestClock.adjust(1000) // let the rest finish before the scope drains
    }))

  // found in review; asyncio's Queue.put passes a wake-up on when its putter is cancelled
  {
    it.scoped("backpressure: a blocked submitter cancelled as it is woken passes the room to the next one", () =>
      Effect.gen(function*() {
        const executor = yield* Executor.make({ concurrency: 1, queueCapacity: 1, overflow: "block", grace: 0 })
        yield* executor.submit({ name: "running", effect: Effect.sleep(1000) })
        const queued = yield* executor.submit({ name: "queued", effect: Effect.sleep(10) })
        const first = yield* Effect.fork(executor.submit({ name: "first", effect: Effect.void }))
        const second = yield* Effect.fork(executor.submit({ name: "second", effect: Effect.void }))
        yield* Effect.yieldNow()
        assert.isTrue(Option.isNone(yield* Fiber.poll(first)) && Option.isNone(yield* Fiber.poll(second)))
        // room opens (the queued task is removed), and the first submitter is cancelled in the same
        // step: its fiber gets the wake-up and the interruption at once
        yield* executor.remove(queued.id)
        yield* Fiber.interrupt(first)
        yield* Effect.yieldNow()
        const taken = yield* Fiber.poll(second)
        assert.isTrue(Option.isSome(taken) && Exit.isSuccess(taken.value), "the second submitter still waits")
        if (Option.isSome(taken) && Exit.isSuccess(taken.value)) {
          assert.strictEqual(taken.value.value.name, "second")
          assert.strictEqual(yield* taken.value.value.state, "queued")
        }
        const first_ = yield* Fiber.await(first)
        assert.isTrue(Exit.isInterrupted(first_), "the first submitter ends cancelled, its task not submitted")
        const stats = yield* executor.stats
        expect([stats.queued, stats.submitted]).toStrictEqual([1, 3])
        yield* TestClock.adjust(2000)
      }))
  }

  it.scoped("drain with enough budget finishes everything and reports nothing lost", () =>
    Effect.gen(function*() {
      const executor = yield* Executor.make({ concurrency: 2 })
      const log: Array<string> = []
      yield* Effect.forEach([1, 2, 3, 4], (i) => executor.submit(job(`j${i}`, 100, log)))
      const drain = yield* Effect.fork(executor.drain({ grace: "1 second" }))
      yield* TestClock.adjust(200)
      const report = yield* Fiber.join(drain)
      assert.isTrue(report.completedInTime)
      expect([report.neverRan.length, report.interrupted.length, Duration.toMillis(report.elapsed)]).toStrictEqual([
        0,
        0,
        200
      ])
      const late = yield* Effect.flip(executor.submit(job("late", 1, log)))
      assert.strictEqual(late._tag, "ExecutorClosedError")
      assert.match(late.message, /Executor "Executor" is draining or closed: task "late" was not accepted/)
    }))

  it.scoped("drain without enough budget returns every task it never ran or interrupted, with its spec", () =>
    Effect.gen(function*() {
      const executor = yield* Executor.make({ concurrency: 2 })
      const log: Array<string> = []
      const specs = [1, 2, 3, 4, 5].map((i) => job(`j${i}`, 100, log))
      yield* Effect.forEach(specs, (spec) => executor.submit(spec))
      const drain = yield* Effect.fork(executor.drain({ grace: 150 }))
      yield* TestClock.adjust(150)
      const report = yield* Fiber.join(drain)
      assert.isFalse(report.completedInTime)
      expect(report.interrupted.map((u) => u.task.name)).toStrictEqual(["j3", "j4"])
      expect(report.neverRan.map((u) => u.task.name)).toStrictEqual(["j5"])
      assert.strictEqual(report.neverRan[0].spec, specs[4] as Executor.TaskSpec<unknown, unknown, unknown>)
      const stats = yield* executor.stats
      expect([stats.succeeded, stats.cancelled, stats.running, stats.queued]).toStrictEqual([2, 3, 0, 0])
    }))

  it.scoped("a task handed to an idle worker is running from its submit: stats, status and state say so at once", () =>
    Effect.gen(function*() {
      const executor = yield* Executor.make({ concurrency: 2 })
      // a first task starts a worker, ends, and leaves the worker parked
      yield* executor.run({ name: "warm-up", effect: Effect.void })
      const ran: Array<string> = []
      const task = yield* executor.submit({ name: "next", effect: Effect.sync(() => ran.push("next")) })
      // nothing has yielded since submit: the parked worker has not resumed yet
      const stats = yield* executor.stats
      expect([stats.running, stats.queued, ran.length]).toStrictEqual([1, 0, 0])
      expect(yield* executor.status(task.id)).toStrictEqual(Option.some("running"))
      assert.strictEqual(yield* task.state, "running")
      expect((yield* executor.runningTasks).map((t) => t.name)).toStrictEqual(["next"])
      yield* task.join
      expect(ran).toStrictEqual(["next"])
      expect([(yield* executor.stats).running, (yield* executor.stats).succeeded]).toStrictEqual([0, 2])
    }))

  it.scoped("a task handed over and cancelled before its worker resumed never runs; the executor goes on", () =>
    Effect.gen(function*() {
      const executor = yield* Executor.make({ concurrency: 1 })
      yield* executor.run({ name: "warm-up", effect: Effect.void })
      const ran: Array<string> = []
      const task = yield* executor.submit({ name: "doomed", effect: Effect.sync(() => ran.push("doomed")) })
      assert.strictEqual((yield* executor.stats).running, 1)
      yield* task.cancel
      assert.strictEqual(yield* task.state, "cancelled")
      const after = yield* executor.run({ name: "after", effect: Effect.sync(() => ran.push("after")) })
      assert.strictEqual(after._tag, "Succeeded")
      expect(ran).toStrictEqual(["after"])
      const stats = yield* executor.stats
      expect([stats.running, stats.cancelled, stats.succeeded, stats.dropped]).toStrictEqual([0, 1, 2, 0])
    }))

  it.scoped("a lower concurrency lets the tasks already handed over run; the next ones wait for it", () =>
    Effect.gen(function*() {
      const executor = yield* Executor.make({ concurrency: 2 })
      // two workers, both parked
      yield* executor.runAll([{ name: "w1", effect: Effect.sleep(1) }, { name: "w2", effect: Effect.sleep(1) }]).pipe(
        Effect.fork,
        Effect.zipLeft(TestClock.adjust(1)),
        Effect.flatMap(Fiber.join)
      )
      const starts: Array<string> = []
      const timed = (name: string) => ({
        name,
        effect: Effect.flatMap(now, (t) => Effect.sync(() => starts.push(`${name}@${t}`))).pipe(
          Effect.zipRight(Effect.sleep(100))
        )
      })
      const a = yield* executor.submit(timed("a"))
      const b = yield* executor.submit(timed("b"))
      assert.strictEqual((yield* executor.stats).running, 2)
      yield* executor.update({ concurrency: 1 })
      const c = yield* executor.submit(timed("c"))
      const d = yield* executor.submit(timed("d"))
      expect([(yield* executor.stats).running, (yield* executor.stats).queued]).toStrictEqual([2, 2])
      yield* TestClock.adjust(400)
      yield* Effect.forEach([a, b, c, d], (t) => t.join, { discard: true })
      // a and b ran together (handed over before the change); then one at a time
      expect(starts).toStrictEqual(["a@1", "b@1", "c@101", "d@201"])
    }))

  it.effect("a bad configuration is a clear error at start-up; the Layer drains on close", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.scoped(Executor.make({ concurrency: 0 })))
      assert.match(error.message, /^Executor options: concurrency: Expected a positive integer or Infinity/)
      // negative and NaN durations are errors, never silently 0
      for (const config of [{ grace: -1 }, { grace: Number.NaN }, { idleTimeout: -5 }, { defaults: { timeout: -1 } }]) {
        const bad = yield* Effect.flip(Effect.scoped(Executor.make(config)))
        assert.strictEqual(bad._tag, "InvalidOptionsError", JSON.stringify(config))
        assert.match(bad.message, /Expected a (finite, )?(non-negative|positive) duration/)
      }
      const log: Array<string> = []
      const fiber = yield* Effect.fork(
        Effect.gen(function*() {
          const executor = yield* Executor.Executor
          yield* executor.submit(job("in-flight", 100, log))
        }).pipe(Effect.provide(Executor.layer({ grace: "1 second" })), Effect.zipRight(now))
      )
      yield* TestClock.adjust(100)
      assert.strictEqual(yield* Fiber.join(fiber), 100)
      expect(log).toStrictEqual(["in-flight"])
    }))
})
