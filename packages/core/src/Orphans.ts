/**
 * Test helpers that prove structured concurrency held: no fiber started by an effect outlives it,
 * and every finalizer that was registered ran exactly once. Use them in your own tests, with any
 * test runner; they report through typed errors.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import type * as Scope from "effect/Scope"
import * as Supervisor from "effect/Supervisor"

/**
 * Fibers started inside a checked effect were still alive when it returned.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Orphans } from "@taskscope/core"
 *
 * const leaky = Effect.forkDaemon(Effect.never) // outlives its caller
 * const program = Orphans.check(leaky).pipe(
 *   Effect.catchTag("OrphanedFibersError", (e) => Effect.logError(e.message))
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class OrphanedFibersError extends Data.TaggedError("OrphanedFibersError")<{
  /** The thread names (`#id`) of the fibers still alive. */
  readonly fibers: ReadonlyArray<string>
  /** How many fibers the effect started in all. */
  readonly started: number
}> {
  override get message(): string {
    return `${this.fibers.length} of ${this.started} fiber(s) started by the effect were still alive after it returned: ${
      this.fibers.slice(0, 10).join(", ")
    }`
  }
}

/**
 * A finalizer ran a number of times other than once.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Orphans } from "@taskscope/core"
 *
 * const probe = Orphans.makeProbe()
 * const program = probe.guard("job", Effect.void).pipe(
 *   Effect.zipRight(probe.verify),
 *   Effect.catchTag("FinalizerCountError", (e) => Effect.logError(e.message))
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class FinalizerCountError extends Data.TaggedError("FinalizerCountError")<{
  readonly wrong: ReadonlyArray<{ readonly label: string; readonly runs: number }>
}> {
  override get message(): string {
    return `Finalizers that did not run exactly once: ${
      this.wrong.slice(0, 10).map((w) => `${w.label} ran ${w.runs} time(s)`).join(", ")
    }`
  }
}

class Tracker extends Supervisor.AbstractSupervisor<ReadonlyArray<Fiber.RuntimeFiber<any, any>>> {
  readonly alive = new Set<Fiber.RuntimeFiber<any, any>>()
  started = 0
  get value() {
    return Effect.sync(() => Array.from(this.alive))
  }
  override onStart<A, E, R>(
    _context: unknown,
    _effect: Effect.Effect<A, E, R>,
    _parent: unknown,
    fiber: Fiber.RuntimeFiber<A, E>
  ): void {
    this.started++
    this.alive.add(fiber)
  }
  override onEnd<A, E>(_value: Exit.Exit<A, E>, fiber: Fiber.RuntimeFiber<A, E>): void {
    this.alive.delete(fiber)
  }
}

/**
 * Runs `effect` and then checks that every fiber it started (directly or below, through
 * TaskGroups, Concurrent or plain forks) has ended. Returns the effect's own exit, or fails with
 * `OrphanedFibersError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Orphans, TaskGroup } from "@taskscope/core"
 *
 * const program = Orphans.check(
 *   TaskGroup.scoped((group) => group.spawn(Effect.never)).pipe(Effect.timeout("1 second"))
 * ) // succeeds with the timeout's exit: the group cancelled its child before returning
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const check = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<Exit.Exit<A, E>, OrphanedFibersError, R> =>
  Effect.suspend(() => {
    const tracker = new Tracker()
    return Effect.flatMap(Effect.exit(Effect.supervised(effect, tracker)), (exit) =>
      tracker.alive.size === 0
        ? Effect.succeed(exit)
        : Effect.fail(
          new OrphanedFibersError({
            fibers: Array.from(tracker.alive, (fiber) => FiberId.threadName(fiber.id())),
            started: tracker.started
          })
        ))
  })

/**
 * Counts finalizer runs by label.
 *
 * @since 0.1.0
 * @category models
 */
export interface FinalizerProbe {
  /** Wraps `effect` so that, once it has started, its end (however it ends) is counted under `label`. */
  readonly guard: <A, E, R>(label: string, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Adds a finalizer to the current scope, counted under `label`. */
  readonly finalizer: (label: string) => Effect.Effect<void, never, Scope.Scope>
  /** How many times each label's finalizer ran (0 for started, not yet finalized). */
  readonly counts: Effect.Effect<ReadonlyMap<string, number>>
  /** Fails with `FinalizerCountError` unless every started label was finalized exactly once. */
  readonly verify: Effect.Effect<void, FinalizerCountError>
}

/**
 * Makes a {@link FinalizerProbe}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Orphans, TaskGroup } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const probe = Orphans.makeProbe()
 *   yield* TaskGroup.scoped((group) => group.spawn(probe.guard("child", Effect.never))).pipe(
 *     Effect.timeout("1 second"),
 *     Effect.ignore
 *   )
 *   yield* probe.verify // "child" was finalized exactly once
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeProbe = (): FinalizerProbe => {
  const runs = new Map<string, number>()
  const started = (label: string) =>
    Effect.sync(() => {
      if (!runs.has(label)) runs.set(label, 0)
    })
  const ran = (label: string) => Effect.sync(() => runs.set(label, (runs.get(label) ?? 0) + 1))
  return {
    guard: (label, effect) => Effect.zipRight(started(label), Effect.ensuring(effect, ran(label))),
    finalizer: (label) => Effect.zipRight(started(label), Effect.addFinalizer(() => ran(label))),
    counts: Effect.sync(() => new Map(runs)),
    verify: Effect.suspend(() => {
      const wrong = Array.from(runs).filter(([, n]) => n !== 1).map(([label, n]) => ({ label, runs: n }))
      return wrong.length === 0 ? Effect.void : Effect.fail(new FinalizerCountError({ wrong }))
    })
  }
}
