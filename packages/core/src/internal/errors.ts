/**
 * The error classes of every module. `Errors` binds them to their public names and types.
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"

/** @internal */
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

/** @internal */
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

/** @internal */
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

/** @internal */
export class TaskExitedBeforeReadyError extends Data.TaggedError("TaskExitedBeforeReadyError")<{
  readonly group: string
  readonly task: string
}> {
  override get message(): string {
    return `Task "${this.task}" started with TaskGroup.start in "${this.group}" completed without calling ready().`
  }
}

/** @internal */
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

/** @internal */
export class ExecutorClosedError extends Data.TaggedError("ExecutorClosedError")<{
  readonly executor: string
  readonly task: string
}> {
  override get message(): string {
    return `Executor "${this.executor}" is draining or closed: task "${this.task}" was not accepted`
  }
}

/** @internal */
export class OverReleaseError extends Data.TaggedError("OverReleaseError")<{
  readonly limiter: string
  readonly released: number
  readonly capacity: number
}> {
  override get message(): string {
    return `Limiter "${this.limiter}": releasing ${this.released} permit(s) would exceed its capacity of ${this.capacity} (released more than acquired)`
  }
}

/** @internal */
export class QueueShutDownError extends Data.TaggedError("QueueShutDownError")<{ readonly queue: string }> {
  override get message(): string {
    return `WorkQueue "${this.queue}" is shut down`
  }
}

/** @internal */
export class QueueFullError
  extends Data.TaggedError("QueueFullError")<{ readonly queue: string; readonly capacity: number }>
{
  override get message(): string {
    return `WorkQueue "${this.queue}" is full (capacity ${this.capacity})`
  }
}

/** @internal */
export class QueueEmptyError extends Data.TaggedError("QueueEmptyError")<{ readonly queue: string }> {
  override get message(): string {
    return `WorkQueue "${this.queue}" is empty`
  }
}

/** @internal */
export class TaskDoneError extends Data.TaggedError("TaskDoneError")<{ readonly queue: string }> {
  override get message(): string {
    return `WorkQueue "${this.queue}": taskDone called more times than items were taken`
  }
}

/** @internal */
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

/** @internal */
export class FinalizerCountError extends Data.TaggedError("FinalizerCountError")<{
  readonly wrong: ReadonlyArray<{ readonly label: string; readonly runs: number }>
}> {
  override get message(): string {
    return `Finalizers that did not run exactly once: ${
      this.wrong.slice(0, 10).map((w) => `${w.label} ran ${w.runs} time(s)`).join(", ")
    }`
  }
}

/** @internal */
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

/** @internal */
export class DuplicateTaskIdError extends Data.TaggedError("DuplicateTaskIdError")<{
  readonly executor: string
  readonly id: string
}> {
  override get message(): string {
    return `Executor "${this.executor}" already has a task with the id "${this.id}" queued or running`
  }
}

/** @internal */
export class ExecutorFullError extends Data.TaggedError("ExecutorFullError")<{
  readonly executor: string
  readonly task: string
  readonly capacity: number
}> {
  override get message(): string {
    return `Executor "${this.executor}" is full (${this.capacity} tasks queued): task "${this.task}" was rejected`
  }
}

/** @internal */
export class TaskDroppedError extends Data.TaggedError("TaskDroppedError")<{
  readonly executor: string
  readonly task: string
  readonly reason: "cleared" | "removed" | "overflow"
}> {
  override get message(): string {
    return `Executor "${this.executor}" dropped task "${this.task}" before it started (${this.reason})`
  }
}
