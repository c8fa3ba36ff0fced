/**
 * Retry policies on Effect's `Schedule`: exponential backoff with full jitter, a cap per delay, a
 * maximum number of attempts, a maximum elapsed time and a predicate on the error. On top of a
 * plain `Effect.retry`:
 *
 * - an error that says when to come back (a `retryAfter` field, or the {@link RetryAfter} symbol —
 *   e.g. from HTTP 429 `Retry-After`) is waited out exactly, instead of the backoff delay;
 * - retries never sleep past the current {@link Deadline}: if the next attempt could not start
 *   before it, retrying stops and the last error comes out;
 * - attempts are counted and reported to the running task (`TaskResult.attempts`).
 *
 * Only typed failures are retried; defects and interruptions pass through at once.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import type * as Option from "effect/Option"
import type * as Schedule from "effect/Schedule"
import type { InvalidOptionsError } from "./Errors.js"
import * as internal from "./internal/retry.js"

/**
 * Put this symbol on an error (or a `retryAfter` field) with a duration to say when to retry.
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
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Retry } from "@taskscope/core"
 *
 * let calls = 0
 * const flaky = Effect.suspend(() => ++calls < 3 ? Effect.fail("busy") : Effect.succeed("ok"))
 * const program = flaky.pipe(Retry.retry({ maxAttempts: 5, base: "200 millis", maxDelay: "2 seconds" }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const retry: {
  <E>(
    policy: Policy<NoInfer<E>>
  ): <A, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | InvalidOptionsError, R>
  <A, E, R>(effect: Effect.Effect<A, E, R>, policy: Policy<NoInfer<E>>): Effect.Effect<A, E | InvalidOptionsError, R>
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
