/**
 * @since 0.1.0
 */

/**
 * Run many effects at once: gather, settle, asCompleted, wait, firstSuccess, hedge.
 *
 * @since 0.1.0
 */
export * as Concurrent from "./Concurrent.js"

/**
 * Deadlines that propagate to every fiber below, typed timeouts, shield.
 *
 * @since 0.1.0
 */
export * as Deadline from "./Deadline.js"

/**
 * Errors shared by every module.
 *
 * @since 0.1.0
 */
export * as Errors from "./Errors.js"

/**
 * An event flag: set, clear, wait.
 *
 * @since 0.1.0
 */
export * as Event from "./Event.js"

/**
 * The executor service: submit task specs with priority, keys, timeout and retry; events, stats, drain.
 *
 * @since 0.1.0
 */
export * as Executor from "./Executor.js"

/**
 * Limiters: a fair weighted semaphore, rate limits, pause, keyed limits, and why a caller waits.
 *
 * @since 0.1.0
 */
export * as Limiter from "./Limiter.js"

/**
 * One set of rules for options: durations, counts, and `decode(subject, schema)`.
 *
 * @since 0.1.0
 */
export * as Options from "./Options.js"

/**
 * Test helpers: prove that no fiber outlives its scope and that every finalizer ran exactly once.
 *
 * @since 0.1.0
 */
export * as Orphans from "./Orphans.js"

/**
 * Hierarchical progress: n of m done, rolled up a tree, as a value and a Stream.
 *
 * @since 0.1.0
 */
export * as Progress from "./Progress.js"

/**
 * The live tasks of this process, as data.
 *
 * @since 0.2.0
 */
export * as Registry from "./Registry.js"

/**
 * Retry policies: backoff with full jitter, Retry-After honoured exactly, never past the deadline.
 *
 * @since 0.1.0
 */
export * as Retry from "./Retry.js"

/**
 * Phased graceful shutdown: stop intake, drain within a budget, interrupt, flush, report.
 *
 * @since 0.1.0
 */
export * as Shutdown from "./Shutdown.js"

/**
 * A named handle on a running child.
 *
 * @since 0.1.0
 */
export * as Task from "./Task.js"

/**
 * Scoped supervision of child tasks.
 *
 * @since 0.1.0
 */
export * as TaskGroup from "./TaskGroup.js"

/**
 * The outcome of one task as a value.
 *
 * @since 0.1.0
 */
export * as TaskResult from "./TaskResult.js"

/**
 * A work queue with taskDone/join, shutdown that loses nothing, priority, and a worker pool.
 *
 * @since 0.1.0
 */
/**
 * A test kit: interrupt a program at every suspension point and check no orphans, every finalizer
 * once, and your invariant.
 *
 * @since 0.1.0
 */
export * as Testing from "./Testing.js"

export * as WorkQueue from "./WorkQueue.js"

/**
 * Task lifecycles as an ASCII Gantt chart, SVG, or Chrome trace JSON.
 *
 * @since 0.1.0
 */
export * as Timeline from "./Timeline.js"
