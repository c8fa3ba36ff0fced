import { TaskGroup, WorkQueue } from "@taskscope/core"
import { Effect } from "effect"

// Producer/consumer with asyncio's task_done/join, and a shutdown that loses nothing.
export const program = Effect.gen(function*() {
  const queue = yield* WorkQueue.bounded<number>(10)
  const processed: Array<number> = []
  const report = yield* TaskGroup.scoped((group) =>
    Effect.gen(function*() {
      const pool = yield* group.spawn(WorkQueue.consume(queue, { concurrency: 3 }, (n) =>
        n === 4 ? Effect.fail("bad item") : Effect.sync(() =>
          processed.push(n)
        ).pipe(Effect.delay("10 millis"))))
      yield* Effect.forEach([1, 2, 3, 4, 5, 6], (n) =>
        queue.put(n))
      yield* queue.join // every item put has been marked done
      yield* queue.shutdown() // takers finish what is left, then stop
      return yield* pool.join
    })
  )
  return { processed: processed.sort(), failed: report.failed.map((f) => f.item) }
})

export const expected = { processed: [1, 2, 3, 5, 6], failed: [4] }
