/**
 * Deadlines that propagate: asyncio's `timeout` / `wait_for`, Trio's cancel scopes.
 *
 * A deadline is an instant on the `Clock`, kept in a FiberRef, so every fiber forked below —
 * TaskGroup children, `Concurrent`, plain forks — sees the effective deadline: the earliest of all
 * enclosing ones. An inner deadline can never extend an outer one; when both pass, the outer scope
 * reports the timeout. When a deadline passes, the effect is interrupted and its finalizers run
 * before the caller gets the typed {@link TimeoutError}.
 *
 * Differences from asyncio: the timeout is a typed error in the error channel, not an exception
 * that replaces cancellation; a failure of the effect's own cleanup wins over the timeout (it is
 * never hidden); and `shield` protects cleanup from the deadline as well as from cancellation.
 *
 * @since 0.1.0
 */
import type * as DateTime from "effect/DateTime"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import type * as Option from "effect/Option"
import type { InvalidOptionsError } from "./Errors.js"
import { TimeoutError } from "./Errors.js"
import * as internal from "./internal/deadline.js"

/**
 * @since 0.1.0
 * @category errors
 */
export { TimeoutError }

/**
 * Runs an effect under a deadline `duration` from now. When it passes, the effect is interrupted,
 * its finalizers run, and the result is a `TimeoutError`. If the effect fails first, its own error
 * comes out unchanged; if its cleanup fails while it is being stopped, that failure comes out.
 * Zero or negative durations time out at the effect's first yield; NaN or infinite durations fail
 * with `InvalidOptionsError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Deadline } from "@taskscope/core"
 *
 * const slowCall = Effect.sleep("10 seconds").pipe(Effect.as("response"))
 * const program = slowCall.pipe(Deadline.within("2 seconds")) // fails with TimeoutError after 2 s
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const within: {
  (duration: Duration.DurationInput): <A, E, R>(
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | TimeoutError | InvalidOptionsError, R>
  <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    duration: Duration.DurationInput
  ): Effect.Effect<A, E | TimeoutError | InvalidOptionsError, R>
} = dual(2, internal.within)

/**
 * Like {@link within}, with an absolute deadline (epoch milliseconds, a `Date` or a `DateTime`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Deadline } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
 *   return yield* Deadline.at(Effect.sleep("1 second"), now + 5_000)
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const at: {
  (instant: number | Date | DateTime.DateTime): <A, E, R>(
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | TimeoutError | InvalidOptionsError, R>
  <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    instant: number | Date | DateTime.DateTime
  ): Effect.Effect<A, E | TimeoutError | InvalidOptionsError, R>
} = dual(2, internal.at)

/**
 * Like {@link within}, but when this scope's own deadline passes the result is `Option.none()`
 * instead of a failure (Trio's `move_on_after`). An outer deadline still reports as the outer scope.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Deadline } from "@taskscope/core"
 *
 * const program = Effect.sleep("5 seconds").pipe(Effect.as(1), Deadline.moveOnAfter("1 second")) // Option.none()
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const moveOnAfter: {
  (duration: Duration.DurationInput): <A, E, R>(
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<Option.Option<A>, E | InvalidOptionsError, R>
  <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    duration: Duration.DurationInput
  ): Effect.Effect<Option.Option<A>, E | InvalidOptionsError, R>
} = dual(2, internal.moveOnAfter)

/**
 * The budget left before the effective deadline (never negative), or `none` when unbounded — e.g.
 * to pass a timeout on to a server.
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { Deadline } from "@taskscope/core"
 *
 * const program = Deadline.remaining.pipe(
 *   Effect.map(Option.match({ onNone: () => "no deadline", onSome: (d) => `${d} left` })),
 *   Deadline.within("3 seconds")
 * )
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const remaining: Effect.Effect<Option.Option<Duration.Duration>> = internal.remaining

/**
 * The effective deadline as epoch milliseconds, or `none` when unbounded.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Deadline } from "@taskscope/core"
 *
 * const program = Deadline.current.pipe(Deadline.within("1 second"))
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const current: Effect.Effect<Option.Option<number>> = internal.current

/**
 * Runs cleanup that must not be cut short: neither an outer deadline nor interruption stops it
 * (the interruption takes effect once it is done). `timeout` gives it a bound of its own, which
 * the outer deadline does not shorten.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Deadline } from "@taskscope/core"
 *
 * const flush = Effect.log("flushing").pipe(Effect.delay("500 millis"))
 * const program = Effect.never.pipe(
 *   Effect.ensuring(Deadline.shield(flush, { timeout: "2 seconds" }).pipe(Effect.ignore)),
 *   Effect.ensuring(Deadline.shield(flush)),
 *   Deadline.within("1 second")
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const shield: {
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R>
  <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options: { readonly timeout: Duration.DurationInput }
  ): Effect.Effect<A, E | TimeoutError | InvalidOptionsError, R>
} = internal.shield as never
