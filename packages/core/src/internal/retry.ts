import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as Intervals from "effect/ScheduleIntervals"
import * as Schema from "effect/Schema"
import type { InvalidOptionsError } from "../Errors.js"
import * as Options from "../Options.js"
import type * as Retry from "../Retry.js"
import { currentDeadline } from "./deadline.js"

/** @internal */
export const RetryAfterTypeId: typeof Retry.RetryAfter = Symbol.for(
  "@taskscope/core/Retry/RetryAfter"
) as typeof Retry.RetryAfter

import { currentTask } from "./taskInfo.js"

/** @internal */
export const retryAfter = (error: unknown): Option.Option<Duration.Duration> => {
  if (typeof error !== "object" || error === null) return Option.none()
  const value = RetryAfterTypeId in error
    ? (error as Record<symbol, unknown>)[RetryAfterTypeId]
    : "retryAfter" in error
    ? (error as { retryAfter: unknown }).retryAfter
    : undefined
  if (value === undefined || value === null) return Option.none()
  return Option.filter(Duration.decodeUnknown(value), (d) => Duration.isFinite(d))
}

const DurationSchema = Schema.Union(Schema.Number, Schema.String, Schema.DurationFromSelf).pipe(
  Schema.filter((input) => {
    if (typeof input === "number") return Number.isFinite(input) && input >= 0
    const d = Duration.decodeUnknown(input)
    return Option.isSome(d) && Duration.isFinite(d.value) && Duration.toMillis(d.value) >= 0
  }, { message: (issue) => `Expected a finite, non-negative duration, actual ${String(issue.actual)}` })
)

const PolicySchema = Schema.Struct({
  maxAttempts: Schema.optional(Schema.Number.pipe(
    Schema.filter((n) => n === Infinity || (Number.isInteger(n) && n >= 1), {
      message: (issue) => `Expected an integer >= 1 or Infinity, actual ${String(issue.actual)}`
    })
  )),
  base: Schema.optional(DurationSchema),
  factor: Schema.optional(Schema.Number.pipe(Schema.finite(), Schema.greaterThanOrEqualTo(1))),
  maxDelay: Schema.optional(DurationSchema),
  maxElapsed: Schema.optional(DurationSchema),
  jitter: Schema.optional(Schema.Literal("full", "none")),
  while: Schema.optional(Schema.Any)
})

const decodePolicy = Options.decode("Retry", PolicySchema)

const millis = (input: Duration.DurationInput | undefined, fallback: number) =>
  input === undefined ? fallback : Duration.toMillis(Duration.decode(input))

/** @internal */
export const schedule = <E>(policy: Retry.Policy<E>): Schedule.Schedule<Duration.Duration, E> => {
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
  if (policy.while !== undefined) s = Schedule.whileInput(s, policy.while)
  if (policy.maxElapsed !== undefined) s = Schedule.upTo(s, policy.maxElapsed)
  return s
}

/** @internal */
export const retry = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  policy: Retry.Policy<E>
): Effect.Effect<A, E | InvalidOptionsError, R> => {
  const decoded = decodePolicy(policy)
  if (Either.isLeft(decoded)) return Effect.fail(decoded.left)
  const sched = schedule(policy)
  return Effect.flatMap(FiberRef.get(currentTask), (listener) =>
    Clock.clockWith((clock) => {
      const loop = (attempt: number, state: unknown): Effect.Effect<A, E, R> => {
        listener?.onAttempt(attempt)
        return Effect.flatMap(Effect.exit(effect), (exit) => {
          if (Exit.isSuccess(exit)) return exit
          const failure = Cause.failureOption(exit.cause)
          // defects and interruptions are not retried
          if (Option.isNone(failure) || Cause.isInterrupted(exit.cause)) return exit
          const error = failure.value
          const now = clock.unsafeCurrentTimeMillis()
          return Effect.flatMap(sched.step(now, error, state), ([next, _, decision]) => {
            if (ScheduleDecision.isDone(decision)) return exit
            const wait = Option.match(retryAfter(error), {
              onNone: () => Math.max(0, Intervals.start(decision.intervals) - now),
              onSome: Duration.toMillis
            })
            return Effect.flatMap(FiberRef.get(currentDeadline), (deadline) => {
              // never sleep past the deadline: if the next attempt cannot start before it, stop here
              if (now + wait >= deadline) return exit
              listener?.onRetry(attempt, Duration.millis(wait), error)
              return Effect.zipRight(Effect.sleep(wait), loop(attempt + 1, next))
            })
          })
        })
      }
      return loop(1, sched.initial)
    }))
}
