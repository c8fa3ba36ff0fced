import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import { Clock as ClockTag } from "effect/Clock"
import * as Context from "effect/Context"
import type * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as FiberRefs from "effect/FiberRefs"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Scheduler from "effect/Scheduler"
import type * as Deadline from "../Deadline.js"
import {
  currentDeadline,
  currentScope,
  effectiveDeadline,
  hasMovable,
  open,
  runIn,
  ScopeImpl,
  withScope
} from "./cancelScope.js"
import { andThen } from "./cause.js"
import { instantOrDie, millisOrDie } from "./durations.js"
import { TimeoutError } from "./errors.js"

export { currentDeadline, currentScope, effectiveDeadline }

const timeoutFailure = <E>(scope: ScopeImpl, rest: Cause.Cause<E>, start: number) => {
  const error = new TimeoutError({
    deadline: scope.deadlineMs,
    elapsed: Duration.millis(Math.max(0, scope.clock.unsafeCurrentTimeMillis() - start))
  })
  // failures of the body's cleanup come first (asyncio raises them instead); the TimeoutError stays beside them
  return Effect.failCause(andThen(rest, Cause.fail(error)))
}

const noneOrRest = <E>(rest: Cause.Cause<E>) =>
  Cause.isEmpty(rest) ? Effect.succeed(Option.none()) : Effect.failCause(rest)

const PLAIN = { shield: false, movable: false } as const

/**
 * A deadline around `effect`. A deadline no earlier than the enclosing effective one needs no
 * scope of its own (the enclosing scope fires first and reports), unless an enclosing deadline
 * can still move.
 */
const withDeadline = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  deadlineOf: (now: number) => number,
  onTimeout: "fail" | "none"
): Effect.Effect<any, any, R> =>
  Effect.withFiberRuntime<any, any, R>((fiber) => {
    const clock = Context.get(fiber.currentDefaultServices, ClockTag)
    const deadline = deadlineOf(clock.unsafeCurrentTimeMillis())
    const mapped: Effect.Effect<unknown, E, R> = onTimeout === "none" ? Effect.map(effect, Option.some) : effect
    const parent = fiber.getFiberRef(currentScope)
    if (deadline >= effectiveDeadline(parent) && !hasMovable(parent)) return mapped
    const scope = open(fiber as Fiber.RuntimeFiber<unknown, unknown>, deadline, PLAIN)
    return runIn(
      scope,
      mapped,
      (rest, start) => onTimeout === "fail" ? timeoutFailure(scope, rest, start) : noneOrRest(rest)
    )
  })

/** @internal */
export const within = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  duration: Duration.DurationInput
): Effect.Effect<A, E | TimeoutError, R> =>
  Effect.suspend(() => {
    const ms = millisOrDie("Deadline.within", duration)
    return withDeadline(effect, (now) => now + ms, "fail")
  })

/** @internal */
export const at = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  instant: number | Date | DateTime.DateTime
): Effect.Effect<A, E | TimeoutError, R> =>
  Effect.suspend(() => {
    const ms = instantOrDie("Deadline.at", instant)
    return withDeadline(effect, () => ms, "fail")
  })

/** @internal */
export const moveOnAfter = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  duration: Duration.DurationInput
): Effect.Effect<Option.Option<A>, E, R> =>
  Effect.suspend(() => {
    const ms = millisOrDie("Deadline.moveOnAfter", duration)
    return withDeadline(effect, (now) => now + ms, "none")
  })

/** @internal */
export const scope = <A, E, R>(
  f: (scope: Deadline.CancelScope) => Effect.Effect<A, E, R>,
  options?: Deadline.ScopeOptions
): Effect.Effect<Option.Option<A>, E, R> =>
  Effect.suspend(() => {
    const timeout = options?.timeout === undefined ? undefined : millisOrDie("Deadline.scope", options.timeout)
    const instant = options?.at === undefined ? Infinity : instantOrDie("Deadline.scope", options.at)
    return withScope(
      (now) => Math.min(timeout === undefined ? Infinity : now + timeout, instant),
      { shield: options?.shield === true, movable: true },
      (handle) => Effect.map(f(handle), Option.some),
      (_, rest) => noneOrRest(rest)
    )
  })

/** @internal */
export const remaining: Effect.Effect<Option.Option<Duration.Duration>> = Effect.flatMap(
  currentDeadline,
  (deadline) =>
    deadline === Infinity
      ? Effect.succeed(Option.none())
      : Effect.clockWith((clock) =>
        Effect.sync(() => Option.some(Duration.millis(Math.max(0, deadline - clock.unsafeCurrentTimeMillis()))))
      )
)

/** @internal */
export const current: Effect.Effect<Option.Option<number>> = Effect.map(
  currentDeadline,
  (deadline) => deadline === Infinity ? Option.none() : Option.some(deadline)
)

/** @internal */
export const shield = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options?: { readonly timeout?: Duration.DurationInput }
): Effect.Effect<A, E | TimeoutError, R> =>
  Effect.suspend(() => {
    const timeout = options?.timeout === undefined ? undefined : millisOrDie("Deadline.shield", options.timeout)
    return withScope(
      (now) => timeout === undefined ? Infinity : now + timeout,
      { shield: true, movable: false },
      () => effect,
      (handle, rest, start) => timeoutFailure(handle, rest, start)
    )
  })

/** @internal */
export const unsafeRuntimeAt = (
  runtime: Runtime.Runtime<never>,
  instant: number
): { readonly runtime: Runtime.Runtime<never>; readonly end: () => void } => {
  const parent = FiberRefs.getOrDefault(runtime.fiberRefs, currentScope)
  const clock: Clock.Clock = Runtime.runSync(runtime)(Effect.clock)
  // a scope with no fiber and no timer: it never fires; the bridge stops the work itself
  const scope = new ScopeImpl(parent, instant, false, false, clock, () => runtime, Scheduler.defaultScheduler)
  const fiberRefs = FiberRefs.updateAs(runtime.fiberRefs, {
    fiberId: FiberId.none,
    fiberRef: currentScope,
    value: scope
  })
  return {
    runtime: Runtime.make({ context: runtime.context, fiberRefs, runtimeFlags: runtime.runtimeFlags }),
    end: () => scope.end()
  }
}
