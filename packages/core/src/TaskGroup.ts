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
 * - With `concurrency`, at most that many children run at once; the rest wait in FIFO order in
 *   the group's queue as plain records (no fiber per waiting child), run by a pool of worker fibers.
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
import type { InvalidOptionsError } from "./Errors.js"
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
export interface TaskGroup<M extends Mode = "failFast"> extends Pipeable, Inspectable {
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
  spawn<A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options?: SpawnOptions
  ): Effect.Effect<Task.Task<A, E>, Escalated<M, E> | TaskGroupClosedError, R>
  /**
   * Trio's `nursery.start`: starts a child that receives a `ready` function, and waits until the
   * child calls it; returns the value passed to `ready`. Fails with the child's error if it fails
   * first, and with `TaskExitedBeforeReadyError` if it completes without calling `ready`.
   */
  start<V, A, E, R>(
    f: (ready: (value: V) => Effect.Effect<void>) => Effect.Effect<A, E, R>,
    options?: SpawnOptions
  ): Effect.Effect<V, E | TaskGroupClosedError | TaskExitedBeforeReadyError, R>
  /**
   * Waits until no child is left (queued or running). In `failFast` mode, fails with the group's
   * failure if a child failed.
   */
  readonly join: Effect.Effect<void, unknown>
  /** Cancels every child (queued ones never run) and waits until all have ended. Trio's `cancel_scope.cancel()`. */
  readonly cancel: Effect.Effect<void>
  /** `supervise` mode: the results of the children that failed or timed out so far. */
  readonly failures: Effect.Effect<ReadonlyArray<TaskResult.Failed<unknown> | TaskResult.TimedOut<unknown>>>
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
export interface Options {
  /** Shown in errors. Defaults to `"TaskGroup"`. */
  readonly name?: string
  /** `failFast` (default) or `supervise`. */
  readonly mode?: Mode
  /** A positive integer, or `Infinity` (default): how many children run at once. */
  readonly concurrency?: number
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
export const scoped: {
  <A, E, R>(
    body: (group: TaskGroup<"supervise">) => Effect.Effect<A, E, R>,
    options: Options & { readonly mode: "supervise" }
  ): Effect.Effect<A, E | InvalidOptionsError, R>
  <A, E, R>(
    body: (group: TaskGroup<"failFast">) => Effect.Effect<A, E, R>,
    options?: Options & { readonly mode?: "failFast" }
  ): Effect.Effect<A, E | InvalidOptionsError, R>
} = internal.scoped as never

/**
 * Makes a group bound to the current `Scope`. When the scope closes successfully the group waits for
 * every child; when it closes with a failure or interruption, the children are cancelled. A
 * `failFast` failure nobody observed with `join` fails the scope's close, so it is never lost.
 * Prefer {@link scoped}, which also cancels the body when a child fails.
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
export const make: {
  (
    options: Options & { readonly mode: "supervise" }
  ): Effect.Effect<TaskGroup<"supervise">, InvalidOptionsError, Scope.Scope>
  (
    options?: Options & { readonly mode?: "failFast" }
  ): Effect.Effect<TaskGroup<"failFast">, InvalidOptionsError, Scope.Scope>
} = internal.make as never

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
export const isTaskGroup = (u: unknown): u is TaskGroup<Mode> => typeof u === "object" && u !== null && TypeId in u
