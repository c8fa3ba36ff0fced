import { assert, describe, it } from "@effect/vitest"
import { Limiter, TaskGroup } from "@taskscope/core"
import { Duration, Effect, Exit, FastCheck as fc, Fiber, Option, TestClock } from "effect"
import { now, runFor } from "./helpers.js"

const invariant = (limiter: Limiter.Limiter) =>
  Effect.map(limiter.stats, (s) => {
    assert.strictEqual(s.available + s.held, s.capacity, `available ${s.available} + held ${s.held} != ${s.capacity}`)
    return s
  })

describe("Limiter.semaphore", () => {
  it.effect("fairness: three tasks taking turns twice each come out 1,2,3,1,2,3", () =>
    Effect.gen(function*() {
      const sem = yield* Limiter.semaphore(1)
      const order: Array<number> = []
      const worker = (id: number) =>
        Effect.forEach([1, 2], () =>
          sem.withPermit(Effect.sync(() => order.push(id)).pipe(Effect.zipRight(Effect.sleep(10)))))
      yield* Fiber.join(
        yield* runFor(Effect.all([worker(1), worker(2), worker(3)], { concurrency: "unbounded" }), "60 millis")
      )
      assert.deepStrictEqual(order, [1, 2, 3, 1, 2, 3])
      yield* invariant(sem)
    }))

  it.effect("strict FIFO with weights: a smaller, later request never overtakes a waiting one", () =>
    Effect.gen(function*() {
      const sem = yield* Limiter.semaphore(3)
      const order: Array<string> = []
      const job = (name: string, permits: number, ms: number) =>
        sem.withPermit(Effect.sync(() => order.push(`${name}@`)).pipe(Effect.zipRight(Effect.sleep(ms))), { permits })
      const fiber = yield* runFor(
        Effect.all([
          job("A", 2, 100),
          Effect.delay(job("B", 2, 100), 1),
          Effect.delay(job("C", 1, 100), 2)
        ], { concurrency: "unbounded" }).pipe(Effect.zipRight(now)),
        "300 millis"
      )
      // C would fit beside A (1 free permit) but waits behind B
      assert.deepStrictEqual(order, ["A@", "B@", "C@"])
      assert.strictEqual(yield* Fiber.join(fiber), 200)
    }))

  it.effect("tryAcquire never waits and never barges past waiters", () =>
    Effect.gen(function*() {
      const sem = yield* Limiter.semaphore(2)
      assert.isTrue(yield* sem.tryAcquire({ permits: 2 }))
      assert.isFalse(yield* sem.tryAcquire())
      const waiter = yield* Effect.fork(sem.acquire({ permits: 2 }))
      yield* TestClock.adjust(1)
      yield* sem.release(1)
      assert.isFalse(yield* sem.tryAcquire(), "one permit is free, but a waiter is first in line")
      yield* sem.release(1)
      yield* Fiber.join(waiter)
      yield* invariant(sem)
    }))

  it.effect("resize grants waiters when it grows; holders keep permits when it shrinks", () =>
    Effect.gen(function*() {
      const sem = yield* Limiter.semaphore(1)
      yield* sem.acquire()
      const waiter = yield* Effect.fork(sem.acquire())
      yield* TestClock.adjust(1)
      yield* sem.resize(2)
      yield* Fiber.join(waiter)
      yield* sem.resize(1)
      const s = yield* invariant(sem)
      assert.deepStrictEqual([s.capacity, s.available, s.held], [1, -1, 2])
      yield* sem.release(2)
      assert.strictEqual((yield* invariant(sem)).available, 1)
    }))

  it.effect("introspection: holders by task name, waiters and their reasons", () =>
    Effect.gen(function*() {
      const sem = yield* Limiter.semaphore(2, { name: "db" })
      const stats = yield* Fiber.join(
        yield* runFor(
          TaskGroup.scoped((group) =>
            Effect.gen(function*() {
              yield* group.spawn(sem.withPermit(Effect.never), { name: "report" })
              yield* group.spawn(sem.withPermit(Effect.never), { name: "import" })
              yield* group.spawn(sem.withPermit(Effect.never), { name: "backup" })
              yield* Effect.sleep(50)
              const s = yield* sem.stats
              yield* group.cancel
              return s
            })
          ),
          "50 millis"
        )
      )
      assert.deepStrictEqual(stats.holders, [{ name: "report", permits: 1 }, { name: "import", permits: 1 }])
      assert.strictEqual(stats.waiting, 1)
      assert.deepStrictEqual(stats.waiters.map((w) => [w.name, w.reason, Duration.toMillis(w.waitingFor)]), [[
        "backup",
        "concurrency",
        50
      ]])
      assert.deepStrictEqual(yield* invariant(sem).pipe(Effect.map((s) => s.available)), 2)
    }))

  it.effect("bounded: releasing more than was acquired is an error; bad permits are rejected", () =>
    Effect.gen(function*() {
      const sem = yield* Limiter.semaphore(2, { bounded: true, name: "pool" })
      yield* sem.acquire()
      yield* sem.release()
      const error = yield* Effect.flip(sem.release())
      assert.strictEqual(error._tag, "OverReleaseError")
      assert.match(error.message, /Limiter "pool": releasing 1 permit\(s\) would exceed its capacity of 2/)
      const tooMany = yield* Effect.flip(sem.withPermit(Effect.void, { permits: 3 }))
      assert.match(tooMany.message, /permits: 3 can never be granted: the capacity is 2/)
      const bad = yield* Effect.flip(Limiter.semaphore(0))
      assert.match(bad.message, /^Limiter options: concurrency: Expected a positive integer or Infinity/)
    }))

  it.effect("cancelled waiters leave no trace and lose no permit", () =>
    Effect.gen(function*() {
      const sem = yield* Limiter.semaphore(1)
      yield* sem.acquire()
      const waiters = yield* Effect.forEach([1, 2, 3], () => Effect.fork(sem.withPermit(Effect.void)))
      yield* TestClock.adjust(1)
      yield* Fiber.interrupt(waiters[1])
      assert.strictEqual((yield* sem.stats).waiting, 2)
      yield* sem.release()
      yield* Fiber.join(waiters[0])
      yield* Fiber.join(waiters[2])
      const s = yield* invariant(sem)
      assert.deepStrictEqual([s.available, s.waiting, s.holders.length], [1, 0, 0])
    }))

  it.effect("leak-proof: an interruption at every scheduling step of an acquire/release cycle", () =>
    Effect.gen(function*() {
      // The waiter is interrupted `d` scheduler turns after the holder releases (`r` turns after the
      // waiter was forked): while queued, just after it was granted and before it ran (d = 0), while
      // holding, and while releasing.
      for (let r = 0; r < 4; r++) {
        for (let d = 0; d < 8; d++) {
          const sem = yield* Limiter.semaphore(2)
          yield* sem.acquire({ permits: 2 })
          const waiter = yield* Effect.fork(sem.withPermit(Effect.yieldNow(), { permits: 1 }))
          const other = yield* Effect.fork(sem.withPermit(Effect.yieldNow(), { permits: 2 }))
          for (let i = 0; i < r; i++) yield* Effect.yieldNow()
          yield* sem.release(2)
          for (let i = 0; i < d; i++) yield* Effect.yieldNow()
          yield* Fiber.interrupt(waiter)
          yield* Fiber.await(other).pipe(
            Effect.timeoutFail({ duration: 1, onTimeout: () => `other starved (r=${r}, d=${d})` }),
            Effect.fork
          )
          yield* TestClock.adjust(1)
          const s = yield* invariant(sem)
          assert.deepStrictEqual([s.available, s.waiting, s.holders.length], [2, 0, 0], `r = ${r}, d = ${d}`)
        }
      }
    }))

  it.effect.prop(
    "random acquire, release, cancel and resize keep available + held = capacity",
    [fc.array(
      fc.oneof(
        fc.record({
          op: fc.constant("acquire" as const),
          permits: fc.integer({ min: 1, max: 3 }),
          hold: fc.integer({ min: 0, max: 20 })
        }),
        fc.record({ op: fc.constant("cancel" as const), which: fc.nat(20) }),
        fc.record({ op: fc.constant("resize" as const), capacity: fc.integer({ min: 3, max: 6 }) }),
        fc.record({ op: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: 10 }) })
      ),
      { maxLength: 40 }
    )],
    ([ops]) =>
      Effect.gen(function*() {
        const sem = yield* Limiter.semaphore(4)
        const fibers: Array<Fiber.RuntimeFiber<unknown, unknown>> = []
        for (const op of ops) {
          if (op.op === "acquire") {
            fibers.push(yield* Effect.fork(sem.withPermit(Effect.sleep(op.hold), { permits: op.permits })))
          } else if (op.op === "cancel" && fibers.length > 0) {
            yield* Fiber.interrupt(fibers[op.which % fibers.length])
          } else if (op.op === "resize") yield* sem.resize(op.capacity)
          else if (op.op === "wait") yield* TestClock.adjust(op.ms)
          yield* invariant(sem)
        }
        yield* TestClock.adjust(10_000)
        yield* Effect.forEach(fibers, Fiber.await)
        const s = yield* invariant(sem)
        assert.deepStrictEqual([s.held, s.waiting], [0, 0])
      }),
    { fastCheck: { numRuns: 200 } }
  )
})

describe("Limiter.rate", () => {
  it.effect("sliding window 100/s over 10,000 calls: never more than 100 starts in any 1 s window, within 1% of ideal time", () =>
    Effect.gen(function*() {
      const limiter = yield* Limiter.rate({ limit: 100, interval: "1 second", algorithm: "slidingWindow" })
      const starts: Array<number> = []
      const call = limiter.withPermit(Effect.flatMap(now, (t) => Effect.sync(() => starts.push(t))))
      const fiber = yield* Effect.fork(
        Effect.forEach(Array.from({ length: 10_000 }), () => call, { concurrency: "unbounded", discard: true })
      )
      yield* TestClock.adjust("100 seconds")
      yield* Fiber.join(fiber)
      assert.strictEqual(starts.length, 10_000)
      for (let i = 0; i + 100 < starts.length; i++) {
        if (starts[i + 100] - starts[i] < 1000) {
          assert.fail(`101 starts within ${starts[i + 100] - starts[i]} ms at ${starts[i]}`)
        }
      }
      const ideal = 99_000
      assert.isAtMost(starts[starts.length - 1], ideal * 1.01)
      assert.isAtLeast(starts[starts.length - 1], ideal)
    }))

  it.effect("token bucket: a burst, then the refill rate; cost per call", () =>
    Effect.gen(function*() {
      const limiter = yield* Limiter.rate({ limit: 10, interval: "1 second", burst: 5 })
      const starts: Array<number> = []
      const call = (cost: number) =>
        limiter.withPermit(Effect.flatMap(now, (t) => Effect.sync(() => starts.push(t))), { cost })
      const fiber = yield* Effect.fork(Effect.forEach([1, 1, 1, 1, 1, 1, 1, 3], call, { concurrency: "unbounded" }))
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.join(fiber)
      // 5 at once from the burst, then one every 100 ms, then a call costing 3 waits 300 ms
      assert.deepStrictEqual(starts, [0, 0, 0, 0, 0, 100, 200, 500])
    }))

  it.effect("pause delays every caller by exactly the penalty, and says so", () =>
    Effect.gen(function*() {
      const limiter = yield* Limiter.make({ concurrency: 10, rate: { limit: 100, interval: "1 second" } })
      yield* TestClock.adjust(1000)
      yield* limiter.pause("2500 millis")
      const fibers = yield* Effect.forEach([1, 2, 3], () => Effect.fork(limiter.withPermit(now)))
      yield* TestClock.adjust(1)
      const s = yield* limiter.stats
      assert.deepStrictEqual(s.waiters.map((w) => w.reason), ["paused", "queue", "queue"])
      assert.strictEqual(Duration.toMillis(s.pausedFor), 2499)
      yield* TestClock.adjust(2499)
      assert.deepStrictEqual(yield* Effect.forEach(fibers, Fiber.join), [3500, 3500, 3500])
    }))

  it.effect("a waiter held by the rate says \"rate\"", () =>
    Effect.gen(function*() {
      const limiter = yield* Limiter.rate({ limit: 1, interval: "1 second", algorithm: "slidingWindow" })
      yield* limiter.withPermit(Effect.void)
      const fiber = yield* Effect.fork(limiter.withPermit(now))
      yield* TestClock.adjust(10)
      assert.deepStrictEqual((yield* limiter.stats).waiters.map((w) => w.reason), ["rate"])
      yield* TestClock.adjust(990)
      assert.strictEqual(yield* Fiber.join(fiber), 1000)
    }))

  it.effect("rejects bad rates", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Limiter.rate({ limit: 0, interval: "1 second" }))
      assert.match(error.message, /rate.limit: Expected a positive number/)
      const interval = yield* Effect.flip(Limiter.rate({ limit: 1, interval: -5 }))
      assert.match(interval.message, /rate.interval/)
      const cost = yield* Effect.flip(
        Effect.flatMap(Limiter.rate({ limit: 2, interval: 10 }), (l) => l.withPermit(Effect.void, { cost: 3 }))
      )
      assert.match(cost.message, /cost: 3 can never be granted/)
    }))
})

describe("Limiter.keyed", () => {
  it.effect("each key has its own limits, created on first use", () =>
    Effect.gen(function*() {
      const perHost = yield* Limiter.keyed((host: string) => ({ concurrency: host === "slow" ? 1 : 3 }))
      const fiber = yield* runFor(
        Effect.all([
          Effect.forEach([1, 2, 3], () => perHost.withPermit("slow", Effect.sleep(100)), { concurrency: "unbounded" }),
          Effect.forEach([1, 2, 3], () => perHost.withPermit("fast", Effect.sleep(100)), { concurrency: "unbounded" })
        ], { concurrency: "unbounded" }).pipe(Effect.zipRight(now)),
        "300 millis"
      )
      assert.strictEqual(yield* Fiber.join(fiber), 300)
      assert.deepStrictEqual(Array.from((yield* perHost.stats).keys()).sort(), ["fast", "slow"])
    }))

  it.effect("evicts a key after it has been idle, never while permits are held or callers wait", () =>
    Effect.gen(function*() {
      const perHost = yield* Limiter.keyed(() => ({ concurrency: 1 }), { idleTimeout: "1 second" })
      const holder = yield* Effect.fork(perHost.withPermit("a", Effect.sleep(5000)))
      const waiter = yield* Effect.fork(perHost.withPermit("a", Effect.void))
      yield* perHost.withPermit("b", Effect.void)
      yield* TestClock.adjust(3000)
      assert.strictEqual(yield* perHost.size, 1, "b is evicted; a is busy")
      assert.deepStrictEqual(Array.from((yield* perHost.stats).keys()), ["a"])
      yield* TestClock.adjust(2000)
      yield* Fiber.join(holder)
      yield* Fiber.join(waiter)
      assert.strictEqual(yield* perHost.size, 1)
      yield* TestClock.adjust(1000)
      assert.strictEqual(yield* perHost.size, 0)
    }))

  it.effect("pause applies to one key only", () =>
    Effect.gen(function*() {
      const perHost = yield* Limiter.keyed(() => ({ rate: { limit: 10, interval: "1 second" } }))
      yield* perHost.pause("a", "1 second")
      const a = yield* Effect.fork(perHost.withPermit("a", now))
      const b = yield* Effect.fork(perHost.withPermit("b", now))
      yield* TestClock.adjust(1000)
      assert.deepStrictEqual([yield* Fiber.join(a), yield* Fiber.join(b)], [1000, 0])
      assert.isTrue(Exit.isSuccess(yield* Fiber.await(a)))
      assert.isTrue(Option.isSome(Option.some(1)))
    }))
})
