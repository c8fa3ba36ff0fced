import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import { TimeoutError } from "../Errors.js"
import { isInterruptedOnly } from "./cause.js"

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
