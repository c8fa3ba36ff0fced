import type * as Duration from "effect/Duration"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"

/**
 * What a fiber knows of the task it runs for: a child on a fiber of its own holds its run record; a
 * worker fiber of a bounded group holds itself, and answers with the task it runs at the moment.
 * @internal
 */
export interface TaskInfo {
  /** The running task's name, shown as a limiter holder's name. */
  readonly name: string | undefined
  /** The running task's handle (`Task.current`). */
  readonly task: CurrentTask | undefined
}

/**
 * The part of a task handle that code running inside the task may touch: its name, and the retry
 * attempts counted where they happen (`Retry.retry`).
 * @internal
 */
export interface CurrentTask {
  readonly name: string
  noteRetry(attempt: number, delay: Duration.Duration, error: unknown): void
}

/** @internal */
export const currentTask: FiberRef.FiberRef<TaskInfo | undefined> = globalValue(
  Symbol.for("@taskscope/core/currentTask"),
  () => FiberRef.unsafeMake<TaskInfo | undefined>(undefined)
)
