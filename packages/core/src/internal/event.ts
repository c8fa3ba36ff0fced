import * as Effect from "effect/Effect"
import type * as Event from "../Event.js"
import { Base } from "./inspectable.js"
import { noteWaiting } from "./registry.js"

/** @internal */
export const TypeId: Event.TypeId = Symbol.for("@taskscope/core/Event") as Event.TypeId

/** @internal */
export class EventImpl extends Base implements Event.Event {
  readonly [TypeId]: Event.TypeId = TypeId
  /** The fibers waiting for `set`, in arrival order. */
  readonly waiters = new Set<() => void>()

  constructor(public flag: boolean, readonly name: string = "event") {
    super()
  }

  readonly set: Effect.Effect<void> = Effect.sync(() => {
    this.flag = true
    if (this.waiters.size === 0) return
    // every waiter wakes, even if `clear` follows at once
    const woken = Array.from(this.waiters)
    this.waiters.clear()
    for (const wake of woken) wake()
  })

  readonly clear: Effect.Effect<void> = Effect.sync(() => {
    this.flag = false
  })

  readonly wait: Effect.Effect<void> = Effect.suspend(() =>
    this.flag ? Effect.void : noteWaiting(this.block, "event", this.name, `waiting for event ${this.name} to be set`)
  )

  readonly block: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (this.flag) return resume(Effect.void)
    const wake = () => resume(Effect.void)
    this.waiters.add(wake)
    return Effect.sync(() => {
      this.waiters.delete(wake)
    })
  })

  readonly isSet: Effect.Effect<boolean> = Effect.sync(() => this.flag)

  readonly waiting: Effect.Effect<number> = Effect.sync(() => this.waiters.size)

  toJSON(): unknown {
    return { _id: "Event", isSet: this.flag, waiting: this.waiters.size }
  }
}

/** @internal */
export const make = (initiallySet = false): Effect.Effect<Event.Event> =>
  Effect.sync(() => new EventImpl(initiallySet === true))
