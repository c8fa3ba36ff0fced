/**
 * The Redis connection shared by `RedisLimiter` and `RedisWorkQueue`.
 *
 * Every command is bounded by `commandTimeout` (default 5 s). When the connection is lost or the
 * server restarts, commands are retried with backoff (50 ms doubling, at most 1 s apart) for up to
 * `retryFor` (default 30 s) while the client reconnects; after that they fail with a typed
 * `BackendError` (`reason: "unavailable"` or `"timeout"`). Nothing waits silently on a dead
 * connection: the client never queues commands while disconnected.
 *
 * @since 0.1.0
 */
import type { Errors } from "@taskscope/core"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as internal from "./internal/client.js"

/**
 * | option | type | default | rule |
 * | --- | --- | --- | --- |
 * | `url` | string | — | `redis://` or `rediss://` (TLS) |
 * | `prefix` | string | `"taskscope"` | not empty |
 * | `commandTimeout` | Duration input | 5 seconds | > 0, finite |
 * | `retryFor` | Duration input | 30 seconds | ≥ 0, finite |
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` for TLS. */
  readonly url: string
  /** Prefix of every key (default `"taskscope"`), so several applications can share one server. */
  readonly prefix?: string
  /** How long one command may take (default 5 s). */
  readonly commandTimeout?: Duration.DurationInput
  /** How long to keep retrying while the server is unreachable (default 30 s). */
  readonly retryFor?: Duration.DurationInput
}

/**
 * The connection, as a service: made by {@link layer}, used by `RedisLimiter` and `RedisWorkQueue`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Redis {
  /** Prefix of every key. */
  readonly prefix: string
  /** The server's URL, without its password. */
  readonly url: string
}

/**
 * The tag of the {@link Redis} service.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Redis } from "@taskscope/redis"
 *
 * const program = Effect.gen(function*() {
 *   const redis = yield* Redis.Redis
 *   return `${redis.url} (keys under ${redis.prefix})`
 * }).pipe(Effect.provide(Redis.layer({ url: "redis://127.0.0.1:6379" })))
 * ```
 *
 * @since 0.1.0
 * @category services
 */
export const Redis: Context.Tag<Redis, Redis> = Context.GenericTag<Redis>("@taskscope/redis/Redis")

/**
 * Connects and checks that the server answers as Redis does, and disconnects when the Layer is
 * released. Bad options (a URL that is not `redis://` or `rediss://`, a bad duration) are an
 * `InvalidOptionsError` naming the option. A server that refuses the connection or cannot be reached
 * is retried for `retryFor`; a wrong password, a database that does not exist, a port that is not
 * Redis or a TLS mismatch fails at once. Each is a `BackendError` (operation `"connect"`) that says
 * what is wrong and where — the URL without its password.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Redis, RedisLimiter, RedisWorkQueue } from "@taskscope/redis"
 *
 * const RedisLive = Redis.layer({ url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379", prefix: "myapp" })
 * const Shared = Layer.mergeAll(RedisLimiter.layer, RedisWorkQueue.layer()).pipe(Layer.provide(RedisLive))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<Redis, Errors.InvalidOptionsError | Errors.BackendError> =>
  Layer.scoped(
    Redis,
    Effect.gen(function*() {
      const config = yield* internal.decodeConfig(options)
      const client = yield* internal.make(config)
      return new internal.Connection(config.prefix, client)
    })
  )
