/**
 * Limiters: one FIFO pipeline that combines a concurrency limit (a semaphore with weighted
 * permits), a rate (token bucket or exact sliding window, with a cost per call) and a pause (for a
 * server's `Retry-After`), and that can say, for each waiting caller, which constraint holds it back.
 *
 * How it differs from Effect's own:
 * - Strict FIFO: a waiter is never overtaken by a later request, even a smaller one that would fit
 *   (Effect's `Semaphore` lets later requests barge in when permits free up).
 * - A release wakes exactly the waiters it can grant, in order (Effect 3's semaphore wakes every
 *   waiter on each release, so contention costs grow with the square of the waiters).
 * - Leak-proof under interruption at any point: a waiter granted just before it was interrupted
 *   gives its permits (and rate tokens) back; nothing is lost or granted twice.
 * - Introspection: capacity, available, holders by task name, and each waiter's reason
 *   (`"concurrency"`, `"rate"`, `"paused"`, or `"queue"` — behind an earlier waiter).
 * - Effect's `RateLimiter` is a token bucket or fixed window without pause or introspection; the
 *   sliding window here is exact: in every window of the interval, at most `limit` units start.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type { Inspectable } from "effect/Inspectable"
import * as Layer from "effect/Layer"
import type { Pipeable } from "effect/Pipeable"
import type * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type { BackendError, InvalidOptionsError } from "./Errors.js"
import { OverReleaseError } from "./Errors.js"
import * as internal from "./internal/limiter.js"

/**
 * @since 0.1.0
 * @category errors
 */
export { OverReleaseError }

/**
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * @since 0.1.0
 * @category symbols
 */
export type TypeId = typeof TypeId

/**
 * Why a waiting caller cannot start: the limiter is paused, all permits are held, the rate is
 * spent, or it is queued behind an earlier waiter.
 *
 * @since 0.1.0
 * @category models
 */
export type Reason = "paused" | "concurrency" | "rate" | "queue"

/**
 * @since 0.1.0
 * @category models
 */
export interface RateStats {
  readonly algorithm: "tokenBucket" | "slidingWindow"
  readonly limit: number
  readonly interval: Duration.Duration
  /** Tokens in the bucket, or starts left in the current window. */
  readonly available: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface WaiterInfo {
  readonly name: string
  readonly permits: number
  readonly cost: number
  readonly reason: Reason
  readonly waitingFor: Duration.Duration
}

/**
 * A snapshot of a limiter.
 *
 * @since 0.1.0
 * @category models
 */
export interface Stats {
  readonly name: string
  readonly capacity: number
  readonly available: number
  readonly held: number
  /** Who holds permits, by task name (or fiber id outside tasks). */
  readonly holders: ReadonlyArray<{ readonly name: string; readonly permits: number }>
  readonly waiting: number
  /** Every waiter in order, with the reason it waits. */
  readonly waiters: ReadonlyArray<WaiterInfo>
  /** How long the limiter stays paused (zero when it is not). */
  readonly pausedFor: Duration.Duration
  readonly rate: RateStats | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface AcquireOptions {
  /** Concurrency permits (default 1 when there is a concurrency limit, else 0). */
  readonly permits?: number
  /** Rate units this call costs (default 1). */
  readonly cost?: number
}

/**
 * A limiter: concurrency, rate and pause in one FIFO pipeline.
 *
 * `BE` is the error of the backend that keeps the limiter's state: `never` for the in-memory
 * limiters made here, {@link BackendError} for shared ones (e.g. `@taskscope/redis`), whose state
 * lives in another process that can be out of reach.
 *
 * **The contract** every backend keeps (checked by one conformance suite, in memory and on Redis):
 * - Strict FIFO: callers are granted in the order they asked; a later, smaller request never
 *   overtakes a waiting one. Weighted permits (`permits`) and rate units (`cost`) per call.
 * - The rate: at most `limit` units start in any window of `interval` (sliding window), or a bucket
 *   of `burst` refilled at `limit` per `interval` (token bucket). `pause(d)` stops every start until
 *   `d` has passed; it only ever extends a pause, and callers already running are not affected.
 * - Leak-proof: a caller interrupted at any point — waiting, or granted in the same instant — gives
 *   its permits (and rate units) back. `withPermit` releases when the effect ends, however it ends.
 * - A capacity of 0 is a locked limiter (asyncio's `Semaphore(0)`): callers wait for `resize` (or,
 *   in memory, `release`).
 * - A bad argument written at a call site (`permits: -1`, `cost: NaN`, more permits than the
 *   capacity, a cost the rate can never allow, `pause(NaN)`) is a defect naming the function and the
 *   value; options that come from outside are decoded once, by `make` and the {@link Limiters}
 *   service, with a typed `InvalidOptionsError`.
 *
 * **Where a shared backend differs** (`@taskscope/redis`; the one place these are listed):
 * - `release(n)` gives back a lease of `n` permits this process holds (the calling fiber's newest,
 *   else the oldest) and fails with `OverReleaseError` when it holds none: it cannot add permits
 *   beyond the capacity, as the in-memory `release` of an unbounded semaphore can.
 * - Time is the Redis server's clock: rate windows and pauses run in real time, never on the TestClock.
 * - Order across processes: permits are granted in the order requests reached Redis; rate waits are
 *   FIFO within a process, and across processes the first to ask after the window frees goes first.
 * - `stats` reads the shared state: `waiters` list every process's waiters, without `waitingFor`
 *   (zero) and with `permits`/`cost` of 1.
 *
 * @since 0.1.0
 * @category models
 */
export interface Limiter<out BE = never> extends Pipeable, Inspectable {
  readonly [TypeId]: TypeId
  readonly name: string
  /** Runs `effect` once the caller's turn comes and every constraint allows; releases permits after. */
  withPermit<A, E, R>(effect: Effect.Effect<A, E, R>, options?: AcquireOptions): Effect.Effect<A, E | BE, R>
  /** Waits for permits (and rate units); pair with `release`. Prefer `withPermit`. */
  acquire(options?: AcquireOptions): Effect.Effect<void, BE>
  /** Takes permits only if the caller could start right now, never past a waiting caller; never waits. */
  tryAcquire(options?: AcquireOptions): Effect.Effect<boolean, BE>
  /** Gives permits back. A `bounded` limiter fails with `OverReleaseError` when more are released than acquired. */
  release(permits?: number): Effect.Effect<void, OverReleaseError | BE>
  /** Changes the concurrency limit (0 locks it); holders beyond a smaller limit keep their permits until they release. */
  resize(capacity: number): Effect.Effect<void, BE>
  /** Nobody starts for `duration` (e.g. a 429's Retry-After); callers already running are not affected. */
  pause(duration: Duration.DurationInput): Effect.Effect<void, BE>
  readonly stats: Effect.Effect<Stats, BE>
}

/**
 * What a limiter limits. In a guide's terms:
 *
 * | option | type | default | rule |
 * | --- | --- | --- | --- |
 * | `name` | string | `"Limiter"` | shown in stats and errors |
 * | `concurrency` | integer or `Infinity` | `Infinity` | ≥ 0 (0: locked until resized) |
 * | `bounded` | boolean | `false` | `release` beyond the capacity fails |
 * | `rate.limit` | number | — | > 0 (an integer for a sliding window) |
 * | `rate.interval` | Duration input | — | > 0, finite |
 * | `rate.algorithm` | `"tokenBucket"` or `"slidingWindow"` | `"tokenBucket"` | |
 * | `rate.burst` | number | `rate.limit` | > 0 (token bucket only) |
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly name?: string
  /** At most this many permits held at once (an integer of 0 or more, or Infinity, the default). */
  readonly concurrency?: number
  /** `release` beyond the capacity is an error (asyncio's `BoundedSemaphore`). */
  readonly bounded?: boolean
  /** At most `limit` units per `interval`. */
  readonly rate?: {
    readonly limit: number
    readonly interval: Duration.DurationInput
    /** `"tokenBucket"` (default: bursts up to `burst`, refills continuously) or `"slidingWindow"` (exact). */
    readonly algorithm?: "tokenBucket" | "slidingWindow"
    /** Bucket size (default `limit`). */
    readonly burst?: number
  }
}

/**
 * The Schema of {@link Options}, for a backend or an application that decodes limiter options from
 * outside itself (a config file) before making limiters: `Options.decode("Limiter", OptionsSchema)`.
 * A decoded `rate.interval` is a `Duration`.
 *
 * @example
 * ```ts
 * import { Options, Limiter } from "@taskscope/core"
 *
 * const decodeLimits = Options.decode("Exchange limits", Limiter.OptionsSchema)
 * const limits = decodeLimits({ concurrency: 4, rate: { limit: 10, interval: "1 second" } })
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const OptionsSchema: Schema.Schema<Options, Options> = internal.OptionsSchema as Schema.Schema<
  // optional fields decode to `undefined` when given as `undefined`: the same limits
  any,
  any
>

/**
 * Makes a limiter from options — any mix of concurrency, rate and pause — that may come from
 * outside (a config file, the environment): they are decoded once, and a bad value is a typed
 * `InvalidOptionsError` naming the option.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   // at most 8 requests in flight and 50 starts per second, exactly
 *   const api = yield* Limiter.make({
 *     name: "exchange",
 *     concurrency: 8,
 *     rate: { limit: 50, interval: "1 second", algorithm: "slidingWindow" }
 *   })
 *   return yield* api.withPermit(Effect.succeed("response"))
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options: Options) => Effect.Effect<Limiter, InvalidOptionsError> = internal.make

/**
 * A semaphore with `permits` permits (asyncio's `Semaphore`; `bounded: true` for
 * `BoundedSemaphore`). `semaphore(0)` starts locked: callers wait until `release` or `resize`.
 * A bad count is a programmer error (a defect naming `Limiter.semaphore` and the value); use
 * {@link make} for a count read from configuration.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const pool = yield* Limiter.semaphore(10, { name: "db" })
 *   return yield* Effect.forEach([1, 2, 3], (id) => pool.withPermit(Effect.succeed(id)), { concurrency: "unbounded" })
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const semaphore: (
  permits: number,
  options?: { readonly name?: string; readonly bounded?: boolean }
) => Effect.Effect<Limiter> = internal.semaphore

/**
 * A rate limiter: at most `limit` units per `interval`. Bad literals are defects; use {@link make}
 * for a rate read from configuration.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const rate = yield* Limiter.rate({ limit: 100, interval: "1 second", algorithm: "slidingWindow" })
 *   yield* rate.withPermit(Effect.log("call"))
 *   yield* rate.pause("30 seconds") // the server said Retry-After: 30
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const rate: (
  options: NonNullable<Options["rate"]> & { readonly name?: string }
) => Effect.Effect<Limiter> = internal.rate

/**
 * | option | type | default | rule |
 * | --- | --- | --- | --- |
 * | `idleTimeout` | Duration input | 60 seconds | > 0, finite |
 * | `name` | string | `"keyed"` | the limiter of `key` is called `name:key` |
 *
 * @since 0.1.0
 * @category models
 */
export interface KeyedOptions {
  /** Evict a key's limiter after it has been idle this long (default 60 s). */
  readonly idleTimeout?: Duration.DurationInput
  /** The limiter of `key` is called `${name}:${String(key)}` (default `"keyed"`). */
  readonly name?: string
}

/**
 * A limiter per key (e.g. per exchange host), created on first use and evicted once it has been idle
 * for `idleTimeout` — never while permits are held or callers wait. The limiter of `key` is called
 * `${name}:${String(key)}`.
 *
 * The options `optionsFor` returns for a key are code, not configuration: a bad value is a defect
 * naming the keyed limiter and the key.
 *
 * In memory a key's limiter is also kept while a pause runs or its rate history still matters (a
 * fresh one would behave differently); a shared backend keeps that state in the backend, so evicting
 * the local handle loses nothing.
 *
 * @since 0.1.0
 * @category models
 */
export interface Keyed<K, out BE = never> {
  readonly name: string
  withPermit<A, E, R>(key: K, effect: Effect.Effect<A, E, R>, options?: AcquireOptions): Effect.Effect<A, E | BE, R>
  get(key: K): Effect.Effect<Limiter<BE>, BE>
  pause(key: K, duration: Duration.DurationInput): Effect.Effect<void, BE>
  /** Per-key stats of the live limiters. */
  readonly stats: Effect.Effect<ReadonlyMap<K, Stats>, BE>
  /** How many keys have a live limiter. */
  readonly size: Effect.Effect<number>
}

/**
 * Makes a keyed limiter; `optionsFor` gives each key its limits.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const perHost = yield* Limiter.keyed((host: string) => ({
 *     concurrency: 4,
 *     rate: { limit: host === "api.slow.example" ? 2 : 20, interval: "1 second" }
 *   }), { idleTimeout: "5 minutes", name: "hosts" })
 *   return yield* perHost.withPermit("api.example", Effect.succeed("ok")) // limiter "hosts:api.example"
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const keyed: <K>(
  optionsFor: (key: K) => Options,
  options?: KeyedOptions
) => Effect.Effect<Keyed<K>> = internal.keyed

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter } from "@taskscope/core"
 *
 * const program = Effect.map(Limiter.semaphore(1), Limiter.isLimiter) // true
 * ```
 *
 * @since 0.1.0
 * @category refinements
 */
export const isLimiter = (u: unknown): u is Limiter<unknown> => typeof u === "object" && u !== null && TypeId in u

/**
 * The limiter service: code that asks it for limiters by name runs unchanged on one process
 * ({@link layerMemory}) or shares its limits across processes (`RedisLimiter.layer` from
 * `@taskscope/redis`) — switching is a change of Layer.
 *
 * One name, one set of limits: asking again for a name gives the same limiter when the options are
 * equal, and fails with `InvalidOptionsError` when they differ (a keyed limiter: when `optionsFor` is
 * another function or its options differ). Options are decoded once, here, with typed errors.
 *
 * @since 0.1.0
 * @category models
 */
export interface Limiters {
  /** Which backend keeps the state, e.g. `"memory"` or `"redis"`. */
  readonly backend: string
  /**
   * The limiter called `options.name` (required): every caller that asks for the same name — in this
   * process, or in any process on a shared backend — shares one limiter.
   */
  readonly make: (
    options: Options & { readonly name: string }
  ) => Effect.Effect<Limiter<BackendError>, InvalidOptionsError | BackendError, Scope.Scope>
  /** A limiter per key; the limiter of `key` is called `${name}:${String(key)}`. */
  readonly keyed: <K>(
    name: string,
    optionsFor: (key: K) => Options,
    options?: Omit<KeyedOptions, "name">
  ) => Effect.Effect<Keyed<K, BackendError>, InvalidOptionsError | BackendError, Scope.Scope>
}

/**
 * The tag of the {@link Limiters} service.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const limiters = yield* Limiter.Limiters
 *   const api = yield* limiters.make({ name: "exchange", rate: { limit: 50, interval: "1 second" } })
 *   return yield* api.withPermit(Effect.succeed("response"))
 * }).pipe(Effect.scoped, Effect.provide(Limiter.layerMemory))
 * ```
 *
 * @since 0.1.0
 * @category services
 */
export const Limiters: Context.Tag<Limiters, Limiters> = Context.GenericTag<Limiters>(
  "@taskscope/core/Limiter/Limiters"
)

/**
 * The in-memory {@link Limiters}: limiters live in this process; the same name with the same options
 * gives the same limiter.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const limiters = yield* Limiter.Limiters
 *   const a = yield* limiters.make({ name: "db", concurrency: 4 })
 *   const b = yield* limiters.make({ name: "db", concurrency: 4 })
 *   return a === b // true; concurrency: 8 would fail with InvalidOptionsError
 * }).pipe(Effect.scoped, Effect.provide(Limiter.layerMemory))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<Limiters> = Layer.sync(Limiters, internal.makeMemoryProvider)
