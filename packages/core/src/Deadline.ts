/**
 * Deadlines and cancel scopes: asyncio's `timeout` / `wait_for`, Trio's `CancelScope`,
 * `move_on_after` and shielded scopes.
 *
 * A deadline belongs to a scope, and scopes form a chain that every fiber forked below sees —
 * TaskGroup children, `Concurrent`, plain forks — so code anywhere can ask for the effective
 * deadline (the earliest of all enclosing ones) with {@link remaining}. An inner deadline can never
 * extend an outer one; when both pass, the outer scope reports. When a scope's deadline passes,
 * the body is interrupted, its finalizers run, and only then does the caller get the typed
 * {@link TimeoutError} (or `Option.none()` for {@link moveOnAfter} and {@link scope}).
 *
 * The edges, to the letter of asyncio 3.13 and Trio:
 * - a zero or negative duration times out at the body's **first suspension**: the code before it
 *   runs, nothing after (`asyncio.timeout(0)`);
 * - **no error is lost**: a failure of the body's cleanup while it is being stopped stays in the
 *   Cause, before the `TimeoutError` (asyncio raises it instead; here both are kept);
 * - a deadline opened **inside the cleanup** of a scope that has already fired is armed from that
 *   moment and fires at its own time (the fired scope no longer bounds its own cleanup);
 * - `Infinity` means no deadline; NaN or a value that is not a duration is a programmer error
 *   (a defect naming the function and the value).
 *
 * Differences from asyncio: the timeout is a typed error in the error channel, not an exception
 * that replaces cancellation. {@link shield} is Trio's shielded scope — the caller waits for the
 * shielded work; asyncio's `shield` (the caller may leave at once while the work goes on) is
 * `group.shield` on a TaskGroup.
 *
 * @since 0.1.0
 */
import type * as DateTime from "effect/DateTime"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import type { Inspectable } from "effect/Inspectable"
import type * as Option from "effect/Option"
import type { Pipeable } from "effect/Pipeable"
import type * as Runtime from "effect/Runtime"
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
 * comes out unchanged; if its cleanup fails while it is being stopped, that failure comes first in
 * the Cause and the `TimeoutError` stays beside it. Zero or negative durations time out at the
 * effect's first suspension; `Infinity` is no deadline; NaN or garbage is a defect.
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
  ) => Effect.Effect<A, E | TimeoutError, R>
  <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    duration: Duration.DurationInput
  ): Effect.Effect<A, E | TimeoutError, R>
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
  ) => Effect.Effect<A, E | TimeoutError, R>
  <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    instant: number | Date | DateTime.DateTime
  ): Effect.Effect<A, E | TimeoutError, R>
} = dual(2, internal.at)

/**
 * Like {@link within}, but when this scope's own deadline passes the result is `Option.none()`
 * instead of a failure (Trio's `move_on_after`). An outer deadline still reports as the outer scope,
 * and a failure of the body's cleanup is never turned into `none`.
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
  ) => Effect.Effect<Option.Option<A>, E, R>
  <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    duration: Duration.DurationInput
  ): Effect.Effect<Option.Option<A>, E, R>
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
 * For bridges from promise code: a Runtime like `runtime` whose effects run under the deadline
 * `instant` (epoch milliseconds on `runtime`'s clock), as if inside `Deadline.at(…, instant)` —
 * `Deadline.current` sees it, an inner `within` never outlives it. It does not fire on its own: the
 * bridge stops the work when the instant passes (say, by aborting the signal it handed out) and
 * calls `end()` once the work is over, so that effects run later no longer see the deadline.
 * `@taskscope/promise` uses it for tasks with a timeout that it runs without a fiber.
 *
 * @example
 * ```ts
 * import { Effect, Option, Runtime } from "effect"
 * import { Deadline } from "@taskscope/core"
 *
 * const { runtime, end } = Deadline.unsafeRuntimeAt(Runtime.defaultRuntime, Date.now() + 1_000)
 * const seen = Runtime.runSync(runtime)(Deadline.current) // Option.some(<that instant>)
 * end()
 * const after = Runtime.runSync(runtime)(Deadline.current) // Option.none()
 * console.log(Option.isSome(seen), Option.isNone(after)) // true true
 * ```
 *
 * @since 0.1.0
 * @category bridges
 */
export const unsafeRuntimeAt: (
  runtime: Runtime.Runtime<never>,
  instant: number
) => { readonly runtime: Runtime.Runtime<never>; readonly end: () => void } = internal.unsafeRuntimeAt

/**
 * Trio's shielded scope: runs work that must not be cut short — neither an outer deadline nor
 * interruption stops it, and the caller waits for it (the interruption takes effect once it is
 * done). `timeout` gives it a bound of its own, which the outer deadline does not shorten. For
 * asyncio's `shield` — the caller may be cancelled at once while the work goes on — use
 * `group.shield` on a TaskGroup.
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
  ): Effect.Effect<A, E | TimeoutError, R>
} = internal.shield as never

/**
 * A cancel scope (Trio's `CancelScope`, asyncio's `Timeout`), handed to the body of {@link scope}.
 * Every deadline of this module is one; so are `Task.waitFor`, a `TaskGroup`'s `cancel` and
 * `runMain`'s shutdown deadline. The rules, Trio's:
 *
 * - Scopes nest to any depth; a cancelled scope stops everything inside it (a scope opened inside
 *   a cancelled one is stopped with it), and the outermost cancelled scope catches the
 *   cancellation: an inner one passes it on, whatever its own state.
 * - `cancelledCaught` is true only for the scope that caught an interruption and nothing else: a
 *   body that failed with its own error, or whose cleanup failed, was not stopped by the scope alone.
 * - A body that ends with its value keeps it, even when a cancel was on its way (Trio drops it).
 * - A scope that is shielded keeps enclosing cancellations out; they reach the code around it as
 *   soon as it returns (in Effect every step is a checkpoint, where Trio waits for the next `await`).
 * - Cleanup (finalizers, `Effect.ensuring`) runs uninterruptibly, as always in Effect: an enclosing
 *   scope that has already fired does not stop the cleanup, and a deadline opened in it works.
 *
 * @since 0.1.0
 * @category models
 */
export interface CancelScope extends Pipeable, Inspectable {
  /** The scope's own deadline in epoch milliseconds, or `none` (Trio's `deadline`, asyncio's `when()`). */
  readonly deadline: Effect.Effect<Option.Option<number>>
  /**
   * Moves the deadline, earlier or later, to an instant (epoch milliseconds, a `Date` or a
   * `DateTime`), or removes it with `null` (asyncio's `reschedule`). A deadline already past
   * cancels the scope. Once the scope has ended it changes nothing, the deadline included.
   */
  reschedule(at: number | Date | DateTime.DateTime | null): Effect.Effect<void>
  /**
   * Cancels the scope (Trio's `cancel()`). Does not suspend: the code that called it runs on to its
   * next suspension (Trio's next checkpoint) and is interrupted there; the body's cleanup runs, and
   * {@link scope} returns `none`. A body that returns before its next suspension keeps its value.
   * Calling it again, or after the scope ended, changes nothing but `cancelCalled`.
   */
  readonly cancel: Effect.Effect<void>
  /** Whether the scope was cancelled: `cancel` was called or the deadline passed (Trio's `cancel_called`). */
  readonly cancelCalled: Effect.Effect<boolean>
  /**
   * Whether this scope caught its cancellation: it stopped the body, by its deadline or by `cancel`,
   * and the body ended with that interruption alone (Trio's `cancelled_caught`). False when an
   * enclosing scope was cancelled too (that one catches).
   */
  readonly cancelledCaught: Effect.Effect<boolean>
  /** Whether the deadline passed and cancelled the scope (asyncio's `expired()`). */
  readonly expired: Effect.Effect<boolean>
  /** Whether enclosing deadlines and cancellations are kept out (Trio's `shield`). */
  readonly shield: boolean
}

/**
 * Options of {@link scope}.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScopeOptions {
  /** A deadline this long from now (`Infinity`: none). */
  readonly timeout?: Duration.DurationInput
  /** An absolute deadline; with `timeout` too, the earlier one counts. */
  readonly at?: number | Date | DateTime.DateTime
  /** Keep enclosing deadlines and cancellations out (Trio's `shield=True`); the caller waits. */
  readonly shield?: boolean
}

/**
 * Opens a cancel scope and runs `body` in it: `some(value)` when the body completes, `none` when
 * the scope stopped it (its deadline passed, or `scope.cancel` was called) — Trio's
 * `with CancelScope() as scope:` / `move_on_at`, with a handle to read and move the deadline,
 * cancel, and ask afterwards what happened. An enclosing deadline still reports as the enclosing
 * scope; a failure of the body's cleanup is never turned into `none`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Deadline } from "@taskscope/core"
 *
 * const poll = Effect.log("polling").pipe(Effect.delay("1 second"), Effect.forever)
 *
 * const program = Deadline.scope((scope) =>
 *   Effect.gen(function*() {
 *     // give it 5 seconds, but stop early when a stop request arrives
 *     yield* Effect.fork(Effect.zipRight(Effect.sleep("2 seconds"), scope.cancel))
 *     return yield* poll
 *   }), { timeout: "5 seconds" })
 * // Option.none() after 2 s; scope.cancelCalled is true, scope.expired false,
 * // scope.cancelledCaught true
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const scope: <A, E, R>(
  body: (scope: CancelScope) => Effect.Effect<A, E, R>,
  options?: ScopeOptions
) => Effect.Effect<Option.Option<A>, E, R> = internal.scope
