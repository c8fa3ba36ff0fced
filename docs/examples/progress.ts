import { Progress, TaskGroup } from "@taskscope/core"
import { Effect } from "effect"

// "n of m done", rolled up a tree of groups.
export const program = Effect.gen(function*() {
  const crawl = yield* Progress.make("crawl")
  const pages = yield* crawl.child("pages")
  const mid = yield* TaskGroup.scoped((group) =>
    Effect.gen(function*() {
      yield* group.spawn(
        TaskGroup.scoped((inner) => Effect.forEach([1, 2, 3, 4], (n) => inner.spawn(Effect.sleep(n * 100))), {
          progress: pages
        })
      )
      yield* Effect.sleep("250 millis")
      return Progress.format(yield* crawl.snapshot)
    }), { progress: crawl })
  return { mid, end: Progress.format(yield* crawl.snapshot) }
})

export const expected = { mid: "crawl: 2 of 5 done (40%)", end: "crawl: 5 of 5 done (100%)" }
