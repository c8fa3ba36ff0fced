import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import * as Option from "effect/Option"
import { TimeoutError } from "../Errors.js"
import { InvalidOptionsError } from "../Errors.js"

/** The effective deadline of the current fiber, in epoch milliseconds; `Infinity` when unbounded. @internal */
export const currentDeadline: FiberRef.FiberRef<number> = globalValue(
  Symbol.for("@taskscope/core/Deadline/currentDeadline"),
  () => FiberRef.unsafeMake<number>(Infinity)
)

const invalid = (subject: string, input: unknown) =>
  new InvalidOptionsError({
    subject,
    detail: `Expected a finite duration (a number of milliseconds, a Duration or a string like "5 seconds"), actual ${
      typeof input === "string" ? JSON.stringify(input) : String(input)
    }`
  })

/** Decodes a finite duration in milliseconds (negative allowed), or fails with a clear error. @internal */
export const decodeMillis = (subject: string, input: Duration.DurationInput): number | InvalidOptionsError => {
  if (typeof input === "number") return Number.isFinite(input) ? input : invalid(subject, input)
  const decoded = Duration.decodeUnknown(input)
  if (Option.isNone(decoded) || !Duration.isFinite(decoded.value)) return invalid(subject, input)
  return Duration.toMillis(decoded.value)
}

/**
 * Runs `effect` until the epoch-millisecond `deadline` (already clamped by the outer deadline).
 * `own`: whether this scope's deadline is earlier than every enclosing one — otherwise an outer
 * scope will report the timeout and this one only has to pass the deadline down.
 */
const runUntil = <A, E, R, B>(
  effect: Effect.Effect<A, E, R>,
  deadline: number,
  own: boolean,
  onTimeout: (error: TimeoutError) => Effect.Effect<B, TimeoutError>
): Effect.Effect<A | B, E | TimeoutError, R> => {
  const scoped = Effect.locally(effect, currentDeadline, deadline)
  if (!own) return scoped
  return Clock.clockWith((clock) =>
    Effect.suspend(() => {
      const start = clock.unsafeCurrentTimeMillis()
      const wait = deadline - start
      // zero or negative: time out at the first yield of the effect, as asyncio.timeout(0) does
      const timer = wait > 0 ? Effect.sleep(wait) : Effect.yieldNow()
      return Effect.raceWith(Effect.interruptible(scoped), Effect.interruptible(timer), {
        onSelfDone: (exit, timerFiber) => Effect.zipRight(Fiber.interrupt(timerFiber), exit),
        onOtherDone: (_, fiber) =>
          Effect.flatMap(Fiber.interrupt(fiber), (exit): Effect.Effect<A | B, E | TimeoutError> => {
            // it finished anyway, or its cleanup failed: that outcome wins over the timeout
            if (Exit.isSuccess(exit) || !Cause.isInterruptedOnly(exit.cause)) return exit
            const elapsed = Duration.millis(Math.max(0, clock.unsafeCurrentTimeMillis() - start))
            return onTimeout(new TimeoutError({ deadline, elapsed }))
          })
      })
    })
  )
}

const withDeadline = <A, E, R, B>(
  millis: number | InvalidOptionsError,
  effect: Effect.Effect<A, E, R>,
  absolute: boolean,
  onTimeout: (error: TimeoutError) => Effect.Effect<B, TimeoutError>
): Effect.Effect<A | B, E | TimeoutError | InvalidOptionsError, R> => {
  if (millis instanceof InvalidOptionsError) return Effect.fail(millis)
  return Effect.flatMap(FiberRef.get(currentDeadline), (outer) =>
    Clock.clockWith((clock) =>
      Effect.suspend(() => {
        const requested = absolute ? millis : clock.unsafeCurrentTimeMillis() + millis
        return runUntil(effect, Math.min(requested, outer), requested < outer, onTimeout)
      })
    ))
}

/** @internal */
export const within = <A, E, R>(effect: Effect.Effect<A, E, R>, duration: Duration.DurationInput) =>
  withDeadline(decodeMillis("Deadline.within", duration), effect, false, Effect.fail)

/** @internal */
export const at = <A, E, R>(effect: Effect.Effect<A, E, R>, instant: number | Date | DateTime.DateTime) => {
  const millis = typeof instant === "number"
    ? Number.isFinite(instant) ? instant : invalid("Deadline.at", instant)
    : instant instanceof Date
    ? Number.isFinite(instant.getTime()) ? instant.getTime() : invalid("Deadline.at", instant)
    : DateTime.toEpochMillis(instant)
  return withDeadline(millis, effect, true, Effect.fail)
}

/** @internal */
export const moveOnAfter = <A, E, R>(effect: Effect.Effect<A, E, R>, duration: Duration.DurationInput) =>
  withDeadline(
    decodeMillis("Deadline.moveOnAfter", duration),
    Effect.map(effect, Option.some),
    false,
    () => Effect.succeed(Option.none<A>())
  ) as Effect.Effect<Option.Option<A>, E | InvalidOptionsError, R>

/** @internal */
export const remaining: Effect.Effect<Option.Option<Duration.Duration>> = Effect.flatMap(
  FiberRef.get(currentDeadline),
  (deadline) =>
    deadline === Infinity
      ? Effect.succeed(Option.none())
      : Clock.clockWith((clock) =>
        Effect.sync(() => Option.some(Duration.millis(Math.max(0, deadline - clock.unsafeCurrentTimeMillis()))))
      )
)

/** @internal */
export const current: Effect.Effect<Option.Option<number>> = Effect.map(
  FiberRef.get(currentDeadline),
  (deadline) => deadline === Infinity ? Option.none() : Option.some(deadline)
)

/** @internal */
export const shield = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options?: { readonly timeout?: Duration.DurationInput }
): Effect.Effect<A, E | TimeoutError | InvalidOptionsError, R> => {
  // the outer deadline is lifted first, so that the shield's own bound is not clamped by it
  const bounded = options?.timeout === undefined ? effect : within(effect, options.timeout)
  // Effect passes an interruption on to a fiber's children at once, even in an uninterruptible
  // region; the shielded work runs on a fiber of its own (awaited, so never orphaned) to be safe
  // from that too.
  return Effect.uninterruptible(
    Effect.flatMap(
      Effect.forkDaemon(Effect.interruptible(Effect.locally(bounded, currentDeadline, Infinity))),
      Fiber.join
    )
  )
}
