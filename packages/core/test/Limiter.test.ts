import { assert, describe, expect, it } from "@effect/vitest"
import { Limiter, TaskGroup, Testing } from "@taskscope/core"
import { Duration, Effect, Exit, FastCheck as fc, Fiber, Option, TestClock } from "effect"
import * as internal from "../src/internal/limiter.js"
import { dies, now, runFor } from "./helpers.js"

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
      expect(order).toStrictEqual([1, 2, 3, 1, 2, 3])
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
      expect(order).toStrictEqual(["A@", "B@", "C@"])
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
      expect([s.capacity, s.available, s.held]).toStrictEqual([1, -1, 2])
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
      expect(stats.holders).toStrictEqual([{ name: "report", permits: 1 }, { name: "import", permits: 1 }])
      assert.strictEqual(stats.waiting, 1)
      expect(stats.waiters.map((w) => [w.name, w.reason, Duration.toMillis(w.waitingFor)])).toStrictEqual([[
        "backup",
        "concurrency",
        50
      ]])
      expect(yield* invariant(sem).pipe(Effect.map((s) => s.available))).toStrictEqual(2)
    }))

  it.effect("bounded: releasing more than was acquired is an error", () =>
    Effect.gen(function*() {
      const sem = yield* Limiter.semaphore(2, { bounded: true, name: "pool" })
      yield* sem.acquire()
      yield* sem.release()
      const error = yield* Effect.flip(sem.release())
      assert.strictEqual(error._tag, "OverReleaseError")
      assert.match(error.message, /Limiter "pool": releasing 1 permit\(s\) would exceed its capacity of 2/)
    }))

  it.effect("semaphore(0) is locked: acquire waits until a release (asyncio's Semaphore(0)) or a resize", () =>
    Effect.gen(function*() {
      const gate = yield* Limiter.semaphore(0, { name: "gate" })
      const first = yield* Effect.fork(gate.acquire())
      const second = yield* Effect.fork(gate.acquire())
      yield* TestClock.adjust(1000)
      assert.isTrue(Option.isNone(yield* Fiber.poll(first)))
      assert.isFalse(yield* gate.tryAcquire())
      expect((yield* gate.stats).waiters.map((w) => w.reason)).toStrictEqual(["concurrency", "queue"])
      yield* gate.release()
      yield* Fiber.join(first)
      assert.isTrue(Option.isNone(yield* Fiber.poll(second)))
      yield* gate.resize(1)
      yield* Fiber.join(second)
      yield* gate.resize(0)
      const s = yield* gate.stats
      expect([s.capacity, s.held, s.available]).toStrictEqual([0, 2, -1])
      // a bounded semaphore(0) has nothing to give back
      const bounded = yield* Limiter.semaphore(0, { bounded: true })
      assert.strictEqual((yield* Effect.flip(bounded.release()))._tag, "OverReleaseError")
    }))

  it.effect("a bad literal argument is a defect naming the function and the value", () =>
    Effect.gen(function*() {
      const sem = yield* Limiter.semaphore(2, { name: "pool" })
      const cases: Array<[Effect.Effect<unknown, unknown>, RegExp]> = [
        [
          Limiter.semaphore(-1),
          /^Limiter\.semaphore: permits: Expected a non-negative integer or Infinity, actual -1$/
        ],
        [Limiter.semaphore(1.5), /^Limiter\.semaphore: permits: .* actual 1\.5$/],
        [Limiter.semaphore(Number.NaN), /^Limiter\.semaphore: permits: .* actual NaN$/],
        [
          sem.withPermit(Effect.void, { permits: 3 }),
          /^Limiter\.withPermit: permits: 3 can never be granted: Limiter "pool" has a capacity of 2$/
        ],
        [
          sem.withPermit(Effect.void, { permits: -1 }),
          /^Limiter\.withPermit: permits: Expected a non-negative integer, actual -1$/
        ],
        [sem.acquire({ permits: 0.5 }), /^Limiter\.acquire: permits: .* actual 0\.5$/],
        [sem.acquire({ cost: -1 }), /^Limiter\.acquire: cost: Expected a non-negative number, actual -1$/],
        [sem.tryAcquire({ cost: Number.NaN }), /^Limiter\.tryAcquire: cost: .* actual NaN$/],
        [sem.release(-2), /^Limiter\.release: Expected a non-negative integer, actual -2$/],
        [sem.resize(-1), /^Limiter\.resize: Expected a non-negative integer or Infinity, actual -1$/],
        [sem.resize(2.5), /^Limiter\.resize: .* actual 2\.5$/],
        [sem.pause(Number.NaN), /^Limiter\.pause: Expected a finite duration .* actual NaN$/],
        [sem.pause("soon" as never), /^Limiter\.pause: .* actual "soon"$/],
        [sem.pause(Infinity), /^Limiter\.pause: .* actual Infinity$/],
        [
          Limiter.rate({ limit: 0, interval: "1 second" }),
          /^Limiter\.rate: limit: Expected a positive number, actual 0$/
        ],
        [
          Limiter.rate({ limit: 1, interval: -5 }),
          /^Limiter\.rate: interval: Expected a finite, positive duration .* actual -5$/
        ],
        [
          Limiter.rate({ limit: 2.5, interval: 10, algorithm: "slidingWindow" }),
          /^Limiter\.rate: limit: a sliding window counts whole starts: Expected an integer, actual 2\.5$/
        ],
        [Limiter.keyed(() => ({}), { idleTimeout: 0 }), /^Limiter\.keyed: idleTimeout: .* actual 0$/]
      ]
      for (const [effect, pattern] of cases) yield* dies(effect, pattern)
      // nothing was taken by the calls that died
      const s = yield* invariant(sem)
      expect([s.available, s.waiting]).toStrictEqual([2, 0])
    }))

  it.effect("options from outside fail with a typed InvalidOptionsError, decoded once by make", () =>
    Effect.gen(function*() {
      const bad = yield* Effect.flip(Limiter.make({ concurrency: -1 }))
      assert.strictEqual(bad._tag, "InvalidOptionsError")
      assert.strictEqual(
        bad.message,
        "Limiter options: concurrency: Expected a non-negative integer or Infinity, actual -1"
      )
      const rate = yield* Effect.flip(Limiter.make({ rate: { limit: 10, interval: "soon" as never } }))
      assert.match(rate.message, /^Limiter options: rate\.interval: Expected a finite, positive duration/)
      // a Duration value is a duration
      const ok = yield* Limiter.make({ rate: { limit: 10, interval: Duration.seconds(1) } })
      assert.strictEqual(Duration.toMillis((yield* ok.stats).rate!.interval), 1000)
      assert.strictEqual((yield* Limiter.make({ concurrency: 0 })).name, "Limiter")
    }))

  it.effect("resize from and to no limit keeps available + held = capacity", () =>
    Effect.gen(function*() {
      const open = yield* Limiter.make({})
      yield* open.acquire({ permits: 2 })
      yield* open.resize(3)
      expect(yield* Effect.map(invariant(open), (s) => [s.capacity, s.available, s.held])).toStrictEqual([3, 1, 2])
      yield* open.resize(Infinity)
      expect(yield* Effect.map(invariant(open), (s) => [s.capacity, s.held])).toStrictEqual([Infinity, 2])
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
      expect([s.available, s.waiting, s.holders.length]).toStrictEqual([1, 0, 0])
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
          expect([s.available, s.waiting, s.holders.length], `r = ${r}, d = ${d}`).toStrictEqual([2, 0, 0])
        }
      }
    }))

  it.effect("Testing.interruptEverywhere: wherever a group of permit holders is interrupted, no permit or token leaks", () =>
    Effect.gen(function*() {
      let limiter: Limiter.Limiter | undefined
      const report = yield* Testing.interruptEverywhere(
        (probe) =>
          Effect.gen(function*() {
            const l = yield* Limiter.make({
              concurrency: 2,
              rate: { limit: 2, interval: 100, algorithm: "slidingWindow" }
            })
            limiter = l
            yield* TaskGroup.scoped((group) =>
              Effect.forEach(
                [1, 2, 3, 4],
                (i) =>
                  group.spawn(probe.guard(`job ${i}`, l.withPermit(Effect.sleep(10), { permits: i === 4 ? 2 : 1 }))),
                { discard: true }
              )
            )
          }),
        () =>
          Effect.gen(function*() {
            const s = yield* limiter!.stats
            if (s.available !== 2 || s.held !== 0 || s.waiting !== 0 || s.holders.length > 0) {
              return yield* Effect.dieMessage(`leaked: ${JSON.stringify([s.available, s.held, s.waiting])}`)
            }
          })
      )
      assert.isAtLeast(report.points, 4)
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
        expect([s.held, s.waiting]).toStrictEqual([0, 0])
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
      expect(starts).toStrictEqual([0, 0, 0, 0, 0, 100, 200, 500])
    }))

  it.effect("pause delays every caller by exactly the penalty, and says so", () =>
    Effect.gen(function*() {
      const limiter = yield* Limiter.make({ concurrency: 10, rate: { limit: 100, interval: "1 second" } })
      yield* TestClock.adjust(1000)
      yield* limiter.pause("2500 millis")
      const fibers = yield* Effect.forEach([1, 2, 3], () => Effect.fork(limiter.withPermit(now)))
      yield* TestClock.adjust(1)
      const s = yield* limiter.stats
      expect(s.waiters.map((w) => w.reason)).toStrictEqual(["paused", "queue", "queue"])
      assert.strictEqual(Duration.toMillis(s.pausedFor), 2499)
      yield* TestClock.adjust(2499)
      expect(yield* Effect.forEach(fibers, Fiber.join)).toStrictEqual([3500, 3500, 3500])
    }))

  it.effect("a waiter held by the rate says \"rate\"", () =>
    Effect.gen(function*() {
      const limiter = yield* Limiter.rate({ limit: 1, interval: "1 second", algorithm: "slidingWindow" })
      yield* limiter.withPermit(Effect.void)
      const fiber = yield* Effect.fork(limiter.withPermit(now))
      yield* TestClock.adjust(10)
      expect((yield* limiter.stats).waiters.map((w) => w.reason)).toStrictEqual(["rate"])
      yield* TestClock.adjust(990)
      assert.strictEqual(yield* Fiber.join(fiber), 1000)
    }))

  it.effect("a cost the rate can never allow is a defect", () =>
    Effect.gen(function*() {
      const limiter = yield* Limiter.rate({ limit: 2, interval: 10, name: "api" })
      yield* dies(
        limiter.withPermit(Effect.void, { cost: 3 }),
        /^Limiter\.withPermit: cost: 3 can never be granted: Limiter "api" lets at most 2 start at once$/
      )
      const window = yield* Limiter.rate({ limit: 2, interval: 10, algorithm: "slidingWindow" })
      yield* dies(window.acquire({ cost: 1.5 }), /^Limiter\.acquire: cost: a sliding window counts whole starts/)
      assert.strictEqual((yield* limiter.stats).rate!.available, 2)
    }))
})

describe("LimiterImpl for the Executor (internal)", () => {
  it.effect("unsafeTryAcquire takes now or never, and never barges past a waiter", () =>
    Effect.gen(function*() {
      const clock = yield* Effect.clock
      const limiter = internal.unsafeMake({ concurrency: 2, rate: { limit: 3, interval: 1000 } }, clock)
      assert.isTrue(limiter.unsafeTryAcquire(1, 1, "a"))
      assert.isTrue(limiter.unsafeTryAcquire(1, 1, "b"))
      assert.isFalse(limiter.unsafeTryAcquire(1, 0), "both permits held")
      limiter.releaseNow(1, "a")
      assert.isTrue(limiter.unsafeTryAcquire(0, 1), "a third token, no permit")
      assert.isFalse(limiter.unsafeTryAcquire(0, 1), "the bucket is empty")
      assert.isTrue(limiter.unsafeTryAcquire(1, 0, "c"))
      const waiter = yield* Effect.fork(limiter.acquire({ permits: 1, cost: 0 }))
      yield* TestClock.adjust(1)
      limiter.releaseNow(1, "b")
      // the waiter was granted at the release: no permit is left for a barger
      assert.isFalse(limiter.unsafeTryAcquire(1, 0))
      yield* Fiber.join(waiter)
      expect(limiter.unsafeStats().holders.map((h) => h.permits)).toStrictEqual([1, 1])
    }))

  it.effect("unsafeTryAcquire fails while a waiter is queued, even when it would fit", () =>
    Effect.gen(function*() {
      const limiter = internal.unsafeMake({ concurrency: 3 }, yield* Effect.clock)
      assert.isTrue(limiter.unsafeTryAcquire(2, 0))
      const big = yield* Effect.fork(limiter.acquire({ permits: 3 }))
      yield* TestClock.adjust(1)
      assert.isFalse(limiter.unsafeTryAcquire(1, 0), "one permit is free, but a waiter is first in line")
      limiter.releaseNow(2, "Limiter")
      yield* Fiber.join(big)
    }))

  it.effect("unsafeWaitMillis: 0 when a call could start, the rate's or the pause's wait, Infinity when only a release can help", () =>
    Effect.gen(function*() {
      const limiter = internal.unsafeMake(
        { concurrency: 1, rate: { limit: 2, interval: 1000, algorithm: "slidingWindow" } },
        yield* Effect.clock
      )
      assert.strictEqual(limiter.unsafeWaitMillis(1), 0)
      assert.isTrue(limiter.unsafeTryAcquire(0, 1))
      yield* TestClock.adjust(200)
      assert.isTrue(limiter.unsafeTryAcquire(0, 1))
      assert.strictEqual(limiter.unsafeWaitMillis(1), 800, "the first start leaves the window at 1000")
      assert.strictEqual(limiter.unsafeWaitMillis(2), 1000, "two units: the second start must leave too")
      assert.strictEqual(limiter.unsafeWaitMillis(0), 0, "a call without cost is not held by the rate")
      yield* limiter.pause(1500)
      assert.strictEqual(limiter.unsafeWaitMillis(1), 1500)
      yield* TestClock.adjust(1500)
      assert.strictEqual(limiter.unsafeWaitMillis(1), 0)
      assert.isTrue(limiter.unsafeTryAcquire(1, 0))
      assert.strictEqual(limiter.unsafeWaitMillis(0, 1), Infinity, "the permit is held")
      const waiter = yield* Effect.fork(limiter.acquire({ permits: 1, cost: 0 }))
      yield* TestClock.adjust(1)
      assert.strictEqual(limiter.unsafeWaitMillis(1), Infinity, "a waiter is first in line")
      limiter.releaseNow(1, "Limiter")
      yield* Fiber.join(waiter)
    }))

  it.effect("the sliding window's ring grows past its first size and stays exact", () =>
    Effect.gen(function*() {
      const limiter = internal.unsafeMake(
        { rate: { limit: 200, interval: 1000, algorithm: "slidingWindow" } },
        yield* Effect.clock
      )
      for (let i = 0; i < 150; i++) assert.isTrue(limiter.unsafeTryAcquire(0, 1), `start ${i}`)
      yield* TestClock.adjust(500)
      for (let i = 0; i < 50; i++) assert.isTrue(limiter.unsafeTryAcquire(0, 1))
      assert.isFalse(limiter.unsafeTryAcquire(0, 1), "201 in one window")
      assert.strictEqual(limiter.unsafeWaitMillis(150), 500)
      assert.strictEqual(limiter.unsafeWaitMillis(151), 1000)
      yield* TestClock.adjust(500)
      assert.strictEqual((yield* limiter.stats).rate!.available, 150)
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
      expect(Array.from((yield* perHost.stats).keys()).sort()).toStrictEqual(["fast", "slow"])
      // the limiter of a key is called name:key
      expect(Array.from((yield* perHost.stats).values(), (s) => s.name).sort()).toStrictEqual([
        "keyed:fast",
        "keyed:slow"
      ])
      const named = yield* Limiter.keyed(() => ({ concurrency: 1 }), { name: "rate" })
      assert.strictEqual((yield* named.get("binance")).name, "rate:binance")
    }))

  it.effect("bad options for a key are a defect naming the keyed limiter and the key", () =>
    Effect.gen(function*() {
      const perHost = yield* Limiter.keyed((host: string) => ({ concurrency: host === "bad" ? -1 : 1 }), {
        name: "hosts"
      })
      yield* perHost.withPermit("good", Effect.void)
      yield* dies(
        perHost.withPermit("bad", Effect.void),
        /^Limiter\.keyed "hosts", key "bad": concurrency: Expected a non-negative integer or Infinity, actual -1$/
      )
      assert.strictEqual(yield* perHost.size, 1)
    }))

  it.effect("evicts a key after it has been idle, never while permits are held or callers wait", () =>
    Effect.gen(function*() {
      const perHost = yield* Limiter.keyed(() => ({ concurrency: 1 }), { idleTimeout: "1 second" })
      const holder = yield* Effect.fork(perHost.withPermit("a", Effect.sleep(5000)))
      const waiter = yield* Effect.fork(perHost.withPermit("a", Effect.void))
      yield* perHost.withPermit("b", Effect.void)
      yield* TestClock.adjust(3000)
      assert.strictEqual(yield* perHost.size, 1, "b is evicted; a is busy")
      expect(Array.from((yield* perHost.stats).keys())).toStrictEqual(["a"])
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
      expect([yield* Fiber.join(a), yield* Fiber.join(b)]).toStrictEqual([1000, 0])
      assert.isTrue(Exit.isSuccess(yield* Fiber.await(a)))
    }))
})

describe("Limiter.layerMemory", () => {
  it.scoped("one name, one set of limits: equal options give the same limiter, other options fail", () =>
    Effect.gen(function*() {
      const limiters = yield* Limiter.Limiters
      const a = yield* limiters.make({ name: "db", concurrency: 4 })
      const b = yield* limiters.make({ name: "db", concurrency: 4, bounded: false })
      assert.strictEqual(a, b)
      const other = yield* Effect.flip(limiters.make({ name: "db", concurrency: 8 }))
      assert.strictEqual(other._tag, "InvalidOptionsError")
      assert.strictEqual(
        other.message,
        "Limiters.make options: \"db\" was made with { concurrency: 4 }; this call asks for { concurrency: 8 } (one name, one set of limits: use another name, or the same options)"
      )
      const rate = yield* limiters.make({ name: "api", rate: { limit: 5, interval: "1 second" } })
      assert.strictEqual(rate, yield* limiters.make({ name: "api", rate: { limit: 5, interval: 1000, burst: 5 } }))
      yield* Effect.flip(limiters.make({ name: "api", rate: { limit: 5, interval: "2 seconds" } }))
      const bad = yield* Effect.flip(limiters.make({ name: "x", concurrency: Number.NaN }))
      assert.match(
        bad.message,
        /^Limiter options: concurrency: Expected a non-negative integer or Infinity, actual NaN$/
      )
    }).pipe(Effect.provide(Limiter.layerMemory)))

  it.scoped("keyed: the same function gives the same keyed limiter; another function or idleTimeout fails", () =>
    Effect.gen(function*() {
      const limiters = yield* Limiter.Limiters
      const optionsFor = (_: string) => ({ concurrency: 2 })
      const a = yield* limiters.keyed("hosts", optionsFor)
      assert.strictEqual(a, yield* limiters.keyed("hosts", optionsFor, { idleTimeout: "1 minute" }))
      const other = yield* Effect.flip(limiters.keyed("hosts", (_: string) => ({ concurrency: 2 })))
      assert.match(other.message, /^Limiters\.keyed options: "hosts" was made with another optionsFor function/)
      const idle = yield* Effect.flip(limiters.keyed("hosts", optionsFor, { idleTimeout: "2 minutes" }))
      assert.match(idle.message, /idleTimeout: 1m.*idleTimeout: 2m/)
      const bad = yield* Effect.flip(limiters.keyed("other", optionsFor, { idleTimeout: -1 }))
      assert.match(bad.message, /^Limiter\.keyed options: idleTimeout: Expected a finite, positive duration/)
      assert.strictEqual((yield* a.get("binance")).name, "hosts:binance")
    }).pipe(Effect.provide(Limiter.layerMemory)))
})
