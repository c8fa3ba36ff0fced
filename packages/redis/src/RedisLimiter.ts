/**
 * Limiters whose state lives in Redis, so that every process that uses the same name shares one
 * limit — the same `Limiter` interface as `@taskscope/core`, provided as the `Limiter.Limiters`
 * service by {@link layer}: switching from `Limiter.layerMemory` is a change of Layer.
 *
 * What is guaranteed:
 * - Rate: an atomic Lua script on the Redis server's clock decides every start — an exact sliding
 *   window (at most `limit` starts in any window of `interval`, across all processes together) or a
 *   GCRA token bucket. `pause` (a 429's Retry-After) stops every process until it ends.
 * - Concurrency: a permit is a lease with a time-to-live (`leaseTtl`, default 10 s) that a heartbeat
 *   renews every third of it while the permit is held. A process that dies stops renewing, and its
 *   permits come back after at most `leaseTtl`. A process that stalls for longer than `leaseTtl`
 *   (e.g. a frozen VM) loses its lease — the limit may then be exceeded once; a warning is logged.
 * - Order: waiters for permits queue in Redis in the order their first request reached the server,
 *   across processes; a waiter whose process died leaves the queue after `leaseTtl`. Rate waits are
 *   FIFO within a process (one caller per process asks Redis at a time); across processes whoever
 *   asks first after the window frees up goes first.
 * - Interruption: a waiter interrupted at any point — even after Redis granted it — gives the
 *   permits back.
 * - Failure: a lost connection is retried (see `Redis.layer`) and then fails with a typed
 *   `BackendError`; a permit is never assumed.
 *
 * Differences from the in-memory limiter: `release` gives back a lease this process holds (the
 * calling fiber's newest of that size, else the oldest) and fails with `OverReleaseError` when it
 * holds none; `stats` reads the shared state (waiters' `waitingFor` is not tracked).
 *
 * @since 0.1.0
 */
import type { Errors } from "@taskscope/core"
import { Limiter } from "@taskscope/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as internal from "./internal/limiter.js"
import { decode, durationOr, PositiveDuration } from "./internal/options.js"
import { Redis } from "./Redis.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends Limiter.Options {
  /** Processes that use the same name (and Redis prefix) share the limiter. */
  readonly name: string
  /** How long a permit outlives a process that stopped renewing it (default 10 s). */
  readonly leaseTtl?: Duration.DurationInput
  /** How often a waiter asks Redis again when nothing woke it sooner (default 25 ms). */
  readonly pollInterval?: Duration.DurationInput
}

const ExtraSchema = Schema.Struct({
  name: Schema.String.pipe(Schema.minLength(1)),
  leaseTtl: Schema.optional(PositiveDuration),
  pollInterval: Schema.optional(PositiveDuration)
})

const decodeExtra = decode("RedisLimiter", ExtraSchema)

/**
 * Makes (or joins) the shared limiter called `options.name`. Options are validated as for
 * `Limiter.make`; the latest process to make it sets its concurrency limit.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Redis, RedisLimiter } from "@taskscope/redis"
 *
 * const program = Effect.gen(function*() {
 *   // every process together: at most 50 requests per second, 8 in flight
 *   const api = yield* RedisLimiter.make({
 *     name: "exchange",
 *     concurrency: 8,
 *     rate: { limit: 50, interval: "1 second", algorithm: "slidingWindow" }
 *   })
 *   return yield* api.withPermit(Effect.succeed("response"))
 * }).pipe(Effect.scoped, Effect.provide(Redis.layer({ url: "redis://127.0.0.1:6379" })))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options
): Effect.Effect<
  Limiter.Limiter<Errors.BackendError>,
  Errors.InvalidOptionsError | Errors.BackendError,
  Redis | Scope.Scope
> =>
  Effect.gen(function*() {
    const { leaseTtl, name, pollInterval, ...core } = options
    const extra = yield* decodeExtra({
      name,
      ...(leaseTtl === undefined ? {} : { leaseTtl }),
      ...(pollInterval === undefined ? {} : { pollInterval })
    })
    // the same rules as the in-memory limiter
    yield* Limiter.make({ ...core, name })
    const { client } = yield* Redis
    const rate = core.rate
    return yield* internal.make(client, {
      name: extra.name,
      concurrency: core.concurrency ?? Infinity,
      rate: rate === undefined ? undefined : {
        algorithm: rate.algorithm ?? "tokenBucket",
        limit: rate.limit,
        intervalMs: Duration.toMillis(rate.interval),
        burst: rate.burst ?? rate.limit
      },
      leaseTtl: durationOr(extra.leaseTtl, "10 seconds"),
      pollInterval: durationOr(extra.pollInterval, "25 millis")
    })
  })

/**
 * A limiter per key, shared across processes: the limiter of `key` is called `${name}:${String(key)}`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Redis, RedisLimiter } from "@taskscope/redis"
 *
 * const program = Effect.gen(function*() {
 *   const perHost = yield* RedisLimiter.keyed("hosts", (_host: string) => ({
 *     rate: { limit: 20, interval: "1 second", algorithm: "slidingWindow" }
 *   }))
 *   return yield* perHost.withPermit("api.example", Effect.succeed("ok"))
 * }).pipe(Effect.scoped, Effect.provide(Redis.layer({ url: "redis://127.0.0.1:6379" })))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const keyed = <K>(
  name: string,
  optionsFor: (key: K) => Limiter.Options & Pick<Options, "leaseTtl" | "pollInterval">
): Effect.Effect<
  Limiter.Keyed<K, Errors.BackendError>,
  Errors.InvalidOptionsError | Errors.BackendError,
  Redis | Scope.Scope
> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const redis = yield* Redis
    const limiters = new Map<K, Limiter.Limiter<Errors.BackendError>>()
    const get = (key: K) =>
      Effect.suspend(() => {
        const found = limiters.get(key)
        if (found !== undefined) return Effect.succeed(found)
        return make({ ...optionsFor(key), name: `${name}:${String(key)}` }).pipe(
          Scope.extend(scope),
          Effect.provideService(Redis, redis),
          Effect.tap((limiter) => Effect.sync(() => limiters.set(key, limiter)))
        )
      })
    const keyedLimiter: Limiter.Keyed<K, Errors.BackendError> = {
      withPermit: (key, effect, options) => Effect.flatMap(get(key), (limiter) => limiter.withPermit(effect, options)),
      get,
      pause: (key, duration) => Effect.flatMap(get(key), (limiter) => limiter.pause(duration)),
      stats: Effect.map(
        Effect.forEach([...limiters], ([key, limiter]) => Effect.map(limiter.stats, (stats) => [key, stats] as const)),
        (entries) => new Map(entries)
      ),
      size: Effect.sync(() => limiters.size)
    }
    return keyedLimiter
  })

/**
 * The `Limiter.Limiters` service on Redis: swap it for `Limiter.layerMemory` and every limiter the
 * code asks for is shared by all processes.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Limiter } from "@taskscope/core"
 * import { Redis, RedisLimiter } from "@taskscope/redis"
 *
 * const program = Effect.gen(function*() {
 *   const limiters = yield* Limiter.Limiters
 *   const api = yield* limiters.make({ name: "exchange", rate: { limit: 50, interval: "1 second" } })
 *   return yield* api.withPermit(Effect.succeed("response"))
 * }).pipe(Effect.scoped)
 *
 * // one process: Limiter.layerMemory; many processes:
 * const Shared = RedisLimiter.layer.pipe(Layer.provide(Redis.layer({ url: "redis://127.0.0.1:6379" })))
 * const runnable = Effect.provide(program, Shared)
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Limiter.Limiters, never, Redis> = Layer.effect(
  Limiter.Limiters,
  Effect.map(Redis, (redis) => ({
    backend: "redis",
    make: (options: Limiter.Options & { readonly name: string }) => Effect.provideService(make(options), Redis, redis),
    keyed: <K>(name: string, optionsFor: (key: K) => Limiter.Options) =>
      Effect.provideService(keyed(name, optionsFor), Redis, redis)
  }))
)
