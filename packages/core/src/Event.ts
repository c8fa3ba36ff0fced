/**
 * An event flag (asyncio's `Event`), on Effect's `Latch`: `set` wakes every waiter, `clear` resets
 * the flag, `wait` returns at once while it is set. A waiter woken by `set` wakes even if `clear`
 * follows at once.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"

/**
 * @since 0.1.0
 * @category models
 */
export interface Event {
  /** Sets the flag and wakes every waiter. */
  readonly set: Effect.Effect<void>
  /** Clears the flag; later waiters wait for the next `set`. */
  readonly clear: Effect.Effect<void>
  /** Waits until the flag is set (at once if it is). */
  readonly wait: Effect.Effect<void>
  readonly isSet: Effect.Effect<boolean>
}

/**
 * Makes an event, initially clear (or set).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Event, TaskGroup } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const ready = yield* Event.make()
 *   yield* TaskGroup.scoped((group) =>
 *     Effect.gen(function*() {
 *       yield* group.spawn(ready.wait.pipe(Effect.zipRight(Effect.log("initialised, starting"))))
 *       yield* Effect.log("initialising")
 *       yield* ready.set
 *     })
 *   )
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (initiallySet = false): Effect.Effect<Event> =>
  Effect.map(Effect.makeLatch(initiallySet), (latch) => {
    let flag = initiallySet
    return {
      set: Effect.suspend(() => {
        flag = true
        return latch.open
      }),
      clear: Effect.suspend(() => {
        flag = false
        return latch.close
      }),
      wait: latch.await,
      isSet: Effect.sync(() => flag)
    }
  })
