/**
 * An event flag (asyncio's `Event`): `set` wakes every waiter, `clear` resets the flag, `wait`
 * returns at once while it is set, `waiting` tells how many fibers wait. A waiter woken by `set`
 * wakes even if `clear` follows at once; an interrupted waiter leaves no trace.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type { Inspectable } from "effect/Inspectable"
import type { Pipeable } from "effect/Pipeable"
import * as internal from "./internal/event.js"

/**
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * @since 0.1.0
 * @category symbols
 */
export type TypeId = typeof TypeId

/**
 * An event flag.
 *
 * @since 0.1.0
 * @category models
 */
export interface Event extends Pipeable, Inspectable {
  readonly [TypeId]: TypeId
  /** Sets the flag and wakes every waiter. */
  readonly set: Effect.Effect<void>
  /** Clears the flag; later waiters wait for the next `set`. */
  readonly clear: Effect.Effect<void>
  /** Waits until the flag is set (at once if it is). */
  readonly wait: Effect.Effect<void>
  readonly isSet: Effect.Effect<boolean>
  /** How many fibers wait for the next `set` (asyncio keeps this in `_waiters`). */
  readonly waiting: Effect.Effect<number>
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
export const make: (initiallySet?: boolean) => Effect.Effect<Event> = internal.make

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Event } from "@taskscope/core"
 *
 * const program = Effect.map(Event.make(), Event.isEvent) // true
 * ```
 *
 * @since 0.1.0
 * @category refinements
 */
export const isEvent = (u: unknown): u is Event => typeof u === "object" && u !== null && TypeId in u
