import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type * as TaskResult from "../TaskResult.js"
import { isInterruptedOnly } from "./cause.js"
import { TimeoutError } from "./errors.js"

/** Taskscope's own TimeoutError or Effect's TimeoutException — not any error that happens to be tagged so. @internal */
export const isTimeoutError = (u: unknown): boolean => u instanceof TimeoutError || Cause.isTimeoutException(u)

/** How an exit reads as a task outcome (see `TaskResult`). @internal */
export const outcomeOf = (exit: Exit.Exit<unknown, unknown>): "Succeeded" | "Failed" | "TimedOut" | "Cancelled" => {
  if (Exit.isSuccess(exit)) return "Succeeded"
  const cause = exit.cause
  if (isInterruptedOnly(cause)) return "Cancelled"
  const error = Cause.failureOption(cause)
  return (Option.isSome(error) ? isTimeoutError(error.value) : Option.exists(Cause.dieOption(cause), isTimeoutError))
    ? "TimedOut"
    : "Failed"
}

/** The one status vocabulary of a task (Task, TaskResult, Timeline, the Executors). @internal */
export type Status = "queued" | "running" | "succeeded" | "failed" | "timedOut" | "cancelled"

/** How a task that ended ended, in the one vocabulary. @internal */
export type Ended = "succeeded" | "failed" | "timedOut" | "cancelled"

const statusOfOutcome = {
  Succeeded: "succeeded",
  Failed: "failed",
  TimedOut: "timedOut",
  Cancelled: "cancelled"
} as const

/** The status of an exit, in the one vocabulary (a timeout is `timedOut`, not `failed`). @internal */
export const statusOf = (exit: Exit.Exit<unknown, unknown>): Ended => statusOfOutcome[outcomeOf(exit)]

const common = (meta: TaskResult.Meta): TaskResult.Common => ({
  name: meta.name,
  attempts: meta.attempts,
  startedAt: meta.startedAt,
  endedAt: meta.endedAt,
  duration: Duration.millis(Math.max(0, meta.endedAt - meta.startedAt))
})

/** A task's outcome as a `TaskResult`, by `outcomeOf`. @internal */
export const fromExit = <A, E>(exit: Exit.Exit<A, E>, meta: TaskResult.Meta): TaskResult.TaskResult<A, E> => {
  switch (outcomeOf(exit)) {
    case "Succeeded":
      // the common case, spelled out: a spread per result showed in profiles of large batches
      return {
        _tag: "Succeeded",
        value: (exit as Exit.Success<A, E>).value,
        name: meta.name,
        attempts: meta.attempts,
        startedAt: meta.startedAt,
        endedAt: meta.endedAt,
        duration: Duration.millis(Math.max(0, meta.endedAt - meta.startedAt))
      }
    case "Cancelled":
      return { _tag: "Cancelled", started: meta.started ?? true, ...common(meta) }
    case "TimedOut":
      return { _tag: "TimedOut", cause: (exit as Exit.Failure<A, E>).cause, ...common(meta) }
    case "Failed": {
      const cause = (exit as Exit.Failure<A, E>).cause
      return { _tag: "Failed", cause, error: Cause.failureOption(cause), ...common(meta) }
    }
  }
}
