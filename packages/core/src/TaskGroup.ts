/**
 * Scoped supervision of child tasks: asyncio's `TaskGroup`, Trio's nursery.
 *
 * - The group lives as long as its scope. When the body ends normally, the group waits for every
 *   child; children may spawn more children into it meanwhile.
 * - Mode `failFast` (default): the first child failure cancels the siblings and the body, and the
 *   group fails with that error. Failures of other children (and of the body) are kept in the
 *   `Cause` beside it, never dropped. A cancelled child is not a failure.
 * - Mode `supervise`: a child failure is isolated: it is recorded (see `failures`) and nothing else
 *   is cancelled.
 * - Interrupting the fiber that owns the group cancels every child and waits for their finalizers.
 * - No error is lost to a cancellation (asyncio 3.13): failures that happen while the group shuts
 *   down — a child's cleanup that fails, a child that fails while being cancelled, the body's own
 *   cleanup, the same in nested groups, in either mode — stay in the resulting Cause beside the
 *   interruption or the `TimeoutError`.
 * - `group.cancel` is Trio's `cancel_scope.cancel()`: it does not suspend; every child and the
 *   body are cancelled at their next suspension, the scope exits, and the cancellation is absorbed
 *   (see {@link scoped} for the value).
 * - With `concurrency`, at most that many children run at once; the rest wait in FIFO order in
 *   the group's queue as plain records (no fiber per waiting child), run by a pool of worker fibers.
 *   After a `failFast` failure no queued child starts.
 *
 * Children run with the fiber-local state (FiberRefs: log annotations, log level, deadline, …) of
 * the place the group was opened — like a Trio nursery — and with the services (Context) of the
 * code that spawned them, so `R` is checked where `spawn` is called.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type { Inspectable } from "effect/Inspectable"
import type { Pipeable } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import { TaskExitedBeforeReadyError, TaskGroupClosedError } from "./Errors.js"
import * as internal from "./internal/taskGroup.js"
import type * as Progress from "./Progress.js"
import type * as Task from "./Task.js"
import type * as TaskResult from "./TaskResult.js"
import type * as Timeline from "./Timeline.js"

/**
 * @since 0.1.0
 * @category errors
 */
export { TaskExitedBeforeReadyError, TaskGroupClosedError }

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
 * `failFast`: a child failure cancels everything and fails the group. `supervise`: child failures
 * are isolated and recorded.
 *
 * @since 0.1.0
 * @category models
 */
export type Mode = "failFast" | "supervise"

/**
 * The error a spawn adds to the spawner's error channel: in `failFast` mode a child's failure
 * becomes the group's (and so the body's) failure, in `supervise` mode it does not.
 *
 * @since 0.1.0
 * @category models
 */
export type Escalated<M extends Mode, E> = M extends "failFast" ? E : never

/**
 * A scoped group of child tasks.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskGroup } from "@taskscope/core"
 *
 * const program = TaskGroup.scoped((group) =>
 *   Effect.gen(function*() {
 *     const a = yield* group.spawn(Effect.succeed(1).pipe(Effect.delay("1 second")))
 *     const b = yield* group.spawn(Effect.succeed(2).pipe(Effect.delay("2 seconds")))
 *     return (yield* a.join) + (yield* b.join)
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface TaskGroup<M extends Mode = "failFast", E = unknown> extends Pipeable, Inspectable {
  readonly [TypeId]: TypeId
  readonly name: string
  readonly mode: M
  /**
   * Starts a child and returns its {@link Task.Task} handle. In an unbounded group the child starts
   * at once and runs up to its first suspension before `spawn` returns — like calling an async
   * function. Spawning into a group that is cancelling or closed fails with
   * `TaskGroupClosedError`, and the effect never runs.
   *
   * The error type includes the child's `E` in `failFast` mode, because the child's failure is then
   * the group's.
   */
  spawn<A, E2 extends E, R>(
    effect: Effect.Effect<A, E2, R>,
    options?: SpawnOptions
  ): Effect.Effect<Task.Task<A, E2>, Escalated<M, E2> | TaskGroupClosedError, R>
  /**
   * Trio's `nursery.start`: starts a child that receives a `ready` function, and waits until the
   * child calls it; returns the value passed to `ready`. Fails with the child's error if it fails
   * first, and with `TaskExitedBeforeReadyError` if it completes without calling `ready`. Until it
   * is ready the child lives under the caller's cancellation: cancelling or timing out the caller
   * before that cancels the child (and waits for its cleanup). If the child then ends with a
   * failure rather than cancelled (it failed in an uninterruptible region, a finalizer died), the
   * group records that failure — the caller is gone, and nothing is lost.
   */
  start<V, A, E2 extends E, R>(
    f: (ready: (value: V) => Effect.Effect<void>) => Effect.Effect<A, E2, R>,
    options?: SpawnOptions
  ): Effect.Effect<V, E2 | TaskGroupClosedError | TaskExitedBeforeReadyError, R>
  /**
   * asyncio's `shield`: runs `effect` as a child of this group and waits for its result, but a
   * caller that is cancelled stops waiting at once while the work goes on — still inside the
   * group, which waits for it. (`Deadline.shield` is Trio's shielded scope: there the caller waits.)
   */
  shield<A, E2 extends E, R>(
    effect: Effect.Effect<A, E2, R>,
    options?: SpawnOptions
  ): Effect.Effect<A, E2 | TaskGroupClosedError, R>
  /**
   * Waits until no child is left (queued or running). In `failFast` mode, fails with the group's
   * failure if a child failed.
   */
  readonly join: Effect.Effect<void, M extends "failFast" ? E : never>
  /**
   * Trio's `cancel_scope.cancel()`: stops intake, drops queued children (they never run), and
   * cancels every running child and the body at their next suspension. It does not suspend and does
   * not wait; the scope then waits for every child's cleanup and exits with the cancellation
   * absorbed (see {@link scoped} for what a body stopped before it returned gives).
   */
  readonly cancel: Effect.Effect<void>
  /**
   * `supervise` mode: the results of the children that failed or timed out so far — the most
   * recent `keepFailures` of them (default 1,000), so a long-lived group stays flat.
   */
  readonly failures: Effect.Effect<ReadonlyArray<TaskResult.Failed<E> | TaskResult.TimedOut<E>>>
  /** How many children are queued and running, and whether the group still accepts children. */
  readonly stats: Effect.Effect<Stats>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Stats {
  readonly active: number
  readonly running: number
  readonly queued: number
  readonly status: "open" | "cancelling" | "closed"
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SpawnOptions {
  /** Shown in errors, results and timelines. Defaults to `task-<id>`. */
  readonly name?: string
}

/**
 * Options of a group, validated when the group is made.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options<M extends Mode = Mode> {
  /** Shown in errors. Defaults to `"TaskGroup"`. */
  readonly name?: string
  /** `failFast` (default) or `supervise`. */
  readonly mode?: M
  /** A positive integer, or `Infinity` (default): how many children run at once. */
  readonly concurrency?: number
  /**
   * `supervise` mode: how many failed results `failures` keeps, the most recent first to stay
   * (default 1,000; `Infinity` keeps all; 0 keeps none).
   */
  readonly keepFailures?: number
  /** Record every child's lifetime here. */
  readonly timeline?: Timeline.Timeline
  /** Count children here: one more in total per spawn, one more done per end. */
  readonly progress?: Progress.Tracker
}

/**
 * Runs `body` with a fresh group, then waits for every child. The result is the body's value, or
 * the group's failure (see the module docs). This is the `async with asyncio.TaskGroup() as tg:` of
 * Taskscope.
 *
 * `group.cancel` is absorbed as Trio's nursery absorbs its cancel scope: the scope simply exits.
 * A body that called `group.cancel` itself goes on to its next suspension, so it can still return
 * its value. A body stopped by `group.cancel` before it returned has no value to give: `scoped`
 * then returns `undefined`. Bodies that may be cancelled that way are best typed `void` (the usual
 * Trio shape: children report through a `Ref`, a queue or their task handles) or `A | undefined`.
 * Invalid options are a programmer error (a defect naming the option and the value).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskGroup } from "@taskscope/core"
 *
 * const fetchUser = (id: number) => Effect.succeed({ id }).pipe(Effect.delay("100 millis"))
 *
 * // Both children run concurrently; if one fails, the other is cancelled and the group fails.
 * const program = TaskGroup.scoped((group) =>
 *   Effect.gen(function*() {
 *     const alice = yield* group.spawn(fetchUser(1), { name: "alice" })
 *     const bob = yield* group.spawn(fetchUser(2), { name: "bob" })
 *     return [yield* alice.join, yield* bob.join]
 *   }), { concurrency: 10 })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const scoped: <
  B extends Effect.Effect<any, any, any> | PromiseLike<unknown>,
  M extends Mode = "failFast",
  CE = unknown
>(
  body: (group: TaskGroup<M, CE>) => B & NotAPromise<B, "TaskGroup.scoped">,
  options?: Options<M>
) => EffectOf<B> = internal.scoped as never

/**
 * The Effect a body returns, with its value, error and requirement types.
 *
 * @since 0.2.0
 * @category models
 */
export type EffectOf<B> = [B] extends [Effect.Effect<infer A, infer E, infer R>] ? Effect.Effect<A, E, R> : never

/**
 * A compile-time hint: a function that should return an Effect returned a Promise (an `async`
 * function, say). TypeScript reports the missing property, whose name says what to do: wrap the
 * async code in `Effect.tryPromise` (or `Effect.promise`), or use `@taskscope/promise`.
 *
 * @since 0.2.0
 * @category models
 */
export type NotAPromise<B, Where extends string> = [B] extends [PromiseLike<unknown>] ? {
    readonly [
      K in `${Where}: got a Promise, not an Effect — wrap it in Effect.tryPromise`
    ]: never
  }
  : unknown

/**
 * Makes a group bound to the current `Scope`. When the scope closes successfully the group waits for
 * every child; when it closes with a failure or interruption, the children are cancelled. A
 * `failFast` failure nobody observed with `join` fails the scope's close, so it is never lost.
 * Prefer {@link scoped}, which also cancels the body when a child fails. Invalid options are a
 * programmer error (a defect naming the option and the value).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskGroup } from "@taskscope/core"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function*() {
 *     const group = yield* TaskGroup.make({ name: "workers", mode: "supervise" })
 *     yield* group.spawn(Effect.log("working"))
 *     yield* group.join
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <M extends Mode = "failFast", CE = unknown>(
  options?: Options<M>
) => Effect.Effect<TaskGroup<M, CE>, never, Scope.Scope> = internal.make as never

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskGroup } from "@taskscope/core"
 *
 * const program = TaskGroup.scoped((group) => Effect.succeed(TaskGroup.isTaskGroup(group))) // true
 * ```
 *
 * @since 0.1.0
 * @category refinements
 */
export const isTaskGroup = (u: unknown): u is TaskGroup<Mode, unknown> =>
  typeof u === "object" && u !== null && TypeId in u
