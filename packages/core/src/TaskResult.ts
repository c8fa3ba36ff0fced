/**
 * The outcome of one task as a plain value: asyncio's `TaskResult` dataclass, as a tagged union.
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import type * as Option from "effect/Option"
import * as internal from "./internal/outcome.js"
import type * as Task from "./Task.js"

/**
 * Fields every outcome carries.
 *
 * @since 0.1.0
 * @category models
 */
export interface Common {
  /** The task's name. */
  readonly name: string
  /** How many times the task's effect was started (1 unless a retry policy ran it again). */
  readonly attempts: number
  /** Epoch milliseconds (from the Clock) when the task started; for a task cancelled before it started, when it was cancelled. */
  readonly startedAt: number
  /** Epoch milliseconds (from the Clock) when the task ended. */
  readonly endedAt: number
  /** `endedAt - startedAt`. */
  readonly duration: Duration.Duration
}

/**
 * The task succeeded with `value`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Succeeded<A> extends Common {
  readonly _tag: "Succeeded"
  readonly value: A
}

/**
 * The task failed (an error or a defect). `error` is the first typed error, if the cause has one.
 *
 * @since 0.1.0
 * @category models
 */
export interface Failed<E> extends Common {
  readonly _tag: "Failed"
  readonly cause: Cause.Cause<E>
  readonly error: Option.Option<E>
}

/**
 * The task failed because a deadline or timeout passed (an error tagged `TimeoutError`, or Effect's
 * `TimeoutException`).
 *
 * @since 0.1.0
 * @category models
 */
export interface TimedOut<E> extends Common {
  readonly _tag: "TimedOut"
  readonly cause: Cause.Cause<E>
}

/**
 * The task was cancelled (interrupted). `started` is `false` when it was cancelled while still queued,
 * so its effect never ran. An executor that dropped a queued task (`clear`, `remove`, an overflow
 * policy; its waiters get `TaskDroppedError`) reports it cancelled too, with `dropped` saying why —
 * as concurrent.futures reports a pending future that was cancelled.
 *
 * @since 0.1.0
 * @category models
 */
export interface Cancelled extends Common {
  readonly _tag: "Cancelled"
  readonly started: boolean
  /** Set when an executor dropped the task before it started: why. */
  readonly dropped?: "cleared" | "removed" | "overflow"
}

/**
 * The outcome of a task: `Succeeded`, `Failed`, `TimedOut` or `Cancelled`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Concurrent, TaskResult } from "@taskscope/core"
 *
 * const calls: Array<Effect.Effect<number, string>> = [Effect.succeed(1), Effect.fail("boom")]
 * const program = Concurrent.settle(calls).pipe(
 *   Effect.map((results) => results.map(TaskResult.match({
 *     onSucceeded: (r) => `ok ${r.value}`,
 *     onFailed: (r) => `failed ${String(r.error)}`,
 *     onTimedOut: () => "timed out",
 *     onCancelled: () => "cancelled"
 *   })))
 * )
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type TaskResult<A, E = never> = Succeeded<A> | Failed<E> | TimedOut<E> | Cancelled

/**
 * Timing and naming facts used to build a result from an `Exit`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Meta {
  readonly name: string
  readonly attempts: number
  readonly startedAt: number
  readonly endedAt: number
  readonly started?: boolean
}

/**
 * Builds a result from an `Exit`, by the one classifier that also gives `Task.State`: success →
 * `Succeeded`; interruption only → `Cancelled`; a failure whose first error is a `TimeoutError` (or
 * Effect's `TimeoutException`) → `TimedOut`; a `TaskDroppedError` (an executor dropped the task
 * before it started) → `Cancelled` with `dropped`; any other failure or defect → `Failed`.
 *
 * @example
 * ```ts
 * import { Exit } from "effect"
 * import { TaskResult } from "@taskscope/core"
 *
 * const r = TaskResult.fromExit(Exit.succeed(42), { name: "answer", attempts: 1, startedAt: 0, endedAt: 5 })
 * // r._tag === "Succeeded", r.value === 42
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromExit: <A, E>(exit: Exit.Exit<A, E>, meta: Meta) => TaskResult<A, E> = internal.fromExit

/**
 * A result's status in the one vocabulary (`Task.State`): `"succeeded"`, `"failed"`, `"timedOut"`
 * or `"cancelled"`.
 *
 * @example
 * ```ts
 * import { Exit } from "effect"
 * import { TaskResult } from "@taskscope/core"
 *
 * const result = TaskResult.fromExit(Exit.succeed(1), { name: "t", attempts: 1, startedAt: 0, endedAt: 1 })
 * TaskResult.status(result) // "succeeded"
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const status = <A, E>(result: TaskResult<A, E>): Exclude<Task.State, "queued" | "running"> =>
  internal.statusOfTag[result._tag]

/**
 * Converts a result back to an `Exit` (a `Cancelled` result becomes an interruption).
 *
 * @example
 * ```ts
 * import { Exit } from "effect"
 * import { TaskResult } from "@taskscope/core"
 *
 * const exit = TaskResult.toExit(TaskResult.fromExit(Exit.fail("e"), { name: "t", attempts: 1, startedAt: 0, endedAt: 1 }))
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const toExit = <A, E>(result: TaskResult<A, E>): Exit.Exit<A, E> => {
  switch (result._tag) {
    case "Succeeded":
      return Exit.succeed(result.value)
    case "Cancelled":
      return Exit.interrupt(FiberId.none)
    default:
      return Exit.failCause(result.cause)
  }
}

/**
 * Folds a result by its tag.
 *
 * @example
 * ```ts
 * import { Exit } from "effect"
 * import { TaskResult } from "@taskscope/core"
 *
 * const label = TaskResult.match({
 *   onSucceeded: (r: TaskResult.Succeeded<number>) => `ok ${r.value}`,
 *   onFailed: () => "failed",
 *   onTimedOut: () => "timed out",
 *   onCancelled: () => "cancelled"
 * })
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const match = <A, E, B, C = B, D = B, F = B>(cases: {
  readonly onSucceeded: (result: Succeeded<A>) => B
  readonly onFailed: (result: Failed<E>) => C
  readonly onTimedOut: (result: TimedOut<E>) => D
  readonly onCancelled: (result: Cancelled) => F
}) =>
(result: TaskResult<A, E>): B | C | D | F => {
  switch (result._tag) {
    case "Succeeded":
      return cases.onSucceeded(result)
    case "Failed":
      return cases.onFailed(result)
    case "TimedOut":
      return cases.onTimedOut(result)
    case "Cancelled":
      return cases.onCancelled(result)
  }
}

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Concurrent, TaskResult } from "@taskscope/core"
 *
 * const program = Concurrent.settle([Effect.succeed(1), Effect.fail("e")]).pipe(
 *   Effect.map((results) => results.filter(TaskResult.isSucceeded))
 * )
 * ```
 *
 * @since 0.1.0
 * @category refinements
 */
export const isSucceeded = <A, E>(result: TaskResult<A, E>): result is Succeeded<A> => result._tag === "Succeeded"

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Concurrent, TaskResult } from "@taskscope/core"
 *
 * const program = Concurrent.settle([Effect.succeed(1), Effect.fail("e")]).pipe(
 *   Effect.map((results) => results.filter(TaskResult.isFailed))
 * )
 * ```
 *
 * @since 0.1.0
 * @category refinements
 */
export const isFailed = <A, E>(result: TaskResult<A, E>): result is Failed<E> => result._tag === "Failed"

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Concurrent, TaskResult } from "@taskscope/core"
 *
 * const program = Concurrent.settle([Effect.succeed(1), Effect.fail("e")]).pipe(
 *   Effect.map((results) => results.filter(TaskResult.isTimedOut))
 * )
 * ```
 *
 * @since 0.1.0
 * @category refinements
 */
export const isTimedOut = <A, E>(result: TaskResult<A, E>): result is TimedOut<E> => result._tag === "TimedOut"

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Concurrent, TaskResult } from "@taskscope/core"
 *
 * const program = Concurrent.settle([Effect.succeed(1), Effect.fail("e")]).pipe(
 *   Effect.map((results) => results.filter(TaskResult.isCancelled))
 * )
 * ```
 *
 * @since 0.1.0
 * @category refinements
 */
export const isCancelled = <A, E>(result: TaskResult<A, E>): result is Cancelled => result._tag === "Cancelled"
