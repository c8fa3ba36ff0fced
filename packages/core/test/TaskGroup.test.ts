import { assert, describe, expect, it } from "@effect/vitest"
import { Executor, Orphans, type Task, Task as TaskModule, TaskGroup } from "@taskscope/core"
import { Cause, Effect, Exit, Fiber, FiberRef, Option, Ref, RuntimeFlags, RuntimeFlagsPatch, TestClock } from "effect"
import { defectMessage, exitAfter, noOrphans, now, runFor } from "./helpers.js"

class Boom extends Error {
  readonly _tag = "Boom"
  constructor(readonly id: string) {
    super(id)
  }
}

const failAfter = (ms: number, id: string) => Effect.sleep(ms).pipe(Effect.zipRight(Effect.fail(new Boom(id))))
const valueAfter = <A>(ms: number, value: A) => Effect.sleep(ms).pipe(Effect.as(value))

describe("TaskGroup.scoped", () => {
  it.effect("waits for every child after the body ends", () =>
    Effect.gen(function*() {
      const done = yield* Ref.make<Array<string>>([])
      const fiber = yield* runFor(
        TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            yield* group.spawn(valueAfter(3000, "slow").pipe(Effect.tap((v) => Ref.update(done, (d) => [...d, v]))))
            yield* group.spawn(valueAfter(1000, "fast").pipe(Effect.tap((v) => Ref.update(done, (d) => [...d, v]))))
            return "body"
          })
        ).pipe(Effect.zip(now)),
        "2999 millis"
      )
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "the group must still wait for the slow child")
      yield* TestClock.adjust("1 millis")
      const [value, endedAt] = yield* Fiber.join(fiber)
      assert.strictEqual(value, "body")
      assert.strictEqual(endedAt, 3000)
      expect(yield* Ref.get(done)).toStrictEqual(["fast", "slow"])
    }))

  it.effect("failFast: the first failure cancels siblings and the body, and fails the group with that error", () =>
    Effect.gen(function*() {
      const probe = Orphans.makeProbe()
      const bodyReachedEnd = yield* Ref.make(false)
      const exit = yield* exitAfter(
        TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            yield* group.spawn(probe.guard("sibling", Effect.never))
            yield* group.spawn(failAfter(1000, "first"))
            yield* group.spawn(failAfter(2000, "second"))
            yield* Effect.sleep(5000)
            yield* Ref.set(bodyReachedEnd, true)
          })
        ).pipe(Effect.zip(now)),
        "1 second"
      )
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const error = Cause.failureOption(exit.cause)
        assert.isTrue(Option.isSome(error) && error.value instanceof Boom && error.value.id === "first")
        assert.isFalse(Cause.isInterrupted(exit.cause), "sibling interruptions are not part of the failure")
        assert.strictEqual(Cause.failures(exit.cause).length, 1, "the second child never got to fail")
      }
      assert.isFalse(yield* Ref.get(bodyReachedEnd))
      yield* probe.verify
    }))

  it.effect("failFast: later failures are kept in the Cause beside the first", () =>
    Effect.gen(function*() {
      const exit = yield* exitAfter(
        TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            yield* group.spawn(failAfter(1000, "a"))
            // cannot be cancelled: it goes on to fail after the group has started cancelling
            yield* group.spawn(Effect.uninterruptible(failAfter(1500, "b")))
            // a sibling whose cleanup breaks while it is being cancelled
            yield* group.spawn(Effect.never.pipe(Effect.ensuring(Effect.die("cleanup broke"))))
          })
        ),
        "1500 millis"
      )
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        assert.strictEqual((Cause.squash(exit.cause) as Boom).id, "a", "the first failure is the group's error")
        const ids = Array.from(Cause.failures(exit.cause), (e) => (e as Boom).id)
        expect(ids).toStrictEqual(["a", "b"])
        expect(Array.from(Cause.defects(exit.cause))).toStrictEqual(["cleanup broke"])
      }
    }))

  it.effect("a body failure cancels the children and is the group's error", () =>
    Effect.gen(function*() {
      const probe = Orphans.makeProbe()
      const exit = yield* exitAfter(
        TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            yield* group.spawn(probe.guard("child", Effect.never))
            yield* Effect.sleep(500)
            return yield* Effect.fail("body failed")
          })
        ),
        "500 millis"
      )
      expect(exit).toStrictEqual(Exit.fail("body failed"))
      yield* probe.verify
    }))

  it.effect("supervise: failures are isolated and recorded as results", () =>
    Effect.gen(function*() {
      const result = yield* Fiber.join(
        yield* runFor(
          TaskGroup.scoped((group) =>
            Effect.gen(function*() {
              const ok = yield* group.spawn(valueAfter(2000, "ok"), { name: "ok" })
              yield* group.spawn(failAfter(1000, "bad"), { name: "bad" })
              yield* group.spawn(Effect.dieMessage("defect"), { name: "dies" })
              const value = yield* ok.join
              const failures = yield* group.failures
              return { value, failures: failures.map((f) => [f.name, f._tag, f.endedAt] as const) }
            }), { mode: "supervise" }),
          "2 seconds"
        )
      )
      assert.strictEqual(result.value, "ok")
      expect(result.failures).toStrictEqual([["dies", "Failed", 0], ["bad", "Failed", 1000]])
    }))

  it.effect("interrupting the owner cancels every child and waits for their finalizers", () =>
    Effect.gen(function*() {
      const cleaned = yield* Ref.make<Array<number>>([])
      const fiber = yield* runFor(
        TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            for (const id of [1, 2, 3]) {
              // each finalizer takes one second of virtual time
              yield* group.spawn(Effect.never.pipe(
                Effect.onInterrupt(() =>
                  Effect.sleep(1000).pipe(Effect.zipRight(Ref.update(cleaned, (c) => [...c, id])))
                )
              ))
            }
            return yield* Effect.never
          })
        ),
        "1 second"
      )
      const interrupter = yield* Effect.fork(Fiber.interrupt(fiber))
      yield* TestClock.adjust("999 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(interrupter)), "interrupt must wait for the finalizers")
      yield* TestClock.adjust("1 millis")
      const exit = yield* Fiber.join(interrupter)
      assert.isTrue(Exit.isInterrupted(exit))
      expect((yield* Ref.get(cleaned)).sort()).toStrictEqual([1, 2, 3])
    }))

  it.effect("start returns the value the child reports when ready", () =>
    Effect.gen(function*() {
      const result = yield* Fiber.join(
        yield* runFor(
          TaskGroup.scoped((group) =>
            Effect.gen(function*() {
              const port = yield* group.start<number, void, never, never>((ready) =>
                Effect.gen(function*() {
                  yield* Effect.sleep(1000)
                  yield* ready(8080)
                  yield* Effect.sleep(1000)
                })
              )
              return [port, yield* now] as const
            })
          ),
          "2 seconds"
        )
      )
      expect(result).toStrictEqual([8080, 1000])
    }))

  it.effect("start fails with the child's error, or when the child ends without calling ready", () =>
    Effect.gen(function*() {
      const failed = yield* exitAfter(
        TaskGroup.scoped((group) => group.start(() => failAfter(100, "setup"))),
        "100 millis"
      )
      assert.isTrue(Exit.isFailure(failed) && (Cause.squash(failed.cause) as Boom).id === "setup")
      const early = yield* exitAfter(TaskGroup.scoped((group) => group.start(() => Effect.void)), "0 millis")
      assert.isTrue(Exit.isFailure(early))
      if (Exit.isFailure(early)) {
        const error = Cause.squash(early.cause)
        assert.instanceOf(error, TaskGroup.TaskExitedBeforeReadyError)
        assert.match((error as Error).message, /completed without calling ready/)
      }
    }))

  it.effect("concurrency runs at most N children at once, in FIFO order", () =>
    Effect.gen(function*() {
      const running = yield* Ref.make(0)
      const peak = yield* Ref.make(0)
      const order = yield* Ref.make<Array<number>>([])
      const job = (id: number) =>
        Effect.gen(function*() {
          yield* Ref.update(order, (o) => [...o, id])
          const n = yield* Ref.updateAndGet(running, (r) => r + 1)
          yield* Ref.update(peak, (p) => Math.max(p, n))
          yield* Effect.sleep(1000)
          yield* Ref.update(running, (r) => r - 1)
        })
      const endedAt = yield* Fiber.join(
        yield* runFor(
          TaskGroup.scoped((group) => Effect.forEach([1, 2, 3, 4, 5, 6], (id) => group.spawn(job(id))), {
            concurrency: 2
          }).pipe(Effect.zipRight(now)),
          "3 seconds"
        )
      )
      assert.strictEqual(yield* Ref.get(peak), 2)
      expect(yield* Ref.get(order)).toStrictEqual([1, 2, 3, 4, 5, 6])
      assert.strictEqual(endedAt, 3000)
    }))

  it.effect("a bounded group uses every free slot, also while an idle worker is being woken", () =>
    Effect.gen(function*() {
      // a ends at once and its worker parks; b wakes that worker; c must get a worker of its own
      const ends = yield* Fiber.join(
        yield* runFor(
          TaskGroup.scoped(
            (group) =>
              Effect.forEach([0, 1, 1], (delay) => group.spawn(Effect.zipRight(Effect.sleep(delay), now)))
                .pipe(Effect.flatMap((tasks) => Effect.forEach(tasks, (t) => t.join))),
            { concurrency: 3 }
          ),
          "1 millis"
        )
      )
      expect(ends).toStrictEqual([0, 1, 1])
    }))

  it.effect("a queued child reports queued, then running", () =>
    Effect.gen(function*() {
      const states = yield* Fiber.join(
        yield* runFor(
          TaskGroup.scoped((group) =>
            Effect.gen(function*() {
              yield* group.spawn(Effect.sleep(1000))
              const second = yield* group.spawn(Effect.sleep(1000))
              const before = yield* second.state
              yield* Effect.sleep(1500)
              const during = yield* second.state
              yield* second.join
              return [before, during, yield* second.state]
            }), { concurrency: 1 }),
          "2 seconds"
        )
      )
      expect(states).toStrictEqual(["queued", "running", "succeeded"])
    }))

  it.effect("a child handed to a parked worker is running at once: its state and the group's stats", () =>
    TaskGroup.scoped((group) =>
      Effect.gen(function*() {
        yield* Effect.flatMap(group.spawn(Effect.void), (t) => t.join)
        const child = yield* group.spawn(Effect.void)
        assert.strictEqual(yield* child.state, "running")
        expect(yield* group.stats).toMatchObject({ active: 1, running: 1, queued: 0 })
        yield* child.join
      }), { concurrency: 1 }))

  it.effect("cancelling a running child of a bounded group leaves the others running", () =>
    Effect.gen(function*() {
      const result = yield* Fiber.join(
        yield* runFor(
          TaskGroup.scoped((group) =>
            Effect.gen(function*() {
              const a = yield* group.spawn(valueAfter(1000, "a"))
              const b = yield* group.spawn(valueAfter(1000, "b"))
              const c = yield* group.spawn(valueAfter(1000, "c"))
              yield* Effect.sleep(500)
              yield* a.cancel
              return [yield* a.state, yield* b.join, yield* c.join, yield* now] as const
            }), { concurrency: 2 }),
          "2 seconds"
        )
      )
      // c takes the cancelled child's slot at 500 ms
      expect(result).toStrictEqual(["cancelled", "b", "c", 1500])
    }))

  it.effect("a cancel that reaches a child as it ends does not touch the child its worker would run next", () =>
    TaskGroup.scoped((group) =>
      Effect.gen(function*() {
        let resumeX: (effect: Effect.Effect<string>) => void = () => {}
        const x = yield* group.spawn(Effect.async<string>((resume) => {
          resumeX = resume
        }))
        const y = yield* group.spawn(Effect.zipRight(Effect.yieldNow(), Effect.succeed("y")))
        yield* Effect.yieldNow()
        assert.strictEqual(yield* x.state, "running")
        assert.strictEqual(yield* y.state, "queued")
        // in one step: x's result arrives, then its cancel — the worker's fiber gets both before it
        // runs again, so the interruption meant for x is still pending when x ends
        resumeX(Effect.succeed("x"))
        yield* x.cancel
        expect(["succeeded", "cancelled"]).toContain(yield* x.state)
        expect(yield* y.join).toBe("y")
        assert.strictEqual(yield* y.state, "succeeded")
      }), { concurrency: 1 }))

  it.effect("spawning into a closed or cancelling group fails with a typed error and never runs the effect", () =>
    Effect.gen(function*() {
      const ran = yield* Ref.make(false)
      const escaped = yield* TaskGroup.scoped((group) => Effect.succeed(group))
      const closed = yield* Effect.flip(escaped.spawn(Ref.set(ran, true), { name: "late" }))
      assert.strictEqual(closed._tag, "TaskGroupClosedError")
      assert.strictEqual(closed.reason, "closed")
      assert.match(closed.message, /Cannot spawn "late" into TaskGroup "TaskGroup": the group has closed/)

      const cancelling = yield* exitAfter(
        TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            yield* group.spawn(Effect.fail("x"))
            yield* Effect.yieldNow()
            return yield* group.spawn(Ref.set(ran, true))
          }).pipe(Effect.uninterruptible)
        ),
        "0 millis"
      )
      assert.isTrue(Exit.isFailure(cancelling))
      if (Exit.isFailure(cancelling)) {
        const errors = Array.from(Cause.failures(cancelling.cause))
        expect(errors[0]).toStrictEqual("x")
        assert.strictEqual((errors[1] as TaskGroup.TaskGroupClosedError).reason, "cancelling")
      }
      assert.isFalse(yield* Ref.get(ran))
    }))

  it.effect("children may spawn into their own group, and nested groups compose", () =>
    Effect.gen(function*() {
      const exit = yield* exitAfter(
        TaskGroup.scoped((outer) =>
          outer.spawn(Effect.gen(function*() {
            yield* outer.spawn(valueAfter(1000, "grandchild"))
            yield* TaskGroup.scoped((inner) => inner.spawn(failAfter(2000, "inner")))
          }))
        ),
        "2 seconds"
      )
      assert.isTrue(Exit.isFailure(exit) && (Cause.squash(exit.cause) as Boom).id === "inner")
    }))

  it.effect("invalid options are a programmer error: a defect naming the option and the value", () =>
    Effect.gen(function*() {
      for (const concurrency of [0, -1, 1.5, Number.NaN]) {
        const message = yield* defectMessage(TaskGroup.scoped(() => Effect.void, { concurrency }))
        assert.match(message, /^TaskGroup: concurrency: Expected a positive integer or Infinity, actual/)
      }
      const mode = yield* defectMessage(TaskGroup.scoped(() => Effect.void, { mode: "loose" as "failFast" }))
      assert.match(mode, /mode/)
    }))

  it.effect("group.cancel cancels every child; queued ones never run; the scope waits for their cleanup", () =>
    Effect.gen(function*() {
      const started = yield* Ref.make(0)
      const [tasks, stats] = yield* Fiber.join(
        yield* runFor<readonly [ReadonlyArray<Task.Task<never>>, TaskGroup.Stats], TaskGroup.TaskGroupClosedError>(
          TaskGroup.scoped((group) =>
            Effect.gen(function*() {
              const tasks = yield* Effect.forEach(
                [1, 2, 3, 4],
                () => group.spawn(Ref.update(started, (n) => n + 1).pipe(Effect.zipRight(Effect.never)))
              )
              yield* Effect.sleep(10)
              yield* group.cancel
              // cancel does not wait: the children are still there
              return [tasks, yield* group.stats] as const
            }), { concurrency: 2 }),
          "10 millis"
        )
      )
      expect([stats.active, stats.queued, stats.status]).toStrictEqual([4, 2, "cancelling"])
      expect(yield* Effect.forEach(tasks, (t) => t.state)).toStrictEqual([
        "cancelled",
        "cancelled",
        "cancelled",
        "cancelled"
      ])
      assert.strictEqual(yield* Ref.get(started), 2)
    }))

  it.effect("cancelling 10,000 suspended children runs every finalizer once", () =>
    Effect.gen(function*() {
      const probe = Orphans.makeProbe()
      const fiber = yield* runFor(
        TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            for (let i = 0; i < 10_000; i++) yield* group.spawn(probe.guard(`c${i}`, Effect.never))
            return yield* Effect.never
          })
        ),
        "0 millis"
      )
      yield* Fiber.interrupt(fiber)
      const counts = yield* probe.counts
      assert.strictEqual(counts.size, 10_000)
      yield* probe.verify
    }))
})

describe("a bounded group starts its children in order", () => {
  // asyncio runs tasks in the order they were created; here a parked worker is woken for the first
  // child and a new worker started for the next: the new one ran first (d, c, e)
  for (const concurrency of [2, 3, 8]) {
    it.scoped(`children begin in the order they were spawned, when a parked worker and a new one take them (concurrency ${concurrency})`, () =>
      Effect.gen(function*() {
        const order: Array<string> = []
        yield* TaskGroup.scoped((g) =>
          Effect.gen(function*() {
            yield* g.spawn(Effect.sleep(10))
            yield* TestClock.adjust(50)
            for (const name of ["c", "d", "e", "f"]) yield* g.spawn(Effect.sync(() => order.push(name)))
          }), { concurrency })
        expect(order).toStrictEqual(["c", "d", "e", "f"])
      }))
  }

  it.scoped("and through the Executor: two tasks admitted at once begin in their order", () =>
    Effect.gen(function*() {
      const order: Array<string> = []
      const executor = yield* Executor.make({
        concurrency: 3,
        reservoir: { initial: 1, refreshInterval: 1000, refreshAmount: 5 }
      })
      for (const name of ["a", "b", "c"]) {
        yield* executor.submit({ name, effect: Effect.sync(() => order.push(name)) })
      }
      yield* TestClock.adjust(1000)
      yield* executor.onIdle
      expect(order).toStrictEqual(["a", "b", "c"])
    }))
})

describe("a bounded group starts its children in order: randomized, and without cooperative yielding", () => {
  /** A small seeded generator: each seed is one reproducible run. */
  const seeded = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  /** A child that says when it began, then ends at once, yields, or sleeps a little. */
  const child = (began: Array<number>, i: number, rnd: () => number) => {
    const kind = rnd()
    const ms = Math.floor(rnd() * 4) * 5
    return Effect.sync(() => began.push(i)).pipe(
      Effect.zipRight(kind < 0.4 ? Effect.void : kind < 0.7 ? Effect.yieldNow() : Effect.sleep(ms))
    )
  }
  for (let seed = 1; seed <= 12; seed++) {
    it.scoped(`TaskGroup, seed ${seed}: spawns with yields and clock steps between them`, () =>
      Effect.gen(function*() {
        const rnd = seeded(seed)
        const began: Array<number> = []
        yield* TaskGroup.scoped((g) =>
          Effect.gen(function*() {
            for (let i = 0; i < 40; i++) {
              yield* g.spawn(child(began, i, rnd))
              const gap = rnd()
              if (gap < 0.3) yield* Effect.yieldNow()
              else if (gap < 0.45) yield* TestClock.adjust(5)
            }
            yield* TestClock.adjust(1000)
          }), { concurrency: 1 + Math.floor(rnd() * 5) })
        expect(began).toStrictEqual(Array.from({ length: 40 }, (_, i) => i))
      }))
    it.scoped(`Executor, seed ${seed}: with pause, resume, update and a rate or minTime`, () =>
      Effect.gen(function*() {
        const rnd = seeded(1000 + seed)
        const began: Array<number> = []
        const executor = yield* Executor.make({
          concurrency: 1 + Math.floor(rnd() * 5),
          ...(rnd() < 0.5 ? { minTime: 3 } : { rate: { limit: 3, interval: 10 } })
        })
        for (let i = 0; i < 30; i++) {
          yield* executor.submit({ name: `t${i}`, effect: child(began, i, rnd) })
          const gap = rnd()
          if (gap < 0.2) yield* executor.pause
          else if (gap < 0.4) yield* executor.resume
          else if (gap < 0.5) yield* executor.update({ concurrency: 1 + Math.floor(rnd() * 5) })
          else if (gap < 0.7) yield* TestClock.adjust(Math.floor(rnd() * 10))
          else if (gap < 0.8) yield* Effect.yieldNow()
        }
        yield* executor.resume
        for (let i = 0; i < 10; i++) yield* TestClock.adjust(100)
        yield* executor.onIdle
        expect(began).toStrictEqual(Array.from({ length: 30 }, (_, i) => i))
      }))
  }

  // found in review: with cooperative yielding off, Effect.yieldNow does not yield — a worker
  // waiting for a woken one spun for good, and a new worker ran before it was handed its child
  // (which was then lost: the group never closed)
  const noCooperativeYielding = <A, E, R>(self: Effect.Effect<A, E, R>) =>
    Effect.withRuntimeFlagsPatch(self, RuntimeFlagsPatch.disable(RuntimeFlags.CooperativeYielding))
  /** Makes a synchronous spin end: past 100,000 reads, the group's queue says it is empty. */
  const spinGuard = (group: unknown) => {
    const queue = (group as { queue: object }).queue
    const size = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(queue), "size")!.get!
    const state = { reads: 0, spun: false }
    Object.defineProperty(queue, "size", {
      get() {
        if (++state.reads > 100_000) {
          state.spun = true
          return 0
        }
        return size.call(this)
      }
    })
    return state
  }
  for (const concurrency of [2, 3]) {
    it.effect(`without cooperative yielding, concurrency ${concurrency}: in order, no spin, no child lost`, () =>
      Effect.gen(function*() {
        const order: Array<string> = []
        let guard = { reads: 0, spun: false }
        const fiber = yield* Effect.forkDaemon(noCooperativeYielding(TaskGroup.scoped((g) =>
          Effect.gen(function*() {
            guard = spinGuard(g)
            for (let i = 1; i < concurrency; i++) yield* g.spawn(Effect.sleep(5))
            yield* Effect.sleep(20)
            for (const name of ["c", "d", "e"]) yield* g.spawn(Effect.sync(() => order.push(name)))
          }), { concurrency })))
        yield* TestClock.adjust(20)
        for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
        assert.isFalse(guard.spun, `a worker spun: ${guard.reads} reads of the queue's size`)
        assert.isTrue(Option.isSome(yield* Fiber.poll(fiber)), "the group never closed")
        expect(order).toStrictEqual(["c", "d", "e"])
      }))
  }
})

describe("TaskGroup.make", () => {
  it.effect("closing the scope waits for children; join reports a failFast failure", () =>
    Effect.gen(function*() {
      const fiber = yield* runFor(
        Effect.scoped(Effect.gen(function*() {
          const group = yield* TaskGroup.make({ name: "pool" })
          yield* group.spawn(Effect.sleep(1000))
          return yield* now
        })).pipe(Effect.zip(now)),
        "1 second"
      )
      expect(yield* Fiber.join(fiber)).toStrictEqual([0, 1000])

      const joined = yield* exitAfter(
        Effect.scoped(Effect.gen(function*() {
          const group = yield* TaskGroup.make()
          yield* group.spawn(failAfter(100, "joined"))
          yield* group.join
        })),
        "100 millis"
      )
      assert.isTrue(Exit.isFailure(joined) && (Cause.squash(joined.cause) as Boom).id === "joined")
    }))

  it.effect("a failure nobody joined fails the scope's close instead of vanishing", () =>
    Effect.gen(function*() {
      const exit = yield* exitAfter(
        Effect.scoped(Effect.gen(function*() {
          const group = yield* TaskGroup.make()
          yield* group.spawn(failAfter(100, "unobserved"))
          yield* Effect.sleep(200)
          return "scope body done"
        })),
        "200 millis"
      )
      assert.isTrue(Exit.isFailure(exit) && (Cause.squash(exit.cause) as Boom).id === "unobserved")
    }))

  it.effect("children run with the FiberRefs of the place the group was opened", () =>
    Effect.gen(function*() {
      const annotations = yield* noOrphans(
        TaskGroup.scoped((group) =>
          group.spawn(Effect.logAnnotations).pipe(
            Effect.annotateLogs("spawner", "yes"),
            Effect.flatMap((task) => task.join)
          )
        ).pipe(Effect.annotateLogs("group", "yes"))
      )
      expect(Object.fromEntries(annotations)).toStrictEqual({ group: "yes" })
    }))

  // a bounded group runs its children one after another on a few worker fibers: each child must
  // still behave as on a fiber of its own (found in review; the unbounded group is the reference)
  for (const concurrency of [Infinity, 1, 2]) {
    it.effect(`a FiberRef one child sets is not seen by the next (concurrency ${concurrency})`, () =>
      Effect.gen(function*() {
        const ref = FiberRef.unsafeMake("initial")
        const seen = yield* noOrphans(TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            yield* Effect.flatMap(group.spawn(FiberRef.set(ref, "set by a")), (a) => a.join)
            return yield* Effect.flatMap(group.spawn(FiberRef.get(ref)), (b) => b.join)
          }), { concurrency }))
        assert.strictEqual(seen, "initial")
      }))

    it.effect(`a fiber a child forked is interrupted when the child ends (concurrency ${concurrency})`, () =>
      Effect.gen(function*() {
        const interrupted = yield* Ref.make(false)
        const seenByFork = yield* Ref.make<Array<string>>([])
        const fork = Effect.forever(
          Effect.zipRight(
            Effect.flatMap(
              TaskModule.current,
              (t) =>
                Ref.update(seenByFork, (seen) => [
                  ...seen,
                  Option.getOrElse(Option.map(t, (x) => x.name), () => "none")
                ])
            ),
            Effect.sleep(1)
          )
        ).pipe(Effect.onInterrupt(() => Ref.set(interrupted, true)))
        const fiber = yield* runFor(
          TaskGroup.scoped((group) =>
            Effect.gen(function*() {
              const a = yield* group.spawn(Effect.zipRight(Effect.fork(fork), Effect.sleep(2)), { name: "a" })
              yield* a.join
              const endedWithA = yield* Ref.get(interrupted)
              yield* Effect.flatMap(group.spawn(Effect.sleep(5), { name: "b" }), (b) => b.join)
              return endedWithA
            }), { concurrency }),
          "100 millis"
        )
        assert.isTrue(yield* Fiber.join(fiber), "the fork outlived the child that forked it")
        // it only ever saw the child that forked it
        expect(new Set(yield* Ref.get(seenByFork))).toStrictEqual(new Set(["a"]))
      }))
  }

  it.effect("a child cancelled as it is handed to a parked worker never runs, also after a child that set a FiberRef", () =>
    Effect.gen(function*() {
      const ref = FiberRef.unsafeMake(0)
      const ran = yield* Ref.make(false)
      const result = yield* noOrphans(TaskGroup.scoped((group) =>
        Effect.gen(function*() {
          // the worker's FiberRefs changed by the first child, then it parks
          yield* Effect.flatMap(group.spawn(FiberRef.set(ref, 1)), (a) => a.join)
          // handed to the parked worker and cancelled in the same step
          const b = yield* group.spawn(Ref.set(ran, true))
          yield* b.cancel
          return yield* b.state
        }), { concurrency: 1 }))
      assert.strictEqual(result, "cancelled")
      assert.isFalse(yield* Ref.get(ran), "the cancelled child ran")
    }))
})
