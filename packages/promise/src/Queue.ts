/**
 * A work queue for async code: asyncio's `Queue` with `taskDone` / `join` and Python 3.13's
 * `shutdown`, on `@taskscope/core`'s `WorkQueue` — that never loses an item.
 *
 * - With a `capacity`, `put` waits while the queue is full (backpressure); `take` waits while it is
 *   empty. Both take a `signal`: aborting it takes the caller out of the line, and an item is never
 *   lost to that — it is either taken by that caller (the promise resolves) or left for the next.
 * - `taskDone()` marks a taken item processed; `join()` resolves once every item put is done.
 *   `process(fn)` takes an item, runs `fn` on it and marks it done, whatever happens.
 * - `shutdown()`: `put` rejects from then on with `QueueShutDownError`; `take` returns what is left,
 *   then rejects. `shutdown({ immediate: true })` empties the queue at once, rejects every waiter,
 *   releases `join` — and returns the items it removed, so nothing vanishes.
 * - `for await (const item of queue)` takes items until the queue is shut down and empty; each item
 *   is marked done when the loop asks for the next one or leaves.
 * - `priority: (item) => number` makes it a priority queue (lowest first, FIFO among equals);
 *   `order: "lifo"` a stack.
 *
 * @since 0.1.0
 */
import * as internal from "./internal/queue.js"

/**
 * A queue of items of type `A`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Queue<A> extends AsyncIterable<A> {
  readonly name: string
  readonly capacity: number
  /** Adds an item, waiting while the queue is full. Rejects with `QueueShutDownError` after shutdown. */
  put(item: A, options?: Queue.SignalOptions): Promise<void>
  /** Adds an item if there is room now; else throws `QueueFullError` (or `QueueShutDownError`). */
  tryPut(item: A): void
  /** Takes the next item, waiting while the queue is empty; after shutdown, rejects once it is empty. */
  take(options?: Queue.SignalOptions): Promise<A>
  /** Takes the next item if there is one now; else throws `QueueEmptyError` (or `QueueShutDownError`). */
  tryTake(): A
  /**
   * Takes the next item, calls `fn(item, signal)` and marks the item done when it settles — with no
   * gap in which the item could be lost. Resolves or rejects as `fn` does.
   */
  process<B>(fn: (item: A, signal: AbortSignal) => B | PromiseLike<B>, options?: Queue.SignalOptions): Promise<B>
  /** Marks one taken item processed. Throws `TaskDoneError` if no taken item is outstanding. */
  taskDone(): void
  /** Resolves once every item ever put has been marked done (at once if none is outstanding). */
  join(options?: Queue.SignalOptions): Promise<void>
  /** Shuts the queue down (see the module docs); returns the items an immediate shutdown removed. */
  shutdown(options?: { readonly immediate?: boolean }): Array<A>
  readonly size: number
  readonly isEmpty: boolean
  readonly isFull: boolean
  readonly isShutdown: boolean
  /** Counters: size, unfinished, in flight, waiting takers and putters. */
  readonly stats: Queue.Stats
}

/**
 * The options and models of `Queue`.
 *
 * @since 0.1.0
 */
export declare namespace Queue {
  /**
   * | option | type | default | |
   * | --- | --- | --- | --- |
   * | `capacity` | positive integer or `Infinity` | `Infinity` | `put` waits while this many items wait |
   * | `name` | string | `"WorkQueue"` | shown in errors |
   * | `order` | `"fifo"` or `"lifo"` | `"fifo"` | |
   * | `priority` | `(item: A) => number` | none | lowest first, FIFO among equals |
   *
   * @since 0.1.0
   * @category models
   */
  export interface Options<A> {
    readonly capacity?: number
    readonly name?: string
    readonly order?: "fifo" | "lifo"
    readonly priority?: (item: A) => number
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface SignalOptions {
    /** Aborting it takes the caller out of the line; the promise rejects with its reason. */
    readonly signal?: AbortSignal | undefined
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface Stats {
    readonly size: number
    readonly capacity: number
    /** Items put and not yet marked done. */
    readonly unfinished: number
    /** Items taken and not yet marked done. */
    readonly inFlight: number
    readonly waitingTakers: number
    readonly waitingPutters: number
    readonly shutdown: boolean
  }
}

/**
 * Makes a queue: `new Queue<Job>({ capacity: 100 })`.
 *
 * @example
 * ```ts
 * import { Queue, TaskGroup } from "@taskscope/promise"
 *
 * const jobs = new Queue<string>({ capacity: 10 })
 * await TaskGroup.run(async (group) => {
 *   for (let i = 0; i < 3; i++) {
 *     group.spawn(async () => {
 *       for await (const job of jobs) console.log(`worker ${i}: ${job}`)
 *     })
 *   }
 *   for (const job of ["a", "b", "c", "d"]) await jobs.put(job)
 *   await jobs.join() // every job has been processed
 *   jobs.shutdown() // the workers' loops end
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const Queue: new<A>(options?: Queue.Options<A>) => Queue<A> = internal.QueueImpl
