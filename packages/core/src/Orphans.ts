/**
 * Test helpers that prove structured concurrency held: no fiber started by an effect outlives it,
 * and every finalizer that was registered ran exactly once. Use them in your own tests, with any
 * test runner; they report through typed errors.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Scope from "effect/Scope"
import { FinalizerCountError, OrphanedFibersError } from "./Errors.js"
import * as testing from "./internal/testing.js"

/**
 * @since 0.1.0
 * @category errors
 */
export { FinalizerCountError, OrphanedFibersError }

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
    const watcher = new testing.Watcher()
    return Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(Effect.exit(restore(Effect.supervised(effect, watcher))), (exit) => {
        const orphans = watcher.orphans()
        return orphans === undefined ? Effect.succeed(exit) : Effect.fail(orphans)
      })
    )
  })

/**
 * Counts finalizers by label: wrap work with `guard`, or add a counted finalizer to a scope, then
 * `verify` that every label that started was finalized exactly once.
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
    guard: (label, effect) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.zipRight(started(label), Effect.ensuring(restore(effect), ran(label)))
      ),
    finalizer: (label) => Effect.zipRight(started(label), Effect.addFinalizer(() => ran(label))),
    counts: Effect.sync(() => new Map(runs)),
    verify: Effect.suspend(() => {
      const wrong = Array.from(runs).filter(([, n]) => n !== 1).map(([label, n]) => ({ label, runs: n }))
      return wrong.length === 0 ? Effect.void : Effect.fail(new FinalizerCountError({ wrong }))
    })
  }
}
