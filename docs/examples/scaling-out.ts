// #region example
import { Limiter, TaskGroup, WorkQueue } from "@taskscope/core"
import { Redis, RedisLimiter, RedisWorkQueue } from "@taskscope/redis"
import { Effect, Layer, Schema } from "effect"

const Job = Schema.Struct({ symbol: Schema.String })

// The application asks the services for its limiter and queue by name...
const app = Effect.gen(function*() {
  const limiters = yield* Limiter.Limiters
  const queues = yield* WorkQueue.WorkQueues
  const exchange = yield* limiters.make({
    name: "exchange",
    concurrency: 4,
    rate: { limit: 20, interval: "1200 millis", algorithm: "slidingWindow" }
  })
  const jobs = yield* queues.open("jobs", Job)
  const fetched: Array<string> = []
  const fetch = (job: typeof Job.Type) =>
    exchange.withPermit(Effect.sync(() => fetched.push(job.symbol)))
  yield* TaskGroup.scoped((group) =>
    Effect.gen(function*() {
      const workers = yield* group.spawn(
        WorkQueue.consume(jobs, { concurrency: 2 }, fetch)
      )
      yield* Effect.forEach(["BTC", "ETH", "SOL"], (symbol) =>
        jobs.put({ symbol }))
      yield* jobs.join // every job acknowledged, by whichever process took it
      yield* jobs.shutdown() // then this process's workers stop
      yield* workers.join
    })
  )
  // ...and runs the same whether they live here or are shared by many
  return { backend: limiters.backend, fetched: fetched.sort() }
}).pipe(Effect.scoped)

// One process: in memory.
const inMemory = Layer.merge(Limiter.layerMemory, WorkQueue.layerMemory)

// Many processes: the same code on the Redis layers, the one line to change.
const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379"
const shared = Layer.mergeAll(
  RedisLimiter.layer,
  RedisWorkQueue.layer({ claimIdle: "30 seconds" })
).pipe(Layer.provide(Redis.layer({ url, prefix: `example-${process.pid}` })))

const program = Effect.all([
  Effect.provide(app, inMemory),
  Effect.provide(app, shared)
])

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → [
//     { backend: "memory", fetched: ["BTC", "ETH", "SOL"] },
//     { backend: "redis", fetched: ["BTC", "ETH", "SOL"] }
//   ]
// #endregion example

export { program }

/** A real Redis server (REDIS_URL) and the real clock. */
export const runs = "live"
