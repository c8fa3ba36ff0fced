// #region example
import { TaskGroup, WorkQueue } from "@taskscope/core"
import { Effect } from "effect"

// Producer and consumers with asyncio's task_done/join, and a shutdown
// that loses nothing: every item is processed, failed, or handed back.
const program = Effect.gen(function*() {
  const queue = yield* WorkQueue.bounded<number>(10)
  const processed: Array<number> = []
  const handle = (n: number) =>
    n === 4
      ? Effect.fail("bad item")
      : Effect.sync(() => processed.push(n)).pipe(Effect.delay("10 millis"))
  const report = yield* TaskGroup.scoped((group) =>
    Effect.gen(function*() {
      // a pool of 3 workers; it marks every item done, whatever happens
      const pool = yield* group.spawn(
        WorkQueue.consume(queue, { concurrency: 3 }, handle)
      )
      yield* Effect.forEach([1, 2, 3, 4, 5, 6], (n) => queue.put(n))
      yield* queue.join // every item put has been marked done
      yield* queue.shutdown() // the workers finish what is left, then stop
      return yield* pool.join
    })
  )
  return {
    processed: processed.sort(),
    failed: report.failed.map((f) => f.item)
  }
})

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → { processed: [1, 2, 3, 5, 6], failed: [4] }
// #endregion example

export { program }
