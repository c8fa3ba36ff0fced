/**
 * What the Promise API rejects with. Errors thrown by your own functions come back **as they were
 * thrown** — the same object, `instanceof` holds, every field intact — never wrapped in Effect's
 * `FiberFailure`. When an operation ends with more than one error, they are gathered:
 *
 * - several failures (two children of a group failed): an `AggregateError` whose `errors` are the
 *   failures in the order they happened;
 * - a failure while being cancelled (a child whose cleanup threw after its signal was aborted): a
 *   {@link SuppressedError} whose `error` is that cleanup failure and whose `suppressed` is what the
 *   operation was stopped for (the first failure, the `TimeoutError`, or your signal's reason).
 *
 * An operation that you abort with your own `AbortSignal` rejects with `signal.reason`, as `fetch`
 * does. The errors of `@taskscope/core` that can reach you are re-exported here.
 *
 * @since 0.1.0
 */

/**
 * Errors of `@taskscope/core`, re-exported: `TimeoutError` (a deadline passed), `QueueShutDownError`,
 * `QueueFullError`, `QueueEmptyError`, `TaskDoneError` (queues), `TaskGroupClosedError`,
 * `TaskDroppedError` (a queued executor task was cleared or removed), `ExecutorClosedError`,
 * `ExecutorFullError`, `OverReleaseError` and `InvalidOptionsError` (bad options).
 *
 * @since 0.1.0
 * @category errors
 */
export {
  ExecutorClosedError,
  ExecutorFullError,
  InvalidOptionsError,
  OverReleaseError,
  QueueEmptyError,
  QueueFullError,
  QueueShutDownError,
  TaskDoneError,
  TaskDroppedError,
  TaskGroupClosedError,
  TimeoutError
} from "@taskscope/core/Errors"

/**
 * The work was cancelled: its task group was cancelled, a sibling failed, or `task.cancel()` was
 * called. It is what a child's `AbortSignal` is aborted with in those cases (a deadline aborts it
 * with a `TimeoutError`, your own signal with its reason), and what awaiting a cancelled task
 * rejects with. Its `name` is `"AbortError"`, so code that checks `error.name === "AbortError"`
 * (as most libraries do) treats it as an abort. asyncio's `CancelledError`.
 *
 * @example
 * ```ts
 * import { CancelledError, TaskGroup } from "@taskscope/promise"
 *
 * await TaskGroup.run(async (group) => {
 *   const task = group.spawn((signal) => new Promise((resolve) => signal.addEventListener("abort", resolve)))
 *   await task.cancel()
 *   await task.then(undefined, (error) => console.log(error instanceof CancelledError)) // true
 * })
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class CancelledError extends Error {
  override readonly name = "AbortError"
  constructor(message = "The task was cancelled", options?: ErrorOptions) {
    super(message, options)
  }
}

/**
 * An error thrown while another was being handled — here: a child that failed while it was being
 * cancelled, next to what it was cancelled for. The platform's `SuppressedError` where there is one
 * (explicit resource management); on runtimes without it (Node 20) a class of the same shape, so
 * `error.error` and `error.suppressed` read the same everywhere.
 *
 * @example
 * ```ts
 * import { SuppressedError, TimeoutError, withTimeout } from "@taskscope/promise"
 *
 * try {
 *   await withTimeout(10, async (signal) => {
 *     await new Promise((resolve) => signal.addEventListener("abort", resolve))
 *     throw new Error("cleanup failed")
 *   })
 * } catch (error) {
 *   if (error instanceof SuppressedError) {
 *     console.log(error.suppressed instanceof TimeoutError, (error.error as Error).message) // true "cleanup failed"
 *   }
 * }
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const SuppressedError: new(error: unknown, suppressed: unknown, message?: string) => SuppressedError =
  typeof (globalThis as { SuppressedError?: unknown }).SuppressedError === "function"
    ? (globalThis as unknown as {
      SuppressedError: new(error: unknown, suppressed: unknown, message?: string) => SuppressedError
    })
      .SuppressedError
    : class SuppressedError extends Error {
      override readonly name = "SuppressedError"
      constructor(readonly error: unknown, readonly suppressed: unknown, message?: string) {
        super(message)
      }
    }

/**
 * @since 0.1.0
 * @category errors
 */
export interface SuppressedError extends Error {
  /** The error thrown while stopping (the later one). */
  readonly error: unknown
  /** What the work was stopped for (the earlier one). */
  readonly suppressed: unknown
}
