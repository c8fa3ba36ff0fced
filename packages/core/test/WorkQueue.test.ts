import { assert, describe, expect, it } from "@effect/vitest"
import { TaskGroup, Testing, WorkQueue } from "@taskscope/core"
import { Effect, Exit, Fiber, Option, Ref, Schema, TestClock } from "effect"
import { dies, noOrphans, now, runFor } from "./helpers.js"

const takeN = <A>(queue: WorkQueue.WorkQueue<A>, n: number) =>
  Effect.forEach(Array.from({ length: n }), () => queue.take)

describe("WorkQueue ordering", () => {
  it.effect("FIFO, LIFO and priority (lowest first, stable among equals)", () =>
    Effect.gen(function*() {
      const fifo = yield* WorkQueue.bounded<number>(10)
      const lifo = yield* WorkQueue.lifo<number>()
      yield* Effect.forEach([1, 2, 3], (n) => Effect.zipRight(fifo.put(n), lifo.put(n)))
      expect(yield* takeN(fifo, 3)).toStrictEqual([1, 2, 3])
      expect(yield* takeN(lifo, 3)).toStrictEqual([3, 2, 1])

      const prio = yield* WorkQueue.priority<[number, string]>({ priority: ([p]) => p })
      const items: Array<[number, string]> = [[3, "a"], [1, "b"], [2, "c"], [1, "d"], [3, "e"], [0, "f"], [1, "g"]]
      yield* Effect.forEach(items, (i) => prio.put(i))
      expect(yield* prio.snapshot).toStrictEqual([[0, "f"], [1, "b"], [1, "d"], [1, "g"], [2, "c"], [3, "a"], [
        3,
        "e"
      ]])
      expect((yield* takeN(prio, 7)).map(([, s]) => s).join("")).toStrictEqual("fbdgcae")
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
      expect(yield* Fiber.join(waiting)).toStrictEqual(["c", 700])
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

  it.effect("a bad literal capacity is a defect naming the function and the value", () =>
    Effect.gen(function*() {
      for (const capacity of [0, -1, 2.5, Number.NaN]) {
        yield* dies(
          WorkQueue.bounded(capacity),
          new RegExp(`^WorkQueue\\.bounded: capacity: Expected a positive integer or Infinity, actual ${capacity}$`)
        )
      }
      yield* dies(WorkQueue.lifo({ capacity: 0 }), /^WorkQueue\.lifo: capacity: .* actual 0$/)
      yield* dies(
        WorkQueue.priority({ capacity: -3, priority: (n: number) => n }),
        /^WorkQueue\.priority: capacity: .* actual -3$/
      )
    }))

  it.effect("options from outside: make decodes them once, with a typed InvalidOptionsError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(WorkQueue.make({ capacity: 0, name: "jobs" }))
      assert.strictEqual(error._tag, "InvalidOptionsError")
      assert.strictEqual(
        error.message,
        "WorkQueue options: capacity: Expected a positive integer or Infinity, actual 0"
      )
      const queue = yield* WorkQueue.make<number>({ capacity: 1, name: "jobs" })
      yield* queue.put(1)
      assert.strictEqual((yield* Effect.flip(queue.tryPut(2)))._tag, "QueueFullError")
      assert.strictEqual((yield* WorkQueue.make<number>()).capacity, Infinity)
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
      expect(yield* queue.stats).toStrictEqual({
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
      expect(yield* queue.snapshot).toStrictEqual(["b"])

      // woken (a slot was reserved for it) and interrupted before it could push
      const woken = yield* Effect.fork(queue.put("never either"))
      const after = yield* Effect.fork(queue.put("c"))
      yield* TestClock.adjust(1)
      assert.strictEqual(yield* queue.take, "b")
      yield* Effect.fiberIdWith((id) => Effect.sync(() => woken.unsafeInterruptAsFork(id)))
      assert.isTrue(Exit.isInterrupted(yield* Fiber.await(woken)))
      yield* Fiber.join(after)
      expect(yield* queue.snapshot).toStrictEqual(["c"])
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
      expect((yield* Ref.get(processed)).sort((a, b) => a - b)).toStrictEqual(Array.from({ length: 100 }, (_, i) => i))
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
      expect(removed).toStrictEqual([])
      assert.strictEqual((yield* Effect.flip(Fiber.join(putter)))._tag, "QueueShutDownError")
      assert.strictEqual((yield* Effect.flip(queue.put(4)))._tag, "QueueShutDownError")
      expect(yield* takeN(queue, 2)).toStrictEqual([1, 2])
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
      expect(removed).toStrictEqual([1, 2, 3])
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
      expect(yield* queue.shutdown({ immediate: true })).toStrictEqual([2])
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
      expect(yield* Fiber.join(fiber)).toStrictEqual({ joinedAt: 300, processed: 12, failed: [4, 8, 12] })
    }))

  it.effect("interrupting the pool gives the items in hand back, in order; nothing is lost or done", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.unbounded<number>()
      yield* Effect.forEach([1, 2, 3, 4, 5], (n) => queue.put(n))
      const pool = yield* Effect.fork(noOrphans(WorkQueue.consume(queue, { concurrency: 2 }, () => Effect.never)))
      yield* TestClock.adjust(10)
      expect(yield* queue.snapshot).toStrictEqual([3, 4, 5])
      yield* Fiber.interrupt(pool)
      expect((yield* queue.snapshot).sort()).toStrictEqual([1, 2, 3, 4, 5])
      expect((yield* queue.snapshot).slice(2)).toStrictEqual([3, 4, 5])
      const stats = yield* queue.stats
      expect([stats.size, stats.inFlight, stats.unfinished]).toStrictEqual([5, 0, 5])
      // a new pool finishes the work
      const report = yield* Effect.fork(WorkQueue.consume(queue, { concurrency: 2 }, () => Effect.void))
      yield* queue.join
      yield* queue.shutdown()
      assert.strictEqual((yield* Fiber.join(report)).processed, 5)
    }))

  it.effect("a bad worker count is a defect naming the function and the value", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.unbounded<number>()
      yield* dies(
        WorkQueue.consume(queue, { concurrency: 0 }, () => Effect.void),
        /^WorkQueue\.consume: concurrency: Expected a positive integer, actual 0$/
      )
    }))
})

describe("WorkQueue.process", () => {
  it.effect("done when use succeeds or fails; given back (taken next) when it is interrupted", () =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.unbounded<string>()
      yield* Effect.forEach(["a", "b", "c"], (x) => queue.put(x))
      assert.strictEqual(yield* queue.process((x) => Effect.succeed(x.toUpperCase())), "A")
      assert.strictEqual(yield* Effect.flip(queue.process((x) => Effect.fail(`bad ${x}`))), "bad b")
      assert.strictEqual((yield* queue.stats).unfinished, 1)
      const held = yield* Effect.fork(queue.process(() => Effect.never))
      yield* TestClock.adjust(1)
      expect(yield* Effect.map(queue.stats, (s) => [s.size, s.inFlight])).toStrictEqual([0, 1])
      yield* Fiber.interrupt(held)
      expect(yield* queue.snapshot).toStrictEqual(["c"])
      expect(yield* Effect.map(queue.stats, (s) => [s.size, s.inFlight, s.unfinished])).toStrictEqual([1, 0, 1])
      // a taker waiting when the item comes back gets it
      yield* queue.put("d")
      const first = yield* queue.take
      assert.strictEqual(first, "c")
      const waiting = yield* Effect.fork(queue.take)
      const again = yield* Effect.fork(queue.process(() => Effect.never))
      yield* TestClock.adjust(1)
      yield* Fiber.interrupt(again)
      assert.strictEqual(yield* Fiber.join(waiting), "d")
    }))

  it.effect("a given-back item goes where it would be taken next: LIFO on top, priority ahead of its equals", () =>
    Effect.gen(function*() {
      const stack = yield* WorkQueue.lifo<number>()
      yield* Effect.forEach([1, 2, 3], (n) => stack.put(n))
      const held = yield* Effect.fork(stack.process(() => Effect.never))
      yield* TestClock.adjust(1)
      yield* stack.put(4)
      yield* Fiber.interrupt(held)
      expect(yield* stack.snapshot).toStrictEqual([3, 4, 2, 1])
      const byUrgency = yield* WorkQueue.priority<{ readonly id: string; readonly p: number }>({ priority: (x) => x.p })
      yield* Effect.forEach([{ id: "x", p: 1 }, { id: "y", p: 1 }, { id: "z", p: 0 }], (x) => byUrgency.put(x))
      const urgent = yield* Effect.fork(byUrgency.process(() => Effect.never))
      yield* TestClock.adjust(1)
      const next = yield* Effect.fork(byUrgency.process(() => Effect.never))
      yield* TestClock.adjust(1)
      yield* Fiber.interrupt(next)
      yield* Fiber.interrupt(urgent)
      expect((yield* byUrgency.snapshot).map((x) => x.id)).toStrictEqual(["z", "x", "y"])
    }))

  it.effect("an interruption at every step of a process call loses no item and marks none done", () =>
    Effect.gen(function*() {
      for (let d = 0; d < 12; d++) {
        const queue = yield* WorkQueue.bounded<number>(2)
        const done: Array<number> = []
        const worker = yield* Effect.fork(
          Effect.forever(queue.process((n) => Effect.zipRight(Effect.yieldNow(), Effect.sync(() => done.push(n)))))
        )
        yield* queue.put(1)
        yield* queue.put(2)
        for (let i = 0; i < d; i++) yield* Effect.yieldNow()
        yield* Fiber.interrupt(worker)
        const s = yield* queue.stats
        const left = yield* queue.snapshot
        expect([...done, ...left].sort(), `d = ${d}`).toStrictEqual([1, 2])
        expect([s.inFlight, s.unfinished], `d = ${d}`).toStrictEqual([0, left.length])
      }
    }))
})

describe("WorkQueue under Testing.interruptEverywhere", () => {
  it.effect("a producer and a worker pool interrupted anywhere: every item is processed once or still queued, none in flight", () =>
    Effect.gen(function*() {
      let queue: WorkQueue.WorkQueue<number> | undefined
      let processed: Array<number> = []
      const report = yield* Testing.interruptEverywhere(
        (probe) =>
          Effect.gen(function*() {
            const q = yield* WorkQueue.bounded<number>(2)
            queue = q
            processed = []
            yield* TaskGroup.scoped((group) =>
              Effect.gen(function*() {
                yield* group.spawn(probe.guard(
                  "pool",
                  WorkQueue.consume(q, { concurrency: 2 }, (n) =>
                    Effect.zipRight(
                      Effect.sleep(5),
                      Effect.sync(() => processed.push(n))
                    ))
                ))
                yield* Effect.forEach([1, 2, 3, 4, 5], (n) => q.put(n), { discard: true })
                yield* q.join
                yield* q.shutdown()
              })
            )
          }),
        () =>
          Effect.gen(function*() {
            const q = queue!
            const left = yield* q.snapshot
            const s = yield* q.stats
            const all = [...processed, ...left].sort()
            // every item put is processed exactly once or still in the queue; none is in a worker's hand
            const put = all.length === 0 ? [] : Array.from({ length: Math.max(...all) }, (_, i) => i + 1)
            if (JSON.stringify(all) !== JSON.stringify(put) || s.inFlight !== 0 || s.unfinished !== left.length) {
              return yield* Effect.dieMessage(`processed ${processed}, left ${left}, stats ${JSON.stringify(s)}`)
            }
          })
      )
      assert.isAtLeast(report.points, 5)
    }))
})

describe("WorkQueue.layerMemory", () => {
  it.scoped("one name, one queue: the same capacity gives the same queue, another fails", () =>
    Effect.gen(function*() {
      const queues = yield* WorkQueue.WorkQueues
      const a = yield* queues.open("jobs", Schema.Number, { capacity: 10 })
      assert.strictEqual(a, yield* queues.open("jobs", Schema.Number, { capacity: 10 }))
      const other = yield* Effect.flip(queues.open("jobs", Schema.Number))
      assert.strictEqual(
        other.message,
        "WorkQueues.open options: \"jobs\" was opened with capacity 10; this call asks for Infinity (one name, one queue: use another name, or the same capacity)"
      )
      const bad = yield* Effect.flip(queues.open("x", Schema.Number, { capacity: -1 }))
      assert.match(bad.message, /^WorkQueue options: capacity: Expected a positive integer or Infinity, actual -1$/)
      assert.strictEqual(a.name, "jobs")
    }).pipe(Effect.provide(WorkQueue.layerMemory)))
})
