/**
 * A handle on a child started with `group.spawn`: asyncio's `Task`, awaitable like a promise.
 *
 * Awaiting a task gives its value, or rejects with what it threw (as it was thrown). A task that
 * was cancelled rejects with the reason its signal was aborted with: a `CancelledError`, a
 * `TimeoutError` when a deadline stopped it, or your own signal's reason. The promise behind a
 * task is made only when you await it, so a task you never await never makes an unhandled
 * rejection: its failure reaches you through its group.
 *
 * @since 0.1.0
 */

import type * as CoreTask from "@taskscope/core/Task"

/**
 * The one status vocabulary of `@taskscope/core`'s `Task.State`: `queued` while it waits for a slot
 * in a bounded group, `running`, then `succeeded`, `failed`, `timedOut` (a deadline or timeout
 * stopped it) or `cancelled`. A task cancelled while queued never runs. (Until 0.1.0 `queued` was
 * `pending`, and a timed-out task `failed`.)
 *
 * @since 0.1.0
 * @category models
 */
export type State = CoreTask.State

/**
 * A child task: a promise of its value, with a name, a state and `cancel`.
 *
 * @example
 * ```ts
 * import { TaskGroup } from "@taskscope/promise"
 *
 * const total = await TaskGroup.run(async (group) => {
 *   const a = group.spawn(async () => 1, { name: "a" })
 *   const b = group.spawn(async () => 2, { name: "b" })
 *   return (await a) + (await b) // 3
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Task<A> extends PromiseLike<A> {
  /** A number unique within the process. */
  readonly id: number
  /** The name given at spawn, or `task-<id>`. */
  readonly name: string
  /** Where the task is now. */
  readonly state: State
  /** Whether it has ended (succeeded, failed, timed out or cancelled). */
  readonly done: boolean
  /** Like `Promise.prototype.catch`. */
  catch<C = never>(onrejected?: ((reason: any) => C | PromiseLike<C>) | null): Promise<A | C>
  /** Like `Promise.prototype.finally`. */
  finally(onfinally?: (() => void) | null): Promise<A>
  /**
   * Cancels the task — aborts its signal, or drops it if it has not started — and resolves once it
   * has stopped and its cleanup has run. Awaiting the task then rejects with a
   * `CancelledError`. Cancelling a task that has ended does nothing.
   */
  cancel(): Promise<void>
}
