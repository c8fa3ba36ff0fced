/**
 * Deadlines for async functions that reach every child as an `AbortSignal`: asyncio's `timeout`,
 * Trio's `move_on_after` — on `@taskscope/core`'s `Deadline`.
 *
 * - `withTimeout(duration, fn)` calls `fn(signal)`; when the time is up, `signal` is aborted with a
 *   `TimeoutError`, and once `fn` has stopped the promise rejects with a `TimeoutError`.
 *   `moveOnAfter` resolves with `undefined` instead.
 * - Deadlines nest through signals: a call given `signal` (`gather`, `retry`, a `TaskGroup`, another
 *   `withTimeout`, …) runs under the enclosing deadline too — an inner deadline can never extend an
 *   outer one, retries never sleep past it, and {@link remaining} tells any code how much is left,
 *   e.g. to pass a timeout on to a server.
 * - As everywhere in this package, the function is waited for: the promise settles once `fn` has
 *   honoured its signal and its cleanup has run, never with `fn` still running. A failure of that
 *   cleanup is kept (a `SuppressedError` beside the `TimeoutError`).
 * - Durations are milliseconds, or strings such as `"5 seconds"`; `Infinity` is no deadline. A zero
 *   or negative duration times out at once (`fn` is called, its signal is aborted straight away).
 *
 * @since 0.1.0
 */
import type * as DateTime from "effect/DateTime"
import type * as Duration from "effect/Duration"
import type { AsyncFn } from "./Concurrent.js"
import * as internal from "./internal/deadline.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Aborting it cancels `fn`; the promise rejects with its reason. */
  readonly signal?: AbortSignal | undefined
}

/**
 * Calls `fn(signal)` with a deadline `duration` from now: when it passes, `signal` is aborted with
 * a `TimeoutError` and the promise rejects with a `TimeoutError` once `fn` has stopped. If
 * `fn` fails first, its own error comes out.
 *
 * @example
 * ```ts
 * import { TimeoutError, withTimeout } from "@taskscope/promise"
 *
 * try {
 *   const response = await withTimeout("2 seconds", (signal) => fetch("https://api.example.com/slow", { signal }))
 *   console.log(response.status)
 * } catch (error) {
 *   if (error instanceof TimeoutError) console.log("gave up after", error.elapsed)
 * }
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withTimeout: <A>(duration: Duration.DurationInput, fn: AsyncFn<A>, options?: Options) => Promise<A> =
  internal.withTimeout

/**
 * Like {@link withTimeout}, with an absolute deadline: epoch milliseconds, a `Date` or a `DateTime`.
 *
 * @example
 * ```ts
 * import { withDeadline } from "@taskscope/promise"
 *
 * const at = new Date(Date.now() + 5_000)
 * const status = await withDeadline(at, (signal) => fetch("https://api.example.com", { signal }).then((r) => r.status))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withDeadline: <A>(
  at: number | Date | DateTime.DateTime,
  fn: AsyncFn<A>,
  options?: Options
) => Promise<A> = internal.withDeadline

/**
 * Like {@link withTimeout}, but when this deadline passes the promise resolves with `undefined`
 * (Trio's `move_on_after`). An enclosing deadline still rejects with its `TimeoutError`.
 *
 * @example
 * ```ts
 * import { moveOnAfter } from "@taskscope/promise"
 *
 * const cached = await moveOnAfter(50, (signal) => fetch("https://cache.example.com/key", { signal }).then((r) => r.text()))
 * console.log(cached ?? "cache too slow: computing it")
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const moveOnAfter: <A>(
  duration: Duration.DurationInput,
  fn: AsyncFn<A>,
  options?: Options
) => Promise<A | undefined> = internal.moveOnAfter

/**
 * The milliseconds left before the deadline that applies to code given `signal` (the signal a
 * Taskscope function handed you), or `undefined` when there is none — e.g. to tell a server how
 * long it has. Never negative.
 *
 * @example
 * ```ts
 * import { remaining, withTimeout } from "@taskscope/promise"
 *
 * await withTimeout("3 seconds", (signal) =>
 *   fetch("https://api.example.com/report", {
 *     signal,
 *     headers: { "x-timeout-ms": String(Math.floor(remaining(signal) ?? 30_000)) }
 *   }))
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const remaining: (signal: AbortSignal) => number | undefined = internal.remaining

/**
 * The deadline that applies to code given `signal`, in epoch milliseconds, or `undefined`.
 *
 * @example
 * ```ts
 * import { deadlineOf, withTimeout } from "@taskscope/promise"
 *
 * await withTimeout(1_000, async (signal) => console.log(new Date(deadlineOf(signal)!).toISOString()))
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const deadlineOf: (signal: AbortSignal) => number | undefined = internal.deadlineOf
