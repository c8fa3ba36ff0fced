import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import * as Runtime from "effect/Runtime"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as Executor from "../Executor.js"
import type * as Retry from "../Retry.js"
import type * as Task from "../Task.js"
import { moveOnAfter, within } from "./deadline.js"
import {
  DuplicateTaskIdError,
  ExecutorClosedError,
  ExecutorFullError,
  type InvalidOptionsError,
  TaskDroppedError
} from "./errors.js"
import { Kernel, type KeyGate, Stats } from "./kernel.js"
import * as Options from "./options.js"
import { droppedReason, type Ended, statusOf } from "./outcome.js"
import { retry as withRetry } from "./retry.js"
import type { RunQueue } from "./runQueue.js"
import { remainingMillis as shutdownRemainingMillis } from "./shutdown.js"
import { DONE, type TaskImpl } from "./task.js"
import { GroupImpl, type Listener, Run } from "./taskGroup.js"

// -----------------------------------------------------------------------------------------------
// configuration

const RateSchema = Schema.Struct({ limit: Options.PositiveInt, interval: Options.PositiveDuration })

const ConfigSchema = Schema.Struct({
  name: Schema.optional(Schema.String),
  concurrency: Schema.optional(Options.PositiveIntOrInfinity),
  queueCapacity: Schema.optional(Options.PositiveIntOrInfinity),
  overflow: Schema.optional(
    Schema.Literal("block", "reject", "dropOldest", "dropNewest", "overflowPriority", "dropAll")
  ),
  penalty: Schema.optional(Options.NonNegativeDuration),
  grace: Schema.optional(Options.NonNegativeDurationOrInfinity),
  rate: Schema.optional(RateSchema),
  minTime: Schema.optional(Options.NonNegativeDuration),
  reservoir: Schema.optional(Schema.Struct({
    initial: Options.NonNegativeInt,
    refreshInterval: Schema.optional(Options.PositiveDuration),
    refreshAmount: Schema.optional(Options.NonNegativeInt),
    increaseInterval: Schema.optional(Options.PositiveDuration),
    increaseAmount: Schema.optional(Options.PositiveInt),
    increaseMaximum: Schema.optional(Options.NonNegativeInt)
  })),
  keys: Schema.optional(Schema.Any),
  idleTimeout: Schema.optional(Options.PositiveDuration),
  autoStart: Schema.optional(Schema.Boolean),
  priority: Schema.optional(Schema.Literal("lowerFirst", "higherFirst")),
  timeline: Schema.optional(Schema.Any),
  spans: Schema.optional(Schema.Union(Schema.Boolean, Schema.Literal("auto"))),
  defaults: Schema.optional(Schema.Struct({
    timeout: Schema.optional(Options.PositiveDuration),
    retry: Schema.optional(Schema.Any),
    priority: Schema.optional(Schema.Number.pipe(Schema.finite()))
  }))
})

type Decoded = Schema.Schema.Type<typeof ConfigSchema>

const decodeConfig = Options.decode("Executor", ConfigSchema)

const KeyLimitsSchema = Schema.Struct({
  concurrency: Schema.optional(Options.PositiveIntOrInfinity),
  rate: Schema.optional(RateSchema)
})
const checkKeyLimits = Options.decodeOrDie("Executor keys", KeyLimitsSchema)

const SettingsSchema = Schema.Struct({
  concurrency: Schema.optional(Options.PositiveIntOrInfinity),
  rate: Schema.optional(Schema.NullOr(RateSchema)),
  minTime: Schema.optional(Options.NonNegativeDuration),
  timeout: Schema.optional(Schema.NullOr(Options.PositiveDuration))
})
const checkSettings = Options.decodeOrDie("Executor.update", SettingsSchema)

const SpecSchema = Schema.Struct({
  name: Schema.String,
  effect: Schema.Any,
  priority: Schema.optional(Schema.Number.pipe(Schema.finite())),
  key: Schema.optional(Schema.String),
  id: Schema.optional(Schema.String),
  timeout: Schema.optional(Options.PositiveDuration),
  retry: Schema.optional(Schema.Any)
})
const decodeSpec = Options.decodeOrDie("Executor.submit", SpecSchema)

/** The common, valid spec is checked by hand (this runs per task); anything else gets the Schema's words. */
const checkSpec = (spec: Executor.TaskSpec<any, any, any>): void => {
  if (
    typeof spec !== "object" || spec === null || typeof spec.name !== "string" || !Effect.isEffect(spec.effect) ||
    (spec.priority !== undefined && !Number.isFinite(spec.priority)) ||
    (spec.key !== undefined && typeof spec.key !== "string") ||
    (spec.id !== undefined && typeof spec.id !== "string") ||
    spec.timeout !== undefined
  ) {
    decodeSpec(spec)
  }
}

const millis = (d: Duration.Duration) => Duration.toMillis(d)

// -----------------------------------------------------------------------------------------------
// metrics

const tasksTotal = Metric.counter("taskscope_executor_tasks_total", { description: "Executor tasks by outcome" })
const tasksByOutcome = {
  succeeded: tasksTotal.pipe(Metric.tagged("outcome", "Succeeded")),
  failed: tasksTotal.pipe(Metric.tagged("outcome", "Failed")),
  timedOut: tasksTotal.pipe(Metric.tagged("outcome", "TimedOut")),
  cancelled: tasksTotal.pipe(Metric.tagged("outcome", "Cancelled"))
}
const taskDuration = Metric.histogram(
  "taskscope_executor_task_duration_ms",
  MetricBoundaries.exponential({ start: 1, factor: 2, count: 20 }),
  "Executor task run time in milliseconds"
)

/** The metrics' extra labels: none (one array, not one per task). */
const NO_TAGS: ReadonlyArray<never> = []

/** Effect's built-in tracer: spans made with it go nowhere unless someone reads them. */
const defaultTracer = Effect.runSync(Effect.tracer)

// -----------------------------------------------------------------------------------------------
// the queue: the scheduling kernel, seen by the group as its run queue

const rateOf = (rate: { readonly limit: number; readonly interval: Duration.Duration } | undefined) =>
  rate === undefined ? undefined : { limit: rate.limit, intervalMs: millis(rate.interval) }

/**
 * What the Executor keeps per task: the group's run record, with the spec and the key gate — one
 * record, which is also the kernel's job (no second object per queued task).
 */
class TaskJob extends Run {
  /** How events and reports name the task (made the first time it is needed). */
  ref: Executor.TaskRef | undefined = undefined
  constructor(
    group: GroupImpl,
    /** Let go once the task ended (a kept handle must not keep the effect), unless it was cancelled: drain reports list those. */
    public spec: Executor.TaskSpec<any, any, any> | undefined,
    override readonly gate: KeyGate<TaskJob> | undefined
  ) {
    super(group, spec!.name)
  }
}

const dataOf = (run: Run): TaskJob => run as TaskJob

const refOf = (run: Run): Executor.TaskRef => {
  const data = dataOf(run)
  if (data.ref === undefined) {
    const task = run.task
    const key = data.spec?.key
    data.ref = key === undefined ? { id: task.id, name: task.name } : { id: task.id, name: task.name, key }
  }
  return data.ref
}

/**
 * The group's run queue is the kernel: it decides which task starts next (priority, per-key
 * gates, the rate, minTime, the reservoir, pause). The group only asks it (`peek`/`shift`) when it
 * has a slot; when time alone will let a task start, one wake-up asks the group to drain again.
 */
class ExecutorQueue implements RunQueue<Run> {
  readonly kernel: Kernel<TaskJob>
  /** The kernel needs the time (a rate, minTime, a reservoir or keys). */
  timed: boolean
  wake: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined
  /** Wake-ups that may still be running: interrupted when the executor closes. */
  readonly wakes = new Set<Fiber.RuntimeFiber<unknown, unknown>>()
  group!: GroupImpl
  onRateLimited: (key: string | undefined, wait: number) => void = () => {}
  onDepleted: (empty: boolean) => void = () => {}

  constructor(
    config: Decoded,
    limitsFor: ((key: string) => Executor.KeyLimits) | undefined,
    /** The executor's start on its Clock: the reservoir's refreshes and increases count from it. */
    now: number
  ) {
    const reservoir = config.reservoir
    this.kernel = new Kernel<TaskJob>({
      now,
      paused: config.autoStart === false,
      rate: rateOf(config.rate),
      minTimeMs: config.minTime === undefined ? 0 : millis(config.minTime),
      reservoir: reservoir === undefined ? undefined : {
        initial: reservoir.initial,
        refreshIntervalMs: reservoir.refreshInterval === undefined ? undefined : millis(reservoir.refreshInterval),
        refreshAmount: reservoir.refreshAmount,
        increaseIntervalMs: reservoir.increaseInterval === undefined ? undefined : millis(reservoir.increaseInterval),
        increaseAmount: reservoir.increaseAmount,
        increaseMaximum: reservoir.increaseMaximum
      },
      keys: limitsFor === undefined ? undefined : (key) => {
        const limits = checkKeyLimits(limitsFor(key))
        return { concurrency: limits.concurrency, rate: rateOf(limits.rate) }
      },
      onKeyWait: (gate, wait) => this.onRateLimited(gate.name, wait),
      onDepleted: (empty) => this.onDepleted(empty)
    })
    this.timed = config.rate !== undefined || config.minTime !== undefined || reservoir !== undefined ||
      limitsFor !== undefined
  }

  now(): number {
    return this.group.clock.unsafeCurrentTimeMillis()
  }

  get size(): number {
    return this.kernel.size
  }

  get paused(): boolean {
    return this.kernel.paused
  }

  set paused(paused: boolean) {
    this.kernel.paused = paused
  }

  gateFor(key: string | undefined): KeyGate<TaskJob> | undefined {
    return this.kernel.anyGate === undefined ? undefined : this.kernel.gateFor(key, this.now())
  }

  peek(): Run | undefined {
    const now = this.timed ? this.now() : 0
    const job = this.kernel.peek(now)
    if (job === undefined) this.wakeLater(now)
    return job
  }

  shift(): Run | undefined {
    const now = this.timed ? this.now() : 0
    const job = this.kernel.next(now)
    if (job === undefined) {
      this.wakeLater(now)
      return undefined
    }
    return job
  }

  push(run: Run): void {
    this.kernel.push(dataOf(run), this.timed ? this.now() : 0)
  }

  remove(run: Run): boolean {
    return this.kernel.remove(dataOf(run), this.timed ? this.now() : 0)
  }

  reprioritize(run: Run, priority: number): boolean {
    // the run is the kernel's job: the kernel finds it at its old priority, then sets the new one
    return this.kernel.reprioritize(dataOf(run), priority, this.timed ? this.now() : 0)
  }

  clear(): Array<Run> {
    return this.kernel.clear()
  }

  toArray(): Array<Run> {
    return this.kernel.toArray()
  }

  /** A started task ended (the group says so): its key's permit is free again. */
  release(run: Run): void {
    this.kernel.release(dataOf(run), this.timed ? this.now() : 0)
  }

  /** The kernel holds every waiting task back for a time: one wake-up then, to drain again. */
  wakeLater(now: number): void {
    if (this.wake !== undefined || !this.timed || this.kernel.size === 0) return
    const wait = this.kernel.blockedFor(now)
    if (wait === Infinity || wait <= 0) return
    // the global gates (a key's own wait was told when its head began to wait)
    if (this.kernel.peekHead() !== undefined) this.onRateLimited(undefined, wait)
    const fiber = Runtime.runFork(this.group.runtime(Context.empty()))(
      Effect.zipRight(
        Effect.sleep(wait),
        Effect.sync(() => {
          this.wake = undefined
          this.group.drain()
        })
      )
    )
    this.wake = fiber
    this.wakes.add(fiber)
    fiber.addObserver(() => {
      this.wakes.delete(fiber)
      if (this.wake === fiber) this.wake = undefined
    })
  }

  /** The rates hold the tasks that may start: they wait for time alone. */
  rateLimited(): boolean {
    if (this.kernel.size === 0 || this.kernel.paused) return false
    const wait = this.kernel.blockedFor(this.now())
    return wait > 0 && wait !== Infinity
  }

  /** Waits until the global and the key's rate allow one more start, then counts it (retry attempts). */
  rateToken(gate: KeyGate<TaskJob> | undefined): Effect.Effect<void> {
    return Effect.suspend(() => {
      const wait = this.kernel.takeStart(gate, this.now())
      return wait > 0 ? Effect.zipRight(Effect.sleep(wait), this.rateToken(gate)) : Effect.void
    })
  }
}

// -----------------------------------------------------------------------------------------------
// the executor: a group, an intake, and a listener that owns counts, events, metrics and statuses

/** @internal */
export class ExecutorImpl implements Executor.Executor {
  readonly name: string
  readonly group: GroupImpl
  readonly queue: ExecutorQueue
  closed = false
  running = 0
  /** Counts in the one status vocabulary, and run-time percentiles (the kernel's, as every executor's). */
  readonly counts = new Stats()
  /** The last 1,000 tasks that ended, by id, with their status (a ring: written per task, read rarely). */
  readonly endedIds: Array<number> = []
  readonly endedStatus: Array<Executor.TaskStatus> = []
  endedNext = 0
  readonly capacity: number
  readonly overflow: NonNullable<Executor.Config["overflow"]>
  readonly graceMs: number
  /** Overflow `"dropAll"`: how long submits are refused after the last one that was (undefined: 15 × minTime, or 5 s). */
  readonly penaltyMs: number | undefined
  /** Overflow `"dropAll"`: submits until this time are dropped. */
  unblockAt = -Infinity
  /** Between two steps of one change of the queue (a swap, a shed): waiters and Empty/Idle wait for its end. */
  midChange = false
  readonly idleMs: number
  readonly higherFirst: boolean
  timeoutMs: number | undefined
  /** The tasks queued or running that were given an `id`. */
  readonly ids = new Map<string, TaskImpl<any, any>>()
  /** Submitters waiting for room in the intake (overflow "block"), oldest first. */
  readonly blocked: Array<() => void> = []
  /** Waiters of onIdle, onEmpty and onSizeLessThan, each woken only once its condition holds. */
  readonly conditions: Array<{ readonly ready: () => boolean; readonly resume: () => void }> = []
  subscribers = 0

  constructor(
    owner: Fiber.RuntimeFiber<unknown, unknown>,
    readonly config: Executor.Config,
    decoded: Decoded,
    readonly pubsub: PubSub.PubSub<Executor.ExecutorEvent>,
    /** Whether each task gets a span (see `Config.spans`). */
    readonly spans: boolean
  ) {
    this.name = decoded.name ?? "Executor"
    this.capacity = decoded.queueCapacity ?? 10_000
    this.overflow = decoded.overflow ?? "block"
    this.graceMs = decoded.grace === undefined ? 30_000 : millis(decoded.grace)
    this.penaltyMs = decoded.penalty === undefined ? undefined : millis(decoded.penalty)
    this.higherFirst = decoded.priority === "higherFirst"
    this.timeoutMs = decoded.defaults?.timeout === undefined ? undefined : millis(decoded.defaults.timeout)
    this.idleMs = decoded.idleTimeout === undefined ? 60_000 : millis(decoded.idleTimeout)
    this.queue = new ExecutorQueue(
      decoded,
      config.keys,
      Context.get(owner.currentDefaultServices, Clock.Clock).unsafeCurrentTimeMillis()
    )
    this.group = new GroupImpl(owner, {
      name: this.name,
      mode: "supervise",
      concurrency: decoded.concurrency ?? 16,
      // a long-lived executor keeps no failed results: its counts, events and metrics say what failed
      keepFailures: 0,
      queue: this.queue,
      // the Executor makes each task's span itself (its `spans` option)
      spans: false,
      ...(config.timeline === undefined ? {} : { timeline: config.timeline })
    })
    this.queue.group = this.group
    this.queue.onDepleted = (empty) => {
      if (this.subscribers > 0) this.publish({ _tag: "Depleted", at: this.queue.now(), empty })
    }
    this.queue.onRateLimited = (key, wait) => {
      if (this.subscribers > 0) {
        this.publish({
          _tag: "RateLimited",
          at: this.queue.now(),
          wait: Duration.millis(wait),
          ...(key === undefined ? {} : { key })
        })
      }
    }
    this.group.addListener(this.listener)
  }

  now(): number {
    return this.group.clock.unsafeCurrentTimeMillis()
  }

  publish(event: Executor.ExecutorEvent): void {
    this.pubsub.unsafeOffer(event)
  }

  // ---------------------------------------------------------------------------------------------
  // the lifecycle listener

  readonly listener: Listener = {
    onQueued: (_task, run) => {
      this.counts.submitted++
      if (this.subscribers > 0) {
        // the spec's priority as given: the kernel's is negated for `higherFirst`
        const given = this.higherFirst ? -run.priority || 0 : run.priority
        this.publish({ _tag: "Queued", task: refOf(run), at: this.now(), priority: given })
      }
    },
    onStarted: (task, run) => {
      this.running++
      this.wakeBlocked()
      if (this.conditions.length > 0) this.checkConditions()
      if (this.subscribers > 0) {
        this.publish({ _tag: "Started", task: refOf(run), at: task.startedAt, attempt: 1 })
      }
    },
    onRetry: (task, attempt, delay, error) => {
      this.counts.retries++
      if (this.subscribers > 0) {
        const run = task.run as Run | undefined
        if (run !== undefined) {
          this.publish({ _tag: "Retrying", task: refOf(run), at: this.now(), attempt, delay, error })
        }
      }
    },
    onEnded: (task, exit, run, started) => this.onEnded(task, exit, run, started)
  }

  onEnded(task: TaskImpl<any, any>, exit: Exit.Exit<unknown, unknown>, run: Run, started: boolean): void {
    const status = statusOf(exit)
    this.remember(task.id, status)
    // a task dropped before it started is cancelled, and counted as dropped too
    const dropped = status === "cancelled" && !started ? droppedReason(exit) : undefined
    if (dropped === undefined) this.counts.ended(status)
    else this.counts.drop()
    if (this.subscribers > 0) this.tell(task, exit, run, status, started, dropped)
    tasksByOutcome[status].unsafeUpdate(1, NO_TAGS)
    if (started) {
      this.running--
      const ms = task.endedAt - task.startedAt
      taskDuration.unsafeUpdate(ms, NO_TAGS)
      this.counts.duration(ms)
      this.group.drain()
    } else {
      this.wakeBlocked()
    }
    if (this.queue.kernel.gates.size > 64) this.queue.kernel.evictIdle(this.now(), this.idleMs)
    if (this.conditions.length > 0 && !this.midChange) this.checkConditions()
    if (status !== "cancelled") dataOf(run).spec = undefined
  }

  checkConditions(): void {
    const conditions = this.conditions
    for (let i = conditions.length - 1; i >= 0; i--) {
      if (conditions[i].ready()) conditions.splice(i, 1)[0].resume()
    }
  }

  remember(id: number, status: Executor.TaskStatus): void {
    this.endedIds[this.endedNext] = id
    this.endedStatus[this.endedNext] = status
    this.endedNext = (this.endedNext + 1) % 1_000
  }

  /** A queued task by id (a scan: control operations are rare, and a map per task is not free). */
  queued(id: number): Run | undefined {
    for (const run of this.queue.toArray()) if (run.task.id === id) return run
    return undefined
  }

  /** Publishes what happened to a task that ended (only while someone listens). */
  tell(
    task: TaskImpl<any, any>,
    exit: Exit.Exit<unknown, unknown>,
    run: Run,
    status: Ended,
    started: boolean,
    dropped: TaskDroppedError["reason"] | undefined
  ): void {
    const at = task.endedAt
    const ref = refOf(run)
    const attempts = task.attempts
    switch (status) {
      case "succeeded":
        this.publish({ _tag: "Succeeded", task: ref, at, attempts, duration: Duration.millis(at - task.startedAt) })
        break
      case "failed":
        this.publish({ _tag: "Failed", task: ref, at, attempts, cause: (exit as Exit.Failure<unknown, unknown>).cause })
        break
      case "timedOut":
        this.publish({ _tag: "TimedOut", task: ref, at, attempts })
        break
      default:
        this.publish(
          dropped === undefined
            ? { _tag: "Cancelled", task: ref, at, started }
            : { _tag: "Cancelled", task: ref, at, started, dropped }
        )
    }
    if (this.queue.size === 0 && !this.midChange) {
      this.publish({ _tag: "Empty", at })
      if (this.group.isIdle()) this.publish({ _tag: "Idle", at })
    }
  }

  // ---------------------------------------------------------------------------------------------
  // intake

  wakeBlocked(): void {
    while (this.blocked.length > 0 && (this.closed || this.queue.size < this.capacity)) {
      this.blocked.shift()!()
      if (!this.closed) break
    }
  }

  closedError(name: string): ExecutorClosedError {
    return new ExecutorClosedError({ executor: this.name, task: name })
  }

  /** Accepts a spec now, or says why not: the executor is closed, or it is full. */
  admit<A, E>(
    spec: Executor.TaskSpec<A, E, any>,
    context: Context.Context<never>
  ): Task.Task<A, E | TaskDroppedError> | ExecutorClosedError | DuplicateTaskIdError | "full" {
    if (this.closed) return this.closedError(spec.name)
    if (spec.id !== undefined && this.ids.has(spec.id)) {
      return new DuplicateTaskIdError({ executor: this.name, id: spec.id })
    }
    if (this.overflow === "dropAll") {
      const now = this.now()
      if ((this.queue.size >= this.capacity && !this.startsAtOnce(spec)) || now <= this.unblockAt) {
        return this.shed(spec, context, now)
      }
    } else if (this.queue.size >= this.capacity && !this.startsAtOnce(spec)) {
      if (this.overflow === "block" || this.overflow === "reject") return "full"
      if (this.overflow === "dropNewest") return this.dropped(spec, context)
      // Bottleneck's LEAK and OVERFLOW_PRIORITY: of the lowest priority, the task queued first makes
      // room — one as important as the new task or less (dropOldest), only one less important
      // (overflowPriority); when there is none, the new task is dropped
      const oldest = this.queue.kernel.oldestLowest()
      if (oldest !== undefined) {
        const priority = this.kernelPriority(spec)
        if (this.overflow === "overflowPriority" ? !(priority < oldest.priority) : priority > oldest.priority) {
          return this.dropped(spec, context)
        }
        // a swap: the queue never shrinks, so waiters (onEmpty, onSizeLessThan, onIdle) and the
        // Empty/Idle events see the state after it, not the one in between
        this.midChange = true
        try {
          this.drop(oldest, "overflow")
        } finally {
          this.midChange = false
        }
        const task = this.accept(spec, context)
        if (this.conditions.length > 0) this.checkConditions()
        return task
      }
    }
    return this.accept(spec, context)
  }

  /**
   * A task of this spec would start the moment it is submitted: a worker is free and every gate
   * lets it. The queue may be full of tasks waiting for other keys; this one would not wait, so it
   * is no overflow (Bottleneck's highWater counts only a job that cannot run now).
   */
  startsAtOnce(spec: Executor.TaskSpec<any, any, any>): boolean {
    if (this.running >= this.group.concurrency) return false
    const queue = this.queue
    return queue.kernel.wouldStart(queue.gateFor(spec.key), queue.timed ? queue.now() : 0)
  }

  /** A spec's priority in the kernel's order (lower first). */
  kernelPriority(spec: Executor.TaskSpec<any, any, any>): number {
    const given = spec.priority ?? this.config.defaults?.priority ?? 0
    return this.higherFirst ? -given || 0 : given
  }

  accept<A, E>(spec: Executor.TaskSpec<A, E, any>, context: Context.Context<never>): Task.Task<A, E> {
    const given = spec.priority ?? this.config.defaults?.priority ?? 0
    const data = new TaskJob(this.group, spec, this.queue.gateFor(spec.key))
    const task = this.group.unsafeSpawn<A, E>(
      context,
      this.effectOf(spec, data),
      spec.name,
      // 0, not -0: a -0 is no small integer, and would change the run records' field representation
      this.higherFirst ? -given || 0 : given,
      data
    ) as TaskImpl<A, E>
    const id = spec.id
    if (id !== undefined && task.phase !== DONE) {
      // the id is taken while the task is queued or running
      this.ids.set(id, task)
      task.addObserver(() => {
        if (this.ids.get(id) === task) this.ids.delete(id)
      })
    }
    return task
  }

  /**
   * Overflow `"dropAll"` (Bottleneck's BLOCK): the queue is full, or was within the penalty — every
   * queued task is dropped, and so is the new one; submits are dropped until a penalty passes
   * without one, and the first task after waits `minTime` past its end.
   */
  shed<A, E>(spec: Executor.TaskSpec<A, E, any>, context: Context.Context<never>, now: number): Task.Task<A, E> {
    const kernel = this.queue.kernel
    this.unblockAt = now + (this.penaltyMs ?? (15 * kernel.minTimeMs || 5_000))
    if (kernel.minTimeMs > 0) kernel.lastStart = Math.max(kernel.lastStart, this.unblockAt)
    this.midChange = true
    try {
      for (const run of this.queue.toArray()) this.drop(run, "overflow")
    } finally {
      this.midChange = false
    }
    return this.dropped(spec, context)
  }

  /** A task that never entered the queue: it ends at once, dropped (overflow `dropNewest`). */
  dropped<A, E>(spec: Executor.TaskSpec<A, E, any>, context: Context.Context<never>): Task.Task<A, E> {
    const paused = this.queue.paused
    this.queue.paused = true
    const task = this.accept(spec, context) as TaskImpl<A, E>
    this.queue.paused = paused
    this.drop(task.run as Run, "overflow")
    return task
  }

  drop(run: Run, reason: TaskDroppedError["reason"]): void {
    this.group.dropQueued(run, Exit.fail(new TaskDroppedError({ executor: this.name, task: run.task.name, reason })))
  }

  /** What a task runs: its own effect, or — wrapped when it starts, so a queued task holds only its spec — with timeout, retry and span. */
  effectOf<A, E, R>(spec: Executor.TaskSpec<A, E, R>, data: TaskJob): Effect.Effect<A, any, R> {
    return this.plain(spec) ? spec.effect : Effect.suspend(() => this.build(spec, data))
  }

  /** A spec with nothing to add: no timeout, no retry, no span. */
  plain(spec: Executor.TaskSpec<any, any, any>): boolean {
    return !this.spans && spec.timeout === undefined && this.timeoutMs === undefined &&
      (spec.retry === false || (spec.retry === undefined && this.config.defaults?.retry === undefined))
  }

  build<A, E, R>(spec: Executor.TaskSpec<A, E, R>, data: TaskJob): Effect.Effect<A, any, R> {
    const defaults = this.config.defaults
    let attempt: Effect.Effect<A, any, R> = spec.effect
    const timeout = spec.timeout ?? this.timeoutMs
    // a bound on each attempt, from the moment it starts
    if (timeout !== undefined) attempt = within(attempt, timeout)
    const retry = spec.retry === undefined ? defaults?.retry : spec.retry
    let effect = attempt
    if (retry !== undefined && retry !== false) {
      // the first attempt's start was counted against the rates when it left the queue; retries wait their turn
      const kernel = this.queue.kernel
      const limited = data.gate?.rate !== undefined || kernel.rate !== undefined || kernel.minTimeMs > 0
      let first = true
      const gated = limited
        ? Effect.suspend(() => {
          if (first) {
            first = false
            return attempt
          }
          return Effect.zipRight(this.queue.rateToken(data.gate), attempt)
        })
        : attempt
      effect = withRetry(gated, retry as Retry.Policy<unknown>)
    }
    if (!this.spans) return effect
    return Effect.withSpan(effect, spec.name, {
      attributes: spec.key === undefined ? {} : { "taskscope.key": spec.key }
    })
  }

  submit<A, E, R>(
    spec: Executor.TaskSpec<A, E, R>
  ): Effect.Effect<
    Task.Task<A, E | TaskDroppedError>,
    ExecutorClosedError | ExecutorFullError | DuplicateTaskIdError,
    R
  > {
    return Effect.withFiberRuntime((fiber) => {
      checkSpec(spec)
      const admitted = this.admit(spec, fiber.currentContext)
      if (admitted !== "full") {
        return admitted instanceof ExecutorClosedError || admitted instanceof DuplicateTaskIdError
          ? Effect.fail(admitted)
          : Effect.succeed(admitted)
      }
      if (this.overflow === "reject") {
        return Effect.fail(new ExecutorFullError({ executor: this.name, task: spec.name, capacity: this.capacity }))
      }
      // backpressure: wait for room, in arrival order
      return this.blockedSubmit(spec, fiber.currentContext)
    })
  }

  /**
   * Waits for room, then takes it in the same step: only the wait can be interrupted. A submitter
   * cancelled once it was woken passes the wake-up to the next one (asyncio's `Queue.put`), so room
   * never goes unused while another submitter waits for it.
   */
  blockedSubmit<A, E>(
    spec: Executor.TaskSpec<A, E, any>,
    context: Context.Context<never>
  ): Effect.Effect<Task.Task<A, E | TaskDroppedError>, ExecutorClosedError | DuplicateTaskIdError> {
    return Effect.uninterruptibleMask((restore) => {
      const attempt: Effect.Effect<
        Task.Task<A, E | TaskDroppedError>,
        ExecutorClosedError | DuplicateTaskIdError
      > = Effect.suspend(() => {
        let woken = false
        return Effect.matchCauseEffect(
          restore(this.waitForRoom(() => {
            woken = true
          })),
          {
            onFailure: (cause) => {
              if (woken) this.wakeBlocked()
              return Effect.failCause(cause)
            },
            onSuccess: () =>
              Effect.withFiberRuntime((fiber) => {
                if (!Cause.isEmpty(fiber.getFiberRef(FiberRef.interruptedCause))) {
                  // cancelled as it was woken: the room is the next submitter's
                  this.wakeBlocked()
                  return Effect.interrupt
                }
                const admitted = this.admit(spec, context)
                if (admitted === "full") return attempt
                return admitted instanceof ExecutorClosedError || admitted instanceof DuplicateTaskIdError
                  ? Effect.fail(admitted)
                  : Effect.succeed(admitted)
              })
          }
        )
      })
      return attempt
    })
  }

  /** Waits until `wakeBlocked` picks this waiter (`onWoken` is called as it does). */
  waitForRoom(onWoken: () => void): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      const waiter = () => {
        onWoken()
        resume(Effect.void)
      }
      this.blocked.push(waiter)
      return Effect.sync(() => {
        const i = this.blocked.indexOf(waiter)
        if (i >= 0) this.blocked.splice(i, 1)
      })
    })
  }

  trySubmit<A, E, R>(
    spec: Executor.TaskSpec<A, E, R>
  ): Effect.Effect<Option.Option<Task.Task<A, E | TaskDroppedError>>, ExecutorClosedError | DuplicateTaskIdError, R> {
    return Effect.withFiberRuntime((fiber) => {
      checkSpec(spec)
      const admitted = this.blocked.length > 0 ? "full" : this.admit(spec, fiber.currentContext)
      if (admitted === "full") return Effect.succeed(Option.none())
      return admitted instanceof ExecutorClosedError || admitted instanceof DuplicateTaskIdError
        ? Effect.fail(admitted)
        : Effect.succeed(Option.some(admitted))
    })
  }

  run<A, E, R>(spec: Executor.TaskSpec<A, E, R>) {
    return Effect.flatMap(this.submit(spec), (task) => task.result)
  }

  /**
   * `submit` for each spec, in order: those admitted at once in one step (no effect per task),
   * from the first that finds the queue full on, one `submit` each (waiting for room).
   */
  submitAll<A, E, R>(
    specs: Iterable<Executor.TaskSpec<A, E, R>>
  ): Effect.Effect<
    Array<Task.Task<A, E | TaskDroppedError>>,
    ExecutorClosedError | ExecutorFullError | DuplicateTaskIdError,
    R
  > {
    return Effect.withFiberRuntime((fiber) => {
      const list = Array.from(specs)
      const tasks: Array<Task.Task<A, E | TaskDroppedError>> = []
      let i = 0
      for (; i < list.length; i++) {
        const spec = list[i]
        checkSpec(spec)
        const admitted = this.admit(spec, fiber.currentContext)
        if (admitted === "full") break
        if (admitted instanceof ExecutorClosedError || admitted instanceof DuplicateTaskIdError) {
          return Effect.fail(admitted)
        }
        tasks.push(admitted)
      }
      if (i === list.length) return Effect.succeed(tasks)
      return Effect.map(Effect.forEach(list.slice(i), (spec) => this.submit(spec)), (rest) => tasks.concat(rest))
    })
  }

  runAll<A, E, R>(specs: Iterable<Executor.TaskSpec<A, E, R>>) {
    return Effect.flatMap(this.submitAll(specs), (tasks) =>
      // one wait for the whole batch, not a wake-up per task
      Effect.map(
        Effect.async<void>((resume) => {
          let left = tasks.length
          if (left === 0) return resume(Effect.void)
          const observer = () => {
            if (--left === 0) resume(Effect.void)
          }
          for (const task of tasks) (task as TaskImpl<A, E>).addObserver(observer)
          return Effect.sync(() => {
            for (const task of tasks) (task as TaskImpl<A, E>).removeObserver(observer)
          })
        }),
        () => tasks.map((task) => (task as TaskImpl<A, E>).toResult((task as TaskImpl<A, E>).exit!))
      ))
  }

  // ---------------------------------------------------------------------------------------------
  // control

  get pause(): Effect.Effect<void> {
    return Effect.sync(() => {
      this.queue.paused = true
    })
  }

  get resume(): Effect.Effect<void> {
    return Effect.sync(() => {
      this.queue.paused = false
      this.group.drain()
    })
  }

  get clear(): Effect.Effect<ReadonlyArray<Executor.TaskRef>> {
    return Effect.sync(() => {
      const dropped = this.queue.toArray()
      for (const run of dropped) this.drop(run, "cleared")
      return dropped.map(refOf)
    })
  }

  remove(id: number): Effect.Effect<boolean> {
    return Effect.sync(() => {
      const run = this.queued(id)
      if (run === undefined) return false
      this.drop(run, "removed")
      return true
    })
  }

  setPriority(id: number, priority: number): Effect.Effect<boolean> {
    return Effect.sync(() => {
      if (!Number.isFinite(priority)) {
        throw Options.invalidArgument(`Executor.setPriority: Expected a finite number, actual ${priority}`)
      }
      const run = this.queued(id)
      if (run === undefined) return false
      const moved = this.queue.reprioritize(run, this.higherFirst ? -priority || 0 : priority)
      if (moved) this.group.drain()
      return moved
    })
  }

  update(settings: Executor.Settings): Effect.Effect<void> {
    return Effect.sync(() => {
      const s = checkSettings(settings)
      if (s.concurrency !== undefined) this.group.setConcurrency(s.concurrency)
      if (s.rate !== undefined) this.queue.kernel.setRate(rateOf(s.rate ?? undefined))
      if (s.minTime !== undefined) this.queue.kernel.minTimeMs = millis(s.minTime)
      this.queue.timed ||= s.rate != null || s.minTime !== undefined
      if (s.timeout !== undefined) {
        this.timeoutMs = s.timeout === null ? undefined : millis(s.timeout)
        // queued tasks that had nothing to wrap get the new default when they start
        for (const run of this.queue.toArray()) {
          const data = dataOf(run)
          run.effect = this.effectOf(data.spec!, data) as Effect.Effect<unknown, unknown>
        }
      }
      this.group.drain()
    })
  }

  /** Waits until `ready` holds (checked when a task starts or ends). */
  until(ready: () => boolean): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      if (ready()) return resume(Effect.void)
      const condition = { ready, resume: () => resume(Effect.void) }
      this.conditions.push(condition)
      return Effect.sync(() => {
        const i = this.conditions.indexOf(condition)
        if (i >= 0) this.conditions.splice(i, 1)
      })
    })
  }

  get onIdle(): Effect.Effect<void> {
    return this.until(() => this.group.isIdle())
  }

  get onEmpty(): Effect.Effect<void> {
    return this.until(() => this.queue.size === 0)
  }

  onSizeLessThan(n: number): Effect.Effect<void> {
    return this.until(() => this.queue.size < n)
  }

  get runningTasks(): Effect.Effect<ReadonlyArray<Executor.TaskRef>> {
    return Effect.sync(() => this.group.runningRuns().map(refOf))
  }

  status(id: number): Effect.Effect<Option.Option<Executor.TaskStatus>> {
    return Effect.sync(() => {
      if (this.queued(id) !== undefined) return Option.some("queued")
      if (this.group.runningRuns().some((run) => run.task.id === id)) return Option.some("running")
      for (let i = this.endedIds.length - 1; i >= 0; i--) {
        if (this.endedIds[i] === id) return Option.some(this.endedStatus[i])
      }
      return Option.none()
    })
  }

  get events(): Stream.Stream<Executor.ExecutorEvent> {
    return Stream.unwrapScoped(
      Effect.map(
        Effect.acquireRelease(
          Effect.tap(PubSub.subscribe(this.pubsub), () => Effect.sync(() => this.subscribers++)),
          () => Effect.sync(() => this.subscribers--)
        ),
        (dequeue) => Stream.fromQueue(dequeue)
      )
    )
  }

  get stats(): Effect.Effect<Executor.Stats> {
    return Effect.sync(() => {
      const { p50, p90, p99 } = this.counts.percentiles()
      return {
        ...this.counts.counts(),
        running: this.running,
        queued: this.queue.size,
        concurrency: this.group.concurrency,
        paused: this.queue.paused,
        rateLimited: this.queue.rateLimited(),
        closed: this.closed,
        p50: Duration.millis(p50),
        p90: Duration.millis(p90),
        p99: Duration.millis(p99)
      }
    })
  }

  drain(options?: { readonly grace?: Duration.DurationInput }): Effect.Effect<Executor.DrainReport> {
    return Effect.suspend(() => {
      const budget = options?.grace === undefined
        ? this.graceMs
        : millis(Options.decodeOrDie("Executor.drain", Options.NonNegativeDurationOrInfinity)(options.grace))
      this.closed = true
      this.wakeBlocked()
      // a paused executor cannot finish its queue: draining resumes it
      if (this.queue.paused) {
        this.queue.paused = false
        this.group.drain()
      }
      const start = this.now()
      // every task not yet done: the report speaks of these
      const tracked: Array<Run> = [...this.group.runningRuns(), ...this.queue.toArray()]
      const wait = Effect.interruptible(this.group.awaitIdle)
      return Effect.gen(this, function*() {
        // a shutdown in progress bounds the drain too: it ends by the shutdown's deadline
        const left = yield* shutdownRemainingMillis
        const bound = left === undefined ? budget : Math.min(budget, left)
        // the wait is interruptible even when the drain runs in a finalizer: the budget is a bound
        const finished = bound === Infinity ? Option.some(yield* wait) : yield* moveOnAfter(wait, bound)
        // the group closes either way: cancelled children end, idle workers end
        yield* this.group.shutdown(Option.isSome(finished))
        for (const wake of this.queue.wakes) yield* Fiber.interrupt(wake)
        const neverRan: Array<Executor.Unfinished> = []
        const interrupted: Array<Executor.Unfinished> = []
        for (const run of tracked) {
          const task = run.task
          const exit = task.exit
          if (
            task.phase !== DONE || exit === undefined || Exit.isSuccess(exit) || !Cause.isInterruptedOnly(exit.cause)
          ) {
            continue
          }
          const entry = { task: refOf(run), spec: dataOf(run).spec! }
          if (task.startedAt < 0) neverRan.push(entry)
          else interrupted.push(entry)
        }
        return {
          completedInTime: Option.isSome(finished),
          elapsed: Duration.millis(this.now() - start),
          neverRan,
          interrupted
        }
      })
    })
  }

  toJSON(): unknown {
    return { _id: "Executor", name: this.name, queued: this.queue.size, running: this.running }
  }
}

/** @internal */
export const make = (config: Executor.Config = {}): Effect.Effect<ExecutorImpl, InvalidOptionsError, Scope.Scope> =>
  Effect.flatMap(Effect.suspend(() => decodeConfig(config)), (decoded) =>
    Effect.acquireRelease(
      Effect.flatMap(PubSub.unbounded<Executor.ExecutorEvent>(), (pubsub) =>
        Effect.withFiberRuntime<ExecutorImpl>((fiber) =>
          Effect.succeed(
            new ExecutorImpl(
              fiber as Fiber.RuntimeFiber<unknown, unknown>,
              config,
              decoded,
              pubsub,
              config.spans === true || (config.spans !== false && fiber.currentTracer !== defaultTracer)
            )
          )
        )),
      (executor) =>
        Effect.zipRight(executor.drain(), PubSub.shutdown(executor.pubsub))
    ))

/** @internal */
export const Tag = Context.GenericTag<Executor.Executor>("@taskscope/core/Executor")

/** @internal */
export const layer = (config?: Executor.Config): Layer.Layer<Executor.Executor, InvalidOptionsError> =>
  Layer.scoped(Tag, make(config))
