import { assert, describe, expect, it } from "@effect/vitest"
import { Task, TaskGroup } from "@taskscope/core"
import { Duration, Effect, Exit, Fiber, Option, Ref, TestClock } from "effect"
import { noOrphans, runFor } from "./helpers.js"

describe("Task", () => {
  it.effect("has an id, a name, and moves through its states", () =>
    Effect.gen(function*() {
      const result = yield* Fiber.join(
        yield* runFor(
          TaskGroup.scoped((group) =>
            Effect.gen(function*() {
              const named = yield* group.spawn(Effect.sleep(1000), { name: "named" })
              const anonymous = yield* group.spawn(Effect.fail("x"))
              const states = [yield* named.state]
              yield* Effect.sleep(1001)
              states.push(yield* named.state)
              return { named, anonymous, states, anonymousState: yield* anonymous.state }
            }), { mode: "supervise" }),
          "1001 millis"
        )
      )
      assert.strictEqual(result.named.name, "named")
      assert.strictEqual(result.anonymous.name, `task-${result.anonymous.id}`)
      assert.notStrictEqual(result.named.id, result.anonymous.id)
      expect(result.states).toStrictEqual(["running", "succeeded"])
      assert.strictEqual(result.anonymousState, "failed")
      assert.isTrue(Task.isTask(result.named))
      expect(result.named.toJSON()).toStrictEqual({
        _id: "Task",
        id: result.named.id,
        name: "named",
        state: "succeeded"
      })
    }))

  it.effect("join, await and poll", () =>
    Effect.gen(function*() {
      const out = yield* Fiber.join(
        yield* runFor(
          TaskGroup.scoped((group) =>
            Effect.gen(function*() {
              const ok = yield* group.spawn(Effect.succeed(1).pipe(Effect.delay(100)))
              const bad = yield* group.spawn(Effect.fail("bad").pipe(Effect.delay(50)))
              const polled = yield* ok.poll
              return {
                polled,
                joined: yield* ok.join,
                awaited: yield* bad.await,
                joinBad: yield* Effect.either(bad.join),
                polledAfter: yield* ok.poll
              }
            }), { mode: "supervise" }),
          "100 millis"
        )
      )
      assert.isTrue(Option.isNone(out.polled))
      assert.strictEqual(out.joined, 1)
      expect(out.awaited).toStrictEqual(Exit.fail("bad"))
      expect(out.joinBad._tag === "Left" && out.joinBad.left).toStrictEqual("bad")
      expect(out.polledAfter).toStrictEqual(Option.some(Exit.succeed(1)))
    }))

  it.effect("cancel waits until every finalizer of the task has run", () =>
    Effect.gen(function*() {
      const cleaned = yield* Ref.make(false)
      const fiber = yield* runFor(
        TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            const task = yield* group.spawn(Effect.never.pipe(
              Effect.ensuring(Effect.sleep(2000).pipe(Effect.zipRight(Ref.set(cleaned, true))))
            ))
            yield* task.cancel
            return [yield* Ref.get(cleaned), yield* task.state, yield* Effect.clockWith((c) => c.currentTimeMillis)]
          })
        ),
        "1999 millis"
      )
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust(1)
      expect(yield* Fiber.join(fiber)).toStrictEqual([true, "cancelled", 2000])
    }))

  it.effect("a pending task that is cancelled never runs; cancelling a finished task does nothing", () =>
    Effect.gen(function*() {
      const ran = yield* Ref.make(false)
      const out = yield* Fiber.join(
        yield* runFor(
          TaskGroup.scoped((group) =>
            Effect.gen(function*() {
              const first = yield* group.spawn(Effect.sleep(100).pipe(Effect.as("first")))
              const queued = yield* group.spawn(Ref.set(ran, true))
              yield* queued.cancel
              const result = yield* queued.result
              yield* first.join
              yield* first.cancel
              return { result, first: yield* first.state }
            }), { concurrency: 1 }),
          "100 millis"
        )
      )
      assert.isFalse(yield* Ref.get(ran))
      assert.strictEqual(out.result._tag, "Cancelled")
      assert.isTrue(out.result._tag === "Cancelled" && !out.result.started)
      assert.strictEqual(out.first, "succeeded")
    }))

  it.effect("timings and results come from the Clock", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust(5000)
      const out = yield* Fiber.join(
        yield* runFor(
          TaskGroup.scoped((group) =>
            Effect.gen(function*() {
              yield* group.spawn(Effect.sleep(1000))
              const second = yield* group.spawn(Effect.sleep(500).pipe(Effect.as("v")), { name: "second" })
              return { timings: yield* second.timings.pipe(Effect.delay(1500)), result: yield* second.result }
            }), { concurrency: 1 }),
          "1500 millis"
        )
      )
      expect(out.timings).toStrictEqual({ startedAt: Option.some(6000), endedAt: Option.some(6500) })
      assert.strictEqual(out.result._tag, "Succeeded")
      if (out.result._tag === "Succeeded") {
        assert.strictEqual(out.result.value, "v")
        assert.strictEqual(out.result.name, "second")
        assert.strictEqual(out.result.attempts, 1)
        assert.strictEqual(out.result.startedAt, 6000)
        assert.strictEqual(out.result.endedAt, 6500)
        assert.strictEqual(Duration.toMillis(out.result.duration), 500)
      }
    }))

  it.effect("done callbacks run exactly once, whether registered before or after the end", () =>
    Effect.gen(function*() {
      const calls: Array<string> = []
      yield* Fiber.join(
        yield* runFor(
          TaskGroup.scoped((group) =>
            Effect.gen(function*() {
              const task = yield* group.spawn(Effect.sleep(100).pipe(Effect.as(7)))
              yield* Task.onDone(task, (r) => calls.push(`early:${r._tag}`))
              yield* Task.onDone(task, () => {
                throw new Error("a broken callback must not stop the others")
              })
              yield* Task.onDone(task, (r) => calls.push(`early2:${r._tag === "Succeeded" ? r.value : "?"}`))
              yield* task.join
              yield* Task.onDone(task, (r) => calls.push(`late:${r._tag}`))
              yield* task.cancel
            })
          ),
          "100 millis"
        )
      )
      expect(calls).toStrictEqual(["early:Succeeded", "early2:7", "late:Succeeded"])
    }))

  it.effect("Task.fork gives a handle on a child fiber", () =>
    Effect.gen(function*() {
      const value = yield* noOrphans(Effect.gen(function*() {
        const task = yield* Task.fork(Effect.succeed(42).pipe(Effect.delay(10)), { name: "solo" })
        yield* TestClock.adjust(10)
        return [task.name, yield* task.join] as const
      }))
      expect(value).toStrictEqual(["solo", 42])
    }))
})
