/**
 * A test kit for structured concurrency, for your own code as much as ours: run a program once per
 * suspension point, interrupt it there, and check that nothing leaked.
 *
 * {@link interruptEverywhere} first runs the program without interruption and counts its
 * suspension points — every moment one of its fibers gives up the thread (waits for time, for
 * another fiber, for a permit, or yields). Then it runs the program again once per point,
 * interrupting it exactly there, and after each run checks:
 * - **no orphans**: every fiber the program started has ended;
 * - **every finalizer exactly once**: each label registered with the probe it hands the program
 *   (`probe.guard`, `probe.finalizer`) was finalized once, however the run ended;
 * - **your invariant**: the `check` you give, with the run's exit (e.g. "permits available equal
 *   the capacity", "every item is either processed or still queued").
 *
 * Time is virtual: the kit drives the TestClock from one sleep to the next, so run it inside
 * `it.effect` (or with `TestContext`). A program that waits for something virtual time cannot
 * reach (real I/O, `Effect.never`) is reported, not waited for.
 *
 * No peer gives this: asyncio, Trio, p-queue and Effect itself leave "what if it is cancelled
 * here?" to hand-written tests.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import { InterruptionPointError } from "./Errors.js"
import * as internal from "./internal/testing.js"
import * as Orphans from "./Orphans.js"

/**
 * @since 0.1.0
 * @category errors
 */
export { InterruptionPointError }

/**
 * Where a run was interrupted: suspension point `point` (1-based) of `points`; `0` for the
 * uninterrupted run. `interrupted` says whether the interruption was actually delivered (a run can
 * end before its last point).
 *
 * @since 0.1.0
 * @category models
 */
export interface Point {
  readonly point: number
  readonly points: number
  readonly interrupted: boolean
}

/**
 * Options of {@link interruptEverywhere}.
 *
 * @since 0.1.0
 * @category models
 */
export interface InterruptEverywhereOptions {
  /** Interrupt at most this many points (the first ones); default 2,000. */
  readonly maxPoints?: number
  /** Clock moves per run before it counts as a hang; default 10,000. */
  readonly maxSteps?: number
}

/**
 * What {@link interruptEverywhere} did: how many suspension points the program has, and how many
 * runs it made (one more than the points it interrupted).
 *
 * @since 0.1.0
 * @category models
 */
export interface Report {
  readonly points: number
  readonly runs: number
}

/**
 * Runs `program` once per suspension point, interrupting it there, and checks no orphans, every
 * finalizer exactly once, and `check` (see the module docs). Fails with `InterruptionPointError`
 * at the first point where something does not hold.
 *
 * @example
 * ```ts
 * import { it } from "@effect/vitest"
 * import { Effect, Exit } from "effect"
 * import { Limiter, TaskGroup, Testing } from "@taskscope/core"
 *
 * it.effect("no permit is lost, wherever the program is interrupted", () =>
 *   Effect.gen(function*() {
 *     const sem = yield* Limiter.semaphore(2)
 *     yield* Testing.interruptEverywhere(
 *       (probe) =>
 *         TaskGroup.scoped((group) =>
 *           Effect.forEach([1, 2, 3], (i) => group.spawn(probe.guard(`job ${i}`, sem.withPermit(Effect.sleep(10)))))
 *         ),
 *       (_exit: Exit.Exit<unknown, unknown>) =>
 *         Effect.flatMap(sem.stats, (s) => (s.available === 2 ? Effect.void : Effect.dieMessage("a permit leaked")))
 *     )
 *   }))
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const interruptEverywhere = <A, E, R, E2 = never, R2 = never>(
  program: (probe: Orphans.FinalizerProbe) => Effect.Effect<A, E, R>,
  check?: (exit: Exit.Exit<A, E>, point: Point) => Effect.Effect<void, E2, R2>,
  options?: InterruptEverywhereOptions
): Effect.Effect<Report, InterruptionPointError, R | R2> =>
  internal.interruptEverywhere(program, Orphans.makeProbe, check, options)

/**
 * Runs `effect` and fails with `OrphanedFibersError` if a fiber it started — directly or through
 * TaskGroups, Concurrent or plain forks — is still alive when it returns. Otherwise the result is
 * the effect's own: its value, or its failure with every cause kept, even when it was interrupted.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskGroup, Testing } from "@taskscope/core"
 *
 * const program = Testing.noOrphans(TaskGroup.scoped((group) => group.spawn(Effect.sleep("1 second"))))
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const noOrphans: <A, E, R>(
  effect: Effect.Effect<A, E, R>
) => Effect.Effect<A, E | Orphans.OrphanedFibersError, R> = internal.noOrphans

/**
 * A probe that counts finalizers by label (see `Orphans.makeProbe`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Testing } from "@taskscope/core"
 *
 * const probe = Testing.makeProbe()
 * const program = Effect.zipRight(probe.guard("work", Effect.sleep(10)), probe.verify)
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const makeProbe: () => Orphans.FinalizerProbe = Orphans.makeProbe
