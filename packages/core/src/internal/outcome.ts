import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type * as Task from "../Task.js"
import type * as TaskResult from "../TaskResult.js"
import { isInterruptedOnly } from "./cause.js"
import { TaskDroppedError, TimeoutError } from "./errors.js"

/** Taskscope's own TimeoutError or Effect's TimeoutException — not any error that happens to be tagged so. @internal */
export const isTimeoutError = (u: unknown): boolean => u instanceof TimeoutError || Cause.isTimeoutException(u)

/**
 * How a task that ended ended, in the one status vocabulary (`Task.State` past `running`).
 * @internal
 */
export type Ended = Exclude<Task.State, "queued" | "running">

/**
 * The one classifier of a task's failure: a deadline or timeout (Taskscope's `TimeoutError`,
 * Effect's `TimeoutException`) is `timedOut`; a task its executor dropped before it started
 * (`TaskDroppedError`: cleared, removed, overflow) is `cancelled`, as a pending future that
 * concurrent.futures cancels; anything else is `failed`.
 * @internal
 */
export const statusOfError = (error: unknown): Ended =>
  isTimeoutError(error) ? "timedOut" : error instanceof TaskDroppedError ? "cancelled" : "failed"

/**
 * The status of an exit, in the one vocabulary: success is `succeeded`, an interruption alone
 * `cancelled`, and a failure (its first typed error, else its first defect) is classified by
 * `statusOfError`.
 * @internal
 */
export const statusOf = (exit: Exit.Exit<unknown, unknown>): Ended => {
  if (Exit.isSuccess(exit)) return "succeeded"
  const cause = exit.cause
  if (isInterruptedOnly(cause)) return "cancelled"
  const error = Cause.failureOption(cause)
  if (Option.isSome(error)) return statusOfError(error.value)
  const defect = Cause.dieOption(cause)
  return Option.isSome(defect) && isTimeoutError(defect.value) ? "timedOut" : "failed"
}

/**
 * The status of a promise's settlement (the promise Executor's tasks), by the same rule: `stopped`
 * says the executor stopped it on a caller's signal or on close (an interruption), else a
 * rejection is classified by `statusOfError`.
 * @internal
 */
export const statusOfSettled = (ok: boolean, value: unknown, stopped: boolean): Ended =>
  ok ? "succeeded" : stopped ? "cancelled" : statusOfError(value)

/** The reason a task was dropped, when its exit says it was. @internal */
export const droppedReason = (exit: Exit.Exit<unknown, unknown>): TaskDroppedError["reason"] | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const error = Cause.failureOption(exit.cause)
  return Option.isSome(error) && error.value instanceof TaskDroppedError ? error.value.reason : undefined
}

/** Each ended status's `TaskResult` tag. @internal */
export const tagOf = {
  succeeded: "Succeeded",
  failed: "Failed",
  timedOut: "TimedOut",
  cancelled: "Cancelled"
} as const

/** Each `TaskResult` tag's status. @internal */
export const statusOfTag = {
  Succeeded: "succeeded",
  Failed: "failed",
  TimedOut: "timedOut",
  Cancelled: "cancelled"
} as const

/** How an exit reads as a `TaskResult` tag (by `statusOf`). @internal */
export const outcomeOf = (exit: Exit.Exit<unknown, unknown>): "Succeeded" | "Failed" | "TimedOut" | "Cancelled" =>
  tagOf[statusOf(exit)]

/** Most tasks of a large batch take under a millisecond: they share one zero duration. */
const durationOf = (startedAt: number, endedAt: number): Duration.Duration =>
  endedAt > startedAt ? Duration.millis(endedAt - startedAt) : Duration.zero

const common = (meta: TaskResult.Meta): TaskResult.Common => ({
  name: meta.name,
  attempts: meta.attempts,
  startedAt: meta.startedAt,
  endedAt: meta.endedAt,
  duration: durationOf(meta.startedAt, meta.endedAt)
})

/** A `Succeeded` result, spelled out: the common case of large batches (no meta record, no spread). @internal */
export const succeeded = <A>(
  value: A,
  name: string,
  attempts: number,
  startedAt: number,
  endedAt: number
): TaskResult.Succeeded<A> => ({
  _tag: "Succeeded",
  value,
  name,
  attempts,
  startedAt,
  endedAt,
  duration: durationOf(startedAt, endedAt)
})

/** A task's outcome as a `TaskResult`, by `outcomeOf`. @internal */
export const fromExit = <A, E>(exit: Exit.Exit<A, E>, meta: TaskResult.Meta): TaskResult.TaskResult<A, E> => {
  switch (outcomeOf(exit)) {
    case "Succeeded":
      return succeeded((exit as Exit.Success<A, E>).value, meta.name, meta.attempts, meta.startedAt, meta.endedAt)
    case "Cancelled": {
      const dropped = droppedReason(exit)
      return dropped === undefined
        ? { _tag: "Cancelled", started: meta.started ?? true, ...common(meta) }
        : { _tag: "Cancelled", started: false, dropped, ...common(meta) }
    }
    case "TimedOut":
      return { _tag: "TimedOut", cause: (exit as Exit.Failure<A, E>).cause, ...common(meta) }
    case "Failed": {
      const cause = (exit as Exit.Failure<A, E>).cause
      return { _tag: "Failed", cause, error: Cause.failureOption(cause), ...common(meta) }
    }
  }
}
