// #region example
import { Limiter, TaskGroup } from "@taskscope/core"
import { Clock, Effect } from "effect"

// Weighted permits (Trio's CapacityLimiter with a cost): a memory budget of
// 8 GB shared by jobs of different sizes. A big job waits for room; smaller
// jobs behind it wait their turn rather than starve it.
const program = Effect.gen(function*() {
  const memory = yield* Limiter.semaphore(8, { name: "memory (GB)" })
  const log: Array<string> = []
  const job = (name: string, gb: number) =>
    memory.withPermit(
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        log.push(`${name} (${gb} GB) starts at ${now / 1000} s`)
        yield* Effect.sleep("1 second")
      }),
      { permits: gb }
    )
  yield* TaskGroup.scoped((group) =>
    Effect.forEach(
      [job("A", 5), job("B", 6), job("C", 2)],
      (effect) => group.spawn(effect)
    )
  )
  return log
})

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → [
//     "A (5 GB) starts at 0 s",
//     "B (6 GB) starts at 1 s",
//     "C (2 GB) starts at 1 s"
//   ]
// #endregion example

export { program }
