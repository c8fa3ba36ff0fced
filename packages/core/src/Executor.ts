/**
 * The async task executor as a service: submit task specs (name, effect, priority, key, timeout,
 * retry); a global concurrency limit, per-key limits (the Limiter module), a bounded intake with
 * backpressure; an event stream, stats, Effect metrics and a span per task; and a `drain` that
 * stops intake, finishes what it can within a budget and returns every task it never ran or had to
 * interrupt — with its spec, so the caller can keep it. Events are only built while someone
 * listens to `events`.
 *
 * Tasks wait in the executor's queue as plain records (lowest `priority` first, FIFO among equals)
 * and get a fiber only when they start. A per-task `timeout` bounds each attempt (a `TimeoutError`
 * can be retried); the retry policy wraps the attempts; key limits are taken per attempt.
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type { InvalidOptionsError } from "./Errors.js"
import { ExecutorClosedError } from "./Errors.js"
import * as internal from "./internal/executor.js"
import type * as Limiter from "./Limiter.js"
import type * as Retry from "./Retry.js"
import type * as Task from "./Task.js"
import type * as TaskResult from "./TaskResult.js"
import type * as Timeline from "./Timeline.js"

/**
 * @since 0.1.0
 * @category errors
 */
export { ExecutorClosedError }

/**
 * What to run.
 *
 * @since 0.1.0
 * @category models
 */
export interface TaskSpec<A, E = never, R = never> {
  readonly name: string
  readonly effect: Effect.Effect<A, E, R>
  /** Lower runs first (default 0). */
  readonly priority?: number
  /** Limits of this key apply (see `Config.keys`). */
  readonly key?: string
  /** A bound on each attempt. */
  readonly timeout?: Duration.DurationInput
  /** A retry policy, or `false` to disable the default one. */
  readonly retry?: Retry.Policy<unknown> | false
}

/**
 * Configuration, validated when the executor starts.
 *
 * @since 0.1.0
 * @category models
 */
export interface Config {
  readonly name?: string
  /** Tasks running at once (default 16). */
  readonly concurrency?: number
  /** Tasks waiting to start before `submit` waits (default 10,000; `Infinity` for no limit). */
  readonly queueCapacity?: number
  /** The drain budget used when the executor's scope closes (default 30 s). */
  readonly grace?: Duration.DurationInput
  /** Limits per key (created on first use, evicted when idle). */
  readonly keys?: (key: string) => Limiter.Options
  readonly keyIdleTimeout?: Duration.DurationInput
  /** Record every task's lifetime here. */
  readonly timeline?: Timeline.Timeline
  /**
   * A span per task: `"auto"` (default) when a tracer other than Effect's built-in one is installed
   * (e.g. OpenTelemetry), `true` always, `false` never. A span costs about 15 µs per task.
   */
  readonly spans?: boolean | "auto"
  readonly defaults?: {
    readonly timeout?: Duration.DurationInput
    readonly retry?: Retry.Policy<unknown>
    readonly priority?: number
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface TaskInfo {
  readonly id: number
  readonly name: string
  readonly key?: string
}

/**
 * What happened to a task, with the Clock's time in epoch milliseconds.
 *
 * @since 0.1.0
 * @category models
 */
export type Event =
  | { readonly _tag: "Queued"; readonly task: TaskInfo; readonly at: number; readonly priority: number }
  | { readonly _tag: "Started"; readonly task: TaskInfo; readonly at: number; readonly attempt: number }
  | {
    readonly _tag: "Retrying"
    readonly task: TaskInfo
    readonly at: number
    readonly attempt: number
    readonly delay: Duration.Duration
    readonly error: unknown
  }
  | {
    readonly _tag: "Succeeded"
    readonly task: TaskInfo
    readonly at: number
    readonly attempts: number
    readonly duration: Duration.Duration
  }
  | {
    readonly _tag: "Failed"
    readonly task: TaskInfo
    readonly at: number
    readonly attempts: number
    readonly cause: Cause.Cause<unknown>
  }
  | { readonly _tag: "TimedOut"; readonly task: TaskInfo; readonly at: number; readonly attempts: number }
  | { readonly _tag: "Cancelled"; readonly task: TaskInfo; readonly at: number; readonly started: boolean }

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
  readonly cancelled: number
  readonly retries: number
  readonly closed: boolean
  /** Run-time percentiles over the last 1,024 tasks that started. */
  readonly p50: Duration.Duration
  readonly p90: Duration.Duration
  readonly p99: Duration.Duration
}

/**
 * A task the drain did not complete, with the spec it was submitted with.
 *
 * @since 0.1.0
 * @category models
 */
export interface Unfinished {
  readonly task: TaskInfo
  readonly spec: TaskSpec<unknown, unknown, unknown>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface DrainReport {
  /** Every task ended within the budget. */
  readonly completedInTime: boolean
  readonly elapsed: Duration.Duration
  /** Tasks that were still queued: they never ran. */
  readonly neverRan: ReadonlyArray<Unfinished>
  /** Tasks that were running and had to be interrupted. */
  readonly interrupted: ReadonlyArray<Unfinished>
}

/**
 * The executor service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Executor {
  readonly name: string
  /** Queues a task and returns its handle; waits while the intake queue is full. */
  submit<A, E, R>(spec: TaskSpec<A, E, R>): Effect.Effect<Task.Task<A, E>, ExecutorClosedError, R>
  /** Submits and waits for the outcome. */
  run<A, E, R>(spec: TaskSpec<A, E, R>): Effect.Effect<TaskResult.TaskResult<A, E>, ExecutorClosedError, R>
  /** Submits a batch and settles it: one result per spec, in order. */
  runAll<A, E, R>(
    specs: Iterable<TaskSpec<A, E, R>>
  ): Effect.Effect<Array<TaskResult.TaskResult<A, E>>, ExecutorClosedError, R>
  /** Every event from the moment of subscription. */
  readonly events: Stream.Stream<Event>
  readonly stats: Effect.Effect<Stats>
  /** Stops intake, lets tasks finish within `grace`, interrupts the rest, and reports what did not complete. */
  drain(options?: { readonly grace?: Duration.DurationInput }): Effect.Effect<DrainReport>
}

/**
 * The service's tag.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Executor } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const executor = yield* Executor.Executor
 *   return yield* executor.run({ name: "hello", effect: Effect.succeed("hi") })
 * }).pipe(Effect.provide(Executor.layer({ concurrency: 4 })))
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export const Executor: Context.Tag<Executor, Executor> = internal.Tag

/**
 * Makes an executor bound to the current scope; closing the scope drains it with `grace`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Executor } from "@taskscope/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const executor = yield* Executor.make({
 *     concurrency: 8,
 *     keys: (host) => ({ concurrency: host === "slow.example" ? 1 : 2, rate: { limit: 10, interval: "1 second" } }),
 *     defaults: { timeout: "5 seconds", retry: { maxAttempts: 3 } }
 *   })
 *   return yield* executor.runAll([
 *     { name: "a", key: "api.example", effect: Effect.succeed(1) },
 *     { name: "b", key: "api.example", effect: Effect.succeed(2), priority: -1 }
 *   ])
 * }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (config?: Config) => Effect.Effect<Executor, InvalidOptionsError, Scope.Scope> = internal.make

/**
 * The executor as a Layer.
 *
 * @example
 * ```ts
 * import { Executor } from "@taskscope/core"
 *
 * const ExecutorLive = Executor.layer({ concurrency: 16, queueCapacity: 1_000, grace: "10 seconds" })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (config?: Config) => Layer.Layer<Executor, InvalidOptionsError> = internal.layer
