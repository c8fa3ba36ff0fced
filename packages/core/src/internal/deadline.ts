import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import { Clock as ClockTag } from "effect/Clock"
import * as Context from "effect/Context"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import { globalValue } from "effect/GlobalValue"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Scheduler from "effect/Scheduler"
import type * as Deadline from "../Deadline.js"
import { TimeoutError } from "../Errors.js"
import * as Options from "../Options.js"
import { andThen, interruptedByOthers, removeInterrupts, syntheticId } from "./cause.js"
import { Base } from "./inspectable.js"

/**
 * A cancel scope (Trio's `CancelScope`, asyncio's `Timeout`): the body runs on a fiber of its own,
 * which the scope interrupts when its deadline passes or when it is cancelled. Scopes form a chain
 * through the `currentScope` FiberRef, so every fiber forked below sees the effective deadline.
 * @internal
 */
export class ScopeImpl extends Base implements Deadline.CancelScope {
  readonly id: FiberId.Runtime
  /** The fiber that runs the body. */
  fiber: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined
  timer: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined
  readonly timers: Array<Fiber.RuntimeFiber<unknown, unknown>> = []
  /** This scope has interrupted its body (deadline or cancel). */
  fired = false
  /** The body has ended. */
  ended = false
  wasCancelled = false
  hasExpired = false
  caught = false

  constructor(
    readonly parent: ScopeImpl | undefined,
    public deadlineMs: number,
    readonly shield: boolean,
    /** A handle scope: its deadline can move, so inner scopes never lean on it. */
    readonly movable: boolean,
    readonly clock: Clock.Clock,
    readonly runtime: Runtime.Runtime<never>,
    readonly scheduler: Scheduler.Scheduler
  ) {
    super()
    this.id = syntheticId(clock)
  }

  get deadline(): Effect.Effect<Option.Option<number>> {
    return Effect.sync(() => (this.deadlineMs === Infinity ? Option.none() : Option.some(this.deadlineMs)))
  }

  reschedule(at: number | Date | DateTime.DateTime | null): Effect.Effect<void> {
    return Effect.sync(() => {
      this.deadlineMs = at === null ? Infinity : instantOrDie("CancelScope.reschedule", at)
      if (this.fiber !== undefined) this.arm()
    })
  }

  get cancel(): Effect.Effect<void> {
    return Effect.sync(() => {
      if (this.ended || this.fired) return
      this.wasCancelled = true
      this.fire()
    })
  }

  get cancelCalled(): Effect.Effect<boolean> {
    return Effect.sync(() => this.wasCancelled)
  }

  get cancelledCaught(): Effect.Effect<boolean> {
    return Effect.sync(() => this.caught)
  }

  get expired(): Effect.Effect<boolean> {
    return Effect.sync(() => this.hasExpired)
  }

  /** (Re)starts the timer for the current deadline. */
  arm(): void {
    if (this.timer !== undefined) {
      this.timer.unsafeInterruptAsFork(this.id)
      this.timer = undefined
    }
    if (this.deadlineMs === Infinity || this.fired || this.ended) return
    const wait = this.deadlineMs - this.clock.unsafeCurrentTimeMillis()
    if (wait <= 0) {
      // after the body's first slice: it times out at its first suspension, as asyncio.timeout(0)
      this.scheduler.scheduleTask(() => this.onTimer(), 0)
      return
    }
    const timer = Runtime.runFork(this.runtime)(Effect.zipRight(Effect.sleep(wait), Effect.sync(() => this.onTimer())))
    this.timer = timer
    this.timers.push(timer)
  }

  onTimer(): void {
    if (this.fired || this.ended) return
    const now = this.clock.unsafeCurrentTimeMillis()
    if (now < this.deadlineMs) return this.arm()
    // an enclosing scope whose deadline has passed too reports the timeout: the outer one wins
    if (!this.shield) {
      for (let s = this.parent; s !== undefined; s = s.parent) {
        if (!s.fired && !s.ended && s.deadlineMs <= now) return
        if (s.shield) break
      }
    }
    this.hasExpired = true
    this.fire()
  }

  fire(): void {
    this.fired = true
    this.fiber?.unsafeInterruptAsFork(this.id)
  }

  toJSON(): unknown {
    return {
      _id: "CancelScope",
      deadline: this.deadlineMs,
      shield: this.shield,
      cancelCalled: this.wasCancelled,
      expired: this.hasExpired
    }
  }
}

/** The scope the current fiber runs in, if any. @internal */
export const currentScope: FiberRef.FiberRef<ScopeImpl | undefined> = globalValue(
  Symbol.for("@taskscope/core/Deadline/currentScope"),
  () => FiberRef.unsafeMake<ScopeImpl | undefined>(undefined, { fork: (s) => s, join: (parent) => parent })
)

/**
 * The effective deadline below `scope`: the earliest of the chain, up to the first shield. Scopes
 * that have already fired are left out: code that still runs in them is their cleanup.
 * @internal
 */
export const effectiveDeadline = (scope: ScopeImpl | undefined): number => {
  let deadline = Infinity
  for (let s = scope; s !== undefined; s = s.parent) {
    if (!s.fired && !s.ended && s.deadlineMs < deadline) deadline = s.deadlineMs
    if (s.shield) break
  }
  return deadline
}

const hasMovable = (scope: ScopeImpl | undefined): boolean => {
  for (let s = scope; s !== undefined; s = s.parent) {
    if (s.movable && !s.fired && !s.ended) return true
    if (s.shield) break
  }
  return false
}

/** The current effective deadline in epoch milliseconds (`Infinity`: none). @internal */
export const currentDeadline: Effect.Effect<number> = Effect.map(FiberRef.get(currentScope), effectiveDeadline)

/** A duration in milliseconds, negative allowed, `Infinity` for "no deadline"; dies on NaN or garbage. */
const millisOrDie = (subject: string, input: unknown): number => {
  const ms = Options.toMillis(input)
  if (ms === undefined || ms === -Infinity) {
    throw new Cause.IllegalArgumentException(
      `${subject}: Expected a duration (milliseconds, a Duration, or a string like "5 seconds"; Infinity for none), actual ${
        typeof input === "string" ? JSON.stringify(input) : String(input)
      }`
    )
  }
  return ms
}

const instantOrDie = (subject: string, instant: unknown): number => {
  const ms = typeof instant === "number"
    ? instant
    : instant instanceof Date
    ? instant.getTime()
    : DateTime.isDateTime(instant)
    ? DateTime.toEpochMillis(instant)
    : Number.NaN
  if (Number.isNaN(ms)) {
    throw new Cause.IllegalArgumentException(
      `${subject}: Expected an instant (epoch milliseconds, a Date or a DateTime), actual ${String(instant)}`
    )
  }
  return ms
}

interface Opened {
  readonly scope: ScopeImpl | undefined
  /** The enclosing scope, when the new one is only informative (see `open`). */
  readonly inline: boolean
}

/**
 * Opens a scope with deadline `deadline` below the current one. A scope whose deadline is not
 * earlier than the enclosing effective deadline needs no timer and no fiber of its own: the
 * enclosing scope fires first and reports. That shortcut is not taken under a scope whose deadline
 * can still move.
 */
const open = (
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  deadline: number,
  options: { readonly shield: boolean; readonly movable: boolean; readonly inlineAllowed: boolean }
): Opened => {
  const parent = fiber.getFiberRef(currentScope)
  if (
    options.inlineAllowed && !options.shield && deadline >= effectiveDeadline(parent) && !hasMovable(parent)
  ) {
    return { scope: undefined, inline: true }
  }
  const clock = Context.get(fiber.currentDefaultServices, ClockTag)
  const runtime = Runtime.make({
    context: Context.empty(),
    fiberRefs: fiber.getFiberRefs(),
    runtimeFlags: Runtime.defaultRuntimeFlags
  })
  const scope = new ScopeImpl(
    parent,
    deadline,
    options.shield,
    options.movable,
    clock,
    runtime,
    fiber.currentScheduler
  )
  return { scope, inline: false }
}

/**
 * Runs `effect` in `scope`: on a fiber of its own (a child, so that an interruption of the caller
 * reaches it; a daemon when shielded), awaited without interruption. What the caller gets when the
 * scope itself stopped the body is `caught`'s to say.
 */
const runIn = <A, E, R, B, E2>(
  scope: ScopeImpl,
  effect: Effect.Effect<A, E, R>,
  caught: (rest: Cause.Cause<E>, start: number) => Effect.Effect<B, E | E2>
): Effect.Effect<A | B, E | E2, R> => {
  const start = scope.clock.unsafeCurrentTimeMillis()
  const body = Effect.interruptible(Effect.locally(effect, currentScope, scope))
  return Effect.uninterruptible(
    Effect.flatMap(scope.shield ? Effect.forkDaemon(body) : Effect.fork(body), (fiber) => {
      scope.fiber = fiber
      scope.arm()
      return Effect.flatMap(Fiber.await(fiber), (exit): Effect.Effect<A | B, E | E2> => {
        scope.ended = true
        const outcome = classify(scope, exit, caught, start)
        const timers = scope.timers
        return timers.length === 0 ? outcome : Effect.zipRight(Fiber.interruptAll(timers), outcome)
      })
    })
  )
}

const classify = <A, E, B, E2>(
  scope: ScopeImpl,
  exit: Exit.Exit<A, E>,
  caught: (rest: Cause.Cause<E>, start: number) => Effect.Effect<B, E | E2>,
  start: number
): Effect.Effect<A | B, E | E2> => {
  if (Exit.isSuccess(exit)) return exit
  const cause = exit.cause
  // an interruption from outside: pass on a fresh one (causes must not grow with every nested
  // scope) with whatever failed meanwhile
  if (!scope.fired || interruptedByOthers(cause, scope.id)) return passOn(cause)
  // the body's own failure, before the scope fired
  if (!Cause.isInterrupted(cause)) return exit
  scope.caught = true
  return caught(removeInterrupts(exit.cause), start)
}

/** A cause from a fiber we awaited, as this fiber's own: its interruption made fresh, its failures kept. */
const passOn = <E>(cause: Cause.Cause<E>): Effect.Effect<never, E> => {
  if (!Cause.isInterrupted(cause)) return Effect.failCause(cause)
  const failures = removeInterrupts(cause)
  const [by] = Cause.interruptors(cause)
  return Effect.failCause(andThen(failures, Cause.interrupt(by)))
}

const timeoutFailure = <E>(scope: ScopeImpl, rest: Cause.Cause<E>, start: number) => {
  const error = new TimeoutError({
    deadline: scope.deadlineMs,
    elapsed: Duration.millis(Math.max(0, scope.clock.unsafeCurrentTimeMillis() - start))
  })
  // failures of the body's cleanup come first (asyncio raises them instead); the TimeoutError stays beside them
  return Effect.failCause(andThen(rest, Cause.fail(error)))
}

const withDeadline = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  deadlineOf: (now: number) => number,
  onTimeout: "fail" | "none"
): Effect.Effect<any, any, R> =>
  Effect.withFiberRuntime<any, any, R>((fiber) => {
    const clock = Context.get(fiber.currentDefaultServices, ClockTag)
    const deadline = deadlineOf(clock.unsafeCurrentTimeMillis())
    const mapped: Effect.Effect<unknown, E, R> = onTimeout === "none" ? Effect.map(effect, Option.some) : effect
    const opened = open(fiber as Fiber.RuntimeFiber<unknown, unknown>, deadline, {
      shield: false,
      movable: false,
      inlineAllowed: true
    })
    if (opened.scope === undefined) return mapped
    const scope = opened.scope
    return runIn(scope, mapped, (rest, start) =>
      onTimeout === "fail"
        ? timeoutFailure(scope, rest, start)
        : Cause.isEmpty(rest)
        ? Effect.succeed(Option.none())
        : Effect.failCause(rest))
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
  Effect.withFiberRuntime<Option.Option<A>, E, R>((fiber) => {
    const clock = Context.get(fiber.currentDefaultServices, ClockTag)
    const now = clock.unsafeCurrentTimeMillis()
    let deadline = Infinity
    if (options?.timeout !== undefined) deadline = now + millisOrDie("Deadline.scope", options.timeout)
    if (options?.at !== undefined) deadline = Math.min(deadline, instantOrDie("Deadline.scope", options.at))
    const { scope } = open(fiber as Fiber.RuntimeFiber<unknown, unknown>, deadline, {
      shield: options?.shield === true,
      movable: true,
      inlineAllowed: false
    })
    const handle = scope!
    return runIn(
      handle,
      Effect.map(Effect.suspend(() => f(handle)), Option.some),
      (rest) => (Cause.isEmpty(rest) ? Effect.succeed(Option.none<A>()) : Effect.failCause(rest))
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
  Effect.withFiberRuntime<A, E | TimeoutError, R>((fiber) => {
    const clock = Context.get(fiber.currentDefaultServices, ClockTag)
    const deadline = options?.timeout === undefined
      ? Infinity
      : clock.unsafeCurrentTimeMillis() + millisOrDie("Deadline.shield", options.timeout)
    const { scope } = open(fiber as Fiber.RuntimeFiber<unknown, unknown>, deadline, {
      shield: true,
      movable: false,
      inlineAllowed: false
    })
    const handle = scope!
    return runIn(handle, effect, (rest, start) => timeoutFailure(handle, rest, start))
  })

/** @internal */
export const unsafeRuntimeAt = (
  runtime: Runtime.Runtime<never>,
  instant: number
): { readonly runtime: Runtime.Runtime<never>; readonly end: () => void } => {
  const parent = FiberRefs.getOrDefault(runtime.fiberRefs, currentScope)
  const clock = Runtime.runSync(runtime)(Effect.clock)
  // a scope with no fiber and no timer: it never fires; the bridge stops the work itself
  const scope = new ScopeImpl(parent, instant, false, false, clock, runtime, Scheduler.defaultScheduler)
  const fiberRefs = FiberRefs.updateAs(runtime.fiberRefs, {
    fiberId: FiberId.none,
    fiberRef: currentScope,
    value: scope
  })
  return {
    runtime: Runtime.make({ context: runtime.context, fiberRefs, runtimeFlags: runtime.runtimeFlags }),
    end: () => {
      scope.ended = true
    }
  }
}
