/**
 * Limits for async functions, on `@taskscope/core`'s `Limiter`: a semaphore (asyncio's
 * `Semaphore`), a rate limit (token bucket or exact sliding window) that can be paused for a
 * server's `Retry-After`, a limiter per key, and `limit(n)` with p-limit's surface.
 *
 * What the core gives every one of them: strict FIFO (a waiter is never overtaken by a later,
 * smaller request), permits that are never leaked — a caller whose `signal` aborts while it waits
 * leaves the line, and one that is granted a permit just as it is aborted gives it back — and
 * `stats` that say, for every waiting caller, what holds it back (`"concurrency"`, `"rate"`,
 * `"paused"` or `"queue"`).
 *
 * `run(fn)` is the way to use a limiter: `fn` gets a signal, the permit is held while `fn` runs and
 * released when it settles. `acquire` returns a {@link Permit} to release yourself — `using permit =
 * await limiter.acquire()` releases it at the end of the block.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type { AsyncFn } from "./Concurrent.js"
import * as internal from "./internal/limiter.js"

/**
 * A rate: at most `limit` units per `interval`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RateOptions {
  readonly limit: number
  /** Milliseconds, or a string such as `"1 second"`. */
  readonly interval: Duration.DurationInput
  /** `"tokenBucket"` (default: bursts up to `burst`, refills continuously) or `"slidingWindow"` (exact). */
  readonly algorithm?: "tokenBucket" | "slidingWindow"
  /** Bucket size (default `limit`). */
  readonly burst?: number
}

/**
 * Options of {@link limiter}: any mix of concurrency and rate. A bad value throws
 * `InvalidOptionsError` naming the option.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly name?: string
  /** At most this many permits held at once (an integer of 0 or more, or `Infinity`, the default; 0 locks it). */
  readonly concurrency?: number
  /** Releasing more permits than were acquired is an error (asyncio's `BoundedSemaphore`). */
  readonly bounded?: boolean
  readonly rate?: RateOptions
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
 * @since 0.1.0
 * @category models
 */
export interface RunOptions extends AcquireOptions {
  /** Aborting it takes the caller out of the line (or aborts `fn` if it runs); the promise rejects with its reason. */
  readonly signal?: AbortSignal | undefined
}

/**
 * Permits taken with `acquire`; release them once. `using permit = await limiter.acquire()`
 * releases them at the end of the block.
 *
 * @since 0.1.0
 * @category models
 */
export interface Permit extends Disposable {
  readonly permits: number
  /** Gives the permits back (once; calling it again does nothing). */
  release(): void
}

/**
 * A snapshot of a limiter. Durations are in milliseconds.
 *
 * @since 0.1.0
 * @category models
 */
export interface Stats {
  readonly name: string
  readonly capacity: number
  readonly available: number
  readonly held: number
  /** Who holds permits, by task name. */
  readonly holders: ReadonlyArray<{ readonly name: string; readonly permits: number }>
  readonly waiting: number
  /** Every waiter in order, with what holds it back and for how long it has waited. */
  readonly waiters: ReadonlyArray<{
    readonly name: string
    readonly permits: number
    readonly cost: number
    readonly reason: "paused" | "concurrency" | "rate" | "queue"
    readonly waitingFor: number
  }>
  /** How much longer the limiter stays paused (0 when it is not). */
  readonly pausedFor: number
  readonly rate:
    | {
      readonly algorithm: "tokenBucket" | "slidingWindow"
      readonly limit: number
      readonly interval: number
      readonly available: number
    }
    | undefined
}

/**
 * A limiter: concurrency, rate and pause in one FIFO line.
 *
 * @since 0.1.0
 * @category models
 */
export interface Limiter {
  readonly name: string
  /** Waits for the caller's turn, calls `fn(signal)` holding the permits, and releases them when it settles. */
  run<A>(fn: AsyncFn<A>, options?: RunOptions): Promise<A>
  /** Waits for permits (and rate units); release them with the returned {@link Permit}. Prefer `run`. */
  acquire(options?: RunOptions): Promise<Permit>
  /** Takes permits only if the caller could start right now; never waits. */
  tryAcquire(options?: AcquireOptions): Permit | undefined
  /** Nobody starts for `duration` (a 429's `Retry-After`); callers already running go on. */
  pause(duration: Duration.DurationInput): void
  /** Changes the concurrency limit; holders beyond a smaller one keep their permits until they release. */
  resize(capacity: number): void
  readonly stats: Stats
}

/**
 * A limiter made from options: any mix of concurrency, rate and pause.
 *
 * @example
 * ```ts
 * import { limiter } from "@taskscope/promise"
 *
 * // at most 8 requests in flight and 50 starts per second, exactly
 * const api = limiter({ name: "exchange", concurrency: 8, rate: { limit: 50, interval: "1 second", algorithm: "slidingWindow" } })
 * const response = await api.run((signal) => fetch("https://api.example.com/ticker", { signal }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const limiter: (options: Options) => Limiter = internal.limiter

/**
 * A semaphore with `permits` permits (asyncio's `Semaphore`; `bounded: true` for `BoundedSemaphore`).
 * `semaphore(0)` starts locked: callers wait until `resize`. A count that is not an integer of 0 or
 * more (or `Infinity`) throws, naming the function and the value; use {@link limiter} for a count
 * read from configuration (a typed `InvalidOptionsError`).
 *
 * @example
 * ```ts
 * import { semaphore } from "@taskscope/promise"
 *
 * const db = semaphore(10, { name: "db" })
 * const rows = await db.run(async (signal) => [signal.aborted])
 *
 * {
 *   using permit = await db.acquire()
 *   // ... at most 10 of these blocks at once
 * } // released here
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const semaphore: (permits: number, options?: { readonly name?: string; readonly bounded?: boolean }) => Limiter =
  internal.semaphore

/**
 * A rate limiter: at most `limit` units per `interval`. `pause(ms)` holds everyone back, e.g. for a
 * server's `Retry-After`.
 *
 * @example
 * ```ts
 * import { rateLimit } from "@taskscope/promise"
 *
 * const github = rateLimit({ limit: 10, interval: "1 second", algorithm: "slidingWindow" })
 * const response = await github.run((signal) => fetch("https://api.github.com/zen", { signal }))
 * if (response.status === 429) github.pause(Number(response.headers.get("retry-after") ?? 1) * 1_000)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const rateLimit: (options: RateOptions & { readonly name?: string }) => Limiter = internal.rateLimit

/**
 * A limiter per key (e.g. per host), made on first use from `optionsFor(key)` and forgotten once it
 * has been idle for `idleTimeout` (default 60 s).
 *
 * @since 0.1.0
 * @category models
 */
export interface KeyedLimiter<K> {
  run<A>(key: K, fn: AsyncFn<A>, options?: RunOptions): Promise<A>
  /** The limiter of `key` (made if needed). */
  get(key: K): Limiter
  pause(key: K, duration: Duration.DurationInput): void
  /** How many keys have a live limiter. */
  readonly size: number
  readonly stats: ReadonlyMap<K, Stats>
}

/**
 * Makes a {@link KeyedLimiter}.
 *
 * @example
 * ```ts
 * import { keyedLimiter } from "@taskscope/promise"
 *
 * const perHost = keyedLimiter((host: string) => ({
 *   concurrency: 4,
 *   rate: { limit: host === "api.example.com" ? 20 : 5, interval: "1 second" }
 * }))
 * const url = new URL("https://api.example.com/a")
 * await perHost.run(url.host, (signal) => fetch(url, { signal }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const keyedLimiter: <K>(
  optionsFor: (key: K) => Options,
  options?: { readonly idleTimeout?: Duration.DurationInput; readonly name?: string }
) => KeyedLimiter<K> = internal.keyed

/**
 * What {@link limit} returns: p-limit's function.
 *
 * @since 0.1.0
 * @category models
 */
export interface LimitFunction {
  /** Calls `fn(...args)` when a slot is free; resolves or rejects as it does. */
  <Args extends Array<unknown>, R>(fn: (...args: Args) => PromiseLike<R> | R, ...args: Args): Promise<R>
  /** Calls running now. */
  readonly activeCount: number
  /** Calls waiting for a slot. */
  readonly pendingCount: number
  /** The limit; setting it lets more start at once, or lets running calls finish above a lower one. */
  concurrency: number
  /**
   * Drops the waiting calls. Their promises reject with a `TaskDroppedError` (p-limit leaves them
   * pending unless `rejectOnClear`); nobody has to handle that rejection — no unhandled rejection.
   */
  clearQueue(): void
  /** `Promise.all` of `fn(input, index)` for each input, through the limit. */
  map<I, R>(
    iterable: Iterable<I> | ArrayLike<I>,
    fn: (input: I, index: number) => PromiseLike<R> | R
  ): Promise<Array<R>>
  /** Like calling it, but `fn` gets a signal and `signal` can take the call out of the line. */
  run<A>(fn: AsyncFn<A>, options?: { readonly signal?: AbortSignal | undefined }): Promise<A>
}

/**
 * p-limit, structured: `limit(n)` returns a function that runs at most `n` calls at once, in FIFO
 * order. A drop-in for `pLimit(n)` — same calls, same `activeCount`, `pendingCount`, `concurrency`,
 * `clearQueue` and `map`; like p-limit 7, a call is counted active at once and its function is
 * called a microtask later — on this package's `Executor` (a FIFO of plain records: no fiber per
 * call), plus `run(fn, { signal })` for calls that take a signal. One difference: `clearQueue()`
 * always settles the calls it drops (they reject with `TaskDroppedError`, marked handled), as if
 * p-limit's `rejectOnClear` were on; the option is accepted and changes nothing.
 *
 * @example
 * ```ts
 * import { limit } from "@taskscope/promise"
 *
 * const twoAtATime = limit(2)
 * const urls = ["https://example.com/1", "https://example.com/2", "https://example.com/3"]
 * const statuses = await Promise.all(urls.map((url) => twoAtATime(() => fetch(url).then((r) => r.status))))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const limit: (
  concurrency: number | { readonly concurrency: number; readonly rejectOnClear?: boolean }
) => LimitFunction = internal.limit

/**
 * p-limit's `limitFunction`: `fn` with its own signature, at most `concurrency` calls at once — the
 * same calls as `limit(concurrency)(fn, ...args)` — and `clearQueue()` to drop the calls that wait.
 *
 * @example
 * ```ts
 * import { limitFunction } from "@taskscope/promise"
 *
 * const fetchStatus = limitFunction(
 *   async (url: string) => (await fetch(url)).status,
 *   { concurrency: 2 }
 * )
 * const statuses = await Promise.all(["https://example.com/1", "https://example.com/2"].map(fetchStatus))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const limitFunction: <Args extends Array<unknown>, R>(
  fn: (...args: Args) => PromiseLike<R> | R,
  options: { readonly concurrency: number; readonly rejectOnClear?: boolean }
) => ((...args: Args) => Promise<R>) & { readonly clearQueue: () => void } = internal.limitFunction
