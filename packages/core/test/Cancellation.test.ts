// Issue 14: cancellation, deadlines and errors to the letter of asyncio 3.13 and Trio.
import { assert, describe, expect, it } from "@effect/vitest"
import { Concurrent, Deadline, Errors, Orphans, Retry, Task, TaskGroup, TaskResult } from "@taskscope/core"
import { Cause, Duration, Effect, Exit, Fiber, FiberId, Option, Ref, TestClock } from "effect"
import { exitAfter, now, runFor } from "./helpers.js"

const defects = (exit: Exit.Exit<unknown, unknown>): Array<unknown> =>
  Exit.isFailure(exit) ? Array.from(Cause.defects(exit.cause)) : []
const failures = (exit: Exit.Exit<unknown, unknown>): Array<unknown> =>
  Exit.isFailure(exit) ? Array.from(Cause.failures(exit.cause)) : []
const hasTimeout = (exit: Exit.Exit<unknown, unknown>) => failures(exit).some((e) => e instanceof Errors.TimeoutError)

/** A child whose cleanup fails when it is cancelled. */
const brokenCleanup = (label: string) => Effect.never.pipe(Effect.ensuring(Effect.die(label)))

describe("no error is lost to a cancellation (asyncio 3.13)", () => {
  it.effect("interrupting the owner keeps a child's failing cleanup in the Cause beside the interruption", () =>
    Effect.gen(function*() {
      const fiber = yield* runFor(
        TaskGroup.scoped((group) => Effect.zipRight(group.spawn(brokenCleanup("child cleanup")), Effect.never)),
        "10 millis"
      )
      const exit = yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.isFailure(exit) && Cause.isInterrupted(exit.cause), "still an interruption")
      expect(defects(exit)).toStrictEqual(["child cleanup"])
    }))

  it.effect("a child that fails while it is being cancelled, and the body's own failing cleanup, are kept", () =>
    Effect.gen(function*() {
      const fiber = yield* runFor(
        TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            // ignores the cancellation for 10 ms, then fails
            yield* group.spawn(Effect.uninterruptible(Effect.zipRight(Effect.sleep(10), Effect.fail("late failure"))))
            return yield* Effect.never.pipe(Effect.ensuring(Effect.die("body cleanup")))
          })
        ),
        "1 millis"
      )
      const interrupter = yield* Effect.fork(Fiber.interrupt(fiber))
      yield* TestClock.adjust("10 millis")
      const exit = yield* Fiber.join(interrupter)
      assert.isTrue(Exit.isFailure(exit) && Cause.isInterrupted(exit.cause))
      expect(failures(exit)).toStrictEqual(["late failure"])
      expect(defects(exit)).toStrictEqual(["body cleanup"])
    }))

  it.effect("the same in nested groups and in supervise mode", () =>
    Effect.gen(function*() {
      const fiber = yield* runFor(
        TaskGroup.scoped((outer) =>
          Effect.gen(function*() {
            yield* outer.spawn(
              TaskGroup.scoped((inner) => Effect.zipRight(inner.spawn(brokenCleanup("inner child")), Effect.never))
            )
            yield* outer.spawn(
              TaskGroup.scoped(
                (group) => Effect.zipRight(group.spawn(brokenCleanup("supervised child")), Effect.never),
                { mode: "supervise" }
              )
            )
            return yield* Effect.never
          })
        ),
        "10 millis"
      )
      const exit = yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.isFailure(exit) && Cause.isInterrupted(exit.cause))
      expect(defects(exit).sort()).toStrictEqual(["inner child", "supervised child"])
    }))

  it.effect("a Deadline around a group: the TimeoutError and the failures during shutdown are both in the Cause", () =>
    Effect.gen(function*() {
      const exit = yield* exitAfter(
        TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            yield* group.spawn(brokenCleanup("child cleanup"))
            return yield* Effect.never.pipe(Effect.ensuring(Effect.die("body cleanup")))
          })
        ).pipe(Deadline.within("1 second")),
        "1 second"
      )
      assert.isTrue(hasTimeout(exit), "the TimeoutError is there")
      expect(defects(exit).sort()).toStrictEqual(["body cleanup", "child cleanup"])
    }))

  it.effect("moveOnAfter: a cleanup failure is not turned into none", () =>
    Effect.gen(function*() {
      const exit = yield* exitAfter(brokenCleanup("cleanup").pipe(Deadline.moveOnAfter("1 second")), "1 second")
      expect(defects(exit)).toStrictEqual(["cleanup"])
    }))
})

describe("zero and negative deadlines time out at the body's first suspension (asyncio.timeout(0))", () => {
  it.effect("the code before the first suspension runs; nothing after it", () =>
    Effect.gen(function*() {
      for (const d of [0, -5, "-1 seconds"] as const) {
        const steps = yield* Ref.make(0)
        const step = Ref.update(steps, (n) => n + 1)
        const body = Effect.gen(function*() {
          yield* step
          yield* Effect.yieldNow()
          yield* step
          yield* Effect.yieldNow()
          yield* step
        })
        const exit = yield* exitAfter(Deadline.within(body, d), 0)
        assert.isTrue(hasTimeout(exit), `times out for ${d}`)
        assert.strictEqual(yield* Ref.get(steps), 1, `only the first step ran for ${d}`)
        const moved = yield* exitAfter(Deadline.moveOnAfter(Effect.as(body, "done"), d), 0)
        expect(moved).toStrictEqual(Exit.succeed(Option.none()))
      }
    }))

  it.effect("a body that never suspends completes", () =>
    Effect.gen(function*() {
      expect(yield* exitAfter(Deadline.within(Effect.succeed(1), 0), 0)).toStrictEqual(Exit.succeed(1))
    }))
})

describe("a deadline opened inside the cleanup of an expired scope", () => {
  it.effect("is armed from that moment and fires at its own time", () =>
    Effect.gen(function*() {
      const cleanupResult = yield* Ref.make<string>("not run")
      const cleanup = Effect.never.pipe(
        Deadline.within("1 second"),
        Effect.catchTag("TimeoutError", () => Effect.succeed("cleanup timed out")),
        Effect.flatMap((r) => Ref.set(cleanupResult, r))
      )
      const fiber = yield* runFor(
        Effect.never.pipe(Effect.ensuring(cleanup), Deadline.within("1 second"), Effect.either, Effect.zip(now)),
        "1 second"
      )
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "the cleanup is still running at 1 s")
      yield* TestClock.adjust("1 second")
      const [result, at] = yield* Fiber.join(fiber)
      assert.strictEqual(yield* Ref.get(cleanupResult), "cleanup timed out")
      assert.strictEqual(at, 2000)
      assert.isTrue(result._tag === "Left" && result.left._tag === "TimeoutError")
    }))
})

describe("group.cancel is Trio's cancel_scope.cancel()", () => {
  it.effect("cancels every child and the body at its next suspension; the scope exits and absorbs it", () =>
    Effect.gen(function*() {
      const probe = Orphans.makeProbe()
      const reached = yield* Ref.make<Array<string>>([])
      const fiber = yield* runFor(
        TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            yield* group.spawn(probe.guard("a", Effect.never))
            yield* group.spawn(probe.guard("b", Effect.never))
            yield* Effect.sleep(10)
            yield* group.cancel
            // cancel does not suspend: this runs
            yield* Ref.update(reached, (r) => [...r, "after cancel"])
            yield* Effect.sleep(1)
            yield* Ref.update(reached, (r) => [...r, "after the next suspension"])
            return "value"
          })
        ),
        "20 millis"
      )
      const exit: Exit.Exit<unknown, unknown> = yield* Fiber.await(fiber)
      expect(exit).toStrictEqual(Exit.succeed(undefined))
      expect(yield* Ref.get(reached)).toStrictEqual(["after cancel"])
      yield* probe.verify
    }))

  it.effect("called from a child while the body waits, the scope exits; a body that returns first keeps its value", () =>
    Effect.gen(function*() {
      const waiting = yield* exitAfter(
        TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            yield* group.spawn(Effect.zipRight(Effect.sleep(10), group.cancel))
            yield* group.spawn(Effect.never)
            return yield* Effect.never
          })
        ),
        "10 millis"
      )
      expect(waiting as Exit.Exit<unknown, unknown>).toStrictEqual(Exit.succeed(undefined))
      const returned = yield* exitAfter(
        TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            yield* group.spawn(Effect.never)
            yield* group.cancel
            return 42
          })
        ),
        0
      )
      expect(returned).toStrictEqual(Exit.succeed(42))
    }))

  it.effect("a failure during the cancellation is not absorbed", () =>
    Effect.gen(function*() {
      const exit = yield* exitAfter(
        TaskGroup.scoped((group) => Effect.zipRight(group.spawn(brokenCleanup("cleanup")), group.cancel)),
        0
      )
      expect(defects(exit)).toStrictEqual(["cleanup"])
    }))
})

describe("group.start runs the child under the caller's cancellation until ready", () => {
  it.effect("timing out the caller before ready cancels the child", () =>
    Effect.gen(function*() {
      const probe = Orphans.makeProbe()
      const fiber = yield* runFor(
        TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            const started = yield* group.start<number, never, never, never>((ready) =>
              probe.guard("child", Effect.zipRight(Effect.sleep(5000), Effect.zipRight(ready(1), Effect.never)))
            ).pipe(Deadline.moveOnAfter("1 second"))
            return [started, yield* group.stats] as const
          })
        ),
        "1 second"
      )
      const [started, stats] = yield* Fiber.join(fiber)
      expect(started).toStrictEqual(Option.none())
      assert.strictEqual(stats.active, 0, "the child was cancelled with the caller")
      yield* probe.verify
    }))

  it.effect("interrupting the caller before ready cancels the child; after ready it runs on", () =>
    Effect.gen(function*() {
      const result = yield* Fiber.join(
        yield* runFor(
          TaskGroup.scoped((group) =>
            Effect.gen(function*() {
              const waiter = yield* Effect.fork(
                group.start<void, void, never, never>((ready) => Effect.zipRight(Effect.sleep(100), ready()))
              )
              yield* Effect.sleep(10)
              yield* Fiber.interrupt(waiter)
              const afterInterrupt = (yield* group.stats).active
              yield* group.start<void, void, never, never>((ready) => Effect.zipRight(ready(), Effect.sleep(100)))
              return [afterInterrupt, (yield* group.stats).active]
            })
          ),
          "110 millis"
        )
      )
      expect(result).toStrictEqual([0, 1])
    }))
})

describe("Task.waitFor owns its task (asyncio.wait_for); join does not", () => {
  it.effect("on timeout the task is cancelled (cleanup done) and the waiter gets a TimeoutError", () =>
    Effect.gen(function*() {
      const probe = Orphans.makeProbe()
      const fiber = yield* runFor(
        TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            const task = yield* group.spawn(probe.guard("work", Effect.never))
            const exit = yield* Effect.exit(Task.waitFor(task, "1 second"))
            return [exit, yield* task.state] as const
          })
        ),
        "1 second"
      )
      const [exit, state] = yield* Fiber.join(fiber)
      assert.isTrue(hasTimeout(exit))
      assert.strictEqual(state, "cancelled")
      yield* probe.verify
    }))

  it.effect("a waiter that is cancelled cancels the task; join only observes", () =>
    Effect.gen(function*() {
      const states = yield* Fiber.join(
        yield* runFor(
          TaskGroup.scoped((group) =>
            Effect.gen(function*() {
              const owned = yield* group.spawn(Effect.never)
              const observed = yield* group.spawn(Effect.never)
              const w1 = yield* Effect.fork(Task.waitFor(owned, "1 hour"))
              const w2 = yield* Effect.fork(observed.join)
              yield* Effect.sleep(1)
              yield* Fiber.interrupt(w1)
              yield* Fiber.interrupt(w2)
              const result = [yield* owned.state, yield* observed.state]
              yield* group.cancel
              return result
            })
          ),
          "1 millis"
        )
      )
      expect(states).toStrictEqual(["cancelled", "running"])
    }))

  it.effect("a task that finishes in time gives its value", () =>
    Effect.gen(function*() {
      const exit = yield* exitAfter(
        TaskGroup.scoped((group) =>
          Effect.flatMap(group.spawn(Effect.as(Effect.sleep(10), "v")), (t) => Task.waitFor(t, "1 second"))
        ),
        "10 millis"
      )
      expect(exit).toStrictEqual(Exit.succeed("v"))
    }))
})

describe("group.shield is asyncio.shield: the caller may go, the work goes on inside its group", () => {
  it.effect("interrupting the caller does not stop the work; the scope waits for it", () =>
    Effect.gen(function*() {
      const done = yield* Ref.make(false)
      const fiber = yield* runFor(
        TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            const caller = yield* Effect.fork(group.shield(Effect.zipRight(Effect.sleep(100), Ref.set(done, true))))
            yield* Effect.sleep(10)
            yield* Fiber.interrupt(caller)
            return yield* now
          })
        ).pipe(Effect.zip(now)),
        "10 millis"
      )
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "the scope waits for the shielded work")
      yield* TestClock.adjust("90 millis")
      const [interruptedAt, endedAt] = yield* Fiber.join(fiber)
      expect([interruptedAt, endedAt]).toStrictEqual([10, 100])
      assert.isTrue(yield* Ref.get(done))
    }))
})

describe("Deadline.scope: a cancel-scope handle (Trio's CancelScope, asyncio's Timeout)", () => {
  it.effect("reads and moves the deadline; moved later, it fires at the new time", () =>
    Effect.gen(function*() {
      const seen = yield* Ref.make<Array<Option.Option<number>>>([])
      const fiber = yield* runFor(
        Deadline.scope((scope) =>
          Effect.gen(function*() {
            const first = yield* scope.deadline
            yield* Effect.sleep(500)
            yield* scope.reschedule(3000)
            yield* Ref.set(seen, [first, yield* scope.deadline])
            yield* Effect.sleep(5000)
            return "late"
          }), { timeout: "1 second" }).pipe(Effect.zip(now)),
        "1 second"
      )
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "moved later: still running at 1 s")
      yield* TestClock.adjust("2 seconds")
      expect(yield* Fiber.join(fiber)).toStrictEqual([Option.none(), 3000])
      expect(yield* Ref.get(seen)).toStrictEqual([Option.some(1000), Option.some(3000)])
    }))

  it.effect("moving the deadline earlier fires at the new time", () =>
    Effect.gen(function*() {
      const fiber = yield* runFor(
        Deadline.scope((scope) =>
          Effect.zipRight(
            Effect.fork(Effect.zipRight(Effect.sleep(100), scope.reschedule(200))),
            Effect.as(Effect.sleep(10_000), "late")
          ), { timeout: "1 hour" }).pipe(Effect.zip(now)),
        "200 millis"
      )
      expect(yield* Fiber.join(fiber)).toStrictEqual([Option.none(), 200])
    }))

  it.effect("cancel explicitly; cancelledCaught, cancelCalled and expired tell what happened", () =>
    Effect.gen(function*() {
      const [result, flags] = yield* Fiber.join(
        yield* runFor(
          Effect.gen(function*() {
            let handle: Deadline.CancelScope | undefined
            const result = yield* Deadline.scope((scope) => {
              handle = scope
              return Effect.zipRight(
                Effect.fork(Effect.zipRight(Effect.sleep(50), scope.cancel)),
                Effect.as(Effect.never, "never")
              )
            })
            const h = handle!
            return [result, [yield* h.cancelCalled, yield* h.cancelledCaught, yield* h.expired]] as const
          }),
          "50 millis"
        )
      )
      expect(result).toStrictEqual(Option.none())
      expect(flags).toStrictEqual([true, true, false])
      const timedOut = yield* exitAfter(
        Effect.gen(function*() {
          let handle: Deadline.CancelScope | undefined
          yield* Deadline.scope((scope) => {
            handle = scope
            return Effect.never
          }, { timeout: 100 })
          return [yield* handle!.cancelCalled, yield* handle!.cancelledCaught, yield* handle!.expired]
        }),
        "100 millis"
      )
      expect(timedOut).toStrictEqual(Exit.succeed([true, true, true]))
    }))

  it.effect("shield: an enclosing deadline does not reach inside; its own does", () =>
    Effect.gen(function*() {
      const inner = yield* Ref.make<Option.Option<string>>(Option.none())
      const after = yield* Ref.make<Option.Option<Option.Option<string>>>(Option.none())
      const fiber = yield* runFor(
        Deadline.scope(
          () =>
            Effect.sleep(2000).pipe(
              Effect.as("shielded work done"),
              Effect.tap((done) => Ref.set(inner, Option.some(done)))
            ),
          { shield: true, timeout: "3 seconds" }
        )
          .pipe(
            // the enclosing deadline takes effect at the step right after the shielded scope (Trio: at the
            // next checkpoint): this step never runs (docs/guide/asyncio.md, "Trio's shielded scope")
            Effect.flatMap((r) => Ref.set(after, Option.some(r))),
            Deadline.within("1 second"),
            Effect.either,
            Effect.zip(now)
          ),
        "2 seconds"
      )
      const [outer, at] = yield* Fiber.join(fiber)
      expect(yield* Ref.get(inner)).toStrictEqual(Option.some("shielded work done"))
      expect(yield* Ref.get(after)).toStrictEqual(Option.none())
      assert.strictEqual(at, 2000)
      assert.isTrue(outer._tag === "Left", "the outer deadline still reports when the shielded part is done")
    }))
})

describe("Task.current", () => {
  it.effect("a running child reads its own handle, in unbounded and bounded groups; none outside a task", () =>
    Effect.gen(function*() {
      assert.isTrue(Option.isNone(yield* Task.current))
      const names = yield* Fiber.join(
        yield* runFor(
          TaskGroup.scoped((group) =>
            Effect.gen(function*() {
              const me = Effect.map(Task.current, Option.map((t) => t.name))
              const tasks = yield* Effect.forEach(["a", "b", "c"], (name) => group.spawn(me, { name }))
              return yield* Effect.forEach(tasks, (t) => t.join)
            }), { concurrency: 1 }),
          0
        )
      )
      expect(names).toStrictEqual([Option.some("a"), Option.some("b"), Option.some("c")])
    }))
})

describe("small ones", () => {
  it.effect("gather([]) and settle([]) are Effect<[], never, never>", () =>
    Effect.gen(function*() {
      const g: Effect.Effect<[], never, never> = Concurrent.gather([])
      const s: Effect.Effect<[], never, never> = Concurrent.settle([])
      expect(yield* g).toStrictEqual([])
      expect(yield* s).toStrictEqual([])
      // tuples keep their element types
      const pair: Effect.Effect<[number, string], "e", never> = Concurrent.gather([
        Effect.succeed(1),
        Effect.succeed("x") as Effect.Effect<string, "e">
      ])
      expect(yield* pair).toStrictEqual([1, "x"])
    }))

  it.effect("group.join and supervise failures carry the children's error type", () =>
    Effect.gen(function*() {
      class Boom {
        readonly _tag = "Boom"
      }
      const error = yield* TaskGroup.scoped((group: TaskGroup.TaskGroup<"supervise", Boom>) =>
        Effect.gen(function*() {
          yield* group.spawn(Effect.fail(new Boom()))
          yield* group.join
          const failed = yield* group.failures
          const e: Option.Option<Boom> = failed[0]._tag === "Failed" ? failed[0].error : Option.none()
          return e
        }), { mode: "supervise" })
      assert.isTrue(Option.isSome(error) && error.value instanceof Boom)
    }))

  it("a user error tagged TimeoutError is not a TimedOut result; toExit interrupts with a real FiberId", () => {
    const meta = { name: "t", attempts: 1, startedAt: 0, endedAt: 1 }
    const mine = TaskResult.fromExit(Exit.fail({ _tag: "TimeoutError", mine: true }), meta)
    assert.strictEqual(mine._tag, "Failed")
    const ours = TaskResult.fromExit(
      Exit.fail(new Errors.TimeoutError({ deadline: 0, elapsed: Duration.zero })),
      meta
    )
    assert.strictEqual(ours._tag, "TimedOut")
    const exit = TaskResult.toExit(TaskResult.fromExit(Exit.interrupt(FiberId.make(7, 0)), meta))
    assert.isTrue(Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause))
    if (Exit.isFailure(exit)) {
      for (const id of Cause.interruptors(exit.cause)) assert.isTrue(FiberId.isFiberId(id))
    }
  })

  it.effect("a retry predicate that throws keeps the original error in the Cause", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        Retry.retry(Effect.fail("original"), {
          while: () => {
            throw new Error("predicate bug")
          }
        })
      )
      expect(failures(exit)).toStrictEqual(["original"])
      assert.strictEqual(defects(exit).length, 1)
    }))
})

describe("bad literal arguments are programmer errors (defects naming the call); config stays typed", () => {
  it.effect("Deadline, TaskGroup, Concurrent and Retry die with a message naming the function and the value", () =>
    Effect.gen(function*() {
      const cases: Array<[Effect.Effect<unknown, unknown>, RegExp]> = [
        [Deadline.within(Effect.void, Number.NaN), /^Deadline\.within: .*NaN/],
        [Deadline.moveOnAfter(Effect.void, "soon" as Duration.DurationInput), /^Deadline\.moveOnAfter: .*"soon"/],
        [TaskGroup.scoped(() => Effect.void, { concurrency: 0 }), /^TaskGroup: concurrency: .* 0/],
        [Concurrent.gather([Effect.void], { concurrency: -1 }), /^Concurrent\.gather: concurrency: .*-1/],
        [Retry.retry(Effect.fail("x"), { maxAttempts: 0 }), /^Retry\.retry: maxAttempts: .* 0/],
        [
          Effect.flatMap(TaskGroup.scoped((g) => g.spawn(Effect.void)), (t) => Task.waitFor(t!, Number.NaN)),
          /^Task\.waitFor: .*NaN/
        ]
      ]
      for (const [effect, message] of cases) {
        const exit = yield* Effect.exit(effect)
        const [defect] = defects(exit)
        assert.isTrue(Cause.isIllegalArgumentException(defect), String(defect))
        assert.match((defect as Error).message, message)
      }
    }))

  it.effect("Infinity is no deadline at all", () =>
    Effect.gen(function*() {
      expect(yield* exitAfter(Deadline.within(Effect.succeed(1), Infinity), 0)).toStrictEqual(Exit.succeed(1))
    }))
})

describe("Retry-After is in seconds, as HTTP and Python give it", () => {
  it.effect("a number is seconds; a Duration or a Date is taken as is; the HTTP header parses", () =>
    Effect.gen(function*() {
      const waitOf = (retryAfter: unknown) =>
        Effect.gen(function*() {
          let attempts = 0
          const fiber = yield* Effect.fork(
            Retry.retry(
              Effect.suspend(() => (++attempts === 1 ? Effect.fail({ retryAfter }) : Effect.succeed(attempts))),
              { maxAttempts: 2 }
            ).pipe(Effect.zip(now))
          )
          yield* TestClock.adjust("1 hour")
          const [, at] = yield* Fiber.join(fiber)
          return at
        })
      const start = yield* now
      assert.strictEqual((yield* waitOf(2)) - start, 2000)
      const t1 = yield* now
      assert.strictEqual((yield* waitOf(Duration.millis(250))) - t1, 250)
      const t2 = yield* now
      assert.strictEqual((yield* waitOf(new Date(t2 + 1500))) - t2, 1500)
      expect(Retry.parseRetryAfter("120")).toStrictEqual(Option.some(Duration.seconds(120)))
      expect(Retry.parseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT")))
        .toStrictEqual(Option.some(Duration.seconds(30)))
      expect(Retry.parseRetryAfter("soon")).toStrictEqual(Option.none())
    }))
})
