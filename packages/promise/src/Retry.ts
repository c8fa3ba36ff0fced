/**
 * Retries for async functions, on `@taskscope/core`'s `Retry`: exponential backoff with full jitter,
 * a cap per delay, a maximum number of attempts and of elapsed time, a predicate on the error — and
 * an error that says when to come back is **waited out exactly**: give it a `retryAfter` field (a
 * number of **seconds**, as HTTP and Python give them; an HTTP `Retry-After` header value as it
 * comes, seconds or an HTTP-date; a `Date`; or a string such as `"500 millis"`), or the
 * {@link RetryAfter} symbol.
 *
 * Each attempt gets a fresh `AbortSignal`. Retrying never sleeps past the deadline that applies (a
 * `withTimeout` around it, or a signal you pass from an enclosing call): when the next attempt could
 * not start in time, the last error comes out at once. Your `signal` stops the retrying at any
 * point; the promise then rejects with its reason.
 *
 * @since 0.1.0
 */
import * as CoreRetry from "@taskscope/core/Retry"
import * as internal from "./internal/retry.js"

/**
 * A retry policy, and the signal that stops it. Defaults: 3 attempts, base delay 100 ms, factor 2,
 * full jitter, no cap.
 *
 * | option | type | default |
 * | --- | --- | --- |
 * | `maxAttempts` | integer ≥ 1 or `Infinity` | 3 (the first included) |
 * | `base` | duration (ms or `"100 millis"`) | 100 ms |
 * | `factor` | number ≥ 1 | 2 |
 * | `maxDelay` | duration | none |
 * | `maxElapsed` | duration | none |
 * | `jitter` | `"full"` or `"none"` | `"full"` |
 * | `while` | `(error) => boolean` | retry every error |
 * | `signal` | `AbortSignal` | none |
 *
 * @since 0.1.0
 * @category models
 */
export interface Options<E = unknown> extends CoreRetry.Policy<E> {
  readonly signal?: AbortSignal | undefined
}

/**
 * Calls `fn(signal, attempt)` until it succeeds or the policy gives up, and rejects with the last
 * error as it was thrown. An error with a `retryAfter` (see the module docs) is waited out exactly
 * instead of the backoff delay.
 *
 * @example
 * ```ts
 * import { retry } from "@taskscope/promise"
 *
 * class HttpError extends Error {
 *   constructor(readonly status: number, readonly retryAfter: string | null) {
 *     super(`HTTP ${status}`)
 *   }
 * }
 *
 * const body = await retry(async (signal) => {
 *   const response = await fetch("https://api.example.com/prices", { signal })
 *   // 429 with "Retry-After: 3": the next attempt starts 3 seconds later, exactly
 *   if (!response.ok) throw new HttpError(response.status, response.headers.get("retry-after"))
 *   return response.json()
 * }, { maxAttempts: 5, base: 200, while: (error) => error instanceof HttpError && error.status >= 429 })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const retry: <A, E = unknown>(
  fn: (signal: AbortSignal, attempt: number) => A | PromiseLike<A>,
  options?: Options<E>
) => Promise<A> = internal.retry

/**
 * Parses an HTTP `Retry-After` header — a number of seconds (`"120"`) or an HTTP-date — into
 * milliseconds; `undefined` for anything else (or a missing header).
 *
 * @example
 * ```ts
 * import { parseRetryAfter } from "@taskscope/promise"
 *
 * parseRetryAfter("120") // 120000
 * parseRetryAfter(null) // undefined
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const parseRetryAfter: (header: string | null | undefined, now?: number) => number | undefined =
  internal.parseRetryAfter

/**
 * Put this symbol on an error (as a getter or a field) to say when to retry: a number of seconds, a
 * `Date`, a `Duration` or an HTTP `Retry-After` string.
 *
 * @example
 * ```ts
 * import { RetryAfter } from "@taskscope/promise"
 *
 * class Throttled extends Error {
 *   constructor(readonly seconds: number) {
 *     super("throttled")
 *   }
 *   get [RetryAfter]() {
 *     return this.seconds
 *   }
 * }
 * ```
 *
 * @since 0.1.0
 * @category symbols
 */
export const RetryAfter: typeof CoreRetry.RetryAfter = CoreRetry.RetryAfter
