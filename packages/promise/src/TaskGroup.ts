/**
 * Structured concurrency for async functions: asyncio's `TaskGroup`, Trio's nursery — on
 * `@taskscope/core`'s TaskGroup, with an `AbortSignal` for every child.
 *
 * - `TaskGroup.run(async (group) => …)` runs the body with a fresh group and settles once the body
 *   **and every child** have ended: no child outlives it.
 * - Every child gets an `AbortSignal`. The **first failure** aborts the siblings' signals and the
 *   body's (`group.signal`), and `run` rejects with that error **as it was thrown** once every child
 *   has stopped and its cleanup has run. Further failures are kept: several failures reject with
 *   an `AggregateError`, a child that failed while being cancelled with a `SuppressedError` beside
 *   the first failure.
 * - Your own `signal` (option) aborts everything; `run` then rejects with `signal.reason`.
 * - Cancellation is cooperative, as in every JavaScript API: a child stops when it honours its
 *   signal (pass it to `fetch`, to timers, to nested Taskscope calls). The group **waits** for a
 *   child that ignores it: it never leaves work running behind your back.
 * - Calls you give a child's signal to (`gather`, `withTimeout`, `retry`, another group, …) run as
 *   that child's children: an enclosing deadline reaches them, and they stop when it aborts.
 * - `await using group = TaskGroup.open()` is the same group for a block (TypeScript 5.2+ explicit
 *   resource management): leaving the block waits for the children and throws the first failure.
 *
 * @since 0.1.0
 */
import * as internal from "./internal/taskGroup.js"
import type * as Task from "./Task.js"

/**
 * A group of child tasks (the `group` of `TaskGroup.run`).
 *
 * @since 0.1.0
 * @category models
 */
export interface TaskGroup {
  /** Shown in errors. Defaults to `"TaskGroup"`. */
  readonly name: string
  /**
   * The body's signal: aborted when a child fails, when the group is cancelled, when a deadline
   * passes or when your `signal` aborts. Pass it to what the body awaits.
   */
  readonly signal: AbortSignal
  /**
   * Starts a child: calls `fn` with the child's own signal — at once, like calling an async
   * function, or when a slot frees up in a group with `concurrency` — and returns its
   * {@link Task.Task}. Spawning into a group that is being cancelled gives a task that is already
   * cancelled (`fn` never runs; Trio would start it and cancel it at its first checkpoint, so its
   * code up to there runs); spawning into a group that has closed throws `TaskGroupClosedError`.
   */
  spawn<A>(fn: (signal: AbortSignal) => A | PromiseLike<A>, options?: TaskGroup.SpawnOptions): Task.Task<A>
  /**
   * Trio's `nursery.start`: starts a child that gets a `ready` function and resolves with the value
   * it passes to `ready` (a port it listens on, a connection) — the child goes on running in the
   * group. Rejects with the child's error if it fails first, and with `TaskExitedBeforeReadyError` if
   * it returns without calling `ready`. Until it is ready, cancelling the group cancels it.
   */
  start<V>(
    fn: (signal: AbortSignal, ready: (value: V) => void) => unknown,
    options?: TaskGroup.SpawnOptions
  ): Promise<V>
  /**
   * Trio's `cancel_scope.cancel()`: aborts every child's signal and the body's, drops children that
   * have not started, and does not wait. `run` then resolves once everything has stopped — with the
   * body's value if it returned one, else `undefined` — unless something failed.
   */
  cancel(): void
  /** How many children are queued and running, and whether the group still takes children. */
  readonly stats: TaskGroup.Stats
}

/**
 * A group opened with {@link TaskGroup.open} for a block: `await using group = TaskGroup.open()`.
 *
 * @since 0.1.0
 * @category models
 */
export interface OpenTaskGroup extends TaskGroup {
  /**
   * Waits for every child and throws the first failure (as thrown; several as an `AggregateError`),
   * or your signal's reason if it aborted. What `await using` calls when the block ends; call it
   * yourself where `await using` is not available. Calling it again returns the same promise.
   */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

/**
 * The options and models of `TaskGroup`.
 *
 * @since 0.1.0
 */
export declare namespace TaskGroup {
  /**
   * Options of a group.
   *
   * | option | type | default | |
   * | --- | --- | --- | --- |
   * | `name` | string | `"TaskGroup"` | shown in errors |
   * | `concurrency` | positive integer or `Infinity` | `Infinity` | children running at once; the rest wait in FIFO order |
   * | `signal` | `AbortSignal` | none | aborting it cancels everything; the group rejects with its reason |
   *
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    readonly name?: string
    readonly concurrency?: number
    readonly signal?: AbortSignal | undefined
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface SpawnOptions {
    /** Shown in errors and in `task.name`. Defaults to `task-<id>`. */
    readonly name?: string
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface Stats {
    /** Children queued or running. */
    readonly active: number
    readonly running: number
    readonly queued: number
    readonly status: "open" | "cancelling" | "closed"
  }
}

/**
 * Opens task groups: `TaskGroup.run(body)` and `TaskGroup.open()`.
 *
 * @example
 * ```ts
 * import { TaskGroup } from "@taskscope/promise"
 *
 * const urls = ["https://example.com/a", "https://example.com/b"]
 * // Both requests run at once; if one fails, the other is aborted and run rejects with the error.
 * const pages = await TaskGroup.run(async (group) => {
 *   const tasks = urls.map((url) => group.spawn((signal) => fetch(url, { signal }).then((r) => r.text())))
 *   return Promise.all(tasks)
 * })
 *
 * // The same for a block, with explicit resource management:
 * {
 *   await using group = TaskGroup.open({ concurrency: 4 })
 *   for (const url of urls) group.spawn((signal) => fetch(url, { signal }))
 * } // waits for both here, and throws the first failure
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const TaskGroup: {
  /**
   * Runs `body` with a fresh group and settles once the body and every child have ended: with the
   * body's value, or with the first failure as it was thrown (see the module docs). If the group
   * was cancelled (`group.cancel()`) before the body returned, the value is `undefined`.
   */
  readonly run: <A>(body: (group: TaskGroup) => A | PromiseLike<A>, options?: TaskGroup.Options) => Promise<A>
  /**
   * Opens a group for a block: `await using group = TaskGroup.open()`. Leaving the block waits for
   * every child and throws the first failure. A failure aborts `group.signal` and the children's
   * signals, as with `run`. Unlike `run`, the group cannot see an exception thrown by the block
   * itself (JavaScript does not pass it to the disposer), so such an exception does not cancel the
   * children: they are waited for, and if they fail too you get a `SuppressedError` from the
   * language. Use `run` when the body may throw and the children should stop then.
   */
  readonly open: (options?: TaskGroup.Options) => OpenTaskGroup
} = {
  run: internal.run,
  open: internal.open
}
