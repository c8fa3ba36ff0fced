import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import { Clock as ClockTag } from "effect/Clock"
import * as Context from "effect/Context"
import type * as DateTime from "effect/DateTime"
import * as DefaultServices from "effect/DefaultServices"
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
import type * as Scheduler from "effect/Scheduler"
import type * as Deadline from "../Deadline.js"
import { andThen, removeInterrupts, syntheticId } from "./cause.js"
import { instantOrDie } from "./durations.js"
import { Base } from "./inspectable.js"
import { currentTask } from "./taskInfo.js"

/**
 * Trio's `CancelScope`, the one cancellation primitive: `Deadline.within/at/moveOnAfter/scope/shield`,
 * `Task.waitFor` (through `moveOnAfter`), `TaskGroup`'s `cancel` and `runMain`'s shutdown deadline
 * are built on it.
 *
 * - The body runs on a fiber of its own: a child of the caller (so that an interruption of the
 *   caller reaches it, as Effect sends every interruption on to a fiber's children), or a daemon
 *   when the scope is shielded. The caller waits for it without interruption.
 * - A scope is cancelled by `cancel()` or when its deadline passes (both set `cancelCalled`, as in
 *   Trio). The cancellation is delivered as an interruption of the body's fiber; `cancel()` delivers
 *   it once the caller's current slice is over, so code runs on to its next suspension (Trio's next
 *   checkpoint); an expired deadline delivers it at once.
 * - Level-triggered and nested: a scope opened inside a cancelled one is interrupted with it (the
 *   interruption reaches every fiber below), and an interruption travels out through every scope
 *   until the one that caused it.
 * - Which scope catches is decided from the scopes' state, never from who interrupted whom: a scope
 *   catches its cancellation when it was cancelled, the body ended interrupted, and no enclosing
 *   scope it can see (up to a shield) was cancelled after it was opened — the outermost cancelled
 *   scope catches, as Trio's `parent_cancellation_is_visible_to_us` rule says. An enclosing scope
 *   cancelled *before* this one opened does not count: code still running in it is its cleanup
 *   (Effect runs cleanup uninterruptibly), and a scope opened there works as usual.
 * - A body that ended with a value keeps it even if a cancel was still on its way (Trio drops the
 *   pending cancel); `cancelledCaught` is true only when the scope caught an interruption and
 *   nothing else (a body that failed with its own error, or whose cleanup failed, did not end by
 *   the cancellation alone).
 * - The cost is linear in the depth: each scope is one fiber and one timer; a timer on Effect's
 *   live clock is a plain host timer, on any other clock (the TestClock) a sleeping fiber.
 * @internal
 */
export class ScopeImpl extends Base implements Deadline.CancelScope {
  readonly id: FiberId.Runtime
  /** The fiber that runs the body. */
  fiber: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined
  /** Cancels the pending timer, if any. */
  disarm: (() => void) | undefined = undefined
  /** Timer fibers (on a clock other than the live one) to wait for when the scope ends. */
  timerFibers: Array<Fiber.RuntimeFiber<unknown, unknown>> | undefined = undefined
  /** Trio's `cancel_called`: `cancel` was called or the deadline passed. */
  cancelRequested = false
  /** The interruption has been sent to the body (or will be, when the body's fiber is attached). */
  fired = false
  /** When it fired, in `sequence` order (0: not yet). */
  firedAt = 0
  /** The `sequence` value when it was opened. */
  readonly openedAt: number
  ended = false
  hasExpired = false
  caught = false
  /** Called once when the scope fires, before its body is interrupted (a TaskGroup cancels its children). */
  onFire: (() => void) | undefined = undefined
  /** See `OpenOptions.ownInterruptibility`. */
  ownInterruptibility = false

  constructor(
    readonly parent: ScopeImpl | undefined,
    public deadlineMs: number,
    readonly shield: boolean,
    /** A handle scope: its deadline can move, so inner scopes never lean on it. */
    readonly movable: boolean,
    readonly clock: Clock.Clock,
    /** The runtime of the timer fibers (made on first use: only clocks other than the live one need it). */
    readonly runtime: () => Runtime.Runtime<never>,
    readonly scheduler: Scheduler.Scheduler
  ) {
    super()
    this.id = syntheticId(clock)
    this.openedAt = sequence.value
  }

  get deadline(): Effect.Effect<Option.Option<number>> {
    return Effect.sync(() => (this.deadlineMs === Infinity ? Option.none() : Option.some(this.deadlineMs)))
  }

  reschedule(at: number | Date | DateTime.DateTime | null): Effect.Effect<void> {
    return Effect.sync(() => {
      const ms = at === null ? Infinity : instantOrDie("CancelScope.reschedule", at)
      // inert once the scope has ended (asyncio refuses, Trio ignores): its deadline stays as it was
      if (this.ended) return
      this.deadlineMs = ms
      epoch.value++
      if (this.fiber !== undefined) this.arm()
    })
  }

  get cancel(): Effect.Effect<void> {
    return Effect.sync(() => this.unsafeCancel())
  }

  /** Trio's `cancel()`: the interruption is sent once the current slice is over. */
  unsafeCancel(): void {
    if (this.cancelRequested) return
    this.cancelRequested = true
    if (this.ended) return
    this.stopTimer()
    this.scheduler.scheduleTask(() => this.fire(), 0)
  }

  get cancelCalled(): Effect.Effect<boolean> {
    return Effect.sync(() => {
      this.notePassedDeadline()
      return this.cancelRequested
    })
  }

  /**
   * Trio's `cancel_called` reflects the clock: a deadline that has passed while the scope is open
   * counts as a cancellation even before its timer has run (two deadlines passing at one instant).
   */
  notePassedDeadline(): void {
    if (!this.cancelRequested && !this.ended && this.clock.unsafeCurrentTimeMillis() >= this.deadlineMs) {
      this.cancelRequested = true
      this.hasExpired = true
    }
  }

  get cancelledCaught(): Effect.Effect<boolean> {
    return Effect.sync(() => this.caught)
  }

  get expired(): Effect.Effect<boolean> {
    return Effect.sync(() => this.hasExpired)
  }

  /** (Re)starts the timer for the current deadline. */
  arm(): void {
    this.stopTimer()
    if (this.deadlineMs === Infinity || this.fired || this.ended) return
    const wait = this.deadlineMs - this.clock.unsafeCurrentTimeMillis()
    if (wait <= 0) {
      // after the body's first slice: it times out at its first suspension, as asyncio.timeout(0)
      this.scheduler.scheduleTask(() => this.onTimer(), 0)
      return
    }
    if (this.clock === liveClock) {
      const handle = setTimeout(() => this.onTimer(), Math.min(wait, MAX_TIMER_MS))
      this.disarm = () => clearTimeout(handle)
      return
    }
    const timer = Runtime.runFork(this.runtime())(
      Effect.zipRight(this.clock.sleep(Duration.millis(wait)), Effect.sync(() => this.onTimer()))
    )
    this.disarm = () => timer.unsafeInterruptAsFork(this.id)
    ;(this.timerFibers ??= []).push(timer)
  }

  stopTimer(): void {
    if (this.disarm !== undefined) {
      const disarm = this.disarm
      this.disarm = undefined
      disarm()
    }
  }

  onTimer(): void {
    this.disarm = undefined
    if (this.fired || this.ended) return
    const now = this.clock.unsafeCurrentTimeMillis()
    if (now < this.deadlineMs) return this.arm()
    // every enclosing scope whose deadline has passed too expires now, outermost first: it is the
    // one that catches (Trio cancels every expired scope in the same step)
    const expired: Array<ScopeImpl> = [this]
    if (!this.shield) {
      for (let s = this.parent; s !== undefined; s = s.parent) {
        if (!s.ended && !s.fired && s.fiber !== undefined && s.deadlineMs <= now) expired.push(s)
        if (s.shield) break
      }
    }
    for (let i = expired.length - 1; i >= 0; i--) expired[i].expire()
  }

  expire(): void {
    this.stopTimer()
    this.cancelRequested = true
    this.hasExpired = true
    this.fire()
  }

  /** Sends the interruption to the body (now, or as soon as its fiber is attached). */
  fire(): void {
    if (this.fired || this.ended) return
    this.fired = true
    this.firedAt = ++sequence.value
    epoch.value++
    this.onFire?.()
    this.fiber?.unsafeInterruptAsFork(this.id)
  }

  /** The body's fiber: from now on the scope can stop it. */
  attach(fiber: Fiber.RuntimeFiber<unknown, unknown>): void {
    this.fiber = fiber
    if (this.fired) fiber.unsafeInterruptAsFork(this.id)
    else this.arm()
  }

  /** The body has ended: no timer, no cancel reaches it any more. */
  end(): void {
    this.notePassedDeadline()
    this.ended = true
    epoch.value++
    this.stopTimer()
  }

  /** `effectiveDeadline` and `hasMovable` of the chain from here, valid while `cachedAt` is the epoch. */
  cachedAt = -1
  cachedDeadline = Infinity
  cachedMovable = false

  /**
   * Trio's `parent_cancellation_is_visible_to_us`: an enclosing scope this one can see (none when
   * shielded; up to and including the first shield) was cancelled after this one was opened and is
   * still open — that scope catches, this one passes the interruption on.
   */
  parentCancelVisible(): boolean {
    if (this.shield) return false
    for (let s = this.parent; s !== undefined; s = s.parent) {
      if (s.fired && !s.ended && s.firedAt > this.openedAt) return true
      if (s.shield) return false
    }
    return false
  }

  toJSON(): unknown {
    return {
      _id: "CancelScope",
      deadline: this.deadlineMs,
      shield: this.shield,
      cancelCalled: this.cancelRequested,
      cancelledCaught: this.caught,
      expired: this.hasExpired
    }
  }
}

// the host's timers (every runtime the core supports has them; the core's lib has no DOM or Node types)
declare const setTimeout: (f: () => void, ms: number) => unknown
declare const clearTimeout: (handle: unknown) => void

/** setTimeout takes at most 2^31 - 1 ms; a longer wait re-arms when the timer wakes early. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** Effect's live clock: its sleeps are host timers, so ours can be too. */
const liveClock: Clock.Clock = Context.get(DefaultServices.liveServices, ClockTag)

/** Orders firings against openings (see `parentCancelVisible`). */
const sequence = globalValue(Symbol.for("@taskscope/core/CancelScope/sequence"), () => ({ value: 0 }))

/** The scope the current fiber runs in, if any. @internal */
export const currentScope: FiberRef.FiberRef<ScopeImpl | undefined> = globalValue(
  Symbol.for("@taskscope/core/Deadline/currentScope"),
  () => FiberRef.unsafeMake<ScopeImpl | undefined>(undefined, { fork: (s) => s, join: (parent) => parent })
)

/** Bumped whenever a scope's deadline, firing or end changes what the chains below it see. */
const epoch = globalValue(Symbol.for("@taskscope/core/CancelScope/epoch"), () => ({ value: 0 }))

/**
 * Fills the cache of `scope` and of every ancestor whose cache is stale, from the top down: O(1)
 * for a scope opened below one whose cache is current (a chain of nested scopes costs linear time).
 */
const refresh = (scope: ScopeImpl): void => {
  const stale: Array<ScopeImpl> = []
  for (let s: ScopeImpl | undefined = scope; s !== undefined && s.cachedAt !== epoch.value; s = s.parent) {
    stale.push(s)
    if (s.shield) break
  }
  for (let i = stale.length - 1; i >= 0; i--) {
    const s = stale[i]
    const live = !s.fired && !s.ended
    const above = s.shield ? undefined : s.parent
    s.cachedDeadline = Math.min(live ? s.deadlineMs : Infinity, above === undefined ? Infinity : above.cachedDeadline)
    s.cachedMovable = (live && s.movable) || (above !== undefined && above.cachedMovable)
    s.cachedAt = epoch.value
  }
}

/**
 * The effective deadline below `scope`: the earliest of the chain, up to the first shield. Scopes
 * that have already fired are left out: code that still runs in them is their cleanup.
 * @internal
 */
export const effectiveDeadline = (scope: ScopeImpl | undefined): number => {
  if (scope === undefined) return Infinity
  if (scope.cachedAt !== epoch.value) refresh(scope)
  return scope.cachedDeadline
}

/** Whether an enclosing scope (up to a shield) can still move its deadline or be cancelled by hand. @internal */
export const hasMovable = (scope: ScopeImpl | undefined): boolean => {
  if (scope === undefined) return false
  if (scope.cachedAt !== epoch.value) refresh(scope)
  return scope.cachedMovable
}

/** The current effective deadline in epoch milliseconds (`Infinity`: none). @internal */
export const currentDeadline: Effect.Effect<number> = Effect.map(FiberRef.get(currentScope), effectiveDeadline)

/** @internal */
export interface OpenOptions {
  readonly shield: boolean
  readonly movable: boolean
  /**
   * The body decides where it may be interrupted (it starts uninterruptible and makes its parts
   * interruptible itself): a TaskGroup's own bookkeeping runs in its scope this way, so that a
   * cancellation arriving after the body has its value does not take the value away. Default: the
   * whole body is interruptible.
   */
  readonly ownInterruptibility?: boolean
}

/** A new scope below the one `fiber` runs in. @internal */
export const open = (
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  deadline: number,
  options: OpenOptions
): ScopeImpl => {
  const parent = fiber.getFiberRef(currentScope)
  const clock = Context.get(fiber.currentDefaultServices, ClockTag)
  let runtime: Runtime.Runtime<never> | undefined
  const refs = fiber.getFiberRefs()
  const scope = new ScopeImpl(
    parent,
    deadline,
    options.shield,
    options.movable,
    clock,
    () => (runtime ??= Runtime.make({
      context: Context.empty(),
      fiberRefs: refs,
      runtimeFlags: Runtime.defaultRuntimeFlags
    })),
    fiber.currentScheduler
  )
  if (options.ownInterruptibility === true) scope.ownInterruptibility = true
  return scope
}

/**
 * Runs `effect` in `scope` and decides what the caller gets:
 * - the body's value, when it ended with one (a cancel still on its way is dropped);
 * - `caught(rest, start)` when this scope caught its own cancellation (`rest`: whatever else
 *   failed meanwhile, e.g. the body's cleanup);
 * - otherwise the body's failure, an interruption passed on as the caller's own.
 *
 * The body runs on a fiber of its own whose scope chain starts fresh (the scope is the one entry of
 * its FiberRef, so nesting a thousand scopes copies no stack of a thousand), started
 * uninterruptible (it ends with an Exit: an interruption that arrives once the body has its value
 * is not applied to it). The caller waits interruptibly when it may be interrupted, and passes an
 * interruption on to the body; a shielded scope's caller waits without interruption.
 * @internal
 */
export const runIn = <A, E, R, B, E2>(
  scope: ScopeImpl,
  effect: Effect.Effect<A, E, R>,
  caught: (rest: Cause.Cause<E>, start: number) => Effect.Effect<B, E | E2>
): Effect.Effect<A | B, E | E2, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiberRuntime<A | B, E | E2, R>((caller) => {
      const start = scope.clock.unsafeCurrentTimeMillis()
      // the task this scope runs in knows its innermost scope (the registry shows its deadline)
      const task = caller.getFiberRef(currentTask)?.task as { scope?: ScopeImpl | undefined } | undefined
      const outer = task?.scope
      if (task !== undefined) task.scope = scope
      const fiberRefs = FiberRefs.updateManyAs(caller.getFiberRefs(), {
        entries: [[currentScope, [[FiberId.none, scope]]]]
      })
      const runtime = Runtime.make({
        context: caller.currentContext,
        fiberRefs,
        runtimeFlags: caller.getFiberRef(FiberRef.currentRuntimeFlags)
      })
      // the context is the caller's, which provides R
      const body = Effect.exit(scope.ownInterruptibility ? effect : Effect.interruptible(effect)) as Effect.Effect<
        Exit.Exit<A, E>
      >
      // started on the scheduler, not here: a nest of scopes must not recurse on the host's stack
      const fiber = Runtime.runFork(runtime)(body, { immediate: false })
      scope.attach(fiber as Fiber.RuntimeFiber<unknown, unknown>)
      const awaited: Effect.Effect<Exit.Exit<Exit.Exit<A, E>>> = scope.shield
        ? Fiber.await(fiber)
        : Effect.flatMap(Effect.exit(restore(Fiber.await(fiber))), (waited) => {
          if (Exit.isSuccess(waited)) return waited
          // the caller was interrupted: so is the body, and the caller waits for its cleanup
          fiber.unsafeInterruptAsFork(caller.id())
          return Fiber.await(fiber)
        })
      return Effect.flatMap(awaited, (fiberExit): Effect.Effect<A | B, E | E2> => {
        scope.end()
        if (task !== undefined) task.scope = outer
        // the body's fiber ends with the body's Exit; a defect outside it (none is expected) as is
        const exit = Exit.isSuccess(fiberExit) ? fiberExit.value : (fiberExit as Exit.Exit<never, never>)
        const outcome = classify(scope, exit, caught, start)
        const timers = scope.timerFibers
        return timers === undefined ? outcome : Effect.zipRight(Fiber.interruptAll(timers), outcome)
      })
    })
  )

const classify = <A, E, B, E2>(
  scope: ScopeImpl,
  exit: Exit.Exit<A, E>,
  caught: (rest: Cause.Cause<E>, start: number) => Effect.Effect<B, E | E2>,
  start: number
): Effect.Effect<A | B, E | E2> => {
  if (Exit.isSuccess(exit)) return exit
  const cause = exit.cause
  // not cancelled by this scope: the body's own failure, or an interruption from further out
  if (!scope.fired) return passOn(cause)
  // cancelled, but the body failed on its own before the interruption reached it
  if (!Cause.isInterrupted(cause)) return exit
  // an enclosing scope was cancelled too: the outermost one catches
  if (scope.parentCancelVisible()) return passOn(cause)
  const rest = removeInterrupts(cause)
  scope.caught = Cause.isEmpty(rest)
  return caught(rest, start)
}

/** A cause from a fiber we awaited, as this fiber's own: its interruption made fresh, its failures kept. @internal */
export const passOn = <E>(cause: Cause.Cause<E>): Effect.Effect<never, E> => {
  if (cause._tag === "Interrupt" || !Cause.isInterrupted(cause)) return Effect.failCause(cause)
  const failures = removeInterrupts(cause)
  const [by] = Cause.interruptors(cause)
  return Effect.failCause(andThen(failures, Cause.interrupt(by)))
}

/** Opens a scope below the current fiber's and runs `f(scope)` in it. @internal */
export const withScope = <A, E, R, B, E2>(
  deadline: (now: number) => number,
  options: OpenOptions,
  f: (scope: ScopeImpl) => Effect.Effect<A, E, R>,
  caught: (scope: ScopeImpl, rest: Cause.Cause<E>, start: number) => Effect.Effect<B, E | E2>
): Effect.Effect<A | B, E | E2, R> =>
  Effect.withFiberRuntime((fiber) => {
    const clock = Context.get(fiber.currentDefaultServices, ClockTag)
    const scope = open(
      fiber as Fiber.RuntimeFiber<unknown, unknown>,
      deadline(clock.unsafeCurrentTimeMillis()),
      options
    )
    return runIn(scope, Effect.suspend(() => f(scope)), (rest, start) => caught(scope, rest, start))
  })
