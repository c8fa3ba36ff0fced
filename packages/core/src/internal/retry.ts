import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as Intervals from "effect/ScheduleIntervals"
import * as Schema from "effect/Schema"
import type * as Retry from "../Retry.js"
import { currentDeadline } from "./deadline.js"
import * as Options from "./options.js"
import { currentTask } from "./taskInfo.js"

/** @internal */
export const RetryAfterTypeId: typeof Retry.RetryAfter = Symbol.for(
  "@taskscope/core/Retry/RetryAfter"
) as typeof Retry.RetryAfter

const HTTP_SECONDS = /^\s*\d+\s*$/

/**
 * A `Retry-After` value in HTTP's units: a number of seconds, or an HTTP-date. @internal
 */
export const parseRetryAfter = (header: string, now: number = Date.now()): Option.Option<Duration.Duration> => {
  if (HTTP_SECONDS.test(header)) return Option.some(Duration.seconds(Number(header)))
  const at = Date.parse(header)
  return Number.isNaN(at) ? Option.none() : Option.some(Duration.millis(Math.max(0, at - now)))
}

/** @internal */
export const retryAfterAt = (error: unknown, now: number): Option.Option<Duration.Duration> => {
  if (typeof error !== "object" || error === null) return Option.none()
  const value = RetryAfterTypeId in error
    ? (error as Record<symbol, unknown>)[RetryAfterTypeId]
    : "retryAfter" in error
    ? (error as { retryAfter: unknown }).retryAfter
    : "retry_after" in error
    // Python's spelling (e.g. an error object decoded from a Python service's JSON)
    ? (error as { retry_after: unknown }).retry_after
    : undefined
  if (value === undefined || value === null) return Option.none()
  // HTTP and Python give seconds: a plain number is seconds; a Duration or a Date is taken as is
  if (typeof value === "number") {
    return Number.isFinite(value) && value >= 0 ? Option.some(Duration.seconds(value)) : Option.none()
  }
  if (value instanceof Date) {
    const at = value.getTime()
    return Number.isNaN(at) ? Option.none() : Option.some(Duration.millis(Math.max(0, at - now)))
  }
  if (typeof value === "string") {
    const header = parseRetryAfter(value, now)
    if (Option.isSome(header)) return header
  }
  return Option.filter(Duration.decodeUnknown(value), (d) => Duration.isFinite(d))
}

/** @internal */
export const retryAfter = (error: unknown): Option.Option<Duration.Duration> => retryAfterAt(error, Date.now())

const PolicySchema = Schema.Struct({
  maxAttempts: Schema.optional(Options.PositiveIntOrInfinity),
  base: Schema.optional(Options.NonNegativeDuration),
  factor: Schema.optional(Schema.Number.pipe(Schema.finite(), Schema.greaterThanOrEqualTo(1))),
  maxDelay: Schema.optional(Options.NonNegativeDuration),
  maxElapsed: Schema.optional(Options.NonNegativeDuration),
  jitter: Schema.optional(Schema.Literal("full", "none")),
  while: Schema.optional(Schema.Any)
})

const checkPolicy = Options.decodeOrDie("Retry.retry", PolicySchema)

const millis = (input: Duration.DurationInput | undefined, fallback: number) =>
  input === undefined ? fallback : Duration.toMillis(Duration.decode(input))

/** @internal */
export const schedule = <E>(policy: Retry.Policy<E>): Schedule.Schedule<Duration.Duration, E> => backoff(policy, true)

const backoff = <E>(policy: Retry.Policy<E>, withPredicate: boolean): Schedule.Schedule<Duration.Duration, E> => {
  const base = millis(policy.base, 100)
  const cap = millis(policy.maxDelay, Infinity)
  const maxAttempts = policy.maxAttempts ?? 3
  let s: Schedule.Schedule<Duration.Duration, E> = Schedule.exponential(base, policy.factor ?? 2).pipe(
    Schedule.modifyDelayEffect((_, delay) => {
      const capped = Math.min(cap, Duration.toMillis(delay))
      // full jitter (AWS): uniformly random in [0, capped]
      return (policy.jitter ?? "full") === "full"
        ? Effect.map(Random.next, (r) => Duration.millis(Math.floor(r * (capped + 1))))
        : Effect.succeed(Duration.millis(capped))
    })
  )
  if (maxAttempts !== Infinity) s = Schedule.zipLeft(s, Schedule.recurs(maxAttempts - 1))
  if (withPredicate && policy.while !== undefined) s = Schedule.whileInput(s, policy.while)
  if (policy.maxElapsed !== undefined) s = Schedule.upTo(s, policy.maxElapsed)
  return s
}

/** @internal */
export const retry = <A, E, R>(
  effect: Effect.Effect<A, E, R> | ((attempt: number) => Effect.Effect<A, E, R>),
  policy: Retry.Policy<E>
): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    checkPolicy(policy)
    // a function is given the attempt's number (1 for the first), as p-retry gives its input
    const run = Effect.isEffect(effect) ? () => effect : effect
    const sched = backoff(policy, false)
    const accept = policy.while
    return Effect.flatMap(FiberRef.get(currentTask), (info) =>
      Clock.clockWith((clock) => {
        // attempts are counted where they happen: on the task this code runs in, if any
        const task = info?.task
        const loop = (attempt: number, state: unknown): Effect.Effect<A, E, R> =>
          Effect.flatMap(Effect.exit(Effect.suspend(() => run(attempt))), (exit) => {
            if (Exit.isSuccess(exit)) return exit
            const failure = Cause.failureOption(exit.cause)
            // defects and interruptions are not retried
            if (Option.isNone(failure) || Cause.isInterrupted(exit.cause)) return exit
            const error = failure.value
            if (accept !== undefined) {
              let retryable: boolean
              try {
                retryable = accept(error)
              } catch (bug) {
                // a predicate that throws is a defect; the error it was asked about stays in the Cause
                return Effect.failCause(Cause.sequential(exit.cause, Cause.die(bug)))
              }
              if (!retryable) return exit
            }
            const now = clock.unsafeCurrentTimeMillis()
            return Effect.flatMap(sched.step(now, error, state), ([next, _, decision]) => {
              if (ScheduleDecision.isDone(decision)) return exit
              const wait = Option.match(retryAfterAt(error, now), {
                onNone: () => Math.max(0, Intervals.start(decision.intervals) - now),
                onSome: Duration.toMillis
              })
              return Effect.flatMap(currentDeadline, (deadline) => {
                // never sleep past the deadline: if the next attempt cannot start before it, stop here
                if (now + wait >= deadline) return exit
                task?.noteRetry(attempt, Duration.millis(wait), error)
                return Effect.zipRight(Effect.sleep(wait), loop(attempt + 1, next))
              })
            })
          })
        return loop(1, sched.initial)
      }))
  })
