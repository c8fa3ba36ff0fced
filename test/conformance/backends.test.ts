// One contract for every Limiter and WorkQueue backend: the same tests run against the in-memory
// layers (on the TestClock) and against Redis (in real time: the limits are decided on the server's
// clock). Where a shared backend cannot match, the contract says so on the `Limiter` and `WorkQueue`
// interfaces ("Where a shared backend differs"), and the tests below encode that difference.
import { assert, describe, expect, it } from "@effect/vitest"
import { Errors, Limiter, WorkQueue } from "@taskscope/core"
import { Redis, RedisLimiter, RedisWorkQueue } from "@taskscope/redis"
import {
  Cause,
  Clock,
  Context,
  Deferred,
  Duration,
  Effect,
  Equal,
  Exit,
  Fiber,
  Layer,
  Logger,
  LogLevel,
  Option,
  Schedule,
  Schema,
  Stream,
  TestClock
} from "effect"
import { Scope } from "effect"
import { randomUUID } from "node:crypto"
import { inject } from "vitest"
import { blackHoleProxy, ownRedis, recordOutput, silentPort } from "./faults.js"

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string
  }
}

type Services = Limiter.Limiters | WorkQueue.WorkQueues

interface Backend {
  readonly name: "memory" | "redis"
  /** Whether the state lives outside this process (the documented differences apply). */
  readonly shared: boolean
  /** Fresh services for one test (on Redis: a key prefix of its own). */
  readonly layer: () => Layer.Layer<Services, unknown>
  /** Runs a test body with the services and a scope: on the TestClock in memory, in real time on Redis. */
  readonly test: (
    name: string,
    body: () => Effect.Effect<void, unknown, Services | Scope.Scope>,
    timeout?: number
  ) => void
  /** Lets `ms` of time pass: `TestClock.adjust` in memory, a real sleep on Redis. */
  readonly sleep: (ms: number) => Effect.Effect<void>
  /** How early a start may look (the server's clock against this process's): 0 in memory. */
  readonly early: number
  /** How late a start may be observed after the backend allowed it (round trips, a busy machine): 0 in memory. */
  readonly late: number
}

/** Waits until `check` holds: a few scheduler turns in memory (no time passes), polls on Redis. */
const eventually = <E, R>(backend: Backend, check: Effect.Effect<boolean, E, R>, what: string) =>
  backend.shared
    ? Effect.repeat(check, { schedule: Schedule.spaced("5 millis"), until: (ok) => ok }).pipe(
      Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new Error(`timed out waiting for ${what}`) }),
      Effect.asVoid
    )
    : Effect.gen(function*() {
      for (let i = 0; i < 200; i++) {
        if (yield* check) return
        yield* Effect.yieldNow()
      }
      return yield* Effect.dieMessage(`never happened: ${what}`)
    })

const memory: Backend = {
  name: "memory",
  shared: false,
  layer: () => Layer.merge(Limiter.layerMemory, WorkQueue.layerMemory),
  test: (name, body, timeout) =>
    it.scoped(name, () => Effect.provide(body(), Layer.merge(Limiter.layerMemory, WorkQueue.layerMemory)), timeout),
  sleep: (ms) => TestClock.adjust(ms),
  early: 0,
  late: 0
}

const redisLayer = () =>
  Layer.merge(RedisLimiter.layer, RedisWorkQueue.layer({ pollInterval: "10 millis" })).pipe(
    Layer.provide(Redis.layer({ url: inject("redisUrl"), prefix: `conformance-${randomUUID()}` }))
  )

const redis: Backend = {
  name: "redis",
  shared: true,
  layer: redisLayer,
  test: (name, body, timeout) => it.scopedLive(name, () => Effect.provide(body(), redisLayer()), timeout),
  sleep: (ms) => Effect.sleep(ms),
  early: 15,
  late: 600
}

const now = Clock.currentTimeMillis

/** The message of the IllegalArgumentException an effect died with. */
const defectOf = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.exit(effect), (exit) => {
    if (Exit.isSuccess(exit)) return Effect.dieMessage("expected a defect, got a success")
    const defect = Array.from(Cause.defects(exit.cause))[0]
    return Cause.isIllegalArgumentException(defect)
      ? Effect.succeed(defect.message)
      : Effect.dieMessage(`expected an IllegalArgumentException, got ${Cause.pretty(exit.cause)}`)
  })

/** The largest number of `starts` inside any window of `ms`. */
const busiest = (starts: ReadonlyArray<number>, ms: number) => {
  const sorted = [...starts].sort((a, b) => a - b)
  let max = 0
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= ms) j++
    max = Math.max(max, i - j + 1)
  }
  return max
}

const limiters = Limiter.Limiters
const queues = WorkQueue.WorkQueues

for (const backend of [memory, redis]) {
  const { early, late, sleep, test } = backend

  describe(`Limiter contract: ${backend.name}`, () => {
    test("FIFO: three callers of one permit take turns in the order they asked", () =>
      Effect.gen(function*() {
        const sem = yield* (yield* limiters).make({ name: "fifo", concurrency: 1 })
        const order: Array<number> = []
        const fibers: Array<Fiber.RuntimeFiber<unknown, unknown>> = []
        yield* sem.acquire()
        for (const id of [1, 2, 3]) {
          fibers.push(yield* Effect.fork(sem.withPermit(Effect.sync(() => order.push(id)))))
          yield* eventually(backend, Effect.map(sem.stats, (s) => s.waiting === id), `caller ${id} waits`)
        }
        yield* sem.release()
        yield* Effect.forEach(fibers, Fiber.join)
        expect(order).toStrictEqual([1, 2, 3])
        const s = yield* sem.stats
        expect([s.held, s.waiting, s.available]).toStrictEqual([0, 0, 1])
      }))

    test("weighted permits: a smaller, later request never overtakes a waiting one", () =>
      Effect.gen(function*() {
        const sem = yield* (yield* limiters).make({ name: "weighted", concurrency: 3 })
        yield* sem.acquire({ permits: 2 })
        const order: Array<string> = []
        const big = yield* Effect.fork(sem.withPermit(Effect.sync(() => order.push("big")), { permits: 2 }))
        yield* eventually(backend, Effect.map(sem.stats, (s) => s.waiting === 1), "the big request waits")
        const small = yield* Effect.fork(sem.withPermit(Effect.sync(() => order.push("small")), { permits: 1 }))
        yield* eventually(backend, Effect.map(sem.stats, (s) => s.waiting === 2), "the small request waits")
        yield* sleep(50)
        // one permit is free, but the big request is first in line
        expect(order).toStrictEqual([])
        assert.isFalse(yield* sem.tryAcquire({ permits: 1 }), "tryAcquire never barges past a waiter")
        yield* sem.release(2)
        yield* Fiber.join(big)
        yield* Fiber.join(small)
        expect(order).toStrictEqual(["big", "small"])
        assert.strictEqual((yield* sem.stats).held, 0)
      }))

    test("leak-proof: interrupted waiters and holders give everything back", () =>
      Effect.gen(function*() {
        const sem = yield* (yield* limiters).make({ name: "leaks", concurrency: 2 })
        const holder = yield* Effect.fork(sem.withPermit(Effect.never, { permits: 2 }))
        yield* eventually(backend, Effect.map(sem.stats, (s) => s.held === 2), "the holder holds")
        const waiters = yield* Effect.forEach([1, 2, 3], () => Effect.fork(sem.withPermit(Effect.never)))
        yield* eventually(backend, Effect.map(sem.stats, (s) => s.waiting === 3), "three wait")
        yield* Fiber.interrupt(waiters[1]!)
        yield* eventually(backend, Effect.map(sem.stats, (s) => s.waiting === 2), "the interrupted waiter left")
        yield* Fiber.interrupt(holder)
        yield* eventually(backend, Effect.map(sem.stats, (s) => s.held === 2 && s.waiting === 0), "both others hold")
        yield* Effect.forEach([waiters[0]!, waiters[2]!], Fiber.interrupt)
        yield* eventually(backend, Effect.map(sem.stats, (s) => s.held === 0 && s.waiting === 0), "all given back")
        assert.isTrue(yield* sem.tryAcquire({ permits: 2 }))
      }))

    test("a capacity of 0 is locked until resized", () =>
      Effect.gen(function*() {
        const gate = yield* (yield* limiters).make({ name: "gate", concurrency: 0 })
        const waiter = yield* Effect.fork(gate.withPermit(Effect.succeed("in")))
        yield* sleep(100)
        assert.isTrue(Option.isNone(yield* Fiber.poll(waiter)))
        assert.isFalse(yield* gate.tryAcquire())
        yield* gate.resize(1)
        assert.strictEqual(yield* Fiber.join(waiter), "in")
        assert.strictEqual((yield* gate.stats).capacity, 1)
      }))

    test("sliding window: at most limit starts in any window of interval", () =>
      Effect.gen(function*() {
        const limiter = yield* (yield* limiters).make({
          name: "window",
          rate: { limit: 3, interval: "300 millis", algorithm: "slidingWindow" }
        })
        const t0 = yield* now
        const starts: Array<number> = []
        const calls = yield* Effect.fork(Effect.forEach(
          Array.from({ length: 7 }),
          () => limiter.withPermit(Effect.flatMap(now, (t) => Effect.sync(() => starts.push(t - t0)))),
          { concurrency: "unbounded", discard: true }
        ))
        yield* sleep(700)
        yield* Fiber.join(calls)
        assert.strictEqual(starts.length, 7)
        // the backend's decision is exact; the observed start can look a little early (clocks) or late
        assert.isAtMost(busiest(starts, 300 - early), 3)
        starts.sort((a, b) => a - b)
        assert.isAtLeast(starts[3]!, 300 - early)
        assert.isAtLeast(starts[6]!, 600 - early)
        assert.isAtMost(starts[6]!, 600 + late)
      }))

    test("token bucket: a burst, then the refill rate; a cost per call", () =>
      Effect.gen(function*() {
        const limiter = yield* (yield* limiters).make({
          name: "bucket",
          rate: { limit: 10, interval: "1 second", burst: 2 }
        })
        const t0 = yield* now
        const starts: Array<number> = []
        const call = (cost: number) =>
          limiter.withPermit(Effect.flatMap(now, (t) => Effect.sync(() => starts.push(t - t0))), { cost })
        const calls = yield* Effect.fork(Effect.forEach([1, 1, 1, 2], call, { discard: true }))
        yield* sleep(400)
        yield* Fiber.join(calls)
        // two at once from the burst, one 100 ms later, then a cost of 2 waits 200 ms
        assert.isAtMost(starts[1]!, late)
        assert.isAtLeast(starts[2]!, 100 - early)
        assert.isAtLeast(starts[3]! - starts[2]!, 200 - early)
        assert.isAtMost(starts[3]!, 300 + late)
      }))

    test("pause: nobody starts until it ends; it only ever extends; running callers are not affected", () =>
      Effect.gen(function*() {
        const limiter = yield* (yield* limiters).make({ name: "pause", concurrency: 5 })
        const running = yield* Effect.fork(limiter.withPermit(Effect.as(Effect.sleep("1 second"), "done")))
        yield* eventually(backend, Effect.map(limiter.stats, (s) => s.held === 1), "one runs")
        const t0 = yield* now
        yield* limiter.pause("400 millis")
        yield* limiter.pause("100 millis") // shorter: changes nothing
        const after = yield* Effect.fork(limiter.withPermit(Effect.map(now, (t) => t - t0)))
        yield* sleep(300)
        assert.isTrue(Option.isNone(yield* Fiber.poll(after)), "started during the pause")
        const stats = yield* limiter.stats
        assert.isAbove(Duration.toMillis(stats.pausedFor), 0)
        assert.strictEqual(stats.waiters[0]?.reason, "paused")
        yield* sleep(150)
        const started = yield* Fiber.join(after)
        assert.isAtLeast(started, 400 - early)
        assert.isAtMost(started, 450 + late)
        yield* sleep(600)
        assert.strictEqual(yield* Fiber.join(running), "done")
      }))

    test("keyed: each key its own limiter called name:key; an idle key is evicted, a busy one never", () =>
      Effect.gen(function*() {
        const perKey = yield* (yield* limiters).keyed(
          "hosts",
          (host: string) => ({ concurrency: host === "slow" ? 1 : 2 }),
          { idleTimeout: "300 millis" }
        )
        assert.strictEqual((yield* perKey.get("slow")).name, "hosts:slow")
        const holder = yield* Effect.fork(perKey.withPermit("slow", Effect.never))
        yield* perKey.withPermit("fast", Effect.void)
        yield* eventually(backend, Effect.map(perKey.stats, (s) => s.get("slow")?.held === 1), "slow is held")
        assert.strictEqual((yield* perKey.stats).get("fast")?.capacity, 2)
        yield* sleep(700)
        assert.strictEqual(yield* perKey.size, 1, "fast was idle; slow is in use")
        yield* Fiber.interrupt(holder)
        yield* sleep(700)
        assert.strictEqual(yield* perKey.size, 0)
        // made again on demand, with the same limits
        assert.strictEqual((yield* (yield* perKey.get("slow")).stats).capacity, 1)
        // the options optionsFor gives a key are code: a bad one is a defect naming the key
        const bad = yield* (yield* limiters).keyed("bad", (_: string) => ({ concurrency: -1 }))
        assert.strictEqual(
          yield* defectOf(bad.withPermit("x", Effect.void)),
          `Limiter.keyed "bad", key "x": concurrency: Expected a non-negative integer or Infinity, actual -1`
        )
      }))

    test("one name, one set of limits: equal options share a limiter, other options are an error", () =>
      Effect.gen(function*() {
        const service = yield* limiters
        const a = yield* service.make({ name: "db", concurrency: 2 })
        const b = yield* service.make({ name: "db", concurrency: 2 })
        yield* a.acquire()
        yield* b.acquire()
        assert.isFalse(yield* a.tryAcquire(), "both calls share two permits")
        const other = yield* Effect.flip(service.make({ name: "db", concurrency: 3 }))
        assert.strictEqual(other._tag, "InvalidOptionsError")
        assert.match(
          other.message,
          /^Limiters\.make options: "db" was made with \{ concurrency: 2.*\}; this call asks for \{ concurrency: 3/
        )
        const bad = yield* Effect.flip(service.make({ name: "bad", rate: { limit: -1, interval: "1 second" } }))
        assert.strictEqual(bad._tag, "InvalidOptionsError")
        assert.match(bad.message, /rate\.limit: Expected a positive number, actual -1$/)
        const optionsFor = () => ({ concurrency: 1 })
        const keyed = yield* service.keyed("k", optionsFor)
        assert.strictEqual(yield* service.keyed("k", optionsFor), keyed)
        const otherKeyed = yield* Effect.flip(service.keyed("k", () => ({ concurrency: 1 })))
        assert.match(otherKeyed.message, /"k" was made with another optionsFor function/)
      }))

    test("a bad literal argument is a defect naming the function and the value", () =>
      Effect.gen(function*() {
        const sem = yield* (yield* limiters).make({
          name: "pool",
          concurrency: 2,
          rate: { limit: 5, interval: "1 second", algorithm: "slidingWindow" }
        })
        assert.strictEqual(
          yield* defectOf(sem.withPermit(Effect.void, { permits: 3 })),
          `Limiter.withPermit: permits: 3 can never be granted: Limiter "pool" has a capacity of 2`
        )
        assert.strictEqual(
          yield* defectOf(sem.acquire({ permits: -1 })),
          "Limiter.acquire: permits: Expected a non-negative integer, actual -1"
        )
        assert.strictEqual(
          yield* defectOf(sem.tryAcquire({ cost: 6 })),
          `Limiter.tryAcquire: cost: 6 can never be granted: Limiter "pool" lets at most 5 start at once`
        )
        assert.strictEqual(
          yield* defectOf(sem.withPermit(Effect.void, { cost: 0.5 })),
          "Limiter.withPermit: cost: a sliding window counts whole starts: Expected an integer, actual 0.5"
        )
        assert.match(
          yield* defectOf(sem.pause(Number.NaN)),
          /^Limiter\.pause: Expected a finite duration .*actual NaN$/
        )
        assert.match(yield* defectOf(sem.resize(-1)), /^Limiter\.resize: .*actual -1$/)
        assert.match(yield* defectOf(sem.release(1.5)), /^Limiter\.release: .*actual 1\.5$/)
        // nothing was taken by the calls that died
        const s = yield* sem.stats
        expect([s.held, s.waiting, s.rate?.available]).toStrictEqual([0, 0, 5])
      }))

    test("release: in memory it can add a permit; a shared backend gives back only a lease it holds (documented)", () =>
      Effect.gen(function*() {
        const sem = yield* (yield* limiters).make({ name: "release", concurrency: 1 })
        yield* sem.acquire()
        yield* sem.release()
        const again = yield* Effect.exit(sem.release())
        if (backend.shared) {
          assert.isTrue(Exit.isFailure(again))
          assert.strictEqual(
            Exit.isFailure(again) && Cause.squash(again.cause) instanceof Limiter.OverReleaseError,
            true
          )
          assert.strictEqual((yield* sem.stats).available, 1)
        } else {
          // asyncio's Semaphore: release beyond the initial value raises the count (a BoundedSemaphore would not)
          assert.isTrue(Exit.isSuccess(again))
          assert.strictEqual((yield* sem.stats).available, 2)
        }
      }))
  })

  describe(`WorkQueue contract: ${backend.name}`, () => {
    const open = <A, I>(name: string, schema: Schema.Schema<A, I>, capacity?: number) =>
      Effect.flatMap(queues, (q) => q.open(name, schema, capacity === undefined ? undefined : { capacity }))

    test("FIFO put and take; size, snapshot and stats count what waits", () =>
      Effect.gen(function*() {
        const q = yield* open("fifo", Schema.String)
        yield* Effect.forEach(["a", "b", "c"], (x) => q.put(x))
        assert.strictEqual(yield* q.size, 3)
        expect(yield* q.snapshot).toStrictEqual(["a", "b", "c"])
        assert.strictEqual(yield* q.take, "a")
        assert.strictEqual(yield* q.tryTake, "b")
        const stats = yield* q.stats
        expect([stats.size, stats.unfinished, stats.inFlight, stats.shutdown]).toStrictEqual([1, 3, 2, false])
        expect(yield* q.snapshot).toStrictEqual(["c"])
        assert.isFalse(yield* q.isEmpty)
      }))

    test("capacity: tryPut fails when full, put waits for room; tryTake fails when empty", () =>
      Effect.gen(function*() {
        const q = yield* open("cap", Schema.Number, 2)
        assert.strictEqual(q.capacity, 2)
        yield* q.put(1)
        yield* q.tryPut(2)
        assert.isTrue(yield* q.isFull)
        const full = yield* Effect.flip(q.tryPut(3))
        assert.strictEqual(full._tag, "QueueFullError")
        const putter = yield* Effect.fork(q.put(3))
        yield* sleep(50)
        assert.isTrue(Option.isNone(yield* Fiber.poll(putter)), "put waits while the queue is full")
        assert.strictEqual(yield* q.take, 1)
        yield* Fiber.join(putter)
        expect(yield* q.snapshot).toStrictEqual([2, 3])
        yield* q.take
        yield* q.take
        const empty = yield* Effect.flip(q.tryTake)
        assert.strictEqual(empty._tag, "QueueEmptyError")
      }))

    test("taskDone and join: join waits for every item; taskDone from any fiber; one too many is an error", () =>
      Effect.gen(function*() {
        const q = yield* open("join", Schema.Number)
        yield* Effect.forEach([1, 2, 3], (n) => q.put(n))
        const joiner = yield* Effect.fork(q.join)
        // one fiber takes, another marks done
        const taken = yield* Effect.fork(Effect.forEach([1, 2, 3], () => q.take)).pipe(Effect.flatMap(Fiber.join))
        expect(taken).toStrictEqual([1, 2, 3])
        yield* q.taskDone
        yield* q.taskDone
        yield* sleep(50)
        assert.isTrue(Option.isNone(yield* Fiber.poll(joiner)), "one item is still not done")
        yield* Effect.fork(q.taskDone).pipe(Effect.flatMap(Fiber.join))
        yield* Fiber.join(joiner)
        const extra = yield* Effect.flip(q.taskDone)
        assert.strictEqual(extra._tag, "TaskDoneError")
        assert.strictEqual((yield* q.stats).unfinished, 0)
      }))

    test("process: done on success and on failure; given back, not done, on interruption", () =>
      Effect.gen(function*() {
        const q = yield* open("process", Schema.String)
        yield* Effect.forEach(["a", "b", "c"], (x) => q.put(x))
        assert.strictEqual(yield* q.process((x) => Effect.succeed(x.toUpperCase())), "A")
        assert.strictEqual(yield* Effect.flip(q.process((x) => Effect.fail(`bad ${x}`))), "bad b")
        assert.strictEqual((yield* q.stats).unfinished, 1)
        const started = yield* Effect.makeLatch(false)
        const stuck = yield* Effect.fork(q.process(() => Effect.zipRight(started.open, Effect.never)))
        yield* started.await
        yield* Fiber.interrupt(stuck)
        // nothing is lost and nothing is marked done: the next taker gets it
        assert.strictEqual(yield* q.process((x) => Effect.succeed(x)), "c")
        yield* q.join
        const s = yield* q.stats
        expect([s.size, s.unfinished, s.inFlight]).toStrictEqual([0, 0, 0])
      }))

    test("process: where a given-back item goes — memory: first; a shared stream: last (documented)", () =>
      Effect.gen(function*() {
        const q = yield* open("giveback", Schema.String)
        yield* Effect.forEach(["a", "b"], (x) => q.put(x))
        const started = yield* Effect.makeLatch(false)
        const stuck = yield* Effect.fork(q.process(() => Effect.zipRight(started.open, Effect.never)))
        yield* started.await
        yield* Fiber.interrupt(stuck)
        const order = [yield* q.process(Effect.succeed), yield* q.process(Effect.succeed)]
        expect(order).toStrictEqual(backend.shared ? ["b", "a"] : ["a", "b"])
      }))

    test("a waiting taker that is interrupted leaves no trace; the next item goes to the next taker", () =>
      Effect.gen(function*() {
        const q = yield* open("takers", Schema.Number)
        const first = yield* Effect.fork(q.take)
        yield* eventually(backend, Effect.map(q.stats, (s) => s.waitingTakers === 1), "the first taker waits")
        const second = yield* Effect.fork(q.take)
        yield* eventually(backend, Effect.map(q.stats, (s) => s.waitingTakers === 2), "the second taker waits")
        yield* Fiber.interrupt(first)
        yield* q.put(7)
        assert.strictEqual(yield* Fiber.join(second), 7)
        const s = yield* q.stats
        expect([s.size, s.unfinished, s.inFlight, s.waitingTakers]).toStrictEqual([0, 1, 1, 0])
      }))

    test("graceful shutdown: put fails, take returns what is left then fails, waiting putters fail", () =>
      Effect.gen(function*() {
        const q = yield* open("graceful", Schema.Number, 2)
        yield* q.put(1)
        yield* q.put(2)
        const putter = yield* Effect.fork(q.put(3))
        yield* eventually(backend, Effect.map(q.stats, (s) => s.waitingPutters === 1), "a putter waits")
        const removed = yield* q.shutdown()
        expect(removed).toStrictEqual([])
        assert.isTrue(yield* q.isShutdown)
        assert.strictEqual((yield* Effect.flip(Fiber.join(putter)))._tag, "QueueShutDownError")
        assert.strictEqual((yield* Effect.flip(q.put(9)))._tag, "QueueShutDownError")
        expect([yield* q.take, yield* q.take]).toStrictEqual([1, 2])
        assert.strictEqual((yield* Effect.flip(q.take))._tag, "QueueShutDownError")
        assert.strictEqual((yield* Effect.flip(q.tryTake))._tag, "QueueShutDownError")
      }))

    test("immediate shutdown: waiting takers fail at once; memory removes and returns the items, a shared stream keeps them (documented)", () =>
      Effect.gen(function*() {
        const q = yield* open("immediate", Schema.Number)
        const taker = yield* Effect.fork(q.take)
        yield* eventually(backend, Effect.map(q.stats, (s) => s.waitingTakers === 1), "a taker waits")
        yield* q.put(1)
        yield* Fiber.join(taker)
        const waiting = yield* Effect.fork(q.take)
        yield* eventually(backend, Effect.map(q.stats, (s) => s.waitingTakers === 1), "another taker waits")
        yield* q.put(2)
        yield* q.put(3)
        // the waiter may have taken 2 already; either way it ends at once
        const removed = yield* q.shutdown({ immediate: true })
        const exit = yield* Fiber.await(waiting)
        assert.isTrue(Exit.isSuccess(exit) || Cause.squash(exit.cause) instanceof WorkQueue.QueueShutDownError)
        assert.strictEqual((yield* Effect.flip(q.take))._tag, "QueueShutDownError")
        assert.strictEqual((yield* Effect.flip(q.put(4)))._tag, "QueueShutDownError")
        const stats = yield* q.stats
        if (backend.shared) {
          expect(removed).toStrictEqual([])
          // the items stay in the shared stream: not removed, still unfinished
          assert.strictEqual(stats.size + (Exit.isSuccess(exit) ? 1 : 0), 2)
          assert.strictEqual(stats.unfinished, 3)
        } else {
          const expected = Exit.isSuccess(exit) ? [3] : [2, 3]
          expect(removed).toStrictEqual(expected)
          expect([stats.size, stats.unfinished]).toStrictEqual([0, 3 - expected.length])
        }
      }))

    test("one name, one queue: the same capacity shares it, another capacity is an error", () =>
      Effect.gen(function*() {
        const a = yield* open("shared", Schema.Number, 5)
        const b = yield* open("shared", Schema.Number, 5)
        yield* a.put(1)
        assert.strictEqual(yield* b.take, 1)
        const other = yield* Effect.flip(open("shared", Schema.Number))
        assert.strictEqual(other._tag, "InvalidOptionsError")
        assert.match(
          other.message,
          /^WorkQueues\.open options: "shared" was opened with capacity 5; this call asks for Infinity/
        )
        const bad = yield* Effect.flip(open("bad", Schema.Number, 0))
        assert.strictEqual(bad._tag, "InvalidOptionsError")
        assert.match(bad.message, /capacity: Expected a positive integer or Infinity, actual 0$/)
      }))

    test("consume: a worker pool processes every item, reports failures, ends after shutdown", () =>
      Effect.gen(function*() {
        const q = yield* open("pool", Schema.Number)
        const seen: Array<number> = []
        const pool = yield* Effect.fork(
          WorkQueue.consume(
            q,
            { concurrency: 3 },
            (n) => n % 5 === 0 ? Effect.fail(`bad ${n}`) : Effect.sync(() => seen.push(n))
          )
        )
        yield* Effect.forEach(Array.from({ length: 20 }, (_, i) => i + 1), (n) => q.put(n), { discard: true })
        yield* q.join
        yield* q.shutdown()
        const report = yield* Fiber.join(pool)
        assert.strictEqual(report.processed, 20)
        expect(report.failed.map((f) => f.item).sort((x, y) => x - y)).toStrictEqual([5, 10, 15, 20])
        assert.strictEqual(seen.length, 16)
        assert.strictEqual(
          yield* defectOf(WorkQueue.consume(q, { concurrency: 0 }, () => Effect.void)),
          "WorkQueue.consume: concurrency: Expected a positive integer, actual 0"
        )
      }))
  })
}

// ---------------------------------------------------------------------------------------------
// Connection faults. The contract of a shared backend when its server goes away is written once, in
// the scaling-out guide ("When Redis goes away"); these tests check it against a redis-server of
// their own, in real time (real time is the point): a server frozen with SIGSTOP, a port that never
// answers (a black-hole proxy in front of the server), a server killed and restarted. The in-memory
// backend has no connection to lose.

/** Every fault is reported within this long (real time); the default health check needs at most 750 ms. */
const REPORTED_WITHIN = 1000

interface Outcome {
  readonly exit: Exit.Exit<unknown, unknown>
  readonly at: number
}

/** Runs `effect` in the background; its outcome and when it came. */
const watched = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const done = yield* Deferred.make<Outcome>()
    yield* Effect.forkScoped(
      Effect.flatMap(Effect.exit(effect), (exit) => Deferred.succeed(done, { exit, at: Date.now() }))
    )
    return done
  })

/** The outcome, or a failure that says nothing came within `ms`. */
const outcomeOf = (done: Deferred.Deferred<Outcome>, what: string, ms = 10_000) =>
  Deferred.await(done).pipe(
    Effect.timeoutFail({ duration: ms, onTimeout: () => new Error(`${what}: no outcome within ${ms} ms`) })
  )

/** The BackendError an outcome failed with (the test fails if it did not fail with one). */
const backendErrorOf = (outcome: Outcome, what: string) => {
  assert.isTrue(Exit.isFailure(outcome.exit), `${what} should have failed`)
  const error = Exit.isFailure(outcome.exit) ? Cause.squash(outcome.exit.cause) : undefined
  assert.instanceOf(error, Errors.BackendError, `${what}: ${String(error)}`)
  return error as Errors.BackendError
}

interface Fault {
  readonly name: string
  /** The URL the client uses, and how to break and mend the server behind it. */
  readonly make: () => Effect.Effect<
    { readonly url: string; readonly inject: () => void; readonly recover: () => Promise<void> },
    never,
    Scope.Scope
  >
}

const frozen: Fault = {
  name: "server frozen (SIGSTOP), then thawed (SIGCONT)",
  make: () =>
    Effect.map(
      Effect.acquireRelease(Effect.promise(() => ownRedis()), (server) => Effect.promise(() => server.close())),
      (server) => ({ url: server.url, inject: server.freeze, recover: async () => server.thaw() })
    )
}

const blackHole: Fault = {
  name: "a port that never answers (a black hole on the path), then mended",
  make: () =>
    Effect.gen(function*() {
      const server = yield* Effect.acquireRelease(
        Effect.promise(() => ownRedis()),
        (server) => Effect.promise(() => server.close())
      )
      const proxy = yield* Effect.acquireRelease(
        Effect.promise(() => blackHoleProxy(server.port)),
        (proxy) => Effect.promise(() => proxy.close())
      )
      return { url: `redis://127.0.0.1:${proxy.port}`, inject: proxy.cut, recover: async () => proxy.mend() }
    })
}

const killed: Fault = {
  name: "server killed (SIGKILL), then restarted",
  make: () =>
    Effect.map(
      Effect.acquireRelease(Effect.promise(() => ownRedis()), (server) => Effect.promise(() => server.close())),
      (server) => ({ url: server.url, inject: () => void server.kill(), recover: () => server.start() })
    )
}

/** The services on a server of the test's own, and every state the connection went through (with when). */
const connect = (url: string, options: Partial<Redis.Options> = {}) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      Layer.merge(RedisLimiter.layer, RedisWorkQueue.layer({ pollInterval: "10 millis" })).pipe(
        Layer.provideMerge(Redis.layer({ url, prefix: `faults-${randomUUID()}`, ...options }))
      )
    )
    const states: Array<{ readonly tag: string; readonly at: number }> = []
    yield* Effect.forkScoped(
      Effect.suspend(() =>
        Stream.runForEach(
          Redis.connectionChanges,
          (state) => Effect.sync(() => states.push({ tag: state._tag, at: Date.now() }))
        )
      ).pipe(Effect.provide(context))
    )
    return { context, states }
  })

/** Log lines at Warning or above that reached Effect's Logger (the library writes nothing else). */
const recordLogs = () => {
  const lines: Array<string> = []
  const logger = Logger.make(({ logLevel, message }) => {
    if (LogLevel.greaterThanEqual(logLevel, LogLevel.Warning)) lines.push(`${logLevel.label}: ${String(message)}`)
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}

describe("Connection faults: redis", () => {
  for (const fault of [frozen, blackHole, killed]) {
    it.scopedLive(`${fault.name}: every waiting caller gets a typed error within 1 s; one Lost, one Connected`, () => {
      const output = recordOutput()
      const logs = recordLogs()
      return Effect.gen(function*() {
        const server = yield* fault.make()
        const { context, states } = yield* connect(server.url)
        const limiters = Context.get(context, Limiter.Limiters)
        const queues = Context.get(context, WorkQueue.WorkQueues)
        // callers in every kind of wait: for a permit, for the rate, for an item
        const sem = yield* limiters.make({ name: "permits", concurrency: 1 })
        const holder = yield* Effect.fork(sem.withPermit(Effect.never))
        yield* eventually(redis, Effect.map(sem.stats, (s) => s.held === 1), "the holder holds")
        const permitWaiter = yield* watched(sem.withPermit(Effect.void))
        yield* eventually(redis, Effect.map(sem.stats, (s) => s.waiting === 1), "a caller waits for the permit")
        const rate = yield* limiters.make({ name: "rate", rate: { limit: 1, interval: "20 seconds" } })
        yield* rate.acquire()
        const rateWaiter = yield* watched(rate.withPermit(Effect.void))
        const queue = yield* queues.open("jobs", Schema.Number)
        const taker = yield* watched(queue.take)
        yield* eventually(redis, Effect.map(queue.stats, (s) => s.waitingTakers === 1), "a taker waits")
        // the taker's blocking read is on its way
        yield* Effect.sleep("100 millis")

        const t0 = Date.now()
        server.inject()
        for (
          const [what, done] of [["the permit waiter", permitWaiter], ["the rate waiter", rateWaiter], [
            "the taker",
            taker
          ]] as const
        ) {
          const outcome = yield* outcomeOf(done, what)
          const error = backendErrorOf(outcome, what)
          assert.strictEqual(error.reason, "unavailable", error.message)
          assert.include(error.message, "connection lost", error.message)
          assert.isAtMost(outcome.at - t0, REPORTED_WITHIN, `${what} learnt it after ${outcome.at - t0} ms`)
        }
        yield* eventually(redis, Effect.sync(() => states.length === 2), "the Lost state")
        expect(states.map((s) => s.tag)).toStrictEqual(["Connected", "Lost"])
        assert.isAtMost(states[1]!.at - t0, REPORTED_WITHIN, `Lost after ${states[1]!.at - t0} ms`)
        const state = yield* Effect.provide(Redis.connectionState, context)
        assert.strictEqual(state._tag, "Lost")
        if (state._tag === "Lost") assert.include(state.error.detail, server.url)

        // while it is lost: the calls that never wait fail at once, and so do the others (retryFor is 0)
        for (
          const [what, call] of [
            ["tryAcquire", sem.tryAcquire()],
            ["stats", sem.stats],
            ["withPermit", sem.withPermit(Effect.void)],
            ["put", queue.put(1)],
            ["tryTake", queue.tryTake],
            ["queue stats", queue.stats]
          ] as const
        ) {
          const started = Date.now()
          const outcome = yield* outcomeOf(yield* watched<unknown, unknown, never>(call), what)
          assert.strictEqual(backendErrorOf(outcome, what).reason, "unavailable")
          assert.isAtMost(outcome.at - started, 100, `${what} took ${outcome.at - started} ms`)
        }
        // cleanup never waits for the server: the holder ends at once
        const interrupted = Date.now()
        yield* Fiber.interrupt(holder)
        assert.isAtMost(Date.now() - interrupted, 100, "interrupting the holder waited for Redis")
        // no flapping while it is down
        yield* Effect.sleep("1500 millis")
        expect(states.map((s) => s.tag)).toStrictEqual(["Connected", "Lost"])

        const t1 = Date.now()
        yield* Effect.promise(() => server.recover())
        yield* eventually(redis, Effect.sync(() => states.length === 3), "the Connected state")
        assert.strictEqual(states[2]!.tag, "Connected")
        console.log(
          `${fault.name}: Lost ${states[1]!.at - t0} ms after the fault, Connected ${
            states[2]!.at - t1
          } ms after the recovery`
        )
        // the permits given back while it was lost are given back now: nobody waits for leaseTtl
        const again = yield* outcomeOf(yield* watched(sem.withPermit(Effect.succeed("again"))), "withPermit", 3000)
        assert.isTrue(Exit.isSuccess(again.exit), String(again.exit))
        yield* queue.put(7)
        assert.strictEqual(yield* queue.take.pipe(Effect.timeout("3 seconds")), 7)
        // still one Lost and one Connected for the one outage
        yield* Effect.sleep("1 second")
        expect(states.map((s) => s.tag)).toStrictEqual(["Connected", "Lost", "Connected"])
      }).pipe(
        Effect.provide(logs.layer),
        Effect.ensuring(Effect.sync(() => {
          output.stop()
          // nothing on stdout or stderr but this test's own line
          expect(output.seen.filter((line) => !line.includes(": Lost "))).toStrictEqual([])
          expect(logs.lines).toStrictEqual([])
        }))
      )
    }, 30_000)
  }

  it.scopedLive("a port that never answers, at startup: the layer fails within 1 s with a typed error", () => {
    const output = recordOutput()
    return Effect.gen(function*() {
      const port = yield* Effect.acquireRelease(
        Effect.promise(() => silentPort()),
        (p) => Effect.promise(() => p.close())
      )
      const t0 = Date.now()
      const error = yield* Effect.flip(connect(`redis://127.0.0.1:${port.port}`))
      const ms = Date.now() - t0
      assert.instanceOf(error, Errors.BackendError)
      assert.include(error.message, "accepted the connection but did not answer")
      assert.isAtMost(ms, REPORTED_WITHIN, `reported after ${ms} ms`)
    }).pipe(Effect.ensuring(Effect.sync(() => {
      output.stop()
      expect(output.seen).toStrictEqual([])
    })))
  })

  it.scopedLive("with retryFor, callers that wait ride out a short outage; calls that never wait fail at once", () => {
    const output = recordOutput()
    return Effect.gen(function*() {
      const server = yield* frozen.make()
      const { context, states } = yield* connect(server.url, { retryFor: "5 seconds" })
      const limiters = Context.get(context, Limiter.Limiters)
      const queues = Context.get(context, WorkQueue.WorkQueues)
      const rate = yield* limiters.make({ name: "rate", rate: { limit: 1, interval: "20 seconds" } })
      const sem = yield* limiters.make({ name: "permits", concurrency: 1 })
      const holder = yield* Effect.fork(sem.withPermit(Effect.never))
      yield* eventually(redis, Effect.map(sem.stats, (s) => s.held === 1), "the holder holds")
      const permitWaiter = yield* watched(sem.withPermit(Effect.succeed("got it")))
      yield* eventually(redis, Effect.map(sem.stats, (s) => s.waiting === 1), "a caller waits for the permit")
      yield* rate.acquire()
      const rateWaiter = yield* watched(rate.withPermit(Effect.void))
      const queue = yield* queues.open("jobs", Schema.Number)
      const taker = yield* watched(queue.take)
      yield* eventually(redis, Effect.map(queue.stats, (s) => s.waitingTakers === 1), "a taker waits")
      yield* Effect.sleep("100 millis")
      const t0 = Date.now()
      server.inject()
      yield* eventually(redis, Effect.sync(() => states.length === 2), "the Lost state")
      assert.isAtMost(states[1]!.at - t0, REPORTED_WITHIN)
      const putter = yield* watched(queue.put(5))
      // the calls that never wait fail at once, whatever retryFor says
      for (
        const [what, call] of [
          ["tryAcquire (permits)", sem.tryAcquire()],
          ["tryAcquire (rate)", rate.tryAcquire()],
          ["stats", sem.stats],
          ["tryPut", queue.tryPut(6)],
          ["tryTake", queue.tryTake],
          ["queue stats", queue.stats]
        ] as const
      ) {
        const started = Date.now()
        const tried = yield* outcomeOf(yield* watched<unknown, unknown, never>(call), what)
        assert.strictEqual(backendErrorOf(tried, what).reason, "unavailable")
        assert.isAtMost(tried.at - started, 100, `${what} took ${tried.at - started} ms`)
      }
      // cleanup never waits for the connection, whatever retryFor says
      const interrupted = Date.now()
      yield* Fiber.interrupt(holder)
      assert.isAtMost(Date.now() - interrupted, 100, "interrupting the holder waited for Redis")
      yield* Effect.sleep("1500 millis")
      for (
        const [what, done] of [
          ["the permit waiter", permitWaiter],
          ["the rate waiter", rateWaiter],
          ["the taker", taker],
          ["the put", putter]
        ] as const
      ) {
        assert.isTrue(Option.isNone(yield* Deferred.poll(done)), `${what} ended during the outage`)
      }
      const t1 = Date.now()
      yield* Effect.promise(() => server.recover())
      const put = yield* outcomeOf(putter, "the put", 3000)
      assert.isTrue(Exit.isSuccess(put.exit), String(put.exit))
      assert.isAtLeast(put.at, t1)
      const took = yield* outcomeOf(taker, "the taker", 3000)
      assert.isTrue(Equal.equals(took.exit, Exit.succeed(5)), String(took.exit))
      // the holder's permit was given back when the connection came back (not after leaseTtl), and
      // the caller waiting for it got it
      const got = yield* outcomeOf(permitWaiter, "the permit waiter", 3000)
      assert.isTrue(Equal.equals(got.exit, Exit.succeed("got it")), String(got.exit))
      assert.isTrue(yield* sem.tryAcquire())
      // the rate waiter goes on waiting for its window: the outage did not end its wait
      assert.isTrue(Option.isNone(yield* Deferred.poll(rateWaiter)), "the rate waiter ended")
      yield* Effect.sleep("500 millis")
      expect(states.map((s) => s.tag)).toStrictEqual(["Connected", "Lost", "Connected"])
    }).pipe(Effect.ensuring(Effect.sync(() => {
      output.stop()
      expect(output.seen).toStrictEqual([])
    })))
  }, 30_000)

  it.scopedLive("releasing the layer while the server is frozen does not wait for it", () =>
    Effect.gen(function*() {
      const server = yield* frozen.make()
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        Layer.merge(RedisLimiter.layer, RedisWorkQueue.layer()).pipe(
          Layer.provideMerge(Redis.layer({ url: server.url, retryFor: "30 seconds" }))
        ),
        scope
      )
      const sem = yield* Context.get(context, Limiter.Limiters).make({ name: "permits", concurrency: 2 })
      const queue = yield* Context.get(context, WorkQueue.WorkQueues).open("jobs", Schema.Number)
      yield* sem.acquire()
      yield* queue.put(1)
      yield* queue.take
      yield* Effect.forkIn(queue.take, scope)
      yield* Effect.forkIn(sem.withPermit(Effect.never, { permits: 2 }), scope)
      yield* Effect.sleep("100 millis")
      server.inject()
      yield* eventually(
        redis,
        Effect.map(Effect.provide(Redis.connectionState, context), (s) => s._tag === "Lost"),
        "the Lost state"
      )
      const t0 = Date.now()
      yield* Scope.close(scope, Exit.void)
      assert.isAtMost(Date.now() - t0, 200, `the release took ${Date.now() - t0} ms`)
    }), 30_000)

  it.scopedLive(
    "with retryFor, a longer outage fails every waiting caller retryFor after the loss",
    () =>
      Effect.gen(function*() {
        const server = yield* frozen.make()
        const { context, states } = yield* connect(server.url, { retryFor: "1 second" })
        const limiters = Context.get(context, Limiter.Limiters)
        const sem = yield* limiters.make({ name: "permits", concurrency: 1 })
        yield* sem.acquire()
        const waiter = yield* watched(sem.withPermit(Effect.void))
        yield* eventually(redis, Effect.map(sem.stats, (s) => s.waiting === 1), "a caller waits")
        server.inject()
        yield* eventually(redis, Effect.sync(() => states.length === 2), "the Lost state")
        const lostAt = states[1]!.at
        // a caller who comes half-way through the outage waits only for what is left of retryFor
        yield* Effect.sleep("500 millis")
        const late = yield* watched(sem.withPermit(Effect.void))
        for (const [what, done] of [["the waiter", waiter], ["a caller who came later", late]] as const) {
          const outcome = yield* outcomeOf(done, what)
          const error = backendErrorOf(outcome, what)
          assert.match(error.message, /waited \d+ms for it to come back \(retryFor\)|waited [\d.]+s for it/)
          // everyone fails together, retryFor after the loss (a timer may fire a little late)
          assert.isAtLeast(outcome.at - lostAt, 1000 - 5, what)
          assert.isAtMost(outcome.at - lostAt, 1000 + 200, `${what}: ${outcome.at - lostAt} ms after the loss`)
        }
        yield* Effect.promise(() => server.recover())
        yield* eventually(redis, Effect.sync(() => states.length === 3), "the Connected state")
      }),
    30_000
  )
})
