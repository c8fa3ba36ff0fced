/**
 * A named handle on a running child: asyncio's `Task`, on an Effect fiber.
 *
 * Tasks are created by {@link TaskGroup} (`group.spawn`) or by {@link fork}. A task is `queued`
 * while it waits for a slot in a bounded group (or an executor), `running` while its effect runs,
 * and then `succeeded`, `failed`, `timedOut` or `cancelled` — the one status vocabulary of
 * `TaskResult`, `Timeline`, the executors and the inspector.
 *
 * @since 0.1.0
 */

import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type { Inspectable } from "effect/Inspectable"
import type * as Option from "effect/Option"
import type { Pipeable } from "effect/Pipeable"
import type { TimeoutError } from "./Errors.js"
import * as internal from "./internal/task.js"
import type * as TaskResult from "./TaskResult.js"

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
 * The lifecycle of a task, in the one status vocabulary: `queued` → `running` → `succeeded` |
 * `failed` | `timedOut` | `cancelled`. A task cancelled while queued goes straight to `cancelled`;
 * its effect never runs. A task that failed with a `TimeoutError` (a deadline, a timeout) is
 * `timedOut`; one an executor dropped before it started is `cancelled`.
 *
 * Until 0.1.0 a queued task was `pending` and a timed-out one `failed`: {@link toLegacyState}
 * gives those words back for code that still compares them.
 *
 * @since 0.1.0
 * @category models
 */
export type State = "queued" | "running" | "succeeded" | "failed" | "timedOut" | "cancelled"

/**
 * The states as they were named before the one vocabulary: `pending` for `queued`, no `timedOut`.
 *
 * @deprecated Compare with {@link State}: `"queued"` replaces `"pending"`, and a timeout is
 * `"timedOut"`. Kept for one minor release.
 * @since 0.1.0
 * @category models
 */
export type LegacyState = "pending" | "running" | "succeeded" | "failed" | "cancelled"

/**
 * Maps a state to the old words (`queued` → `pending`, `timedOut` → `failed`), for code that
 * compares the old strings while it moves to {@link State}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Task } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const task = yield* Task.fork(Effect.void)
 *   return Task.toLegacyState(yield* task.state) === "running"
 * })
 * ```
 *
 * @deprecated Compare with {@link State} instead. Kept for one minor release.
 * @since 0.1.0
 * @category utils
 */
export const toLegacyState = (state: State): LegacyState =>
  state === "queued" ? "pending" : state === "timedOut" ? "failed" : state

/**
 * When the task started and ended, in epoch milliseconds read from the `Clock` (so `TestClock`
 * controls them in tests).
 *
 * @since 0.1.0
 * @category models
 */
export interface Timings {
  readonly startedAt: Option.Option<number>
  readonly endedAt: Option.Option<number>
}

/**
 * A handle on one child task.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskGroup } from "@taskscope/core"
 *
 * const program = TaskGroup.scoped((group) =>
 *   Effect.gen(function*() {
 *     const task = yield* group.spawn(Effect.succeed(21).pipe(Effect.delay("1 second")), { name: "answer" })
 *     const value = yield* task.join // 21, after one second
 *     const state = yield* task.state // "succeeded"
 *     return { value, state }
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Task<out A, out E = never> extends Pipeable, Inspectable {
  readonly [TypeId]: { readonly _A: (_: never) => A; readonly _E: (_: never) => E }
  /** A number unique within the process. */
  readonly id: number
  /** The name given at spawn, or `task-<id>`. */
  readonly name: string
  /** The current state. */
  readonly state: Effect.Effect<State>
  /** The exit if the task has ended, without waiting (asyncio's `done()` + `result()`). */
  readonly poll: Effect.Effect<Option.Option<Exit.Exit<A, E>>>
  /** Waits for the task to end and returns its exit; never fails. */
  readonly await: Effect.Effect<Exit.Exit<A, E>>
  /**
   * Waits for the task and returns its value or fails with its error (a cancelled task interrupts
   * the joiner). `join` only observes: cancelling the joiner leaves the task running (like Effect's
   * `Fiber.join`); {@link waitFor} owns the task it waits for.
   */
  readonly join: Effect.Effect<A, E>
  /**
   * Cancels the task and waits until it has ended and every finalizer of it has run. A pending task is
   * dropped without running. Cancelling a task that has ended does nothing.
   */
  readonly cancel: Effect.Effect<void>
  /** Waits for the task and returns its outcome as a {@link TaskResult.TaskResult}. */
  readonly result: Effect.Effect<TaskResult.TaskResult<A, E>>
  /** Start and end timestamps, read from the Clock. */
  readonly timings: Effect.Effect<Timings>
}

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Task } from "@taskscope/core"
 *
 * const program = Effect.map(Task.fork(Effect.void), (task) => Task.isTask(task)) // true
 * ```
 *
 * @since 0.1.0
 * @category refinements
 */
export const isTask: (u: unknown) => u is Task<unknown, unknown> = internal.isTask

/**
 * Registers a done callback (asyncio's `add_done_callback`). It runs exactly once, right after the
 * task has ended and its finalizers have run — at once if the task has already ended. A callback that
 * throws is logged with `Effect.logError`; it never affects the task or other callbacks.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Task, TaskGroup } from "@taskscope/core"
 *
 * const program = TaskGroup.scoped((group) =>
 *   Effect.gen(function*() {
 *     const task = yield* group.spawn(Effect.succeed("done"))
 *     yield* Task.onDone(task, (result) => console.log(result._tag))
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const onDone = <A, E>(
  task: Task<A, E>,
  callback: (result: TaskResult.TaskResult<A, E>) => void
): Effect.Effect<void> =>
  Effect.sync(() => {
    const impl = task as internal.TaskImpl<A, E>
    impl.addObserver((exit) => {
      try {
        callback(impl.toResult(exit))
      } catch (error) {
        impl.host.reportCallbackError(error, impl)
      }
    })
  })

/**
 * Forks an effect as a named task, a child of the current fiber (like `Effect.fork`: it is
 * interrupted when the current fiber ends). Prefer a {@link TaskGroup} for structured lifetimes.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Task } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const task = yield* Task.fork(Effect.succeed(1), { name: "one" })
 *   return yield* task.join
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fork: <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options?: { readonly name?: string }
) => Effect.Effect<Task<A, E>, never, R> = internal.fork

/**
 * The handle of the task the current code runs in, or `none` outside any task — a child can read
 * its own name or state. Inside a task, plain `Effect.fork`s see their task's handle too.
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { Task, TaskGroup } from "@taskscope/core"
 *
 * const whoAmI = Effect.map(Task.current, Option.match({ onNone: () => "no task", onSome: (t) => t.name }))
 *
 * const program = TaskGroup.scoped((group) => Effect.flatMap(group.spawn(whoAmI, { name: "worker-1" }), (t) => t.join))
 * // "worker-1"
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const current: Effect.Effect<Option.Option<Task<unknown, unknown>>> = internal.current

/**
 * asyncio's `wait_for(task, timeout)`: waits for the task's value with a deadline, and **owns** the
 * task while it waits — when `duration` passes, the task is cancelled, its cleanup runs, and the
 * waiter fails with `TimeoutError` (a failure of that cleanup stays in the Cause beside it); when
 * the waiter itself is cancelled, the task is cancelled too. `task.join`, by contrast, only
 * observes: cancelling a joiner leaves the task running. `Infinity` waits without a deadline; NaN
 * or garbage is a defect.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Task, TaskGroup } from "@taskscope/core"
 *
 * const program = TaskGroup.scoped((group) =>
 *   Effect.gen(function*() {
 *     const report = yield* group.spawn(Effect.sleep("1 minute").pipe(Effect.as("report")))
 *     // fails with TimeoutError after 5 s, and the report task has been cancelled by then
 *     return yield* Task.waitFor(report, "5 seconds")
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const waitFor: <A, E>(
  task: Task<A, E>,
  duration: Duration.DurationInput
) => Effect.Effect<A, E | TimeoutError> = internal.waitFor
