/**
 * Errors shared by every module.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"

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
export class InvalidOptionsError extends Data.TaggedError("InvalidOptionsError")<{
  /** Which API rejected the options, e.g. `"TaskGroup"`. */
  readonly subject: string
  /** The human-readable explanation produced by the Schema decoder. */
  readonly detail: string
}> {
  override get message(): string {
    return `${this.subject} options: ${this.detail}`
  }
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
export class BackendError extends Data.TaggedError("BackendError")<{
  /** Which backend, e.g. `"redis"`. */
  readonly backend: string
  /** What was being done, e.g. a command name. */
  readonly operation: string
  readonly reason: "unavailable" | "timeout" | "protocol"
  readonly detail: string
}> {
  override get message(): string {
    return `${this.backend} ${this.operation}: ${this.reason}: ${this.detail}`
  }
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
export class TaskGroupClosedError extends Data.TaggedError("TaskGroupClosedError")<{
  readonly group: string
  readonly task: string
  readonly reason: "closed" | "cancelling"
}> {
  override get message(): string {
    return this.reason === "closed"
      ? `Cannot spawn "${this.task}" into TaskGroup "${this.group}": the group has closed (every child ended and its scope is gone).`
      : `Cannot spawn "${this.task}" into TaskGroup "${this.group}": the group is cancelling its children (a child failed, or the group was cancelled).`
  }
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
export class TaskExitedBeforeReadyError extends Data.TaggedError("TaskExitedBeforeReadyError")<{
  readonly group: string
  readonly task: string
}> {
  override get message(): string {
    return `Task "${this.task}" started with TaskGroup.start in "${this.group}" completed without calling ready().`
  }
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
export class TimeoutError extends Data.TaggedError("TimeoutError")<{
  /** The deadline that passed, in epoch milliseconds. */
  readonly deadline: number
  /** How long the effect ran before it was stopped. */
  readonly elapsed: Duration.Duration
}> {
  override get message(): string {
    return `Deadline exceeded: the operation was stopped after ${Duration.format(this.elapsed)} (deadline ${
      new Date(this.deadline).toISOString()
    })`
  }
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
export class ExecutorClosedError extends Data.TaggedError("ExecutorClosedError")<{
  readonly executor: string
  readonly task: string
}> {
  override get message(): string {
    return `Executor "${this.executor}" is draining or closed: task "${this.task}" was not accepted`
  }
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
export class OverReleaseError extends Data.TaggedError("OverReleaseError")<{
  readonly limiter: string
  readonly released: number
  readonly capacity: number
}> {
  override get message(): string {
    return `Limiter "${this.limiter}": releasing ${this.released} permit(s) would exceed its capacity of ${this.capacity} (released more than acquired)`
  }
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
export class QueueShutDownError extends Data.TaggedError("QueueShutDownError")<{ readonly queue: string }> {
  override get message(): string {
    return `WorkQueue "${this.queue}" is shut down`
  }
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
export class QueueFullError
  extends Data.TaggedError("QueueFullError")<{ readonly queue: string; readonly capacity: number }>
{
  override get message(): string {
    return `WorkQueue "${this.queue}" is full (capacity ${this.capacity})`
  }
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
export class QueueEmptyError extends Data.TaggedError("QueueEmptyError")<{ readonly queue: string }> {
  override get message(): string {
    return `WorkQueue "${this.queue}" is empty`
  }
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
export class TaskDoneError extends Data.TaggedError("TaskDoneError")<{ readonly queue: string }> {
  override get message(): string {
    return `WorkQueue "${this.queue}": taskDone called more times than items were taken`
  }
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
export class InterruptionPointError extends Data.TaggedError("InterruptionPointError")<{
  readonly point: number
  readonly points: number
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    const where = this.point === 0
      ? "without interruption"
      : `interrupted at suspension point ${this.point} of ${this.points}`
    return `${where}: ${this.reason}${
      this.cause !== undefined && Cause.isCause(this.cause) ? `\n${Cause.pretty(this.cause)}` : ""
    }`
  }
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
export class DuplicateTaskIdError extends Data.TaggedError("DuplicateTaskIdError")<{
  readonly executor: string
  readonly id: string
}> {
  override get message(): string {
    return `Executor "${this.executor}" already has a task with the id "${this.id}" queued or running`
  }
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
export class ExecutorFullError extends Data.TaggedError("ExecutorFullError")<{
  readonly executor: string
  readonly task: string
  readonly capacity: number
}> {
  override get message(): string {
    return `Executor "${this.executor}" is full (${this.capacity} tasks queued): task "${this.task}" was rejected`
  }
}

/**
 * A queued task that the executor dropped before it started: by `clear()`, by `remove(id)`, or by
 * its overflow policy (`"dropOldest"`, `"dropNewest"`). Whoever waits for the task gets this error.
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
export class TaskDroppedError extends Data.TaggedError("TaskDroppedError")<{
  readonly executor: string
  readonly task: string
  readonly reason: "cleared" | "removed" | "overflow"
}> {
  override get message(): string {
    return `Executor "${this.executor}" dropped task "${this.task}" before it started (${this.reason})`
  }
}
