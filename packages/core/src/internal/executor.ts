import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as PubSub from "effect/PubSub"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Deadline from "../Deadline.js"
import { ExecutorClosedError } from "../Errors.js"
import type { InvalidOptionsError } from "../Errors.js"
import type * as Executor from "../Executor.js"
import * as Options from "../Options.js"
import * as Retry from "../Retry.js"
import type * as Task from "../Task.js"
import type * as TaskResult from "../TaskResult.js"
import * as limiter from "./limiter.js"
import { TaskImpl } from "./task.js"
import type { GroupImpl } from "./taskGroup.js"
import { unsafeMake as makeGroup } from "./taskGroup.js"

const DurationInput = Schema.Union(Schema.Number, Schema.String, Schema.DurationFromSelf).pipe(
  Schema.filter((input) => {
    const d = Duration.decodeUnknown(input)
    return d._tag === "Some" && Duration.isFinite(d.value) && Duration.toMillis(d.value) >= 0
  }, { message: (issue) => `Expected a finite, non-negative duration, actual ${String(issue.actual)}` })
)

const ConfigSchema = Schema.Struct({
  name: Schema.optional(Schema.String),
  concurrency: Schema.optional(Options.PositiveIntOrInfinity),
  queueCapacity: Schema.optional(Options.PositiveIntOrInfinity),
  grace: Schema.optional(DurationInput),
  keys: Schema.optional(Schema.Any),
  keyIdleTimeout: Schema.optional(DurationInput),
  timeline: Schema.optional(Schema.Any),
  spans: Schema.optional(Schema.Union(Schema.Boolean, Schema.Literal("auto"))),
  defaults: Schema.optional(Schema.Struct({
    timeout: Schema.optional(DurationInput),
    retry: Schema.optional(Schema.Any),
    priority: Schema.optional(Schema.Number)
  }))
})

const decodeConfig = Options.decode("Executor", ConfigSchema)

const tasksTotal = Metric.counter("taskscope_executor_tasks_total", { description: "Executor tasks by outcome" })
const tasksByOutcome = {
  Succeeded: tasksTotal.pipe(Metric.tagged("outcome", "Succeeded")),
  Failed: tasksTotal.pipe(Metric.tagged("outcome", "Failed")),
  TimedOut: tasksTotal.pipe(Metric.tagged("outcome", "TimedOut")),
  Cancelled: tasksTotal.pipe(Metric.tagged("outcome", "Cancelled"))
}
const taskDuration = Metric.timer("taskscope_executor_task_duration", "Executor task run time")

const millis = (d: Duration.DurationInput) => Duration.toMillis(Duration.decode(d))

/** Effect's built-in tracer: spans made with it go nowhere unless someone reads them. */
const defaultTracer = Effect.runSync(Effect.tracer)

class ExecutorTask<A, E> extends TaskImpl<A, E> {
  queuedAt: number
  constructor(
    readonly executor: ExecutorImpl,
    readonly spec: Executor.TaskSpec<A, E, any>,
    readonly holdsIntake: boolean
  ) {
    super(executor.group, spec.name)
    this.queuedAt = executor.group.clock.unsafeCurrentTimeMillis()
  }
  override markStarted(): void {
    super.markStarted()
    if (this.holdsIntake) this.executor.intake!.releaseNow(1, "intake")
    this.executor.running++
    if (this.executor.subscribers > 0) {
      this.executor.publish({ _tag: "Started", task: this.info(), at: this.startedAt, attempt: 1 })
    }
  }
  override onRetry(attempt: number, delay: Duration.Duration, error: unknown): void {
    this.executor.counts.retries++
    if (this.executor.subscribers > 0) {
      this.executor.publish({ _tag: "Retrying", task: this.info(), at: this.now(), attempt, delay, error })
    }
  }
  override complete(exit: Exit.Exit<A, E>): boolean {
    const started = this.startedAt >= 0
    if (!super.complete(exit)) return false
    if (started) this.executor.running--
    else if (this.holdsIntake) this.executor.intake!.releaseNow(1, "intake")
    this.executor.onDone(this, exit, started)
    return true
  }
  now() {
    return this.host.clock.unsafeCurrentTimeMillis()
  }
  info(): Executor.TaskInfo {
    return this.spec.key === undefined
      ? { id: this.id, name: this.name }
      : { id: this.id, name: this.name, key: this.spec.key }
  }
}

/** @internal */
export class ExecutorImpl implements Executor.Executor {
  closed = false
  running = 0
  readonly counts = { submitted: 0, succeeded: 0, failed: 0, timedOut: 0, cancelled: 0, retries: 0 }
  readonly durations: Array<number> = []
  durationIndex = 0
  readonly intake: limiter.LimiterImpl | undefined
  readonly keyed: limiter.KeyedImpl<string> | undefined
  readonly pubsub: PubSub.PubSub<Executor.Event>
  readonly name: string
  readonly drainMs: number

  constructor(
    readonly group: GroupImpl,
    readonly config: Executor.Config,
    pubsub: PubSub.PubSub<Executor.Event>,
    /** Whether each task gets a span (see `Config.spans`). */
    readonly spans: boolean
  ) {
    this.name = config.name ?? "Executor"
    this.pubsub = pubsub
    this.drainMs = config.grace === undefined ? 30_000 : millis(config.grace)
    const capacity = config.queueCapacity ?? 10_000
    this.intake = capacity === Infinity
      ? undefined
      : limiter.unsafeMake({ name: `${this.name} intake`, concurrency: capacity }, group.clock)
    this.keyed = config.keys === undefined ? undefined : new limiter.KeyedImpl<string>(
      `${this.name} keys`,
      config.keys,
      config.keyIdleTimeout === undefined ? 60_000 : millis(config.keyIdleTimeout),
      group.clock
    )
  }

  /** Subscribers of `events`: without any, events are not even built. */
  subscribers = 0

  publish(event: Executor.Event): void {
    this.pubsub.unsafeOffer(event)
  }

  onDone(task: ExecutorTask<any, any>, exit: Exit.Exit<unknown, unknown>, started: boolean): void {
    const result = task.toResult(exit)
    const at = task.endedAt
    const tell = this.subscribers > 0
    switch (result._tag) {
      case "Succeeded":
        this.counts.succeeded++
        if (tell) {
          this.publish({
            _tag: "Succeeded",
            task: task.info(),
            at,
            attempts: result.attempts,
            duration: result.duration
          })
        }
        break
      case "Failed":
        this.counts.failed++
        if (tell) {
          this.publish({ _tag: "Failed", task: task.info(), at, attempts: result.attempts, cause: result.cause })
        }
        break
      case "TimedOut":
        this.counts.timedOut++
        if (tell) this.publish({ _tag: "TimedOut", task: task.info(), at, attempts: result.attempts })
        break
      case "Cancelled":
        this.counts.cancelled++
        if (tell) this.publish({ _tag: "Cancelled", task: task.info(), at, started })
        break
    }
    tasksByOutcome[result._tag].unsafeUpdate(1, [])
    if (started) {
      const ms = task.endedAt - task.startedAt
      taskDuration.unsafeUpdate(Duration.millis(ms), [])
      if (this.durations.length < 1024) this.durations.push(ms)
      else this.durations[this.durationIndex++ % 1024] = ms
    }
  }

  build<A, E, R>(spec: Executor.TaskSpec<A, E, R>): Effect.Effect<A, any, R> {
    const defaults = this.config.defaults
    let effect: Effect.Effect<A, any, R> = spec.effect
    if (spec.key !== undefined && this.keyed !== undefined) {
      const keyed = this.keyed
      const key = spec.key
      effect = keyed.withPermit(key, effect)
    }
    const timeout = spec.timeout ?? defaults?.timeout
    if (timeout !== undefined) effect = Deadline.within(effect, timeout)
    const retry = spec.retry === undefined ? defaults?.retry : spec.retry
    if (retry !== undefined && retry !== false) effect = Retry.retry(effect, retry as Retry.Policy<unknown>)
    if (!this.spans) return effect
    return Effect.withSpan(effect, spec.name, {
      attributes: spec.key === undefined ? {} : { "taskscope.key": spec.key }
    })
  }

  submit<A, E, R>(spec: Executor.TaskSpec<A, E, R>): Effect.Effect<Task.Task<A, E>, ExecutorClosedError, R> {
    const closed = () => new ExecutorClosedError({ executor: this.name, task: spec.name })
    return Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        if (this.closed) return Effect.fail(closed())
        const admit = (holdsIntake: boolean) =>
          Effect.withFiberRuntime<Task.Task<A, E>, ExecutorClosedError>((fiber) => {
            if (this.closed) {
              if (holdsIntake) this.intake!.releaseNow(1, "intake")
              return Effect.fail(closed())
            }
            const task = new ExecutorTask<A, E>(this, spec, holdsIntake)
            this.counts.submitted++
            if (this.subscribers > 0) {
              this.publish({ _tag: "Queued", task: task.info(), at: task.queuedAt, priority: spec.priority ?? 0 })
            }
            const spawned = this.group.unsafeSpawn<A, E>(
              fiber.currentContext,
              // built when it starts: a queued task holds only its spec
              Effect.suspend(() => this.build(spec)),
              spec.name,
              task,
              spec.priority ?? this.config.defaults?.priority ?? 0
            )
            if (!(spawned instanceof TaskImpl)) {
              task.complete(Exit.interrupt(fiber.id()))
              return Effect.fail(closed())
            }
            return Effect.succeed(spawned as Task.Task<A, E>)
          })
        if (this.intake === undefined) return admit(false)
        // backpressure: wait for room in the intake queue
        return Effect.zipRight(this.intake.acquireWith(restore, 1, 0, "intake"), admit(true))
      })
    )
  }

  run<A, E, R>(spec: Executor.TaskSpec<A, E, R>) {
    return Effect.flatMap(this.submit(spec), (task) => task.result)
  }

  runAll<A, E, R>(specs: Iterable<Executor.TaskSpec<A, E, R>>) {
    return Effect.flatMap(
      Effect.forEach(specs, (spec) => this.submit(spec)),
      (tasks) => Effect.forEach(tasks, (task) => task.result)
    )
  }

  get events(): Stream.Stream<Executor.Event> {
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
      const sorted = this.durations.slice().sort((a, b) => a - b)
      const pct = (p: number) =>
        sorted.length === 0
          ? Duration.zero
          : Duration.millis(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))])
      return {
        ...this.counts,
        running: this.running,
        queued: this.group.pending,
        closed: this.closed,
        p50: pct(0.5),
        p90: pct(0.9),
        p99: pct(0.99)
      }
    })
  }

  drain(options?: { readonly grace?: Duration.DurationInput }): Effect.Effect<Executor.DrainReport> {
    return Effect.suspend(() => {
      this.closed = true
      const budget = options?.grace === undefined ? this.drainMs : millis(options.grace)
      const start = this.group.clock.unsafeCurrentTimeMillis()
      const tracked: Array<ExecutorTask<any, any>> = []
      // every task not yet done: the report speaks of these
      for (const task of this.group.running) tracked.push(task as ExecutorTask<any, any>)
      for (const worker of this.group.workers) {
        if (worker.current !== undefined) tracked.push(worker.current as ExecutorTask<any, any>)
      }
      this.group.queue.forEach((task) => tracked.push(task as ExecutorTask<any, any>))
      return Effect.gen(this, function*() {
        const finished = yield* Effect.timeoutOption(this.group.awaitIdle, budget)
        if (finished._tag === "None") {
          yield* Effect.fiberIdWith((id) => this.group.close(false, id))
        }
        const neverRan: Array<Executor.Unfinished> = []
        const interrupted: Array<Executor.Unfinished> = []
        for (const task of tracked) {
          const exit = task.exit
          if (exit === undefined || Exit.isSuccess(exit) || !Cause.isInterruptedOnly(exit.cause)) continue
          const entry = { task: task.info(), spec: task.spec }
          if (task.startedAt < 0) neverRan.push(entry)
          else interrupted.push(entry)
        }
        return {
          completedInTime: finished._tag === "Some",
          elapsed: Duration.millis(this.group.clock.unsafeCurrentTimeMillis() - start),
          neverRan,
          interrupted
        }
      })
    })
  }
}

/** @internal */
export const make = (config: Executor.Config = {}): Effect.Effect<ExecutorImpl, InvalidOptionsError, Scope.Scope> =>
  Effect.flatMap(
    Effect.suspend(() => decodeConfig(config)),
    () =>
      Effect.acquireRelease(
        Effect.flatMap(PubSub.unbounded<Executor.Event>(), (pubsub) =>
          Effect.withFiberRuntime<ExecutorImpl, InvalidOptionsError>((fiber) =>
            Either.map(
              makeGroup(fiber as Fiber.RuntimeFiber<unknown, unknown>, {
                name: config.name ?? "Executor",
                mode: "supervise",
                concurrency: config.concurrency ?? 16,
                ...(config.timeline === undefined ? {} : { timeline: config.timeline })
              }, true),
              (group) =>
                new ExecutorImpl(
                  group,
                  config,
                  pubsub,
                  config.spans === true || (config.spans !== false && fiber.currentTracer !== defaultTracer)
                )
            )
          )),
        (executor) =>
          Effect.zipRight(executor.drain(), PubSub.shutdown(executor.pubsub))
      )
  )

/** @internal */
export const Tag = Context.GenericTag<Executor.Executor>("@taskscope/core/Executor")

/** @internal */
export const layer = (config?: Executor.Config): Layer.Layer<Executor.Executor, InvalidOptionsError> =>
  Layer.scoped(Tag, make(config))

/** @internal */
export type Result<A, E> = TaskResult.TaskResult<A, E>
