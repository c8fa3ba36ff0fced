/**
 * Retry policies on Effect's `Schedule`: exponential backoff with full jitter, a cap per delay, a
 * maximum number of attempts, a maximum elapsed time and a predicate on the error. On top of a
 * plain `Effect.retry`:
 *
 * - an error that says when to come back (a `retryAfter` field — or `retry_after`, Python's spelling —
 *   or the {@link RetryAfter} symbol —
 *   e.g. from HTTP 429 `Retry-After`) is waited out exactly, instead of the backoff delay. Units
 *   as HTTP and Python give them: a plain **number is seconds**; a `Duration` is taken as is; a
 *   `Date` means "until then"; a string is an HTTP `Retry-After` value (seconds or an HTTP-date,
 *   see {@link parseRetryAfter}) or a duration such as `"500 millis"`;
 * - retries never sleep past the current {@link Deadline}: if the next attempt could not start
 *   before it, retrying stops and the last error comes out;
 * - attempts are counted on the task the code runs in (`TaskResult.attempts`, Executor events).
 *
 * Only typed failures are retried; defects and interruptions pass through at once. A `while`
 * predicate that throws is a defect, and the error it was asked about stays in the Cause. An
 * invalid policy is a programmer error (a defect naming the field and the value).
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import type * as Option from "effect/Option"
import type * as Schedule from "effect/Schedule"
import * as internal from "./internal/retry.js"

/**
 * Put this symbol on an error (or a `retryAfter` field) to say when to retry: a number of seconds, a
 * `Duration`, a `Date`, or an HTTP `Retry-After` string.
 *
 * @example
 * ```ts
 * import { Data, Duration } from "effect"
 * import { Retry } from "@taskscope/core"
 *
 * class RateLimited extends Data.TaggedError("RateLimited")<{ readonly seconds: number }> {
 *   get [Retry.RetryAfter]() {
 *     return Duration.seconds(this.seconds)
 *   }
 * }
 * ```
 *
 * @since 0.1.0
 * @category symbols
 */
export const RetryAfter: unique symbol = internal.RetryAfterTypeId

/**
 * A retry policy. Defaults: 3 attempts, base delay 100 ms, factor 2, full jitter, no cap.
 *
 * @since 0.1.0
 * @category models
 */
export interface Policy<E = unknown> {
  /** Attempts in all, the first included (an integer >= 1, or Infinity). Default 3. */
  readonly maxAttempts?: number
  /** The first backoff delay. Default 100 ms. */
  readonly base?: Duration.DurationInput
  /** Growth of the delay per attempt (>= 1). Default 2. */
  readonly factor?: number
  /** The cap on each backoff delay (before jitter). */
  readonly maxDelay?: Duration.DurationInput
  /** Stop retrying once this much time has passed since the first failure. */
  readonly maxElapsed?: Duration.DurationInput
  /** `"full"` (default): each delay is uniformly random in [0, delay]. `"none"`: the delay itself. */
  readonly jitter?: "full" | "none"
  /** Retry only errors for which this returns true. */
  readonly while?: (error: E) => boolean
}

/**
 * Runs `effect`, retrying typed failures under `policy`. Fails with the last error when the policy
 * gives up, and with `InvalidOptionsError` when the policy is malformed.
 *
 * Instead of an effect, a function of the attempt's number (1 for the first attempt, 2 for the
 * first retry…) may be given, as p-retry gives its input the attempt number: the effect of each
 * attempt can then say which attempt it is (in a log line, a metric, a request header) without
 * counting by hand.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Retry } from "@taskscope/core"
 *
 * let calls = 0
 * const flaky = Effect.suspend(() => ++calls < 3 ? Effect.fail("busy") : Effect.succeed("ok"))
 * const program = flaky.pipe(Retry.retry({ maxAttempts: 5, base: "200 millis", maxDelay: "2 seconds" }))
 *
 * // the attempt's number, from the library
 * const numbered = Retry.retry(
 *   (attempt) => attempt < 3 ? Effect.fail(`busy (attempt ${attempt})`) : Effect.succeed(attempt),
 *   { maxAttempts: 5 }
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const retry: {
  <E>(
    policy: Policy<NoInfer<E>>
  ): <A, R>(
    effect: Effect.Effect<A, E, R> | ((attempt: number) => Effect.Effect<A, E, R>)
  ) => Effect.Effect<A, E, R>
  <A, E, R>(
    effect: Effect.Effect<A, E, R> | ((attempt: number) => Effect.Effect<A, E, R>),
    policy: Policy<NoInfer<E>>
  ): Effect.Effect<A, E, R>
} = dual(2, internal.retry)

/**
 * The backoff part of a policy as an Effect `Schedule` (exponential, full jitter, cap, attempts,
 * elapsed, predicate), for use with `Effect.retry` or `Effect.repeat`. It knows nothing of
 * Retry-After or deadlines; {@link retry} adds those.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Retry } from "@taskscope/core"
 *
 * const program = Effect.fail("x").pipe(Effect.retry(Retry.schedule({ maxAttempts: 4, base: "50 millis" })))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const schedule: <E = unknown>(policy: Policy<E>) => Schedule.Schedule<Duration.Duration, E> = internal.schedule

/**
 * The delay an error asks for, from its {@link RetryAfter} symbol or `retryAfter` field.
 *
 * @example
 * ```ts
 * import { Retry } from "@taskscope/core"
 *
 * Retry.retryAfterOf({ retryAfter: "3 seconds" }) // Option.some(Duration.seconds(3))
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const retryAfterOf: (error: unknown) => Option.Option<Duration.Duration> = internal.retryAfter

/**
 * Parses an HTTP `Retry-After` header: a number of seconds (`"120"`) or an HTTP-date
 * (`"Wed, 21 Oct 2015 07:28:00 GMT"`, counted from `now`, default the wall clock). `none` for
 * anything else. Put the result on your error's `retryAfter` field.
 *
 * @example
 * ```ts
 * import { Data, Option } from "effect"
 * import { Retry } from "@taskscope/core"
 *
 * class RateLimited extends Data.TaggedError("RateLimited")<{ readonly retryAfter?: unknown }> {}
 *
 * const fromResponse = (headers: Record<string, string>) =>
 *   new RateLimited({ retryAfter: Option.getOrUndefined(Retry.parseRetryAfter(headers["retry-after"] ?? "")) })
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const parseRetryAfter: (header: string, now?: number) => Option.Option<Duration.Duration> =
  internal.parseRetryAfter
