// Real Redis, real time: claim timeouts and blocking reads run on the server.
import { assert, describe, expect, it } from "@effect/vitest"
import { TaskGroup, WorkQueue } from "@taskscope/core"
import { RedisWorkQueue } from "@taskscope/redis"
import { Effect, Fiber, Layer, Schema } from "effect"
import { Redis as IORedis } from "ioredis"
import { inProcess, type Proc, processes, url } from "./helpers.js"

/** A raw connection, for playing a consumer that dies, or writing garbage. */
const raw = Effect.acquireRelease(Effect.sync(() => new IORedis(url)), (r) => Effect.sync(() => r.disconnect()))

const Job = Schema.Struct({ n: Schema.Number })

describe("RedisWorkQueue", () => {
  it.scopedLive("two consumers share the items: each processed exactly once, join waits for all", () =>
    Effect.gen(function*() {
      const { procs: [a, b, producer] } = yield* processes(3)
      const seen: Array<number> = []
      const consumer = (proc: Proc) =>
        inProcess(
          proc,
          Effect.scoped(Effect.gen(function*() {
            const q = yield* RedisWorkQueue.open("jobs", Job)
            return yield* WorkQueue.consume(q, { concurrency: 3 }, (job) =>
              Effect.sync(() =>
                seen.push(job.n)
              ).pipe(Effect.zipRight(Effect.sleep("2 millis"))))
          }))
        )
      const fa = yield* Effect.fork(consumer(a!))
      const fb = yield* Effect.fork(consumer(b!))
      const q = yield* inProcess(producer!, RedisWorkQueue.open("jobs", Job))
      yield* Effect.forEach(Array.from({ length: 60 }, (_, n) => n), (n) => q.put({ n }), { discard: true })
      yield* q.join
      expect([...seen].sort((x, y) => x - y)).toStrictEqual(Array.from({ length: 60 }, (_, n) => n))
      const stats = yield* q.stats
      assert.strictEqual(stats.unfinished, 0)
      assert.strictEqual(stats.size, 0)
      assert.strictEqual(stats.inFlight, 0)
      yield* Fiber.interrupt(fa)
      yield* Fiber.interrupt(fb)
    }))

  it.scopedLive("taskDone from another fiber settles the oldest item this consumer handed out", () =>
    Effect.gen(function*() {
      const { procs: [a] } = yield* processes(1)
      const q = yield* inProcess(a!, RedisWorkQueue.open("handoff", Schema.String))
      yield* q.put("x")
      yield* q.put("y")
      // one fiber takes, another marks done (a pipeline stage hands the item on)
      yield* Effect.fork(q.take).pipe(Effect.flatMap(Fiber.join))
      yield* Effect.fork(q.take).pipe(Effect.flatMap(Fiber.join))
      yield* Effect.fork(q.taskDone).pipe(Effect.flatMap(Fiber.join))
      const stats = yield* q.stats
      expect([stats.unfinished, stats.inFlight]).toStrictEqual([1, 1])
      yield* q.taskDone
      yield* q.join
      assert.strictEqual((yield* Effect.flip(q.taskDone))._tag, "TaskDoneError")
    }))

  it.scopedLive("take + taskDone, and taskDone without a taken item is a TaskDoneError", () =>
    Effect.gen(function*() {
      const { procs: [a] } = yield* processes(1)
      const q = yield* inProcess(a!, RedisWorkQueue.open("td", Schema.String))
      const none = yield* Effect.flip(q.taskDone)
      assert.strictEqual(none._tag, "TaskDoneError")
      yield* q.put("x")
      yield* q.put("y")
      assert.strictEqual(yield* q.take, "x")
      assert.strictEqual(yield* q.tryTake, "y")
      assert.strictEqual((yield* q.stats).unfinished, 2)
      yield* q.taskDone
      yield* q.taskDone
      yield* q.join
      const empty = yield* Effect.flip(q.tryTake)
      assert.strictEqual(empty._tag, "QueueEmptyError")
    }))

  it.scopedLive("an interrupted handler gives its item back at once; closing a consumer gives back what it was given", () =>
    Effect.gen(function*() {
      const { procs: [a, b] } = yield* processes(2)
      const qa = yield* inProcess(a!, RedisWorkQueue.open("back", Schema.Number))
      const qb = yield* inProcess(b!, RedisWorkQueue.open("back", Schema.Number))
      yield* qa.put(1)
      const started = yield* Effect.makeLatch(false)
      const stuck = yield* Effect.fork(qa.process(() => Effect.zipRight(started.open, Effect.never)))
      yield* started.await
      yield* Fiber.interrupt(stuck)
      assert.strictEqual(yield* qb.process((n) => Effect.succeed(n * 10)), 10)
      // a consumer that took an item and closed without taskDone gives it back
      yield* qa.put(2)
      yield* Effect.scoped(Effect.gen(function*() {
        const qc = yield* inProcess(a!, RedisWorkQueue.open("back", Schema.Number))
        assert.strictEqual(yield* qc.take, 2)
      }))
      assert.strictEqual(yield* qb.take, 2)
      yield* qb.taskDone
      yield* qb.join
    }))

  it.scopedLive("items of a dead consumer are reclaimed after claimIdle; a live consumer's are not", () =>
    Effect.gen(function*() {
      const { prefix, procs: [a, b] } = yield* processes(2)
      const qa = yield* inProcess(a!, RedisWorkQueue.open("reclaim", Schema.Number, { claimIdle: "300 millis" }))
      yield* qa.put(1)
      yield* qa.put(2)
      // a live consumer holds item 1 for longer than claimIdle: its heartbeat keeps it
      const started = yield* Effect.makeLatch(false)
      const slow = yield* Effect.fork(
        qa.process((n) => Effect.as(Effect.zipRight(started.open, Effect.sleep("900 millis")), n))
      )
      yield* started.await
      // a consumer that dies: reads item 2 straight from Redis and never acknowledges
      const ghost = yield* raw
      const stream = `{${prefix}:queue:reclaim}:stream`
      yield* Effect.promise(() => ghost.xreadgroup("GROUP", "workers", "ghost", "COUNT", 1, "STREAMS", stream, ">"))
      const qb = yield* inProcess(b!, RedisWorkQueue.open("reclaim", Schema.Number, { claimIdle: "300 millis" }))
      const t0 = Date.now()
      const got = yield* qb.process((n) => Effect.succeed(n))
      assert.strictEqual(got, 2)
      assert.isAtLeast(Date.now() - t0, 150)
      // item 1 is still the slow consumer's
      assert.strictEqual(yield* Fiber.join(slow), 1)
      assert.strictEqual((yield* qb.tryTake.pipe(Effect.flip))._tag, "QueueEmptyError")
      yield* qa.join
    }))

  it.scopedLive("poison items and undecodable entries go to the dead letters; join is not blocked", () =>
    Effect.gen(function*() {
      const { prefix, procs: [a] } = yield* processes(1)
      const q = yield* inProcess(a!, RedisWorkQueue.open("poison", Job, { claimIdle: "200 millis", maxDeliveries: 1 }))
      const r = yield* raw
      const base = `{${prefix}:queue:poison}`
      yield* q.put({ n: 7 })
      // a consumer takes item 7 and dies: its second delivery exceeds maxDeliveries
      yield* Effect.promise(() =>
        r.xreadgroup("GROUP", "workers", "ghost", "COUNT", 1, "STREAMS", `${base}:stream`, ">")
      )
      // garbage written by someone else
      yield* Effect.promise(() => r.xadd(`${base}:stream`, "*", "id", "g", "v", "{not json"))
      yield* Effect.promise(() => r.incr(`${base}:unfinished`))
      yield* Effect.sleep("300 millis")
      const nothing = yield* Effect.flip(q.tryTake)
      assert.strictEqual(nothing._tag, "QueueEmptyError")
      yield* q.join
      const dead = yield* Effect.promise(() => r.xrange(`${base}:dead`, "-", "+"))
      assert.strictEqual(dead.length, 2)
      const reasons = dead.map(([, fields]) => fields[fields.indexOf("reason") + 1]).sort()
      assert.include(reasons[0], "delivered 2 times")
      assert.include(reasons[1], "does not decode")
    }))

  it.scopedLive("capacity, shutdown, and validation", () =>
    Effect.gen(function*() {
      const { procs: [a, b] } = yield* processes(2)
      const q = yield* inProcess(
        a!,
        RedisWorkQueue.open("cap", Schema.Number, { capacity: 2, pollInterval: "10 millis" })
      )
      yield* q.put(1)
      yield* q.tryPut(2)
      assert.strictEqual((yield* Effect.flip(q.tryPut(3)))._tag, "QueueFullError")
      assert.isTrue(yield* q.isFull)
      expect(yield* q.snapshot).toStrictEqual([1, 2])
      // a put waits for room
      const putter = yield* Effect.fork(q.put(3))
      yield* Effect.sleep("50 millis")
      assert.isNull(putter.unsafePoll())
      const other = yield* inProcess(b!, RedisWorkQueue.open("cap", Schema.Number))
      assert.strictEqual(yield* other.process(Effect.succeed), 1)
      yield* Fiber.join(putter)
      // shutting one consumer down: it puts no more and takes what is left; the others go on
      yield* q.shutdown()
      assert.strictEqual((yield* Effect.flip(q.put(9)))._tag, "QueueShutDownError")
      assert.strictEqual(yield* other.size, 2)
      assert.strictEqual(yield* q.take, 2)
      assert.strictEqual(yield* other.process(Effect.succeed), 3)
      assert.strictEqual((yield* Effect.flip(q.take))._tag, "QueueShutDownError")
      yield* other.put(4)
      assert.strictEqual(yield* other.take, 4)
      const bad = yield* Effect.flip(inProcess(a!, RedisWorkQueue.open("cap", Schema.Number, { claimIdle: 0 })))
      assert.include(bad.message, "claimIdle")
      const badName = yield* Effect.flip(inProcess(a!, RedisWorkQueue.open("a b", Schema.Number)))
      assert.strictEqual(badName._tag, "InvalidOptionsError")
    }))

  it.scopedLive("the WorkQueues service: the same code on layerMemory and on RedisWorkQueue.layer", () =>
    Effect.gen(function*() {
      const program = Effect.scoped(Effect.gen(function*() {
        const queues = yield* WorkQueue.WorkQueues
        const producer = yield* queues.open("svc", Job)
        const consumer = yield* queues.open("svc", Job)
        const out: Array<number> = []
        yield* TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            const pool = yield* group.spawn(
              WorkQueue.consume(consumer, { concurrency: 2 }, (j) => Effect.sync(() => out.push(j.n)))
            )
            yield* Effect.forEach([1, 2, 3], (n) => producer.put({ n }))
            yield* producer.join
            yield* consumer.shutdown()
            return yield* pool.join
          })
        )
        return { out: out.sort(), backend: queues.backend }
      }))
      const { procs: [a] } = yield* processes(1)
      const memory = yield* Effect.provide(program, WorkQueue.layerMemory)
      const shared = yield* Effect.provide(
        program,
        RedisWorkQueue.layer().pipe(Layer.provide(Layer.succeedContext(a!)))
      )
      expect(memory).toStrictEqual({ out: [1, 2, 3], backend: "memory" })
      expect(shared).toStrictEqual({ out: [1, 2, 3], backend: "redis" })
    }))
})
