/**
 * The Redis connection shared by `RedisLimiter` and `RedisWorkQueue`.
 *
 * A health check pings the server every `pingInterval` (default 100 ms). When it gets no answer
 * within `pingTimeout` (default 500 ms) — a stopped server, a dead network path — or the socket
 * closes — a killed or restarted server — the connection is **lost**, within a second of the fault:
 * every command in flight fails at once with a typed `BackendError` (`reason: "unavailable"`), the
 * client reconnects on its own, and {@link connectionChanges} tells the application, once per
 * outage. While it is lost, a command fails at once — or, with `retryFor`, waits at most that long
 * after the loss for the connection to come back. Nothing waits silently on a dead connection, and
 * nothing is written to stdout or stderr: what the library has to say goes through Effect's Logger.
 *
 * @since 0.1.0
 */
import type { Errors } from "@taskscope/core"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type * as Subscribable from "effect/Subscribable"
import * as internal from "./internal/client.js"

/**
 * | option | type | default | rule |
 * | --- | --- | --- | --- |
 * | `url` | string | — | `redis://` or `rediss://` (TLS) |
 * | `prefix` | string | `"taskscope"` | not empty |
 * | `connectTimeout` | Duration input | 800 ms | > 0, finite |
 * | `pingInterval` | Duration input | 100 ms | > 0, finite |
 * | `pingTimeout` | Duration input | 500 ms | > 0, finite |
 * | `commandTimeout` | Duration input | 5 seconds | > 0, finite |
 * | `retryFor` | Duration input | 0 | ≥ 0, finite |
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` for TLS. */
  readonly url: string
  /** Prefix of every key (default `"taskscope"`), so several applications can share one server. */
  readonly prefix?: string
  /** How long one attempt to connect may take: TCP, TLS and the Redis handshake (default 800 ms). */
  readonly connectTimeout?: Duration.DurationInput
  /** How often the health check pings the server (default 100 ms). */
  readonly pingInterval?: Duration.DurationInput
  /** How long the server may stay silent after a ping before the connection is lost (default 500 ms). */
  readonly pingTimeout?: Duration.DurationInput
  /** How long one command may take on a connection that answers pings (default 5 s). */
  readonly commandTimeout?: Duration.DurationInput
  /**
   * How long to wait for an unreachable server before failing (default 0: fail at once): at startup
   * for a server that refuses connections, and after a loss for the commands that wait (see the
   * per-operation contract in the scaling-out guide).
   */
  readonly retryFor?: Duration.DurationInput
}

/**
 * The state of the connection: `Connected` (commands reach the server) or `Lost` (the server
 * stopped answering or closed the connection; the client is reconnecting). It changes once when an
 * outage starts and once when it ends — never back and forth within one outage.
 *
 * - `Connected.since`: when it was (re)connected; `downtime`: how long the outage that just ended
 *   lasted (none for the first connection).
 * - `Lost.since`: when the loss was noticed; `error`: what was seen, as the `BackendError` the
 *   commands fail with (`reason: "unavailable"`, the detail names the server).
 *
 * @example
 * ```ts
 * import { Duration, Effect, Option, Stream } from "effect"
 * import { Redis } from "@taskscope/redis"
 *
 * // one line per change: "Redis lost: …" when an outage starts, "Redis back …" when it ends
 * const describe = Redis.ConnectionState.$match({
 *   Connected: ({ downtime }) =>
 *     `Redis back after ${Option.match(downtime, { onNone: () => "0s", onSome: Duration.format })}`,
 *   Lost: ({ error }) => `Redis lost: ${error.detail}`
 * })
 * const watch = Stream.runForEach(Stream.drop(Redis.connectionChanges, 1), (state) =>
 *   Effect.log(describe(state)))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type ConnectionState = Data.TaggedEnum<{
  Connected: { readonly since: Date; readonly downtime: Option.Option<Duration.Duration> }
  Lost: { readonly since: Date; readonly error: Errors.BackendError }
}>

/**
 * Constructors and matchers of {@link ConnectionState}: `ConnectionState.$is("Lost")(state)`,
 * `ConnectionState.$match(state, { Connected, Lost })`.
 *
 * @example
 * ```ts
 * import { Redis } from "@taskscope/redis"
 *
 * const isDown = Redis.ConnectionState.$is("Lost")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export const ConnectionState = Data.taggedEnum<ConnectionState>()

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
  /** The connection's state: `get` reads it now, `changes` gives it now and then at every change. */
  readonly connection: Subscribable.Subscribable<ConnectionState>
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
 * `InvalidOptionsError` naming the option. Each attempt to connect is bounded by `connectTimeout`
 * (TCP, then TLS for `rediss://`, then the Redis handshake). A server that refuses the connection (or
 * is loading its data) is tried again until `retryFor` has passed; a wrong password, a database that
 * does not exist, a port that is not Redis, a TLS mismatch or a port that never answers fails at once.
 * Each is a `BackendError` (operation `"connect"`) that says what is wrong, what was tried (the URL
 * without its password, with or without TLS) and how long it really took.
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

/**
 * The state of the connection now, and then at every change: one `Lost` when an outage starts, one
 * `Connected` when it ends. Drop the first element to get only the changes.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Redis } from "@taskscope/redis"
 *
 * const program = Effect.gen(function*() {
 *   yield* Effect.forkScoped(
 *     Stream.runForEach(Redis.connectionChanges, (state) => Effect.log(`redis: ${state._tag}`))
 *   )
 *   // ... the application
 * }).pipe(Effect.scoped, Effect.provide(Redis.layer({ url: "redis://127.0.0.1:6379" })))
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const connectionChanges: Stream.Stream<ConnectionState, never, Redis> = Stream.unwrap(
  Effect.map(Redis, (redis) => redis.connection.changes)
)

/**
 * The state of the connection now.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Redis } from "@taskscope/redis"
 *
 * const program = Effect.gen(function*() {
 *   const state = yield* Redis.connectionState
 *   return state._tag === "Connected" ? "up" : `down: ${state.error.detail}`
 * }).pipe(Effect.provide(Redis.layer({ url: "redis://127.0.0.1:6379" })))
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const connectionState: Effect.Effect<ConnectionState, never, Redis> = Effect.flatMap(
  Redis,
  (redis) => redis.connection.get
)
