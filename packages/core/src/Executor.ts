/**
 * The async task executor as a service, with p-queue's and Bottleneck's semantics: submit task
 * specs (name, effect, priority, key, timeout, retry) and get a {@link Task.Task} handle back.
 *
 * - **Priority**: lower runs first by default (as asyncio's `PriorityQueue` and Bottleneck);
 *   `priority: "higherFirst"` gives p-queue's order. FIFO among equal priorities. `setPriority`
 *   and `remove` act on a queued task by its id.
 * - **Limits**: a global `concurrency` and an optional global `rate` (p-queue's
 *   `intervalCap`/`interval`, as an exact sliding window) and `minTime` (Bottleneck's spacing
 *   between starts); per-key `concurrency` and `rate` (`keys`). A task takes its key's permit
 *   **before** a global slot — a task waiting on a busy key never holds a slot — and the next task
 *   to start is always the best one that may start: priority holds across keys and among tasks
 *   waiting on a key's rate. Retries wait for the rates again.
 * - **Timeout**: bounds each attempt, from the moment it starts (never the time spent queued).
 * - **Intake**: at most `queueCapacity` tasks wait; then `overflow` says what happens: `"block"`
 *   (submit waits), `"reject"` (`ExecutorFullError`), or a task is dropped — its waiters get
 *   `TaskDroppedError` — by Bottleneck's strategies: `"dropOldest"` (LEAK), `"dropNewest"`
 *   (OVERFLOW), `"overflowPriority"` (OVERFLOW_PRIORITY), `"dropAll"` (BLOCK: the whole queue,
 *   and every submit until a `penalty` passes without one). `trySubmit` never waits.
 * - **Control**: `pause`/`resume` and `autoStart: false`; `clear()` drops queued tasks and keeps
 *   running ones; `onIdle`, `onEmpty`, `onSizeLessThan(n)`; `update` changes concurrency, rate,
 *   minTime and the default timeout at run time.
 * - **Observe**: an event stream (built only while someone listens), stats with done counts and
 *   run-time percentiles, the running tasks and a task's status by id, Effect metrics, a span per
 *   task when a tracer is installed.
 * - **Drain**: `drain({ grace })` stops intake, lets tasks finish within the grace (interruptibly —
 *   closing the executor's scope or Layer waits no longer than its `grace` for interruptible work;
 *   an uninterruptible region or a slow finalizer holds it until it ends), interrupts the rest and
 *   returns every task it never ran or had to interrupt, with its spec.
 *
 * A long-lived executor stays flat: it keeps no results of its own — counts, events and metrics
 * say what happened — and tasks wait as plain records, getting a fiber only when they start.
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type { InvalidOptionsError } from "./Errors.js"
import { DuplicateTaskIdError, ExecutorClosedError, ExecutorFullError, TaskDroppedError } from "./Errors.js"
import * as internal from "./internal/executor.js"
import type * as Retry from "./Retry.js"
import type * as Task from "./Task.js"
import type * as TaskResult from "./TaskResult.js"
import type * as Timeline from "./Timeline.js"

/**
 * @since 0.1.0
 * @category errors
 */
export { DuplicateTaskIdError, ExecutorClosedError, ExecutorFullError, TaskDroppedError }

/**
 * What to run.
 *
 * @since 0.1.0
 * @category models
 */
export interface TaskSpec<A, E = never, R = never> {
  /** Shown in events, results, timelines and spans. */
  readonly name: string
  readonly effect: Effect.Effect<A, E, R>
  /** Lower runs first by default (see `Config.priority`); default `defaults.priority`, else 0. */
  readonly priority?: number
  /** The limits of this key apply (see `Config.keys`). */
  readonly key?: string
  /**
   * Your id for the task (Bottleneck's job id): a second task with the same id is refused with
   * `DuplicateTaskIdError` while the first is queued or running.
   */
  readonly id?: string
  /** A bound on each attempt, counted from the moment the attempt starts. */
  readonly timeout?: Duration.DurationInput
  /** A retry policy, or `false` to disable the default one. */
  readonly retry?: Retry.Policy<unknown> | false
}

/**
 * A rate: at most `limit` task starts in any window of `interval` (an exact sliding window).
 *
 * @since 0.1.0
 * @category models
 */
export interface Rate {
  readonly limit: number
  readonly interval: Duration.DurationInput
}

/**
 * The limits of one key. Every option is optional: a key without limits only groups tasks.
 *
 * @since 0.1.0
 * @category models
 */
export interface KeyLimits {
  /** Tasks of this key running at once (default `Infinity`). */
  readonly concurrency?: number
  /** Starts of this key's tasks per interval. */
  readonly rate?: Rate
}

/**
 * Bottleneck's reservoir: `initial` starts are allowed; every `refreshInterval` the reservoir is
 * set to `refreshAmount`; every `increaseInterval`, `increaseAmount` is added, up to
 * `increaseMaximum`. When a start takes the last one, a `Depleted` event is published. Refreshes
 * and increases count from the executor's start, on its Clock.
 *
 * @since 0.1.0
 * @category models
 */
export interface Reservoir {
  readonly initial: number
  readonly refreshInterval?: Duration.DurationInput
  readonly refreshAmount?: number
  readonly increaseInterval?: Duration.DurationInput
  readonly increaseAmount?: number
  readonly increaseMaximum?: number
}

/**
 * Configuration, decoded once when the executor starts (a bad value is an `InvalidOptionsError`).
 *
 * | option | type | default | notes |
 * | --- | --- | --- | --- |
 * | `name` | string | `"Executor"` | |
 * | `concurrency` | positive integer or `Infinity` | 16 | changeable with `update` |
 * | `queueCapacity` | positive integer or `Infinity` | 10,000 | tasks waiting to start |
 * | `overflow` | `"block" \| "reject" \| "dropOldest" \| "dropNewest" \| "overflowPriority" \| "dropAll"` | `"block"` | when the queue is full |
 * | `penalty` | duration ≥ 0 | 15 × `minTime`, or 5 s | `"dropAll"`: submits are dropped until this long passes without one |
 * | `rate` | `{ limit, interval }` | none | global starts per interval |
 * | `minTime` | duration ≥ 0 | 0 | between two starts |
 * | `reservoir` | `Reservoir` | none | Bottleneck's: starts left, refreshed or increased over time |
 * | `keys` | `(key: string) => KeyLimits` | none | per-key concurrency and rate |
 * | `idleTimeout` | duration > 0 | 60 s | an idle key's state is forgotten |
 * | `autoStart` | boolean | `true` | `false`: paused until `resume` |
 * | `priority` | `"lowerFirst" \| "higherFirst"` | `"lowerFirst"` | p-queue runs higher first |
 * | `grace` | duration ≥ 0 or `Infinity` | 30 s | the drain budget when the scope closes |
 * | `defaults` | `{ timeout, retry, priority }` | none | for specs that do not say |
 * | `timeline` | `Timeline` | none | records every task |
 * | `spans` | `boolean \| "auto"` | `"auto"` | a span per task when a tracer is installed |
 *
 * @since 0.1.0
 * @category models
 */
export interface Config {
  readonly name?: string
  /** Tasks running at once (default 16). */
  readonly concurrency?: number
  /** Tasks waiting to start before the overflow policy applies (default 10,000; `Infinity` for no limit). */
  readonly queueCapacity?: number
  /**
   * What happens to a submit when the queue is full (default `"block"`: it waits):
   * - `"reject"`: it fails with `ExecutorFullError`;
   * - `"dropOldest"` (Bottleneck's LEAK): of the lowest priority, the task queued first is dropped
   *   to make room — if it is as important as the new task or less; else the new task is dropped;
   * - `"dropNewest"` (OVERFLOW): the new task is dropped;
   * - `"overflowPriority"` (OVERFLOW_PRIORITY): as `"dropOldest"`, but only a task less important
   *   than the new one makes room;
   * - `"dropAll"` (BLOCK): every queued task and the new one are dropped, and so is every submit
   *   until `penalty` passes without one.
   *
   * A dropped task ends with `TaskDroppedError` (`reason: "overflow"`). A task that would start
   * at once (a worker free, its gates open) is no overflow, however full the queue.
   */
  readonly overflow?: "block" | "reject" | "dropOldest" | "dropNewest" | "overflowPriority" | "dropAll"
  /**
   * Overflow `"dropAll"`: submits are dropped until this long passes without one (default, as
   * Bottleneck's: 15 × `minTime`, or 5 seconds when `minTime` is 0). The first task taken after
   * starts no sooner than `minTime` past the penalty's end.
   */
  readonly penalty?: Duration.DurationInput
  /** At most `limit` task starts in any `interval` (p-queue's `intervalCap`/`interval`). */
  readonly rate?: Rate
  /** At least this long between two task starts (Bottleneck's `minTime`). */
  readonly minTime?: Duration.DurationInput
  /** Bottleneck's reservoir: each start takes one; nothing gives it back but a refresh or an increase. */
  readonly reservoir?: Reservoir
  /** Limits per key, looked up on the key's first use. */
  readonly keys?: (key: string) => KeyLimits
  /**
   * A key with nothing running, queued or remembered by its rate may be forgotten after this long
   * (default 60 s): idle keys are swept once more than 64 are known. A forgotten key's limits are
   * looked up again (`keys`) on its next use.
   */
  readonly idleTimeout?: Duration.DurationInput
  /** `false`: start paused; nothing runs until `resume` (default `true`). */
  readonly autoStart?: boolean
  /** Which priority runs first: `"lowerFirst"` (default) or p-queue's `"higherFirst"`. */
  readonly priority?: "lowerFirst" | "higherFirst"
  /** The drain budget used when the executor's scope closes (default 30 s). */
  readonly grace?: Duration.DurationInput
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
 * What `update` can change while the executor runs. `rate: null` removes the global rate;
 * `timeout: null` removes the default timeout.
 *
 * @since 0.1.0
 * @category models
 */
export interface Settings {
  readonly concurrency?: number
  readonly rate?: Rate | null
  readonly minTime?: Duration.DurationInput
  readonly timeout?: Duration.DurationInput | null
}

/**
 * A task as events and reports name it.
 *
 * @since 0.1.0
 * @category models
 */
export interface TaskRef {
  readonly id: number
  readonly name: string
  readonly key?: string
}

/**
 * Where a task is: waiting, running, or how it ended — the one status vocabulary, `Task.State`. A
 * task the executor dropped before it started (`clear`, `remove`, an overflow policy) is
 * `cancelled`; its `Cancelled` event says why (`dropped`), and its waiters get `TaskDroppedError`.
 *
 * @since 0.1.0
 * @category models
 */
export type TaskStatus = Task.State

/**
 * What happened, with the Clock's time in epoch milliseconds. `RateLimited` says that time alone
 * holds tasks back for `wait`: the global rate, `minTime` or a reservoir waiting to refill (no
 * `key`), or a key's rate (`key` set). `Empty` is published when a task ends, or is dropped, with
 * nothing queued (after each such task, so it repeats — not when the last queued task starts, as
 * `onEmpty` resolves); `Idle` when, besides, nothing runs. A task dropped as it arrives (an
 * overflow policy) gets `Queued`, then `Cancelled` with `dropped`.
 *
 * @since 0.1.0
 * @category models
 */
export type ExecutorEvent =
  | { readonly _tag: "Queued"; readonly task: TaskRef; readonly at: number; readonly priority: number }
  | { readonly _tag: "Started"; readonly task: TaskRef; readonly at: number; readonly attempt: number }
  | {
    readonly _tag: "Retrying"
    readonly task: TaskRef
    readonly at: number
    readonly attempt: number
    readonly delay: Duration.Duration
    readonly error: unknown
  }
  | {
    readonly _tag: "Succeeded"
    readonly task: TaskRef
    readonly at: number
    readonly attempts: number
    readonly duration: Duration.Duration
  }
  | {
    readonly _tag: "Failed"
    readonly task: TaskRef
    readonly at: number
    readonly attempts: number
    readonly cause: Cause.Cause<unknown>
  }
  | { readonly _tag: "TimedOut"; readonly task: TaskRef; readonly at: number; readonly attempts: number }
  | {
    readonly _tag: "Cancelled"
    readonly task: TaskRef
    readonly at: number
    /** `false`: it was cancelled while queued, and never ran. */
    readonly started: boolean
    /** Set when the executor itself dropped it before it started: why. */
    readonly dropped?: TaskDroppedError["reason"]
  }
  | { readonly _tag: "RateLimited"; readonly at: number; readonly key?: string; readonly wait: Duration.Duration }
  | { readonly _tag: "Depleted"; readonly at: number; readonly empty: boolean }
  | { readonly _tag: "Empty"; readonly at: number }
  | { readonly _tag: "Idle"; readonly at: number }

/**
 * Counts since the executor started, and what it is doing now.
 *
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
  /** Tasks cancelled, running or queued — the dropped ones included. */
  readonly cancelled: number
  /** Of the `cancelled`, those the executor dropped before they started (`clear`, `remove`, overflow). */
  readonly dropped: number
  /** Tasks that ended, however: `succeeded + failed + timedOut + cancelled`. */
  readonly done: number
  readonly retries: number
  readonly concurrency: number
  readonly paused: boolean
  /** Time alone holds tasks back right now: the global rate, `minTime`, a reservoir waiting for a refresh or an increase, or a key's rate. */
  readonly rateLimited: boolean
  readonly closed: boolean
  /** Run-time percentiles over the last 1,024 tasks that started. */
  readonly p50: Duration.Duration
  readonly p90: Duration.Duration
  readonly p99: Duration.Duration
}

/**
 * A task a drain did not complete, with its spec so the caller can keep it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Unfinished {
  readonly task: TaskRef
  readonly spec: TaskSpec<unknown, unknown, unknown>
}

/**
 * What `drain` did.
 *
 * @since 0.1.0
 * @category models
 */
export interface DrainReport {
  /** Every task ended within the grace. */
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
  /**
   * Queues a task and returns its handle. When the queue is full: waits (`overflow: "block"`),
   * fails with `ExecutorFullError` (`"reject"`), or drops tasks (`"dropOldest"`, `"dropNewest"`,
   * `"overflowPriority"`, `"dropAll"`: the handle may be of a task already dropped).
   */
  submit<A, E, R>(
    spec: TaskSpec<A, E, R>
  ): Effect.Effect<
    Task.Task<A, E | TaskDroppedError>,
    ExecutorClosedError | ExecutorFullError | DuplicateTaskIdError,
    R
  >
  /** Like `submit`, but never waits: `none` when the queue is full (and the policy would block or reject). */
  trySubmit<A, E, R>(
    spec: TaskSpec<A, E, R>
  ): Effect.Effect<Option.Option<Task.Task<A, E | TaskDroppedError>>, ExecutorClosedError | DuplicateTaskIdError, R>
  /** Submits and waits for the outcome. */
  run<A, E, R>(
    spec: TaskSpec<A, E, R>
  ): Effect.Effect<
    TaskResult.TaskResult<A, E | TaskDroppedError>,
    ExecutorClosedError | ExecutorFullError | DuplicateTaskIdError,
    R
  >
  /**
   * Submits a batch and settles it: one result per spec, in order. If a submit fails part-way (a
   * full queue under `"reject"`, a duplicate id, a closed executor), `runAll` fails with that error;
   * the tasks already submitted run on.
   */
  runAll<A, E, R>(
    specs: Iterable<TaskSpec<A, E, R>>
  ): Effect.Effect<
    Array<TaskResult.TaskResult<A, E | TaskDroppedError>>,
    ExecutorClosedError | ExecutorFullError | DuplicateTaskIdError,
    R
  >
  /** Starts no more tasks until `resume`; running tasks go on (p-queue's `pause`). */
  readonly pause: Effect.Effect<void>
  /** Starts tasks again (p-queue's `start`). */
  readonly resume: Effect.Effect<void>
  /** Drops every queued task (running ones go on); their waiters get `TaskDroppedError`. Returns them. */
  readonly clear: Effect.Effect<ReadonlyArray<TaskRef>>
  /** Drops a queued task by its handle's `task.id` (not the spec's `id`); `false` when it is not queued (any more). */
  remove(id: number): Effect.Effect<boolean>
  /** Moves a queued task, by its handle's `task.id`, to another priority; `false` when it is not queued (any more). */
  setPriority(id: number, priority: number): Effect.Effect<boolean>
  /** Changes concurrency, the global rate, `minTime` or the default timeout while running. */
  update(settings: Settings): Effect.Effect<void>
  /** Waits until nothing is queued or running (p-queue's `onIdle`). */
  readonly onIdle: Effect.Effect<void>
  /** Waits until nothing is queued (p-queue's `onEmpty`). */
  readonly onEmpty: Effect.Effect<void>
  /** Waits until fewer than `n` tasks are queued (p-queue's `onSizeLessThan`). */
  onSizeLessThan(n: number): Effect.Effect<void>
  /** The tasks running now. */
  readonly runningTasks: Effect.Effect<ReadonlyArray<TaskRef>>
  /** Where a task is, by its handle's `task.id`: queued, running, or how it ended (the last 1,000 ended are remembered). */
  status(id: number): Effect.Effect<Option.Option<TaskStatus>>
  /** Every event from the moment of subscription. */
  readonly events: Stream.Stream<ExecutorEvent>
  readonly stats: Effect.Effect<Stats>
  /**
   * Stops intake, lets tasks finish within `grace`, interrupts the rest, and reports what did not
   * complete. A paused executor is resumed first (its queued tasks may run within the grace);
   * submitters waiting for room fail with `ExecutorClosedError`.
   */
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
 *     priority: "higherFirst",
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
