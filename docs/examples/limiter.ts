// #region example
import { Limiter, TaskGroup } from "@taskscope/core"
import { Effect } from "effect"

// A fair semaphore: three workers taking turns twice each come out
// 1, 2, 3, 1, 2, 3 — a later request never overtakes a waiting one.
const fairness = Effect.gen(function*() {
  const mutex = yield* Limiter.semaphore(1)
  const order: Array<number> = []
  const work = (id: number) =>
    mutex.withPermit(
      Effect.sync(() => order.push(id)).pipe(Effect.zipRight(Effect.sleep(10)))
    )
  yield* TaskGroup.scoped((group) =>
    Effect.forEach(
      [1, 2, 3],
      (id) => group.spawn(Effect.forEach([1, 2], () => work(id)))
    )
  )
  return order
})

// A polite client: 2 requests per second, exactly; a 429 pauses everyone,
// and each waiter says why it waits.
const polite = Effect.gen(function*() {
  const api = yield* Limiter.make({
    concurrency: 4,
    rate: { limit: 2, interval: "1 second", algorithm: "slidingWindow" }
  })
  yield* api.pause("3 seconds") // the server said Retry-After: 3
  return yield* TaskGroup.scoped((group) =>
    Effect.gen(function*() {
      yield* Effect.forEach([1, 2, 3], () =>
        group.spawn(api.withPermit(Effect.void)))
      yield* Effect.sleep("1 second")
      const stats = yield* api.stats
      return stats.waiters.map((w) =>
        w.reason
      )
    })
  )
})

const program = Effect.all({ fairness, polite })

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → {
//     fairness: [1, 2, 3, 1, 2, 3],
//     polite: ["paused", "queue", "queue"]
//   }
// #endregion example

export { program }
