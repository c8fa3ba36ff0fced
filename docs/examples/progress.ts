// #region example
import { Progress, TaskGroup } from "@taskscope/core"
import { Effect } from "effect"

// "n of m done", rolled up a tree: a crawl spawns one task that crawls four
// pages in a nested group; the root counts all five.
const program = Effect.gen(function*() {
  const crawl = yield* Progress.make("crawl")
  const pages = yield* crawl.child("pages")
  const crawlPages = TaskGroup.scoped(
    (inner) =>
      Effect.forEach([1, 2, 3, 4], (n) => inner.spawn(Effect.sleep(n * 100))),
    { progress: pages }
  )
  const midway = yield* TaskGroup.scoped((group) =>
    Effect.gen(function*() {
      yield* group.spawn(crawlPages)
      yield* Effect.sleep("250 millis")
      return Progress.format(yield* crawl.snapshot)
    }), { progress: crawl })
  return { midway, end: Progress.format(yield* crawl.snapshot) }
})

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → {
//     midway: "crawl: 2 of 5 done (40%)",
//     end: "crawl: 5 of 5 done (100%)"
//   }
// #endregion example

export { program }
