/**
 * p-queue's surface on Taskscope's executor: change `import PQueue from "p-queue"` to
 * `import { Executor as PQueue } from "@taskscope/promise"` and the code runs — `add`, `addAll`,
 * `onIdle`, `onEmpty`, `onSizeLessThan`, `onPendingZero`, `onError`, `pause`, `start`, `clear`,
 * `size`, `sizeBy`, `pending`, `isPaused`, `concurrency` (get and set), `timeout` (get and set),
 * `setPriority`, `runningTasks`, `intervalCap`/`interval` (a fixed window, or an exact sliding one
 * with `strict`; `carryoverIntervalCount`), `isRateLimited`, `onRateLimit`, `onRateLimitCleared`,
 * `queueClass`, `autoStart`; an eventemitter3 `EventEmitter` with p-queue's events (`add`,
 * `active`, `completed`, `error`, `next`, `empty`, `idle`, `pendingZero`, `rateLimit`,
 * `rateLimitCleared`). Priority is p-queue's: **higher runs first**, FIFO among equals.
 *
 * Where it differs from p-queue, on purpose:
 * - **A timeout cancels the task.** Its `signal` is aborted with a `TimeoutError`, and the task's
 *   slot is held until the function has stopped: `add` rejects with the `TimeoutError` then, not
 *   while the function still runs in the background (p-queue frees the slot and leaves it running,
 *   so more than `concurrency` functions can be running at once). A function that ignores its
 *   signal is waited for.
 * - **Every task gets its own `signal`** (p-queue passes on the one you gave `add`, or none). It is
 *   aborted by a timeout, by your `signal`, and by `close`. Aborting your `signal` removes a queued
 *   task (the promise rejects with its reason, as in p-queue) and cancels a running one (the
 *   promise rejects with the reason once the function has stopped).
 * - **`clear()` settles the promises** of the tasks it drops: they reject with `TaskDroppedError`
 *   (p-queue leaves them pending forever). Nobody has to handle that rejection.
 * - `close()` (or `await using`) stops intake, waits for every task, and reports.
 * - A task's deadline (its timeout) reaches every Taskscope call given its signal. Otherwise a task
 *   is called inside `add` when a slot is free, as in p-queue, and the events come in p-queue's
 *   order.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type { EventEmitter } from "eventemitter3"
import * as internal from "./internal/executor.js"

/**
 * An executor with p-queue's surface.
 *
 * @since 0.1.0
 * @category models
 */
export interface Executor extends EventEmitter<Executor.EventName>, AsyncDisposable {
  readonly name: string
  /**
   * Queues `fn` and resolves with what it returns once it has run — or rejects with what it threw,
   * as it was thrown; a `TimeoutError` when it ran out of time; your signal's reason if you
   * aborted it; a `TaskDroppedError` if `clear()` dropped it. `fn` gets `{ signal }`.
   */
  add<R>(fn: Executor.Task<R>, options?: Executor.AddOptions): Promise<R>
  /** `add` for each function; resolves when all have. */
  addAll<R>(fns: ReadonlyArray<Executor.Task<R>>, options?: Executor.AddOptions): Promise<Array<R>>
  /** Starts (or resumes) running queued tasks. */
  start(): this
  /** Starts no more tasks until `start()`; running tasks go on. */
  pause(): void
  /** Drops every queued task (running ones go on); their promises reject with `TaskDroppedError`. */
  clear(): void
  /** Resolves when the queue is empty (tasks may still run). */
  onEmpty(): Promise<void>
  /** Resolves when nothing is queued or running. */
  onIdle(): Promise<void>
  /** Resolves when fewer than `limit` tasks are queued. */
  onSizeLessThan(limit: number): Promise<void>
  /** Resolves when no task is running (queued ones may wait, e.g. while paused). */
  onPendingZero(): Promise<void>
  /** Resolves when the rate starts holding queued tasks back (now, if it does). */
  onRateLimit(): Promise<void>
  /** Resolves when the rate no longer holds queued tasks back (now, if it does not). */
  onRateLimitCleared(): Promise<void>
  /** Rejects with the error of the next task that fails (use it in a `Promise.race` with `onIdle`). */
  onError(): Promise<never>
  /** Tasks queued (not yet running). */
  readonly size: number
  /** Queued tasks with this priority. */
  sizeBy(options: { readonly priority?: number }): number
  /** Tasks running. */
  readonly pending: number
  readonly isPaused: boolean
  /** Tasks wait because every slot is taken or the rate holds them back. */
  readonly isSaturated: boolean
  /**
   * The rate (`intervalCap` per `interval`) holds queued tasks back: updated a microtask after each
   * change, with the `rateLimit` and `rateLimitCleared` events (p-queue's rule).
   */
  readonly isRateLimited: boolean
  /** Tasks running at once; setting it starts more at once, or lets running ones finish above a lower one. */
  concurrency: number
  /** The default timeout in milliseconds for tasks added from now on (`undefined`: none). */
  timeout: number | undefined
  /** Moves a queued task (by the `id` given to `add`) to another priority; throws a `ReferenceError` if it is not queued. */
  setPriority(id: string, priority: number): void
  /** The tasks running now. */
  readonly runningTasks: ReadonlyArray<Executor.RunningTask>
  /** Counts since the executor was made, and run-time percentiles (ms). */
  readonly stats: Executor.Stats
  /**
   * Stops intake (`add` rejects with `ExecutorClosedError`), lets queued and running tasks finish
   * within `grace` (default: no limit), cancels what is left, and reports by id. What
   * `await using` calls.
   */
  close(options?: { readonly grace?: Duration.DurationInput }): Promise<Executor.CloseReport>
}

/**
 * The options and models of `Executor`.
 *
 * @since 0.1.0
 */
export declare namespace Executor {
  /**
   * | option | type | default | |
   * | --- | --- | --- | --- |
   * | `concurrency` | integer ≥ 1 or `Infinity` | `Infinity` | tasks running at once |
   * | `timeout` | ms > 0 | none | per task, from the moment it starts |
   * | `autoStart` | boolean | `true` | `false`: paused until `start()` |
   * | `intervalCap` | integer ≥ 1 | `Infinity` | at most this many starts … |
   * | `interval` | ms ≥ 0 | 0 | … per window this long (p-queue's fixed window) |
   * | `strict` | boolean | `false` | an exact sliding window instead |
   * | `carryoverIntervalCount` | boolean | `false` | a new fixed window counts the tasks still running |
   * | `queueClass` | class | priority levels | your own order (p-queue's interface) |
   * | `name` | string | `"Executor"` | shown in errors |
   *
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    readonly concurrency?: number
    readonly timeout?: number
    readonly autoStart?: boolean
    readonly intervalCap?: number
    readonly interval?: number
    /**
     * The window stays open for the tasks still running: a fixed window starts counting from them
     * (p-queue's option; no effect with `strict`).
     */
    readonly carryoverIntervalCount?: boolean
    /** An exact sliding window instead of p-queue's fixed one (needs `interval` and `intervalCap`). */
    readonly strict?: boolean
    /** A class of your own that orders the waiting tasks (p-queue's `queueClass`). */
    readonly queueClass?: new() => Executor.QueueClass
    /** Accepted for p-queue compatibility (older versions); a timeout always rejects with `TimeoutError`. */
    readonly throwOnTimeout?: boolean
    readonly name?: string
  }

  /**
   * p-queue's queue interface: the executor hands each waiting task to `enqueue` as a function,
   * with the options `add` was given (and, as p-queue, the executor's `timeout`, the task's
   * `priority` and `id`); takes the next with `dequeue`, and asks `filter` for `sizeBy`,
   * `setPriority` for `setPriority`, and `remove` (optional) when a waiting task's signal aborts.
   * `dequeue` may return the function it was handed or one that calls it (a queue that wraps its
   * jobs); calling it only tells the executor which task is next — the executor starts it.
   *
   * @since 0.1.0
   * @category models
   */
  export interface QueueClass {
    readonly size: number
    enqueue(run: () => unknown, options: QueueClassOptions): void
    dequeue(): (() => unknown) | undefined
    filter(options: { readonly priority?: number }): Array<unknown>
    setPriority(id: string, priority: number): void
    remove?(id: string): void
  }

  /**
   * What a `queueClass` is handed with each task: `add`'s options as given, the executor's
   * `timeout` when `add` gave none, and the task's `priority` (0 by default) and `id`.
   *
   * @since 0.1.0
   * @category models
   */
  export interface QueueClassOptions {
    readonly priority: number
    readonly id: string
    readonly timeout?: number | undefined
    readonly signal?: AbortSignal | undefined
    readonly [option: string]: unknown
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface AddOptions {
    /** Higher runs first (default 0). */
    readonly priority?: number
    /** For `setPriority` and `runningTasks` (default: "1", "2", …). */
    readonly id?: string
    /** Aborting it removes the task if it is queued and cancels it if it runs; `add` rejects with its reason. */
    readonly signal?: AbortSignal | undefined
    /** A timeout for this task in ms (`undefined`: none), instead of the executor's. */
    readonly timeout?: number | undefined
  }

  /**
   * A function as `add` takes it: it gets the task's `signal`.
   *
   * @since 0.1.0
   * @category models
   */
  export type Task<R> = (options: { readonly signal: AbortSignal }) => PromiseLike<R> | R

  /**
   * @since 0.1.0
   * @category models
   */
  export type EventName =
    | "add"
    | "active"
    | "completed"
    | "error"
    | "next"
    | "empty"
    | "idle"
    | "pendingZero"
    | "rateLimit"
    | "rateLimitCleared"

  /**
   * @since 0.1.0
   * @category models
   */
  export interface RunningTask {
    readonly id: string
    readonly priority: number
    /** Epoch milliseconds. */
    readonly startTime: number
    readonly timeout: number | undefined
    readonly timeoutRemaining: number | undefined
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface Stats {
    readonly submitted: number
    readonly queued: number
    readonly running: number
    readonly succeeded: number
    readonly failed: number
    readonly timedOut: number
    /** Tasks cancelled (a signal, `close`), the dropped ones included. */
    readonly cancelled: number
    /** Of the `cancelled`, those that never started (`clear`, a signal while queued, `close`'s grace). */
    readonly dropped: number
    /** Tasks that ended, however: `succeeded + failed + timedOut + cancelled`. */
    readonly done: number
    readonly retries: number
    readonly concurrency: number
    readonly paused: boolean
    readonly rateLimited: boolean
    readonly closed: boolean
    /** Run-time percentiles over the last 1,024 tasks, in ms. */
    readonly p50: number
    readonly p90: number
    readonly p99: number
  }

  /**
   * What `close` did, by task id.
   *
   * @since 0.1.0
   * @category models
   */
  export interface CloseReport {
    /** Every task ended within the grace. */
    readonly completedInTime: boolean
    /** Tasks still queued when the grace ran out: they never ran. */
    readonly neverRan: ReadonlyArray<string>
    /** Tasks running when the grace ran out: cancelled. */
    readonly interrupted: ReadonlyArray<string>
  }
}

/**
 * Makes an executor: `new Executor({ concurrency: 4 })`, as `new PQueue({ concurrency: 4 })`.
 *
 * @example
 * ```ts
 * import { Executor } from "@taskscope/promise"
 *
 * const queue = new Executor({ concurrency: 2, timeout: 5_000 })
 * queue.on("error", (error) => console.error(error))
 * const urls = ["https://example.com/1", "https://example.com/2", "https://example.com/3"]
 * const pages = await Promise.all(urls.map((url) => queue.add(({ signal }) => fetch(url, { signal }))))
 * await queue.onIdle()
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const Executor: new(options?: Executor.Options) => Executor = internal.ExecutorImpl
