import { assert, describe, it } from "@effect/vitest"
import { Event, TaskGroup, WorkQueue } from "@taskscope/core"
import { Effect, Exit, Fiber, Option, Ref, TestClock } from "effect"
import { noOrphans, now, runFor } from "./helpers.js"

const takeN = <A>(queue: WorkQueue.WorkQueue<A>, n: number) =>
  Effect.forEach(Array.from({ length: n }), () => queue.take)

describe("WorkQueue ordering", () => {
  it.effect("FIFO, LIFO and priority (lowest first, stable among equals)", () =>
    Effect.gen(function*() {
      const fifo = yield* WorkQueue.bounded<number>(10)
      const lifo = yield* WorkQueue.lifo<number>()
      yield* Effect.forEach([1, 2, 3], (n) => Effect.zipRight(fifo.put(n), lifo.put(n)))
      assert.deepStrictEqual(yield* takeN(fifo, 3), [1, 2, 3])
      assert.deepStrictEqual(yield* takeN(lifo, 3), [3, 2, 1])

      const prio = yield* WorkQueue.priority<[number, string]>({ priority: ([p]) => p })
      const items: Array<[number, string]> = [[3, "a"], [1, "b"], [2, "c"], [1, "d"], [3, "e"], [0, "f"], [1, "g"]]
      yield* Effect.forEach(items, (i) => prio.put(i))
      assert.deepStrictEqual(yield* prio.snapshot, [[0, "f"], [1, "b"], [1, "d"], [1, "g"], [2, "c"], [3, "a"], [
        3,
        "e"
      ]])
      assert.deepStrictEqual((yield* takeN(prio, 7)).map(([, s]) => s).join(""), "fbdgcae")
    }))
})

describe("WorkQueue backpressure", () => {
  it.effect("put waits while full and wakes when a taker takes; take waits while empty", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.bounded<string>(1)
      yield* queue.put("a")
      const putter = yield* Effect.fork(queue.put("b").pipe(Effect.zipRight(now)))
      yield* TestClock.adjust(100)
      assert.isTrue(Option.isNone(yield* Fiber.poll(putter)))
      assert.isTrue(yield* queue.isFull)
      const taker = yield* Effect.fork(Effect.delay(queue.take, 500))
      yield* TestClock.adjust(500)
      assert.strictEqual(yield* Fiber.join(taker), "a")
      assert.strictEqual(yield* Fiber.join(putter), 600)
      assert.strictEqual(yield* queue.take, "b")
      const waiting = yield* Effect.fork(queue.take.pipe(Effect.zip(now)))
      yield* TestClock.adjust(100)
      yield* queue.put("c")
      assert.deepStrictEqual(yield* Fiber.join(waiting), ["c", 700])
    }))

  it.effect("tryPut and tryTake never wait", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.bounded<number>(1, { name: "jobs" })
      assert.strictEqual((yield* Effect.flip(queue.tryTake))._tag, "QueueEmptyError")
      yield* queue.tryPut(1)
      const full = yield* Effect.flip(queue.tryPut(2))
      assert.strictEqual(full._tag, "QueueFullError")
      assert.strictEqual(full.message, "WorkQueue \"jobs\" is full (capacity 1)")
      assert.strictEqual(yield* queue.tryTake, 1)
    }))

  it.effect("rejects a bad capacity", () =>
    Effect.gen(function*() {
      for (const capacity of [0, -1, 2.5, Number.NaN]) {
        const error = yield* Effect.flip(WorkQueue.bounded(capacity))
        assert.match(error.message, /^WorkQueue options: capacity: Expected a positive integer or Infinity/)
      }
    }))
})

describe("WorkQueue cancellation", () => {
  it.effect("a cancelled waiting taker leaves no trace; the next put goes to the next taker", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.unbounded<number>()
      const first = yield* Effect.fork(queue.take)
      const second = yield* Effect.fork(queue.take)
      yield* TestClock.adjust(1)
      yield* Fiber.interrupt(first)
      yield* queue.put(7)
      assert.strictEqual(yield* Fiber.join(second), 7)
      assert.deepStrictEqual(yield* queue.stats, {
        size: 0,
        capacity: Infinity,
        unfinished: 1,
        inFlight: 1,
        waitingTakers: 0,
        waitingPutters: 0,
        shutdown: false
      })
    }))

  it.effect("a taker interrupted right after it was woken gives its turn back: the item goes to the next taker", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.unbounded<string>()
      const first = yield* Effect.fork(queue.take)
      const second = yield* Effect.fork(queue.take)
      yield* TestClock.adjust(1)
      // wake the first taker and interrupt it before it runs again
      yield* queue.put("x")
      yield* Effect.fiberIdWith((id) => Effect.sync(() => first.unsafeInterruptAsFork(id)))
      assert.isTrue(Exit.isInterrupted(yield* Fiber.await(first)))
      assert.strictEqual(yield* Fiber.join(second), "x")
      assert.strictEqual(yield* queue.size, 0)
    }))

  it.effect("an interrupted putter's item is never in the queue, even when it had been woken", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.bounded<string>(1)
      yield* queue.put("a")
      const blocked = yield* Effect.fork(queue.put("never"))
      const next = yield* Effect.fork(queue.put("b"))
      yield* TestClock.adjust(1)
      yield* Fiber.interrupt(blocked)
      assert.strictEqual(yield* queue.take, "a")
      yield* Fiber.join(next)
      assert.deepStrictEqual(yield* queue.snapshot, ["b"])

      // woken (a slot was reserved for it) and interrupted before it could push
      const woken = yield* Effect.fork(queue.put("never either"))
      const after = yield* Effect.fork(queue.put("c"))
      yield* TestClock.adjust(1)
      assert.strictEqual(yield* queue.take, "b")
      yield* Effect.fiberIdWith((id) => Effect.sync(() => woken.unsafeInterruptAsFork(id)))
      assert.isTrue(Exit.isInterrupted(yield* Fiber.await(woken)))
      yield* Fiber.join(after)
      assert.deepStrictEqual(yield* queue.snapshot, ["c"])
    }))
})

describe("WorkQueue taskDone and join", () => {
  it.effect("join returns at once on a queue that never had items", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.bounded<number>(3)
      yield* queue.join
    }))

  it.effect("join with two workers over 100 items", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.bounded<number>(10)
      const processed = yield* Ref.make<Array<number>>([])
      const worker = Effect.forever(
        Effect.gen(function*() {
          const item = yield* queue.take
          yield* Effect.sleep(10)
          yield* Ref.update(processed, (p) => [...p, item])
          yield* queue.taskDone
        })
      )
      const fiber = yield* runFor(
        TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            yield* group.spawn(worker)
            yield* group.spawn(worker)
            yield* Effect.forEach(Array.from({ length: 100 }, (_, i) => i), (i) => queue.put(i))
            yield* queue.join
            const at = yield* now
            yield* group.cancel
            return at
          })
        ),
        "1 second"
      )
      assert.strictEqual(yield* Fiber.join(fiber), 500)
      assert.deepStrictEqual(
        (yield* Ref.get(processed)).sort((a, b) => a - b),
        Array.from({ length: 100 }, (_, i) => i)
      )
    }))

  it.effect("taskDone more often than items taken is a typed error", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.unbounded<number>({ name: "q" })
      yield* queue.put(1)
      const early = yield* Effect.flip(queue.taskDone)
      assert.strictEqual(early._tag, "TaskDoneError")
      yield* queue.take
      yield* queue.taskDone
      const again = yield* Effect.flip(queue.taskDone)
      assert.strictEqual(again.message, "WorkQueue \"q\": taskDone called more times than items were taken")
    }))
})

describe("WorkQueue shutdown", () => {
  it.effect("graceful: put fails, take drains what is left then fails, waiting putters fail", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.bounded<number>(2)
      yield* queue.put(1)
      yield* queue.put(2)
      const putter = yield* Effect.fork(queue.put(3))
      yield* TestClock.adjust(1)
      const removed = yield* queue.shutdown()
      assert.deepStrictEqual(removed, [])
      assert.strictEqual((yield* Effect.flip(Fiber.join(putter)))._tag, "QueueShutDownError")
      assert.strictEqual((yield* Effect.flip(queue.put(4)))._tag, "QueueShutDownError")
      assert.deepStrictEqual(yield* takeN(queue, 2), [1, 2])
      assert.strictEqual((yield* Effect.flip(queue.take))._tag, "QueueShutDownError")
      assert.isTrue(yield* queue.isShutdown)
    }))

  it.effect("graceful: waiting takers fail when the queue is empty", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.unbounded<number>()
      const taker = yield* Effect.fork(queue.take)
      yield* TestClock.adjust(1)
      yield* queue.shutdown()
      assert.strictEqual((yield* Effect.flip(Fiber.join(taker)))._tag, "QueueShutDownError")
    }))

  it.effect("immediate: empties the queue, returns the removed items, fails every waiter and releases join", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.bounded<number>(3)
      yield* Effect.forEach([1, 2, 3], (n) => queue.put(n))
      const putter = yield* Effect.fork(queue.put(4))
      const joiner = yield* Effect.fork(queue.join)
      yield* TestClock.adjust(1)
      const removed = yield* queue.shutdown({ immediate: true })
      assert.deepStrictEqual(removed, [1, 2, 3])
      assert.strictEqual((yield* Effect.flip(Fiber.join(putter)))._tag, "QueueShutDownError")
      yield* Fiber.join(joiner)
      assert.strictEqual((yield* Effect.flip(queue.take))._tag, "QueueShutDownError")
      assert.strictEqual(yield* queue.size, 0)
    }))

  it.effect("immediate: join still waits for items already taken", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.unbounded<number>()
      yield* queue.put(1)
      yield* queue.put(2)
      yield* queue.take
      const joiner = yield* Effect.fork(queue.join)
      assert.deepStrictEqual(yield* queue.shutdown({ immediate: true }), [2])
      yield* TestClock.adjust(1)
      assert.isTrue(Option.isNone(yield* Fiber.poll(joiner)))
      yield* queue.taskDone
      yield* Fiber.join(joiner)
    }))
})

describe("WorkQueue.consume", () => {
  it.effect("a worker pool: items run concurrently, every item is marked done, failures are reported per item", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.bounded<number>(5)
      const fiber = yield* runFor(
        TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            const pool = yield* group.spawn(
              WorkQueue.consume(queue, { concurrency: 3 }, (n) =>
                n % 4 === 0 ? Effect.fail(`bad ${n}`) : Effect.sleep(100))
            )
            yield* Effect.forEach(
              Array.from({ length: 12 }, (_, i) =>
                i + 1),
              (i) =>
                queue.put(i)
            )
            yield* queue.join
            const joinedAt = yield* now
            yield* queue.shutdown()
            const report = yield* pool.join
            return { joinedAt, processed: report.processed, failed: report.failed.map((f) => f.item) }
          })
        ),
        "1 second"
      )
      // 9 items sleep 100 ms on 3 workers: 300 ms; failures take no time
      assert.deepStrictEqual(yield* Fiber.join(fiber), { joinedAt: 300, processed: 12, failed: [4, 8, 12] })
    }))

  it.effect("interrupting the pool marks the items in hand done and leaves the rest in the queue", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.unbounded<number>()
      yield* Effect.forEach([1, 2, 3, 4, 5], (n) => queue.put(n))
      const pool = yield* Effect.fork(noOrphans(WorkQueue.consume(queue, { concurrency: 2 }, () => Effect.never)))
      yield* TestClock.adjust(10)
      yield* Fiber.interrupt(pool)
      assert.deepStrictEqual(yield* queue.snapshot, [3, 4, 5])
      assert.deepStrictEqual((yield* queue.stats).inFlight, 0)
      assert.deepStrictEqual((yield* queue.stats).unfinished, 3)
    }))

  it.effect("rejects a bad worker count", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.unbounded<number>()
      const error = yield* Effect.flip(WorkQueue.consume(queue, { concurrency: 0 }, () => Effect.void))
      assert.match(error.message, /^WorkQueue.consume options: concurrency: Expected a positive integer/)
    }))
})

describe("Event", () => {
  it.effect("set wakes every waiter; clear resets; isSet tells", () =>
    Effect.gen(function*() {
      const event = yield* Event.make()
      assert.isFalse(yield* event.isSet)
      const waiters = yield* Effect.forEach([1, 2], () => Effect.fork(event.wait.pipe(Effect.zipRight(now))))
      yield* TestClock.adjust(100)
      yield* event.set
      // a waiter woken by set wakes even if clear follows at once
      yield* event.clear
      assert.deepStrictEqual(yield* Effect.forEach(waiters, Fiber.join), [100, 100])
      assert.isFalse(yield* event.isSet)
      const later = yield* Effect.fork(event.wait)
      yield* TestClock.adjust(100)
      assert.isTrue(Option.isNone(yield* Fiber.poll(later)))
      yield* event.set
      yield* Fiber.join(later)
      yield* event.wait
      assert.isTrue(yield* event.isSet)
    }))
})
