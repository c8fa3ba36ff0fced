import { assert, describe, expect, it } from "@effect/vitest"
import {
  Queue,
  QueueEmptyError,
  QueueFullError,
  QueueShutDownError,
  TaskDoneError,
  TaskGroup
} from "@taskscope/promise"
import { deferred, rejection, stateOf, tick, ticks } from "./helpers.js"

describe("Queue", () => {
  it("put waits while the queue is full (backpressure); take waits while it is empty", async () => {
    const queue = new Queue<number>({ capacity: 1 })
    await queue.put(1)
    const second = queue.put(2)
    assert.strictEqual(await stateOf(second), "pending")
    assert.strictEqual(await queue.take(), 1)
    await second
    assert.strictEqual(await queue.take(), 2)
    const taking = queue.take()
    assert.strictEqual(await stateOf(taking), "pending")
    await queue.put(3)
    assert.strictEqual(await taking, 3)
  })

  it("taskDone and join: join resolves once every item put is done", async () => {
    const queue = new Queue<string>()
    await queue.put("a")
    await queue.put("b")
    const joined = queue.join()
    await queue.take()
    queue.taskDone()
    assert.strictEqual(await stateOf(joined), "pending")
    await queue.take()
    queue.taskDone()
    await joined
    assert.throws(() => queue.taskDone(), TaskDoneError)
  })

  it("tryPut / tryTake throw when they cannot", async () => {
    const queue = new Queue<number>({ capacity: 1 })
    assert.throws(() => queue.tryTake(), QueueEmptyError)
    queue.tryPut(1)
    assert.throws(() => queue.tryPut(2), QueueFullError)
    assert.strictEqual(queue.tryTake(), 1)
  })

  it("shutdown: put rejects, take returns what is left and then rejects", async () => {
    const queue = new Queue<number>()
    await queue.put(1)
    queue.shutdown()
    assert.instanceOf(await rejection(queue.put(2)), QueueShutDownError)
    assert.strictEqual(await queue.take(), 1)
    assert.instanceOf(await rejection(queue.take()), QueueShutDownError)
    assert.isTrue(queue.isShutdown)
  })

  it("an immediate shutdown returns the items it removed and releases join and the waiters", async () => {
    const queue = new Queue<string>({ capacity: 2 })
    await queue.put("a")
    await queue.put("b")
    const putter = queue.put("c")
    const joined = queue.join()
    const removed = queue.shutdown({ immediate: true })
    expect(removed).toStrictEqual(["a", "b"])
    assert.instanceOf(await rejection(putter), QueueShutDownError)
    await joined
  })

  it("a taker whose signal aborts leaves the line; no item is lost", async () => {
    const queue = new Queue<number>()
    const controller = new AbortController()
    const taker = queue.take({ signal: controller.signal })
    await tick()
    controller.abort("gone")
    assert.strictEqual(await rejection(taker), "gone")
    await queue.put(7)
    assert.strictEqual(queue.size, 1)
    assert.strictEqual(await queue.take(), 7)
  })

  it("process marks the item done whatever happens, with no gap to lose it", async () => {
    const queue = new Queue<number>()
    await queue.put(1)
    await queue.put(2)
    const failure = new Error("handler failed")
    assert.strictEqual(await queue.process(async (n) => n * 10), 10)
    assert.strictEqual(await rejection(queue.process(async () => Promise.reject(failure))), failure)
    await queue.join() // both were marked done
  })

  it("for await takes until shutdown, marking each item done when the loop moves on; workers in a group", async () => {
    const queue = new Queue<string>({ capacity: 2 })
    const seen: Array<string> = []
    await TaskGroup.run(async (group) => {
      for (let w = 0; w < 2; w++) {
        group.spawn(async () => {
          for await (const item of queue) {
            await ticks(1)
            seen.push(item)
          }
        })
      }
      for (const item of ["a", "b", "c", "d", "e"]) await queue.put(item)
      await queue.join()
      assert.strictEqual(queue.stats.unfinished, 0)
      queue.shutdown()
    })
    assert.sameMembers(seen, ["a", "b", "c", "d", "e"])
  })

  it("leaving a for-await loop early marks the item done", async () => {
    const queue = new Queue<number>()
    await queue.put(1)
    await queue.put(2)
    for await (const n of queue) {
      assert.strictEqual(n, 1)
      break
    }
    assert.strictEqual(queue.stats.unfinished, 1)
    assert.strictEqual(queue.stats.inFlight, 0)
  })

  it("priority and lifo orders", async () => {
    const urgent = new Queue<{ name: string; urgency: number }>({ priority: (job) => job.urgency })
    await urgent.put({ name: "later", urgency: 5 })
    await urgent.put({ name: "now", urgency: 1 })
    assert.strictEqual((await urgent.take()).name, "now")
    const stack = new Queue<number>({ order: "lifo" })
    await stack.put(1)
    await stack.put(2)
    assert.strictEqual(await stack.take(), 2)
  })

  it("rejects a bad order with a clear message", () => {
    assert.throws(
      () => new Queue({ order: "random" as any }),
      /Queue: Expected order "fifo" or "lifo", actual "random"/
    )
  })

  it("a putter parked on a full queue whose signal aborts: its item is never added", async () => {
    const queue = new Queue<number>({ capacity: 1 })
    await queue.put(1)
    const controller = new AbortController()
    const parked = queue.put(2, { signal: controller.signal })
    controller.abort("no")
    assert.strictEqual(await rejection(parked), "no")
    assert.strictEqual(await queue.take(), 1)
    const gate = deferred()
    setImmediate(gate.resolve)
    await gate.promise
    assert.strictEqual(queue.size, 0)
  })
})
