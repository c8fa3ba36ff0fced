/**
 * Work queues on Redis Streams with a consumer group, shared by every process that opens the same
 * name — the same `WorkQueue` interface as `@taskscope/core`, provided as the `WorkQueue.WorkQueues`
 * service by {@link layer}: switching from `WorkQueue.layerMemory` is a change of Layer.
 *
 * What is guaranteed:
 * - At-least-once delivery: an item leaves the stream only when it is acknowledged — by `taskDone`
 *   (from the fiber that took it), or by `process` / `WorkQueue.consume` when the handler succeeds or
 *   fails. An item whose handler is interrupted (e.g. on shutdown) is given back at once for another
 *   consumer.
 * - A consumer that dies (SIGKILL, crash, lost machine) stops renewing its items; after `claimIdle`
 *   (default 30 s) another consumer reclaims them. A live consumer renews its items every third of
 *   `claimIdle`, so slow handlers are not reclaimed. An item delivered more than `maxDeliveries`
 *   times (default 10: a "poison" item that kills every consumer) goes to the dead-letter stream
 *   `<prefix>:queue:<name>:dead` instead of looping forever; so does an entry that does not decode.
 * - `put` is idempotent under retries (a put retried after a lost reply adds the item once), and
 *   `join` waits across processes until every item ever put has been acknowledged.
 * - Under load, puts (to a queue without a capacity) and acknowledgements travel to Redis in
 *   batches: the ones that arrive while a call is on its way share the next one.
 * - `shutdown` and closing the scope stop *this* consumer: items it was given but had not started
 *   go back to the stream, the rest stay there for the other consumers or the next run.
 * - A lost connection is retried (see `Redis.layer`) and then fails with a typed `BackendError`.
 *
 * Differences from the in-memory queue: FIFO, no priority/LIFO; a given-back item goes to the end of
 * the stream; `taskDone` acknowledges the newest item taken by the calling fiber (call it from the
 * fiber that took the item, as every asyncio worker loop does); `shutdown` never removes items from
 * the shared stream, so `{ immediate: true }` returns none; `capacity` is checked when an item is put
 * (two processes putting at once may both pass the check and exceed it by one each); a `put`
 * interrupted after its item was sent may still have added it (the command is not taken back).
 *
 * @since 0.1.0
 */
import type { Errors } from "@taskscope/core"
import { WorkQueue } from "@taskscope/core"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { decode, durationOr, PositiveDuration } from "./internal/options.js"
import * as internal from "./internal/workQueue.js"
import { Redis } from "./Redis.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Items waiting (not yet delivered) at most; `put` waits while it is reached (default Infinity). */
  readonly capacity?: number
  /** The consumer group (default `"workers"`); every group receives every item. */
  readonly group?: string
  /** How long an unrenewed item waits before another consumer reclaims it (default 30 s). */
  readonly claimIdle?: Duration.DurationInput
  /** Deliveries after which an item goes to the dead letters (default 10). */
  readonly maxDeliveries?: number
  /** How often `join` and a `put` waiting for room ask again (default 100 ms). */
  readonly pollInterval?: Duration.DurationInput
}

const OptionsSchema = Schema.Struct({
  capacity: Schema.optional(Schema.Number.pipe(Schema.filter((n) => n === Infinity || (Number.isInteger(n) && n > 0), {
    message: (issue) => `Expected a positive integer or Infinity, actual ${String(issue.actual)}`
  }))),
  group: Schema.optional(Schema.String.pipe(Schema.minLength(1))),
  claimIdle: Schema.optional(PositiveDuration),
  maxDeliveries: Schema.optional(Schema.Number.pipe(Schema.filter((n) => Number.isInteger(n) && n > 0, {
    message: (issue) => `Expected a positive integer, actual ${String(issue.actual)}`
  }))),
  pollInterval: Schema.optional(PositiveDuration)
})

const Name = Schema.String.pipe(Schema.pattern(/^[\w.:-]+$/, {
  message: (issue) => `Expected a name of letters, digits, '_', '-', '.', ':', actual ${JSON.stringify(issue.actual)}`
}))

const decodeOptions = decode("RedisWorkQueue", OptionsSchema)
const decodeName = decode("RedisWorkQueue", Schema.Struct({ name: Name }))

/**
 * Opens (or joins) the shared queue called `name` as a new consumer; items are encoded with
 * `schema` as JSON. Closing the scope closes the consumer (see the module docs).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { WorkQueue } from "@taskscope/core"
 * import { Redis, RedisWorkQueue } from "@taskscope/redis"
 *
 * const Job = Schema.Struct({ url: Schema.String })
 *
 * const worker = Effect.gen(function*() {
 *   const jobs = yield* RedisWorkQueue.open("jobs", Job, { claimIdle: "1 minute" })
 *   // four workers in this process; run as many processes as you like
 *   return yield* WorkQueue.consume(jobs, { concurrency: 4 }, (job) => Effect.log(`fetching ${job.url}`))
 * }).pipe(Effect.scoped, Effect.provide(Redis.layer({ url: "redis://127.0.0.1:6379" })))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const open = <A, I>(
  name: string,
  schema: Schema.Schema<A, I>,
  options?: Options
): Effect.Effect<
  WorkQueue.WorkQueue<A, Errors.BackendError>,
  Errors.InvalidOptionsError | Errors.BackendError,
  Redis | Scope.Scope
> =>
  Effect.gen(function*() {
    yield* decodeName({ name })
    const o = yield* decodeOptions(options)
    const { client } = yield* Redis
    return yield* internal.make(client, {
      name,
      capacity: o.capacity ?? Infinity,
      group: o.group ?? "workers",
      claimIdle: durationOr(o.claimIdle, "30 seconds"),
      maxDeliveries: o.maxDeliveries ?? 10,
      pollInterval: durationOr(o.pollInterval, "100 millis")
    }, schema)
  })

/**
 * The `WorkQueue.WorkQueues` service on Redis; `options` apply to every queue it opens (a
 * `capacity` given to `open` wins).
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { WorkQueue } from "@taskscope/core"
 * import { Redis, RedisWorkQueue } from "@taskscope/redis"
 *
 * const program = Effect.gen(function*() {
 *   const queues = yield* WorkQueue.WorkQueues
 *   const jobs = yield* queues.open("jobs", Schema.Number)
 *   yield* jobs.put(42)
 *   return yield* jobs.process((n) => Effect.succeed(n * 2))
 * }).pipe(Effect.scoped)
 *
 * // one process: WorkQueue.layerMemory; many processes:
 * const Shared = RedisWorkQueue.layer({ claimIdle: "1 minute" }).pipe(
 *   Layer.provide(Redis.layer({ url: "redis://127.0.0.1:6379" }))
 * )
 * const runnable = Effect.provide(program, Shared)
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<WorkQueue.WorkQueues, Errors.InvalidOptionsError, Redis> =>
  Layer.effect(
    WorkQueue.WorkQueues,
    Effect.gen(function*() {
      yield* decodeOptions(options)
      const redis = yield* Redis
      return {
        backend: "redis",
        open: <A, I>(name: string, schema: Schema.Schema<A, I>, openOptions?: { readonly capacity?: number }) =>
          Effect.provideService(open(name, schema, { ...options, ...openOptions }), Redis, redis)
      }
    })
  )
