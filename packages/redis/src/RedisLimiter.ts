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
 * - A lost connection (see `Redis.layer`): every waiter — for a permit or for the rate — fails with a
 *   typed `BackendError` within a second (or, with `retryFor`, waits that long for the connection);
 *   `tryAcquire` and `stats` fail at once; a permit is never assumed. Giving permits back never waits:
 *   what could not be given back is given back when the connection is back (else the lease expires
 *   after `leaseTtl`). The contract, operation by operation, is in the scaling-out guide.
 *
 * Where it differs from the in-memory limiter is listed once, on the `Limiter` interface of
 * `@taskscope/core` ("Where a shared backend differs"); the conformance suite checks the rest.
 *
 * @since 0.1.0
 */
import { Errors, Limiter, Options as CoreOptions } from "@taskscope/core"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import { clientOf } from "./internal/client.js"
import * as internal from "./internal/limiter.js"
import { Redis } from "./Redis.js"

/**
 * The options of `Limiter.make`, and:
 *
 * | option | type | default | rule |
 * | --- | --- | --- | --- |
 * | `name` | string | — | required, not empty: processes that use the same name share the limiter |
 * | `leaseTtl` | Duration input | 10 seconds | > 0, finite |
 * | `pollInterval` | Duration input | 25 ms | > 0, finite |
 *
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
  leaseTtl: Schema.optional(CoreOptions.PositiveDuration),
  pollInterval: Schema.optional(CoreOptions.PositiveDuration)
})

const decodeExtra = CoreOptions.decode("RedisLimiter", ExtraSchema)
const decodeCore = CoreOptions.decode("RedisLimiter", Limiter.OptionsSchema)

interface Decoded {
  readonly config: internal.LimiterConfig
  /** The limits in words, to tell whether two calls for one name ask for the same. */
  readonly fingerprint: string
}

const decode = (options: Options): Effect.Effect<Decoded, Errors.InvalidOptionsError> =>
  Effect.gen(function*() {
    const { leaseTtl, name, pollInterval, ...limits } = options
    const extra = yield* decodeExtra({
      name,
      ...(leaseTtl === undefined ? {} : { leaseTtl }),
      ...(pollInterval === undefined ? {} : { pollInterval })
    })
    const core = yield* decodeCore(limits)
    const rate = core.rate
    const config: internal.LimiterConfig = {
      name: extra.name,
      concurrency: core.concurrency ?? Infinity,
      rate: rate === undefined ? undefined : {
        algorithm: rate.algorithm ?? "tokenBucket",
        limit: rate.limit,
        intervalMs: Duration.toMillis(Duration.decode(rate.interval)),
        burst: rate.burst ?? rate.limit
      },
      leaseTtl: extra.leaseTtl ?? Duration.seconds(10),
      pollInterval: extra.pollInterval ?? Duration.millis(25)
    }
    return { config, fingerprint: fingerprintOf(config) }
  })

const fingerprintOf = (config: internal.LimiterConfig): string => {
  const parts = [`concurrency: ${config.concurrency}`]
  const rate = config.rate
  if (rate !== undefined) {
    parts.push(
      `rate: ${rate.limit} per ${Duration.format(Duration.millis(rate.intervalMs))} (${rate.algorithm}${
        rate.algorithm === "tokenBucket" ? `, burst ${rate.burst}` : ""
      })`
    )
  }
  parts.push(`leaseTtl: ${Duration.format(config.leaseTtl)}`, `pollInterval: ${Duration.format(config.pollInterval)}`)
  return `{ ${parts.join(", ")} }`
}

const internalConflict = (subject: string, name: string, was: string, now: string) =>
  new Errors.InvalidOptionsError({
    subject,
    detail:
      `"${name}" was made with ${was}; this call asks for ${now} (one name, one set of limits: use another name, or the same options)`
  })

/**
 * Makes (or joins) the shared limiter called `options.name`. Options are decoded once, with the rules
 * of `Limiter.make` (a bad value is an `InvalidOptionsError`); the latest process to make it sets its
 * concurrency limit.
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
    const { config } = yield* decode(options)
    const redis = yield* Redis
    return yield* internal.make(clientOf(redis), config)
  })

/** Makes the limiter of one key: its options are code, so a bad value is a defect naming the key. */
const makeKey = (keyed: string, redis: Redis) => (key: unknown, options: internal.KeyOptions) =>
  Effect.flatMap(
    Effect.orDieWith(
      decode({ ...options, name: internal.keyName(keyed, key) }),
      (e) =>
        new Cause.IllegalArgumentException(
          `Limiter.keyed "${keyed}", key ${typeof key === "string" ? JSON.stringify(key) : String(key)}: ${e.detail}`
        )
    ),
    ({ config }) => internal.make(clientOf(redis), config)
  )

const KeyedSchema = Schema.Struct({ idleTimeout: Schema.optional(CoreOptions.PositiveDuration) })
const decodeKeyed = CoreOptions.decode("RedisLimiter.keyed", KeyedSchema)

/**
 * A limiter per key, shared across processes: the limiter of `key` is called `${name}:${String(key)}`,
 * made on first use; the local handle of a key idle for `idleTimeout` (default 60 s) is closed — its
 * state stays in Redis.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Redis, RedisLimiter } from "@taskscope/redis"
 *
 * const program = Effect.gen(function*() {
 *   const perHost = yield* RedisLimiter.keyed("hosts", (_host: string) => ({
 *     rate: { limit: 20, interval: "1 second", algorithm: "slidingWindow" }
 *   }), { idleTimeout: "5 minutes" })
 *   return yield* perHost.withPermit("api.example", Effect.succeed("ok")) // limiter "hosts:api.example"
 * }).pipe(Effect.scoped, Effect.provide(Redis.layer({ url: "redis://127.0.0.1:6379" })))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const keyed = <K>(
  name: string,
  optionsFor: (key: K) => Limiter.Options & Pick<Options, "leaseTtl" | "pollInterval">,
  options?: Omit<Limiter.KeyedOptions, "name">
): Effect.Effect<
  Limiter.Keyed<K, Errors.BackendError>,
  Errors.InvalidOptionsError,
  Redis | Scope.Scope
> =>
  Effect.gen(function*() {
    const decoded = yield* decodeKeyed(options)
    const redis = yield* Redis
    const scope = yield* Effect.scope
    return new internal.RedisKeyed<K>(
      name,
      optionsFor,
      decoded.idleTimeout === undefined ? 60_000 : Duration.toMillis(decoded.idleTimeout),
      makeKey(name, redis),
      scope
    )
  })

/**
 * The `Limiter.Limiters` service on Redis: swap it for `Limiter.layerMemory` and every limiter the
 * code asks for is shared by all processes. As in memory, one name is one set of limits: asking again
 * for a name gives the same limiter when the options are equal and fails with `InvalidOptionsError`
 * when they differ. The limiters live as long as the layer.
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
export const layer: Layer.Layer<Limiter.Limiters, never, Redis> = Layer.scoped(
  Limiter.Limiters,
  Effect.gen(function*() {
    const redis = yield* Redis
    const scope = yield* Effect.scope
    const made = new Map<string, { readonly limiter: Limiter.Limiter<Errors.BackendError>; readonly print: string }>()
    const keyeds = new Map<
      string,
      { readonly keyed: Limiter.Keyed<any, Errors.BackendError>; readonly optionsFor: unknown; readonly print: string }
    >()
    // one make at a time, so that two callers of one name get one limiter
    const lock = yield* Effect.makeSemaphore(1)
    const limiters: Limiter.Limiters = {
      backend: "redis",
      make: (options) =>
        lock.withPermits(1)(Effect.gen(function*() {
          const { config, fingerprint } = yield* decode(options)
          const found = made.get(config.name)
          if (found !== undefined) {
            if (found.print === fingerprint) return found.limiter
            return yield* Effect.fail(internalConflict("Limiters.make", config.name, found.print, fingerprint))
          }
          // the limiter lives as long as the layer
          const limiter = yield* Scope.extend(internal.make(clientOf(redis), config), scope)
          made.set(config.name, { limiter, print: fingerprint })
          return limiter
        })),
      keyed: <K>(name: string, optionsFor: (key: K) => Limiter.Options, options?: Omit<Limiter.KeyedOptions, "name">) =>
        lock.withPermits(1)(Effect.gen(function*() {
          const decoded = yield* decodeKeyed(options)
          const print = `{ idleTimeout: ${Duration.format(decoded.idleTimeout ?? Duration.seconds(60))} }`
          const found = keyeds.get(name)
          if (found !== undefined) {
            if (found.optionsFor !== optionsFor) {
              return yield* Effect.fail(
                new Errors.InvalidOptionsError({
                  subject: "Limiters.keyed",
                  detail:
                    `"${name}" was made with another optionsFor function (one name, one set of limits: pass the same function, or use another name)`
                })
              )
            }
            if (found.print !== print) {
              return yield* Effect.fail(internalConflict("Limiters.keyed", name, found.print, print))
            }
            return found.keyed as Limiter.Keyed<K, Errors.BackendError>
          }
          const keyed = new internal.RedisKeyed<K>(
            name,
            optionsFor,
            decoded.idleTimeout === undefined ? 60_000 : Duration.toMillis(decoded.idleTimeout),
            makeKey(name, redis),
            scope
          )
          keyeds.set(name, { keyed, optionsFor, print })
          return keyed
        }))
    }
    return limiters
  })
)
