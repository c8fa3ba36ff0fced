/**
 * Errors shared by every module.
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import * as internal from "./internal/errors.js"

/**
 * What an error is made with: its fields (all but `_tag` and what every error has).
 *
 * @since 0.1.0
 * @category models
 */
export type Args<E extends { readonly _tag: string }> = Omit<E, "_tag" | keyof Cause.YieldableError>

/**
 * Options that come from outside — a config file, the environment, a Layer's settings — were
 * rejected when they were decoded (once, with `Options.decode`). `message` names the option and
 * the rule it broke, e.g. `Executor options: concurrency: Expected a positive integer or Infinity,
 * actual 0`. A bad literal argument at a call site is not this error but a defect (a programmer
 * error), as in Effect itself.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Executor } from "@taskscope/core"
 *
 * const program = Effect.scoped(Executor.make({ concurrency: 0 })).pipe(
 *   Effect.catchTag("InvalidOptionsError", (e) => Effect.logError(e.message))
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const InvalidOptionsError: new(args: Args<InvalidOptionsError>) => InvalidOptionsError =
  internal.InvalidOptionsError

/**
 * The `InvalidOptionsError` error (see {@link InvalidOptionsError}).
 *
 * @since 0.1.0
 * @category errors
 */
export interface InvalidOptionsError extends Cause.YieldableError {
  readonly _tag: "InvalidOptionsError"
  /** Which API rejected the options, e.g. `"TaskGroup"`. */
  readonly subject: string
  /** The human-readable explanation produced by the Schema decoder. */
  readonly detail: string
}

/**
 * A shared backend (e.g. Redis for `@taskscope/redis`) could not carry out an operation: it stayed
 * out of reach for longer than the configured retry budget (`reason: "unavailable"`), did not answer
 * in time (`"timeout"`), or answered with something unexpected (`"protocol"`). In-memory limiters and
 * queues never fail with it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors } from "@taskscope/core"
 *
 * const program = Effect.fail(
 *   new Errors.BackendError({ backend: "redis", operation: "XADD", reason: "unavailable", detail: "connection refused" })
 * ).pipe(Effect.catchTag("BackendError", (e) => Effect.logWarning(e.message)))
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const BackendError: new(args: Args<BackendError>) => BackendError = internal.BackendError

/**
 * The `BackendError` error (see {@link BackendError}).
 *
 * @since 0.1.0
 * @category errors
 */
export interface BackendError extends Cause.YieldableError {
  readonly _tag: "BackendError"
  /** Which backend, e.g. `"redis"`. */
  readonly backend: string
  /** What was being done, e.g. a command name. */
  readonly operation: string
  readonly reason: "unavailable" | "timeout" | "protocol"
  readonly detail: string
}

/**
 * Spawning into a group that is cancelling or has closed.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskGroup } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const escaped = yield* TaskGroup.scoped((group) => Effect.succeed(group))
 *   // the group has closed: this fails with TaskGroupClosedError and the effect never runs
 *   return yield* escaped.spawn(Effect.log("too late")).pipe(
 *     Effect.catchTag("TaskGroupClosedError", (e) => Effect.succeed(e.reason))
 *   )
 * })
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const TaskGroupClosedError: new(args: Args<TaskGroupClosedError>) => TaskGroupClosedError =
  internal.TaskGroupClosedError

/**
 * The `TaskGroupClosedError` error (see {@link TaskGroupClosedError}).
 *
 * @since 0.1.0
 * @category errors
 */
export interface TaskGroupClosedError extends Cause.YieldableError {
  readonly _tag: "TaskGroupClosedError"
  readonly group: string
  readonly task: string
  readonly reason: "closed" | "cancelling"
}

/**
 * A child started with `start` completed without calling `ready`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskGroup } from "@taskscope/core"
 *
 * const program = TaskGroup.scoped((group) =>
 *   group.start(() => Effect.void).pipe( // never calls ready
 *     Effect.catchTag("TaskExitedBeforeReadyError", (e) => Effect.logWarning(e.message))
 *   )
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const TaskExitedBeforeReadyError: new(args: Args<TaskExitedBeforeReadyError>) => TaskExitedBeforeReadyError =
  internal.TaskExitedBeforeReadyError

/**
 * The `TaskExitedBeforeReadyError` error (see {@link TaskExitedBeforeReadyError}).
 *
 * @since 0.1.0
 * @category errors
 */
export interface TaskExitedBeforeReadyError extends Cause.YieldableError {
  readonly _tag: "TaskExitedBeforeReadyError"
  readonly group: string
  readonly task: string
}

/**
 * A deadline passed. `deadline` is the instant (epoch milliseconds), `elapsed` how long the effect ran.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Deadline } from "@taskscope/core"
 *
 * const program = Deadline.within(Effect.never, "1 second").pipe(
 *   Effect.catchTag("TimeoutError", (e) => Effect.succeed(`gave up after ${e.elapsed}`))
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const TimeoutError: new(args: Args<TimeoutError>) => TimeoutError = internal.TimeoutError

/**
 * The `TimeoutError` error (see {@link TimeoutError}).
 *
 * @since 0.1.0
 * @category errors
 */
export interface TimeoutError extends Cause.YieldableError {
  readonly _tag: "TimeoutError"
  /** The deadline that passed, in epoch milliseconds. */
  readonly deadline: number
  /** How long the effect ran before it was stopped. */
  readonly elapsed: Duration.Duration
}

/**
 * Submitting to an executor that is draining or closed.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Executor } from "@taskscope/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const executor = yield* Executor.make()
 *   yield* executor.drain()
 *   return yield* executor.submit({ name: "late", effect: Effect.void }).pipe(
 *     Effect.catchTag("ExecutorClosedError", (e) => Effect.succeed(e.message))
 *   )
 * }))
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const ExecutorClosedError: new(args: Args<ExecutorClosedError>) => ExecutorClosedError =
  internal.ExecutorClosedError

/**
 * The `ExecutorClosedError` error (see {@link ExecutorClosedError}).
 *
 * @since 0.1.0
 * @category errors
 */
export interface ExecutorClosedError extends Cause.YieldableError {
  readonly _tag: "ExecutorClosedError"
  readonly executor: string
  readonly task: string
}

/**
 * Releasing more permits than were acquired on a `bounded` limiter.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limiter } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const sem = yield* Limiter.semaphore(2, { bounded: true })
 *   return yield* sem.release(1).pipe(Effect.catchTag("OverReleaseError", (e) => Effect.succeed(e.message)))
 * })
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const OverReleaseError: new(args: Args<OverReleaseError>) => OverReleaseError = internal.OverReleaseError

/**
 * The `OverReleaseError` error (see {@link OverReleaseError}).
 *
 * @since 0.1.0
 * @category errors
 */
export interface OverReleaseError extends Cause.YieldableError {
  readonly _tag: "OverReleaseError"
  readonly limiter: string
  readonly released: number
  readonly capacity: number
}

/**
 * The queue was shut down.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkQueue } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const queue = yield* WorkQueue.bounded<string>(10)
 *   yield* queue.shutdown()
 *   return yield* queue.put("late").pipe(Effect.catchTag("QueueShutDownError", () => Effect.succeed("refused")))
 * })
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const QueueShutDownError: new(args: Args<QueueShutDownError>) => QueueShutDownError = internal.QueueShutDownError

/**
 * The `QueueShutDownError` error (see {@link QueueShutDownError}).
 *
 * @since 0.1.0
 * @category errors
 */
export interface QueueShutDownError extends Cause.YieldableError {
  readonly _tag: "QueueShutDownError"
  readonly queue: string
}

/**
 * `tryPut` on a full queue.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkQueue } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const queue = yield* WorkQueue.bounded<number>(1)
 *   yield* queue.tryPut(1)
 *   return yield* queue.tryPut(2).pipe(Effect.catchTag("QueueFullError", (e) => Effect.succeed(e.capacity)))
 * })
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const QueueFullError: new(args: Args<QueueFullError>) => QueueFullError = internal.QueueFullError

/**
 * The `QueueFullError` error (see {@link QueueFullError}).
 *
 * @since 0.1.0
 * @category errors
 */
export interface QueueFullError extends Cause.YieldableError {
  readonly _tag: "QueueFullError"
  readonly queue: string
  readonly capacity: number
}

/**
 * `tryTake` on an empty queue.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkQueue } from "@taskscope/core"
 *
 * const program = Effect.flatMap(WorkQueue.unbounded<number>(), (queue) =>
 *   queue.tryTake.pipe(Effect.catchTag("QueueEmptyError", () => Effect.succeed(-1))))
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const QueueEmptyError: new(args: Args<QueueEmptyError>) => QueueEmptyError = internal.QueueEmptyError

/**
 * The `QueueEmptyError` error (see {@link QueueEmptyError}).
 *
 * @since 0.1.0
 * @category errors
 */
export interface QueueEmptyError extends Cause.YieldableError {
  readonly _tag: "QueueEmptyError"
  readonly queue: string
}

/**
 * `taskDone` was called more times than items were taken.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkQueue } from "@taskscope/core"
 *
 * const program = Effect.flatMap(WorkQueue.unbounded<number>(), (queue) =>
 *   queue.taskDone.pipe(Effect.catchTag("TaskDoneError", (e) => Effect.logWarning(e.message))))
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const TaskDoneError: new(args: Args<TaskDoneError>) => TaskDoneError = internal.TaskDoneError

/**
 * The `TaskDoneError` error (see {@link TaskDoneError}).
 *
 * @since 0.1.0
 * @category errors
 */
export interface TaskDoneError extends Cause.YieldableError {
  readonly _tag: "TaskDoneError"
  readonly queue: string
}

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
export const OrphanedFibersError: new(args: Args<OrphanedFibersError>) => OrphanedFibersError =
  internal.OrphanedFibersError

/**
 * The `OrphanedFibersError` error (see {@link OrphanedFibersError}).
 *
 * @since 0.1.0
 * @category errors
 */
export interface OrphanedFibersError extends Cause.YieldableError {
  readonly _tag: "OrphanedFibersError"
  /** The thread names (`#id`) of the fibers still alive. */
  readonly fibers: ReadonlyArray<string>
  /** How many fibers the effect started in all. */
  readonly started: number
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
export const FinalizerCountError: new(args: Args<FinalizerCountError>) => FinalizerCountError =
  internal.FinalizerCountError

/**
 * The `FinalizerCountError` error (see {@link FinalizerCountError}).
 *
 * @since 0.1.0
 * @category errors
 */
export interface FinalizerCountError extends Cause.YieldableError {
  readonly _tag: "FinalizerCountError"
  readonly wrong: ReadonlyArray<{ readonly label: string; readonly runs: number }>
}

/**
 * `Testing.interruptEverywhere` found a suspension point where interrupting the program breaks a
 * guarantee: a fiber outlived it, a finalizer did not run exactly once, the invariant you gave does
 * not hold, or the program did not finish. `point` is the suspension point (1-based; 0 is the
 * uninterrupted run) of `points`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Testing } from "@taskscope/core"
 *
 * const program = Testing.interruptEverywhere(() => Effect.sleep("1 second")).pipe(
 *   Effect.catchTag("InterruptionPointError", (e) => Effect.logError(e.message))
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const InterruptionPointError: new(
  args: Args<InterruptionPointError> & { readonly cause?: unknown }
) => InterruptionPointError = internal.InterruptionPointError

/**
 * The `InterruptionPointError` error (see {@link InterruptionPointError}).
 *
 * @since 0.1.0
 * @category errors
 */
export interface InterruptionPointError extends Cause.YieldableError {
  readonly _tag: "InterruptionPointError"
  readonly point: number
  readonly points: number
  readonly reason: string
  readonly cause?: unknown
}

/**
 * A task was submitted with the `id` of a task that is still queued or running in the same
 * executor (Bottleneck refuses a duplicate job id too). The id is free again once that task ended.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Executor } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const executor = yield* Executor.Executor
 *   return yield* executor.submit({ name: "sync", id: "user-42", effect: Effect.void }).pipe(
 *     Effect.catchTag("DuplicateTaskIdError", () => Effect.succeed("already on its way"))
 *   )
 * })
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const DuplicateTaskIdError: new(args: Args<DuplicateTaskIdError>) => DuplicateTaskIdError =
  internal.DuplicateTaskIdError

/**
 * The `DuplicateTaskIdError` error (see {@link DuplicateTaskIdError}).
 *
 * @since 0.1.0
 * @category errors
 */
export interface DuplicateTaskIdError extends Cause.YieldableError {
  readonly _tag: "DuplicateTaskIdError"
  readonly executor: string
  readonly id: string
}

/**
 * The executor's intake is full and its overflow policy is `"reject"`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Executor } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const executor = yield* Executor.Executor
 *   return yield* executor.submit({ name: "job", effect: Effect.void }).pipe(
 *     Effect.catchTag("ExecutorFullError", () => Effect.succeed("try later"))
 *   )
 * })
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const ExecutorFullError: new(args: Args<ExecutorFullError>) => ExecutorFullError = internal.ExecutorFullError

/**
 * The `ExecutorFullError` error (see {@link ExecutorFullError}).
 *
 * @since 0.1.0
 * @category errors
 */
export interface ExecutorFullError extends Cause.YieldableError {
  readonly _tag: "ExecutorFullError"
  readonly executor: string
  readonly task: string
  readonly capacity: number
}

/**
 * A queued task that the executor dropped before it started: by `clear()`, by `remove(id)`, or by
 * its overflow policy (`"dropOldest"`, `"dropNewest"`, `"overflowPriority"`, `"dropAll"`). Whoever
 * waits for the task gets this error.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Executor } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const executor = yield* Executor.Executor
 *   const task = yield* executor.submit({ name: "job", effect: Effect.sleep("1 second") })
 *   return yield* task.join.pipe(Effect.catchTag("TaskDroppedError", (e) => Effect.log(`dropped: ${e.reason}`)))
 * })
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const TaskDroppedError: new(args: Args<TaskDroppedError>) => TaskDroppedError = internal.TaskDroppedError

/**
 * The `TaskDroppedError` error (see {@link TaskDroppedError}).
 *
 * @since 0.1.0
 * @category errors
 */
export interface TaskDroppedError extends Cause.YieldableError {
  readonly _tag: "TaskDroppedError"
  readonly executor: string
  readonly task: string
  readonly reason: "cleared" | "removed" | "overflow"
}
