import type * as Duration from "effect/Duration"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"

/**
 * What the code running inside a task can tell its task, and learn from it: its name (for limiter
 * introspection and logs), and each retry attempt (for `TaskResult.attempts` and executor events).
 * Inherited by forks.
 * @internal
 */
export interface TaskInfo {
  readonly name: string | undefined
  onAttempt(attempt: number): void
  onRetry(attempt: number, delay: Duration.Duration, error: unknown): void
}

/** @internal */
export const currentTask: FiberRef.FiberRef<TaskInfo | undefined> = globalValue(
  Symbol.for("@taskscope/core/currentTask"),
  () => FiberRef.unsafeMake<TaskInfo | undefined>(undefined)
)
