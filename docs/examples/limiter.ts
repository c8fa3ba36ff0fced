import { Limiter, TaskGroup } from "@taskscope/core"
import { Effect } from "effect"

// A fair semaphore: three workers taking turns twice each come out 1,2,3,1,2,3.
const fairness = Effect.gen(function*() {
  const mutex = yield* Limiter.semaphore(1)
  const order: Array<number> = []
  const worker = (id: number) =>
    Effect.forEach(
      [1, 2],
      () => mutex.withPermit(Effect.sync(() => order.push(id)).pipe(Effect.zipRight(Effect.sleep(10))))
    )
  yield* TaskGroup.scoped((group) => Effect.forEach([1, 2, 3], (id) => group.spawn(worker(id))))
  return order
})

// A polite client: 2 requests per second, exactly; a 429 pauses everyone; each waiter says why.
const polite = Effect.gen(function*() {
  const api = yield* Limiter.make({
    concurrency: 4,
    rate: { limit: 2, interval: "1 second", algorithm: "slidingWindow" }
  })
  yield* api.pause("3 seconds") // the server said Retry-After: 3
  const waiting = yield* TaskGroup.scoped((group) =>
    Effect.gen(function*() {
      yield* Effect.forEach([1, 2, 3], () => group.spawn(api.withPermit(Effect.void)))
      yield* Effect.sleep("1 second")
      return (yield* api.stats).waiters.map((w) => w.reason)
    })
  )
  return waiting
})

export const program = Effect.all({ fairness, polite })

export const expected = { fairness: [1, 2, 3, 1, 2, 3], polite: ["paused", "queue", "queue"] }
