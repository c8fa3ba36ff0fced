/**
 * Producer–consumer on a bounded queue with task_done() and join().
 *
 * An asyncio.Queue with room for two, a fast and a slow worker that call `task_done()`, and
 * `join()` to wait until every item has been processed.
 *
 * ```python
 * import asyncio, time
 *
 * def log(line):
 *     print(f"[{time.perf_counter() - start:4.1f}s] {line}")
 *
 * async def producer(queue):
 *     for order in range(1, 6):
 *         await queue.put(order)            # waits while the queue is full
 *         log(f"queued order {order}")
 *
 * async def consumer(name, seconds, queue):
 *     while True:
 *         order = await queue.get()
 *         await asyncio.sleep(seconds)      # pack the order
 *         log(f"{name} packed order {order}")
 *         queue.task_done()
 *
 * async def main():
 *     queue = asyncio.Queue(maxsize=2)
 *     workers = [asyncio.create_task(consumer("fast packer", 0.8, queue)),
 *                asyncio.create_task(consumer("slow packer", 1.5, queue))]
 *     await producer(queue)
 *     await queue.join()                    # every order packed
 *     log("all orders packed")
 *     for worker in workers:
 *         worker.cancel()
 *
 * start = time.perf_counter()
 * asyncio.run(main())
 * ```
 *
 * The timings show the backpressure: two orders are being packed and two fit in the queue, so the
 * fifth waits for room until the fast packer takes the next order at 0.8 s. `WorkQueue.consume(queue, { concurrency })`
 * is the same worker pool in one call, with `taskDone` never forgotten; it is spelled out here as
 * in the Python.
 */
import { TaskGroup, WorkQueue } from "@taskscope/core"
import { Effect } from "effect"
import { stopwatch } from "./shared/stopwatch.js"

export const main = Effect.gen(function*() {
  const print = yield* stopwatch
  const queue = yield* WorkQueue.bounded<number>(2)
  const consumer = (name: string, seconds: number) =>
    Effect.forever(Effect.gen(function*() {
      const order = yield* queue.take
      yield* Effect.sleep(`${seconds} seconds`) // pack the order
      yield* print(`${name} packed order ${order}`)
      yield* queue.taskDone
    }))
  yield* TaskGroup.scoped((group) =>
    Effect.gen(function*() {
      yield* group.spawn(consumer("fast packer", 0.8), { name: "fast packer" })
      yield* group.spawn(consumer("slow packer", 1.5), { name: "slow packer" })
      for (let order = 1; order <= 5; order++) {
        yield* queue.put(order) // waits while the queue is full
        yield* print(`queued order ${order}`)
      }
      yield* queue.join // every order packed
      yield* print("all orders packed")
      yield* group.cancel // the workers loop forever: stop them, as worker.cancel() does
    })
  )
})
