// One status vocabulary (queued, running, succeeded, failed, timedOut, cancelled) and one classifier,
// seen through every door: Task.state, TaskResult, Timeline, the Executor's status, events and stats.
import { assert, describe, expect, it } from "@effect/vitest"
import { Deadline, Errors, Executor, Task, TaskGroup, TaskResult, Timeline } from "@taskscope/core"
import { Effect, Option, Stream, TestClock } from "effect"

describe("one status vocabulary", () => {
  it.effect("a task that times out is timedOut everywhere; a queued one is queued", () =>
    Effect.gen(function*() {
      const timeline = yield* Timeline.make()
      const seen = yield* TaskGroup.scoped((group) =>
        Effect.gen(function*() {
          const slow = yield* group.spawn(Deadline.within(Effect.never, 100), { name: "slow" })
          const waiting = yield* group.spawn(Effect.void, { name: "waiting" })
          const queued = yield* waiting.state
          const running = yield* slow.state
          yield* TestClock.adjust(100)
          const result = yield* slow.result
          return { queued, running, state: yield* slow.state, result }
        }), { concurrency: 1, mode: "supervise", timeline })
      assert.strictEqual(seen.queued, "queued")
      assert.strictEqual(seen.running, "running")
      assert.strictEqual(seen.state, "timedOut")
      assert.strictEqual(seen.result._tag, "TimedOut")
      assert.strictEqual(TaskResult.status(seen.result), "timedOut")
      const entries = yield* timeline.entries
      expect(entries.map((e) => [e.name, e.outcome])).toStrictEqual([["slow", "timedOut"], ["waiting", "succeeded"]])
    }))

  it.effect("a task the executor drops before it starts is cancelled, with the reason", () =>
    Effect.scoped(Effect.gen(function*() {
      const executor = yield* Executor.make({ concurrency: 1, grace: 0 })
      const events: Array<Executor.ExecutorEvent> = []
      yield* Effect.forkScoped(Stream.runForEach(executor.events, (e) => Effect.sync(() => events.push(e))))
      // the subscriber is in place once its fiber has run a few steps (no clock involved)
      yield* Effect.repeatN(Effect.yieldNow(), 20)
      const busy = yield* executor.submit({ name: "busy", effect: Effect.sleep(10) })
      const cleared = yield* executor.submit({ name: "cleared", effect: Effect.void })
      const removed = yield* executor.submit({ name: "removed", effect: Effect.void })
      assert.isTrue(yield* executor.remove(removed.id))
      yield* executor.clear
      for (const task of [cleared, removed]) {
        assert.strictEqual(yield* task.state, "cancelled")
        const error = yield* Effect.flip(task.join)
        assert.instanceOf(error, Errors.TaskDroppedError)
      }
      expect(yield* Effect.map(cleared.result, (r) => r._tag === "Cancelled" && [r.started, r.dropped])).toStrictEqual([
        false,
        "cleared"
      ])
      expect(yield* executor.status(removed.id)).toStrictEqual(Option.some("cancelled"))
      expect(yield* executor.status(busy.id)).toStrictEqual(Option.some("running"))
      yield* TestClock.adjust(10)
      expect(yield* executor.status(busy.id)).toStrictEqual(Option.some("succeeded"))
      const stats = yield* executor.stats
      expect([stats.succeeded, stats.cancelled, stats.dropped, stats.done]).toStrictEqual([1, 2, 2, 3])
      yield* Effect.repeatN(Effect.yieldNow(), 20)
      const tags = events.filter((e) => "task" in e).map((e) =>
        e._tag === "Cancelled" ? `Cancelled ${e.task.name} ${e.started} ${e.dropped}` : `${e._tag}`
      )
      expect(tags).toStrictEqual([
        "Queued",
        "Started",
        "Queued",
        "Queued",
        "Cancelled removed false removed",
        "Cancelled cleared false cleared",
        "Succeeded"
      ])
    })))

  it.effect("the Queued event carries each task's priority as given, in either order", () =>
    Effect.scoped(Effect.gen(function*() {
      for (const order of ["lowerFirst", "higherFirst"] as const) {
        const executor = yield* Executor.make({ concurrency: 1, priority: order, grace: 0 })
        const events: Array<Executor.ExecutorEvent> = []
        yield* Effect.forkScoped(Stream.runForEach(executor.events, (e) => Effect.sync(() => events.push(e))))
        yield* Effect.repeatN(Effect.yieldNow(), 20)
        yield* executor.submit({ name: "busy", effect: Effect.never, priority: 7 })
        yield* executor.submit({ name: "five", effect: Effect.void, priority: 5 })
        yield* executor.submit({ name: "plain", effect: Effect.void })
        yield* executor.submit({ name: "minus", effect: Effect.void, priority: -2 })
        yield* Effect.repeatN(Effect.yieldNow(), 20)
        const queued = events.flatMap((e) => e._tag === "Queued" ? [[e.task.name, e.priority]] : [])
        expect(queued, order).toStrictEqual([["busy", 7], ["five", 5], ["plain", 0], ["minus", -2]])
      }
    })))

  it.effect("a task cancelled while queued is cancelled without a drop reason", () =>
    TaskGroup.scoped((group) =>
      Effect.gen(function*() {
        yield* group.spawn(Effect.never)
        const queued = yield* group.spawn(Effect.void)
        yield* queued.cancel
        assert.strictEqual(yield* queued.state, "cancelled")
        const result = yield* queued.result
        expect(result._tag === "Cancelled" && [result.started, result.dropped]).toStrictEqual([false, undefined])
        yield* group.cancel
      }), { concurrency: 1 }))

  it("the deprecated legacy words: pending for queued, failed for timedOut", () => {
    const legacy = Task.toLegacyState
    expect(["queued", "running", "succeeded", "failed", "timedOut", "cancelled"].map((s) => legacy(s as Task.State)))
      .toStrictEqual(["pending", "running", "succeeded", "failed", "failed", "cancelled"])
  })
})
