// asyncio 3.13 and Trio on a group that is shutting down: no failure is lost when an interruption
// from outside arrives meanwhile (asyncio gh-116720), nested groups included; group.cancel is the
// group's cancel scope (Trio's nursery.cancel_scope.cancel()); and group.start to the letter of
// Trio's nursery.start.
import { assert, describe, expect, it } from "@effect/vitest"
import { Deadline, TaskGroup } from "@taskscope/core"
import { Cause, Effect, Exit, Fiber, Option, Ref, TestClock } from "effect"
import { noOrphans, now } from "./helpers.js"

const failuresOf = (exit: Exit.Exit<unknown, unknown>): Array<unknown> =>
  Exit.isFailure(exit) ? Array.from(Cause.failures(exit.cause)) : []

/** A child that fails with `error` after `ms`. */
const failAfter = (error: string, ms: number) => Effect.zipRight(Effect.sleep(ms), Effect.fail(error))

/** A child that waits forever, and whose cleanup takes `ms`. */
const slowCleanup = (ms: number) => Effect.never.pipe(Effect.ensuring(Effect.sleep(ms)))

describe("failures during a failFast group's shutdown, with an interruption from outside", () => {
  it.effect("a child failed, a sibling is still cleaning up, the owner is interrupted: the failure stays in the Cause", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(noOrphans(TaskGroup.scoped((group) =>
        Effect.gen(function*() {
          yield* group.spawn(failAfter("A", 10))
          yield* group.spawn(slowCleanup(100))
          return yield* Effect.never
        })
      )))
      yield* TestClock.adjust(50)
      const exit = yield* Fiber.interrupt(fiber).pipe(
        Effect.fork,
        Effect.tap(() => TestClock.adjust(100)),
        Effect.flatMap(Fiber.join)
      )
      expect(failuresOf(exit)).toStrictEqual(["A"])
      assert.isTrue(Exit.isFailure(exit) && Cause.isInterrupted(exit.cause), "the interruption is there too")
    }))

  it.effect("a child that fails in its cleanup after the outside interruption is kept beside the first failure", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(TaskGroup.scoped((group) =>
        Effect.gen(function*() {
          yield* group.spawn(failAfter("A", 10))
          yield* group.spawn(
            Effect.never.pipe(Effect.ensuring(Effect.zipRight(Effect.sleep(100), Effect.die("B's cleanup"))))
          )
          return yield* Effect.never
        })
      ))
      yield* TestClock.adjust(50)
      const interrupting = yield* Effect.fork(Fiber.interrupt(fiber))
      yield* TestClock.adjust(100)
      const exit = yield* Fiber.join(interrupting)
      expect(failuresOf(exit)).toStrictEqual(["A"])
      assert.isTrue(Exit.isFailure(exit) && Array.from(Cause.defects(exit.cause)).includes("B's cleanup"))
    }))

  it.effect("nested: an inner group (a child of the outer) failed and is shutting down when the outer owner is interrupted", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(TaskGroup.scoped((outer) =>
        Effect.gen(function*() {
          yield* outer.spawn(TaskGroup.scoped((inner) =>
            Effect.gen(function*() {
              yield* inner.spawn(failAfter("inner A", 10))
              yield* inner.spawn(slowCleanup(100))
              return yield* Effect.never
            })
          ))
          yield* outer.spawn(slowCleanup(100))
          return yield* Effect.never
        })
      ))
      yield* TestClock.adjust(50)
      const interrupting = yield* Effect.fork(Fiber.interrupt(fiber))
      yield* TestClock.adjust(200)
      const exit = yield* Fiber.join(interrupting)
      expect(failuresOf(exit)).toStrictEqual(["inner A"])
    }))

  it.effect("nested: an inner group in the outer body failed and is shutting down when the outer owner is interrupted", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(TaskGroup.scoped((outer) =>
        Effect.gen(function*() {
          yield* outer.spawn(slowCleanup(100))
          return yield* TaskGroup.scoped((inner) =>
            Effect.gen(function*() {
              yield* inner.spawn(failAfter("inner A", 10))
              yield* inner.spawn(slowCleanup(100))
              return yield* Effect.never
            })
          )
        })
      ))
      yield* TestClock.adjust(50)
      const interrupting = yield* Effect.fork(Fiber.interrupt(fiber))
      yield* TestClock.adjust(200)
      const exit = yield* Fiber.join(interrupting)
      expect(failuresOf(exit)).toStrictEqual(["inner A"])
    }))

  it.effect("a Deadline around the group expires during its failFast shutdown: the failure and the TimeoutError both come out", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            yield* group.spawn(failAfter("A", 10))
            yield* group.spawn(slowCleanup(100))
            return yield* Effect.never
          })
        ).pipe(Deadline.within(50))
      )
      yield* TestClock.adjust(200)
      const exit = yield* Fiber.join(fiber).pipe(Effect.exit)
      expect(failuresOf(exit).map((e) => (e instanceof Deadline.TimeoutError ? "TimeoutError" : e))).toContain("A")
    }))

  it.effect("the owner is interrupted first; a child that cannot be interrupted then fails: its failure is kept", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(TaskGroup.scoped((group) =>
        Effect.gen(function*() {
          yield* group.spawn(Effect.uninterruptible(failAfter("late", 100)))
          yield* group.spawn(Effect.never)
          return yield* Effect.never
        })
      ))
      yield* TestClock.adjust(10)
      const interrupting = yield* Effect.fork(Fiber.interrupt(fiber))
      yield* TestClock.adjust(100)
      const exit = yield* Fiber.join(interrupting)
      expect(failuresOf(exit)).toStrictEqual(["late"])
      assert.isTrue(Exit.isFailure(exit) && Cause.isInterrupted(exit.cause))
    }))

  it.effect("the body has returned and the group waits for its children: a failure, then the outside interruption, both kept", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(TaskGroup.scoped((group) =>
        Effect.gen(function*() {
          yield* group.spawn(failAfter("A", 10))
          yield* group.spawn(slowCleanup(100))
          return "body done"
        })
      ))
      yield* TestClock.adjust(50)
      const interrupting = yield* Effect.fork(Fiber.interrupt(fiber))
      yield* TestClock.adjust(100)
      const exit = yield* Fiber.join(interrupting)
      expect(failuresOf(exit)).toStrictEqual(["A"])
    }))

  it.effect("the failure and the outside interruption in the same instant: the failure is kept", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(TaskGroup.scoped((group) =>
        Effect.gen(function*() {
          yield* group.spawn(failAfter("A", 10))
          yield* group.spawn(slowCleanup(100))
          return yield* Effect.never
        })
      ))
      const interrupting = yield* Effect.fork(Effect.zipRight(Effect.sleep(10), Fiber.interrupt(fiber)))
      yield* TestClock.adjust(200)
      const exit = yield* Fiber.join(interrupting)
      expect(failuresOf(exit)).toStrictEqual(["A"])
    }))

  it.scoped("a group made in a Scope (TaskGroup.make): the scope's close keeps the failure when interrupted meanwhile", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.scoped(Effect.gen(function*() {
        const group = yield* TaskGroup.make()
        yield* group.spawn(failAfter("A", 10))
        yield* group.spawn(slowCleanup(100))
        return yield* Effect.never
      })))
      yield* TestClock.adjust(50)
      const interrupting = yield* Effect.fork(Fiber.interrupt(fiber))
      yield* TestClock.adjust(200)
      const exit = yield* Fiber.join(interrupting)
      expect(failuresOf(exit)).toStrictEqual(["A"])
    }))
})

describe("group.cancel is the group's cancel scope (Trio's nursery.cancel_scope.cancel())", () => {
  it.effect("with a Deadline scope inside the body, the cancellation is still absorbed", () =>
    Effect.gen(function*() {
      const result = yield* TaskGroup.scoped((group) =>
        Effect.gen(function*() {
          yield* group.spawn(Effect.never)
          yield* Effect.fork(Effect.zipRight(Effect.sleep(10), group.cancel))
          return yield* Deadline.within(Effect.never, "1 hour").pipe(Effect.as("not reached"))
        })
      ).pipe(Effect.fork, Effect.tap(() => TestClock.adjust(10)), Effect.flatMap(Fiber.join))
      assert.isUndefined(result)
    }))

  it.effect("cancelling the group from inside nested scopes and nested groups is absorbed by this group only", () =>
    Effect.gen(function*() {
      const after = yield* Ref.make<Array<string>>([])
      const fiber = yield* Effect.fork(TaskGroup.scoped((outer) =>
        Effect.gen(function*() {
          const inner = yield* TaskGroup.scoped((group) =>
            Effect.gen(function*() {
              yield* group.spawn(
                Deadline.scope(() => Effect.zipRight(Effect.sleep(5), Effect.zipRight(group.cancel, Effect.never)))
              )
              return yield* Deadline.moveOnAfter(Effect.never, "1 hour")
            })
          )
          yield* Ref.update(after, (a) => [...a, `inner gave ${String(inner)}`])
          yield* outer.spawn(Effect.sleep(20))
          return "outer done"
        })
      ))
      yield* TestClock.adjust(30)
      expect(yield* Fiber.join(fiber)).toStrictEqual("outer done")
      expect(yield* Ref.get(after)).toStrictEqual(["inner gave undefined"])
    }))
})

describe("group.start to the letter of Trio's nursery.start", () => {
  it.effect("the caller's scope is cancelled before ready: the child is cancelled, start fails with the interruption, the group goes on", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<Array<string>>([])
      const result = yield* TaskGroup.scoped((group) =>
        Effect.gen(function*() {
          const started = yield* Deadline.scope((scope) =>
            Effect.zipRight(
              scope.cancel,
              group.start<string, void, never, never>((ready) =>
                Effect.gen(function*() {
                  // ready is called while the caller's scope is already cancelled: it does nothing
                  yield* ready("up")
                  yield* Effect.sleep(1000)
                  yield* Ref.update(log, (l) => [...l, "the child ran on"])
                }).pipe(Effect.onInterrupt(() => Ref.update(log, (l) => [...l, "child cancelled"])))
              )
            )
          )
          yield* group.spawn(Effect.zipRight(Effect.sleep(10), Ref.update(log, (l) => [...l, "sibling done"])))
          return started
        })
      ).pipe(Effect.fork, Effect.tap(() => TestClock.adjust(2000)), Effect.flatMap(Fiber.join))
      expect(result).toStrictEqual(Option.none())
      expect(yield* Ref.get(log)).toStrictEqual(["child cancelled", "sibling done"])
    }))

  it.effect("a child that fails before ready: the error comes out of start only; the group and its other children go on", () =>
    Effect.gen(function*() {
      const result = yield* TaskGroup.scoped((group) =>
        Effect.gen(function*() {
          const sibling = yield* group.spawn(Effect.as(Effect.sleep(20), "sibling done"))
          const started = yield* Effect.either(group.start<string, never, string, never>(() =>
            Effect.zipRight(Effect.sleep(5), Effect.fail("boom before ready"))
          ))
          return [started, yield* sibling.join] as const
        })
      ).pipe(Effect.fork, Effect.tap(() => TestClock.adjust(20)), Effect.flatMap(Fiber.join))
      assert.isTrue(result[0]._tag === "Left" && result[0].left === "boom before ready")
      assert.strictEqual(result[1], "sibling done")
    }))

  // found in review
  for (const concurrency of [Infinity, 1]) {
    it.effect(`the caller is cancelled and the child fails instead of ending cancelled: the group gets the error, not lost (concurrency ${concurrency})`, () =>
      Effect.gen(function*() {
        const exit = yield* TaskGroup.scoped((group) =>
          Effect.timeoutOption(
            group.start<number, never, string, never>(() =>
              // it cannot be stopped before it fails
              Effect.uninterruptible(Effect.zipRight(Effect.sleep(100), Effect.fail("failed while cancelled")))
            ),
            10
          ), { concurrency }).pipe(
            Effect.exit,
            Effect.fork,
            Effect.tap(() => TestClock.adjust(1000)),
            Effect.flatMap(Fiber.join)
          )
        expect(failuresOf(exit)).toStrictEqual(["failed while cancelled"])
      }))
  }

  it.effect("a child that fails after ready fails the group (failFast)", () =>
    Effect.gen(function*() {
      const exit = yield* TaskGroup.scoped((group) =>
        Effect.gen(function*() {
          yield* group.start<number, never, string, never>((ready) =>
            Effect.zipRight(ready(1), Effect.zipRight(Effect.sleep(5), Effect.fail("after ready")))
          )
          return yield* Effect.never
        })
      ).pipe(Effect.exit, Effect.fork, Effect.tap(() => TestClock.adjust(5)), Effect.flatMap(Fiber.join))
      expect(failuresOf(exit)).toStrictEqual(["after ready"])
    }))

  it.effect("ready called twice is a defect naming the call", () =>
    Effect.gen(function*() {
      const exit = yield* TaskGroup.scoped((group) =>
        group.start<number, never, never, never>((ready) =>
          Effect.zipRight(ready(1), Effect.zipRight(ready(2), Effect.never))
        )
      ).pipe(Effect.exit, Effect.fork, Effect.tap(() => TestClock.adjust(1)), Effect.flatMap(Fiber.join))
      assert.isTrue(Exit.isFailure(exit))
      const defect = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
      assert.match(String((defect as Error)?.message), /TaskGroup\.start: ready was called twice/)
    }))

  it.effect("start on a closed group fails with TaskGroupClosedError, and the child never runs", () =>
    Effect.gen(function*() {
      const ran = yield* Ref.make(false)
      let leaked: TaskGroup.TaskGroup | undefined
      yield* TaskGroup.scoped((group) => Effect.sync(() => (leaked = group)))
      const exit = yield* Effect.exit(
        leaked!.start<number, void, never, never>((ready) => Effect.zipRight(Ref.set(ran, true), ready(1)))
      )
      assert.isTrue(Exit.isFailure(exit) && Cause.squash(exit.cause) instanceof TaskGroup.TaskGroupClosedError)
      assert.isFalse(yield* Ref.get(ran))
    }))

  it.effect("the child is ready: start returns the value, the child runs on in the group after the caller's scope is cancelled", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<Array<string>>([])
      const result = yield* TaskGroup.scoped((group) =>
        Deadline.scope((scope) =>
          Effect.gen(function*() {
            const value = yield* group.start<string, void, never, never>((ready) =>
              Effect.zipRight(
                ready("up"),
                Effect.zipRight(Effect.sleep(50), Ref.update(log, (l) => [...l, "child ran on"]))
              )
            )
            yield* scope.cancel
            yield* Effect.never
            return value
          })
        )
      ).pipe(Effect.zip(now), Effect.fork, Effect.tap(() => TestClock.adjust(50)), Effect.flatMap(Fiber.join))
      expect(result).toStrictEqual([Option.none(), 50])
      expect(yield* Ref.get(log)).toStrictEqual(["child ran on"])
    }))
})
