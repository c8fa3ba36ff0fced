import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import * as FiberId from "effect/FiberId"

/** Removes the interruptions from a cause, keeping every failure and defect. @internal */
export const removeInterrupts = <E>(cause: Cause.Cause<E>): Cause.Cause<E> =>
  Cause.match<Cause.Cause<E>, E>(cause, {
    onEmpty: Cause.empty,
    onFail: (error) => Cause.fail(error),
    onDie: (defect) => Cause.die(defect),
    onInterrupt: () => Cause.empty,
    onSequential: (l, r) => Cause.isEmpty(l) ? r : Cause.isEmpty(r) ? l : Cause.sequential(l, r),
    onParallel: (l, r) => Cause.isEmpty(l) ? r : Cause.isEmpty(r) ? l : Cause.parallel(l, r)
  })

/** `Cause.parallel` that drops empty sides. @internal */
export const both = <E1, E2>(left: Cause.Cause<E1>, right: Cause.Cause<E2>): Cause.Cause<E1 | E2> =>
  Cause.isEmpty(left) ? right : Cause.isEmpty(right) ? left : Cause.parallel<E1 | E2, E1 | E2>(left, right)

/** `Cause.sequential` that drops empty sides. @internal */
export const andThen = <E1, E2>(first: Cause.Cause<E1>, second: Cause.Cause<E2>): Cause.Cause<E1 | E2> =>
  Cause.isEmpty(first) ? second : Cause.isEmpty(second) ? first : Cause.sequential<E1 | E2, E1 | E2>(first, second)

let nextScopeId = 0

/** A FiberId that no fiber has: what a scope or a group interrupts with, so its own interruptions are told apart. @internal */
export const syntheticId = (clock: Clock.Clock): FiberId.Runtime =>
  FiberId.runtime(-(++nextScopeId), clock.unsafeCurrentTimeMillis())

/** True when `cause` was interrupted by someone other than `id`. @internal */
export const interruptedByOthers = (cause: Cause.Cause<unknown>, id: FiberId.FiberId): boolean => {
  for (const by of Cause.interruptors(cause)) {
    for (const single of FiberId.toSet(by)) {
      if (!FiberId.isRuntime(single) || !FiberId.isRuntime(id) || single.id !== id.id) return true
    }
  }
  return false
}

/** `Cause.isInterruptedOnly`, without walking the cause in the common case of a single interruption. @internal */
export const isInterruptedOnly = (cause: Cause.Cause<unknown>): boolean =>
  cause._tag === "Interrupt" || (cause._tag !== "Fail" && cause._tag !== "Die" && Cause.isInterruptedOnly(cause))
