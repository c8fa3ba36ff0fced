/**
 * Work queues on Redis Streams with a consumer group, shared by every process that opens the same
 * name — the same `WorkQueue` interface as `@taskscope/core`, provided as the `WorkQueue.WorkQueues`
 * service by {@link layer}: switching from `WorkQueue.layerMemory` is a change of Layer.
 *
 * What is guaranteed:
 * - At-least-once delivery: an item leaves the stream only when it is acknowledged — by `taskDone`,
 *   or by `process` / `WorkQueue.consume` when the handler succeeds or fails. An item whose handler
 *   is interrupted (e.g. on shutdown) is given back at once for another consumer.
 * - A consumer that dies (SIGKILL, crash, lost machine) stops renewing its items; after `claimIdle`
 *   (default 30 s) another consumer reclaims them. A live consumer renews its items every third of
 *   `claimIdle`, so slow handlers are not reclaimed. An item delivered more than `maxDeliveries`
 *   times (default 10: a "poison" item that kills every consumer) goes to the dead-letter stream
 *   `<prefix>:queue:<name>:dead` instead of looping forever; so does an entry that does not decode.
 * - `put` is idempotent under retries (a put retried after a lost reply adds the item once), and
 *   `join` waits across processes until every item ever put has been acknowledged.
 * - Under load, puts (to a queue without a capacity) and acknowledgements travel to Redis in
 *   batches: the ones that arrive while a call is on its way share the next one.
 * - `shutdown` stops *this* consumer (a graceful one after it has taken what is left); closing the
 *   scope gives back the items it was given but had not settled; the rest stay in the stream for the
 *   other consumers or the next run.
 * - A lost connection (see `Redis.layer`): waiting takers, `put`, `join` and `taskDone` fail with a
 *   typed `BackendError` within a second (or, with `retryFor`, wait that long for the connection);
 *   `tryPut`, `tryTake`, `size` and `stats` fail at once. Acknowledgements and given-back items never
 *   wait: they go when the connection is back (or the items are reclaimed after `claimIdle`). The
 *   contract, operation by operation, is in the scaling-out guide.
 *
 * Where it differs from the in-memory queue is listed once, on the `WorkQueue` interface of
 * `@taskscope/core` ("Where a shared backend differs"); the conformance suite checks the rest.
 *
 * @since 0.1.0
 */
import { Errors, Options as CoreOptions, WorkQueue } from "@taskscope/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import { clientOf } from "./internal/client.js"
import * as internal from "./internal/workQueue.js"
import { Redis } from "./Redis.js"

/**
 * | option | type | default | rule |
 * | --- | --- | --- | --- |
 * | `capacity` | integer or `Infinity` | `Infinity` | ≥ 1: items waiting to be delivered |
 * | `group` | string | `"workers"` | not empty; every group receives every item |
 * | `claimIdle` | Duration input | 30 seconds | > 0, finite |
 * | `maxDeliveries` | integer | 10 | ≥ 1 |
 * | `pollInterval` | Duration input | 100 ms | > 0, finite |
 *
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
  capacity: Schema.optional(CoreOptions.PositiveIntOrInfinity),
  group: Schema.optional(Schema.String.pipe(Schema.minLength(1))),
  claimIdle: Schema.optional(CoreOptions.PositiveDuration),
  maxDeliveries: Schema.optional(CoreOptions.PositiveInt),
  pollInterval: Schema.optional(CoreOptions.PositiveDuration)
})

const Name = Schema.String.pipe(Schema.pattern(/^[\w.:-]+$/, {
  message: (issue) => `Expected a name of letters, digits, '_', '-', '.', ':', actual ${JSON.stringify(issue.actual)}`
}))

const decodeOptions = CoreOptions.decode("RedisWorkQueue", OptionsSchema)
const decodeName = CoreOptions.decode("RedisWorkQueue", Schema.Struct({ name: Name }))

const configOf = (name: string, options: Options | undefined) =>
  Effect.gen(function*() {
    yield* decodeName({ name })
    const o = yield* decodeOptions(options)
    const config: internal.QueueConfig = {
      name,
      capacity: o.capacity ?? Infinity,
      group: o.group ?? "workers",
      claimIdle: o.claimIdle ?? Duration.seconds(30),
      maxDeliveries: o.maxDeliveries ?? 10,
      pollInterval: o.pollInterval ?? Duration.millis(100)
    }
    return config
  })

/**
 * Opens (or joins) the shared queue called `name` as a new consumer; items are encoded with
 * `schema` as JSON. Closing the scope closes the consumer (see the module docs). Options are decoded
 * once: a bad value is an `InvalidOptionsError` naming the option.
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
    const config = yield* configOf(name, options)
    const redis = yield* Redis
    return yield* internal.make(clientOf(redis), config, schema)
  })

/**
 * The `WorkQueue.WorkQueues` service on Redis; `options` apply to every queue it opens (a
 * `capacity` given to `open` wins). As in memory, one name is one queue: opening a name again gives
 * the same consumer when the capacity is equal, and fails with `InvalidOptionsError` when it differs.
 * The consumers live as long as the layer; releasing it gives back what they hold.
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
  Layer.scoped(
    WorkQueue.WorkQueues,
    Effect.gen(function*() {
      yield* decodeOptions(options)
      const redis = yield* Redis
      const scope = yield* Effect.scope
      const opened = new Map<string, WorkQueue.WorkQueue<any, Errors.BackendError>>()
      // one open at a time, so that two callers of one name get one consumer
      const lock = yield* Effect.makeSemaphore(1)
      const queues: WorkQueue.WorkQueues = {
        backend: "redis",
        open: <A, I>(name: string, schema: Schema.Schema<A, I>, openOptions?: { readonly capacity?: number }) =>
          lock.withPermits(1)(Effect.gen(function*() {
            const config = yield* configOf(name, { ...options, ...openOptions })
            const found = opened.get(name)
            if (found !== undefined) {
              if (found.capacity === config.capacity) return found as WorkQueue.WorkQueue<A, Errors.BackendError>
              return yield* Effect.fail(
                new Errors.InvalidOptionsError({
                  subject: "WorkQueues.open",
                  detail:
                    `"${name}" was opened with capacity ${found.capacity}; this call asks for ${config.capacity} (one name, one queue: use another name, or the same capacity)`
                })
              )
            }
            // the consumer lives as long as the layer
            const queue = yield* Scope.extend(internal.make(clientOf(redis), config, schema), scope)
            opened.set(name, queue)
            return queue
          }))
      }
      return queues
    })
  )
