/**
 * A work queue with asyncio's `task_done` / `join` and Python 3.13's `shutdown`, that never loses
 * an item.
 *
 * - `bounded(capacity)` applies backpressure: `put` waits while the queue is full; `take` waits
 *   while it is empty. `unbounded`, `priority` (lowest first, FIFO among equals) and `lifo` too.
 * - `taskDone` marks a taken item processed; `join` waits until every item ever put is done.
 * - `shutdown()`: `put` fails from then on; `take` returns what is left, then fails. With
 *   `{ immediate: true }` the queue is emptied at once, every waiter fails, `join` is released for
 *   the removed items — and the removed items are returned, so nothing vanishes.
 * - Cancellation is safe: an item leaves the queue only in the same uninterruptible step in which a
 *   taker receives it (a taker interrupted just after being woken passes its turn on, and the item
 *   stays for the next taker); an interrupted putter's item is never added; `process` gives back the
 *   item of a handler that is interrupted.
 *
 * Differences from asyncio.Queue: errors are typed (`QueueShutDownError`, `QueueFullError`,
 * `QueueEmptyError`, `TaskDoneError`); `taskDone` beyond the number of items *taken* is an error
 * (asyncio counts items put); `shutdown` returns the items it removed.
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { Inspectable } from "effect/Inspectable"
import * as Layer from "effect/Layer"
import type { Pipeable } from "effect/Pipeable"
import type * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type { BackendError, InvalidOptionsError } from "./Errors.js"
import { QueueEmptyError, QueueFullError, QueueShutDownError, TaskDoneError } from "./Errors.js"
import * as internal from "./internal/workQueue.js"

/**
 * @since 0.1.0
 * @category errors
 */
export { QueueEmptyError, QueueFullError, QueueShutDownError, TaskDoneError }

/**
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * @since 0.1.0
 * @category symbols
 */
export type TypeId = typeof TypeId

/**
 * A queue of work items of type `A`.
 *
 * `BE` is the error of the backend that keeps the items: `never` for the in-memory queues made
 * here, {@link BackendError} for shared ones (e.g. `@taskscope/redis`), whose items live in another
 * process that can be out of reach.
 *
 * **The contract** every backend keeps (checked by one conformance suite, in memory and on Redis):
 * - Nothing is lost: an item put is taken, still in the queue, or returned by an immediate shutdown.
 * - FIFO `put`/`take`; `tryPut` fails with `QueueFullError` at capacity, `tryTake` with
 *   `QueueEmptyError` when empty; `put` waits while the queue is full.
 * - `taskDone` marks one taken item done (from any fiber) and fails with `TaskDoneError` when no
 *   taken item is outstanding; `join` waits until every item ever put is done.
 * - `process(use)` takes an item and settles it: done when `use` succeeds or fails; **given back** to
 *   the queue, not done, when `use` is interrupted, so another taker gets it.
 * - `shutdown()`: `put` fails with `QueueShutDownError`, `take` returns what is left, then fails.
 *   `shutdown({ immediate: true })`: waiting takers and putters fail at once.
 * - `size` and `snapshot` show the items waiting to be taken, in order; `stats` counts them, the
 *   unfinished (put, not done) and the in flight (taken, not done).
 *
 * **Where a shared backend differs** (`@taskscope/redis`; the one place these are listed):
 * - Only FIFO queues; a given-back item goes to the end of the shared stream (in memory: to the
 *   front, taken next).
 * - Delivery is at least once: an item taken by a process that dies is delivered again after
 *   `claimIdle`. `taskDone` acknowledges the calling fiber's newest taken item, else the oldest item
 *   this process took; which one matters only if the process dies — `process` settles exactly its item.
 * - `shutdown` stops this process's handle, not the shared queue: other processes go on putting and
 *   taking. An immediate shutdown leaves the waiting items in the shared stream, so it returns none
 *   and does not release `join` (in memory it removes them, returns them and releases `join`).
 * - `capacity` is checked when an item is put: two processes putting at once may each pass it.
 * - Time is real time: blocking reads and polls run on the server, never on the TestClock;
 *   `stats.waitingTakers` and `waitingPutters` count this process's callers only.
 *
 * @since 0.1.0
 * @category models
 */
export interface WorkQueue<in out A, out BE = never> extends Pipeable, Inspectable {
  readonly [TypeId]: TypeId
  readonly name: string
  readonly capacity: number
  /** Adds an item, waiting while the queue is full. Fails with `QueueShutDownError` after shutdown. */
  put(item: A): Effect.Effect<void, QueueShutDownError | BE>
  /** Adds an item if there is room now, else fails with `QueueFullError`. */
  tryPut(item: A): Effect.Effect<void, QueueFullError | QueueShutDownError | BE>
  /** Takes the next item, waiting while the queue is empty; after shutdown, fails once it is empty. */
  readonly take: Effect.Effect<A, QueueShutDownError | BE>
  /** Takes the next item if there is one now, else fails with `QueueEmptyError`. */
  readonly tryTake: Effect.Effect<A, QueueEmptyError | QueueShutDownError | BE>
  /**
   * Takes the next item, runs `use` on it and settles it, with no gap in which an interruption could
   * lose it: the item is marked done when `use` succeeds or fails, and given back to the queue (not
   * done) when `use` is interrupted.
   */
  process<B, E, R>(use: (item: A) => Effect.Effect<B, E, R>): Effect.Effect<B, E | QueueShutDownError | BE, R>
  /** Marks one taken item as processed. Fails with `TaskDoneError` if no taken item is outstanding. */
  readonly taskDone: Effect.Effect<void, TaskDoneError | BE>
  /** Waits until every item ever put has been marked done (at once if none is outstanding). */
  readonly join: Effect.Effect<void, BE>
  /** Shuts the queue down (see the module docs); returns the items removed by an immediate shutdown. */
  shutdown(options?: ShutdownOptions): Effect.Effect<Array<A>, BE>
  readonly size: Effect.Effect<number, BE>
  readonly isEmpty: Effect.Effect<boolean, BE>
  readonly isFull: Effect.Effect<boolean, BE>
  readonly isShutdown: Effect.Effect<boolean>
  /** Counters: size, unfinished, in flight, waiting takers and putters. */
  readonly stats: Effect.Effect<Stats, BE>
  /** The items in the queue, in the order they would be taken. */
  readonly snapshot: Effect.Effect<Array<A>, BE>
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

/**
 * | option | type | default | rule |
 * | --- | --- | --- | --- |
 * | `capacity` | integer or `Infinity` | `Infinity` | ≥ 1 |
 * | `name` | string | `"WorkQueue"` | shown in errors |
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** A positive integer or Infinity. */
  readonly capacity?: number
  /** Shown in errors. */
  readonly name?: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ShutdownOptions {
  /** Empty the queue now and fail every waiter (Python 3.13's `shutdown(immediate=True)`). */
  readonly immediate?: boolean
}

/**
 * A FIFO queue from options that may come from outside (a config file): they are decoded once, and a
 * bad value is a typed `InvalidOptionsError` naming the option. Without a `capacity`, unbounded.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkQueue } from "@taskscope/core"
 *
 * const config = { capacity: 100, name: "jobs" } // e.g. read from a file
 * const program = Effect.gen(function*() {
 *   const queue = yield* WorkQueue.make<string>(config)
 *   yield* queue.put("job-1")
 *   return yield* queue.take
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <A>(options?: Options) => Effect.Effect<WorkQueue<A>, InvalidOptionsError> = internal.make

/**
 * A FIFO queue holding at most `capacity` items; `put` waits while it is full. A bad capacity is a
 * programmer error (a defect naming `WorkQueue.bounded` and the value).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkQueue } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const queue = yield* WorkQueue.bounded<string>(100)
 *   yield* queue.put("job-1")
 *   const job = yield* queue.take
 *   yield* queue.taskDone
 *   yield* queue.join // every item put has been marked done
 *   return job
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const bounded: <A>(capacity: number, options?: { readonly name?: string }) => Effect.Effect<WorkQueue<A>> =
  internal.bounded

/**
 * A FIFO queue without a capacity limit.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkQueue } from "@taskscope/core"
 *
 * const program = Effect.flatMap(WorkQueue.unbounded<number>(), (queue) => queue.put(1))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const unbounded: <A>(options?: { readonly name?: string }) => Effect.Effect<WorkQueue<A>> = internal.unbounded

/**
 * A priority queue: the item with the lowest `priority` comes out first; equal priorities come out in
 * the order they were put (stable). asyncio's `PriorityQueue`. A given-back item comes out before the
 * items of its priority that were never taken.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkQueue } from "@taskscope/core"
 *
 * interface Job { readonly name: string; readonly urgency: number }
 * const program = Effect.gen(function*() {
 *   const queue = yield* WorkQueue.priority<Job>({ priority: (job) => job.urgency, capacity: 50 })
 *   yield* queue.put({ name: "later", urgency: 5 })
 *   yield* queue.put({ name: "now", urgency: 1 })
 *   return (yield* queue.take).name // "now"
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const priority: <A>(
  options: Options & { readonly priority: (item: A) => number }
) => Effect.Effect<WorkQueue<A>> = internal.priority

/**
 * A LIFO queue (a stack): the last item put is taken first. asyncio's `LifoQueue`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkQueue } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const stack = yield* WorkQueue.lifo<number>({ capacity: 10 })
 *   yield* stack.put(1)
 *   yield* stack.put(2)
 *   return yield* stack.take // 2
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const lifo: <A>(options?: Options) => Effect.Effect<WorkQueue<A>> = internal.lifo

/**
 * @since 0.1.0
 * @category models
 */
export interface ConsumeOptions {
  /** How many workers take items at once (a positive integer). */
  readonly concurrency: number
  readonly name?: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ItemFailure<A, E> {
  readonly item: A
  readonly cause: Cause.Cause<E>
}

/**
 * What a {@link consume} run did: how many items it processed and which ones failed.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConsumeReport<A, E> {
  readonly processed: number
  readonly failed: ReadonlyArray<ItemFailure<A, E>>
}

/**
 * A worker pool over the queue, as a scoped TaskGroup: `concurrency` workers take items with
 * `process` and run `handler` on each; an item is marked done when its handler succeeds or fails (a
 * failure is recorded for its item and does not stop the pool). Returns when the queue has been shut
 * down and emptied; interrupting it interrupts the workers, and the items in their hands go back to
 * the queue. A bad `concurrency` is a defect naming `WorkQueue.consume` and the value.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskGroup, WorkQueue } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const queue = yield* WorkQueue.bounded<number>(10)
 *   return yield* TaskGroup.scoped((group) =>
 *     Effect.gen(function*() {
 *       const pool = yield* group.spawn(WorkQueue.consume(queue, { concurrency: 4 }, (n) => Effect.log(`item ${n}`)))
 *       yield* Effect.forEach([1, 2, 3], (n) => queue.put(n))
 *       yield* queue.join
 *       yield* queue.shutdown()
 *       return yield* pool.join // { processed: 3, failed: [] }
 *     })
 *   )
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const consume: <A, BE, E, R>(
  queue: WorkQueue<A, BE>,
  options: ConsumeOptions,
  handler: (item: A) => Effect.Effect<unknown, E, R>
) => Effect.Effect<ConsumeReport<A, E>, BE, R> = internal.consume

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkQueue } from "@taskscope/core"
 *
 * const program = Effect.map(WorkQueue.unbounded<number>(), WorkQueue.isWorkQueue) // true
 * ```
 *
 * @since 0.1.0
 * @category refinements
 */
export const isWorkQueue = (u: unknown): u is WorkQueue<unknown> => typeof u === "object" && u !== null && TypeId in u

/**
 * The work-queue service: code that opens its queues here runs unchanged on one process
 * ({@link layerMemory}) or shares them across processes (`RedisWorkQueue.layer` from
 * `@taskscope/redis`) — switching is a change of Layer.
 *
 * One name, one queue: opening a name again in the same layer gives the same queue when the
 * `capacity` is equal, and fails with `InvalidOptionsError` when it differs. Options are decoded
 * once, here, with typed errors.
 *
 * @since 0.1.0
 * @category models
 */
export interface WorkQueues {
  /** Which backend keeps the items, e.g. `"memory"` or `"redis"`. */
  readonly backend: string
  /**
   * The FIFO queue called `name`: every caller that opens the same name — in this process, or in
   * any process on a shared backend — puts to and takes from the same items. `schema` encodes items
   * for a backend that stores them outside the process (the in-memory backend keeps them as they are;
   * a shared one decodes every item of the name with the first opener's schema in this process).
   */
  readonly open: <A, I>(
    name: string,
    schema: Schema.Schema<A, I>,
    options?: { readonly capacity?: number }
  ) => Effect.Effect<WorkQueue<A, BackendError>, InvalidOptionsError | BackendError, Scope.Scope>
}

/**
 * The tag of the {@link WorkQueues} service.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { WorkQueue } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const queues = yield* WorkQueue.WorkQueues
 *   const jobs = yield* queues.open("jobs", Schema.Struct({ url: Schema.String }), { capacity: 100 })
 *   yield* jobs.put({ url: "https://example.com" })
 *   return yield* jobs.process((job) => Effect.succeed(job.url))
 * }).pipe(Effect.scoped, Effect.provide(WorkQueue.layerMemory))
 * ```
 *
 * @since 0.1.0
 * @category services
 */
export const WorkQueues: Context.Tag<WorkQueues, WorkQueues> = Context.GenericTag<WorkQueues>(
  "@taskscope/core/WorkQueue/WorkQueues"
)

/**
 * The in-memory {@link WorkQueues}: FIFO queues in this process; the same name gives the same queue.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { WorkQueue } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const queues = yield* WorkQueue.WorkQueues
 *   const a = yield* queues.open("jobs", Schema.Number)
 *   const b = yield* queues.open("jobs", Schema.Number)
 *   return a === b // true
 * }).pipe(Effect.scoped, Effect.provide(WorkQueue.layerMemory))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<WorkQueues> = Layer.sync(WorkQueues, internal.makeMemoryProvider)
