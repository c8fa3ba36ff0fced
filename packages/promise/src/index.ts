/**
 * Structured concurrency for async/await code, with `@taskscope/core` underneath: task groups whose
 * children are aborted through their `AbortSignal`s and awaited, limits, queues, deadlines, retries
 * and a p-queue-compatible executor. Errors come back as they were thrown.
 *
 * @since 0.1.0
 */

export {
  asCompleted,
  type AsyncFn,
  firstSuccess,
  gather,
  hedge,
  type HedgeOptions,
  map,
  mapIterable,
  type MapIterableOptions,
  type MapOptions,
  mapSkip,
  settle
} from "./Concurrent.js"
export { deadlineOf, moveOnAfter, remaining, withDeadline, withTimeout } from "./Deadline.js"
export * from "./Errors.js"
export { Executor } from "./Executor.js"
export { runPromise, toEffect } from "./Interop.js"
export {
  type KeyedLimiter,
  keyedLimiter,
  limit,
  type Limiter,
  limiter,
  type LimitFunction,
  limitFunction,
  type Permit,
  rateLimit,
  semaphore
} from "./Limiter.js"
export { Queue } from "./Queue.js"
export { parseRetryAfter, retry, RetryAfter } from "./Retry.js"
export type { State as TaskState, Task } from "./Task.js"
export { type OpenTaskGroup, TaskGroup } from "./TaskGroup.js"
