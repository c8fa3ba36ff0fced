import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import { Clock as ClockTag } from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import type * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import type * as Task from "../Task.js"
import type * as TaskResult from "../TaskResult.js"
import type { ScopeImpl } from "./cancelScope.js"
import { andThen, removeInterrupts } from "./cause.js"
import { moveOnAfter } from "./deadline.js"
import { TimeoutError } from "./errors.js"
import { Base } from "./inspectable.js"
import * as Options from "./options.js"
import { fromExit, statusOf, succeeded } from "./outcome.js"
import { noteWaiting, type RegisteredGroup, type Waiting } from "./registry.js"
import { type CurrentTask, currentTask, type TaskInfo } from "./taskInfo.js"

/** @internal */
export const TypeId: Task.TypeId = Symbol.for("@taskscope/core/Task") as Task.TypeId

/** @internal */
export const QUEUED = 0
/** @internal */
export const RUNNING = 1
/** @internal */
export const DONE = 2

/**
 * Where a task lives: the group that schedules it, or the fiber of a standalone task. The handle
 * only asks its host to cancel it and to tell about retries; the host owns the run.
 * @internal
 */
export interface TaskHost {
  readonly clock: Clock.Clock
  /** A reading of `clock` when the host was made: tasks keep their times relative to it. */
  readonly epoch: number
  cancelTask(task: TaskImpl<any, any>, by: FiberId.FiberId): void
  reportCallbackError(error: unknown, task: TaskImpl<any, any>): void
  noteRetry(task: TaskImpl<any, any>, attempt: number, delay: Duration.Duration, error: unknown): void
}

/**
 * Anything that runs on a fiber we may have to interrupt before `runFork` has even returned it
 * (a child that finishes its synchronous part while the group is being cancelled).
 * @internal
 */
export interface Runner {
  fiber: Fiber.RuntimeFiber<unknown, unknown> | undefined
  interruptBy: FiberId.FiberId | undefined
}

/** @internal */
export const interruptRunner = (runner: Runner, by: FiberId.FiberId): void => {
  if (runner.fiber === undefined) {
    runner.interruptBy ??= by
  } else {
    runner.fiber.unsafeInterruptAsFork(by)
  }
}

/** @internal */
export const attachFiber = (runner: Runner, fiber: Fiber.RuntimeFiber<any, any>): void => {
  runner.fiber = fiber
  if (runner.interruptBy !== undefined) {
    fiber.unsafeInterruptAsFork(runner.interruptBy)
  }
}

let nextId = 0

/** Told a task's exit once it ends. */
type Observer<A, E> = (exit: Exit.Exit<A, E>) => void

/** "Not yet" for a time read back from a task: negative. */
const NOT_YET = -0.5
/**
 * Ms since the host's epoch, as a small integer when it is a whole number: the difference of two
 * clock readings is a double to V8 even when whole, and storing one would widen the field for
 * every task (a 16-byte box each).
 */
const sinceEpoch = (host: TaskHost): number => {
  const ms = host.clock.unsafeCurrentTimeMillis() - host.epoch
  const whole = ms | 0
  return whole === ms ? whole : ms
}
/** "Not yet" for a task's stored time: a small integer no clock difference is (see `TaskImpl.started`). */
const UNSET = -0x3fffffff

const variance = { _A: (_: never) => _, _E: (_: never) => _ }

/**
 * A task's fields that most tasks never set — a retry's count, a wait or cancel scope the registry
 * shows, a run's pending interruption or start gate — kept in one record made when one is first set:
 * 100,000 queued tasks are 100,000 records, and each field kept in the task itself was 8 bytes more
 * in every one (a queued Executor task 226 → 186 B, bench case 4).
 * @internal
 */
export class Rare {
  attempts = 1
  run: unknown = undefined
  waiting: Waiting | undefined = undefined
  scope: ScopeImpl | undefined = undefined
  interruptBy: FiberId.FiberId | undefined = undefined
  startGate: { ready: boolean } | undefined = undefined
}

/**
 * The handle users hold: identity, state, exit, observers and timings. How the task is scheduled
 * (its effect, context, priority, fiber or worker) is the host's: a group's child is a `Run`, this
 * class with the run record's fields added (one object per child).
 * @internal
 */
export class TaskImpl<A, E> extends Base implements Task.Task<A, E>, CurrentTask {
  // on the prototype (below), not in each task
  declare readonly [TypeId]: typeof variance
  readonly id: number = ++nextId
  phase: 0 | 1 | 2 = QUEUED
  exit: Exit.Exit<A, E> | undefined = undefined
  /** One observer as itself (the common case: no array per task), two or more in an array. */
  observers: Observer<A, E> | Array<Observer<A, E>> | undefined = undefined
  // Ms since the host's epoch, UNSET until set: small integers, so V8 keeps them in the object (a
  // clock reading itself is no small integer: stored as one it took a 16-byte box per field and
  // task). A clock that gives fractions makes V8 widen the fields, as before, and nothing else.
  // `startedAt` and `endedAt` read them back as clock readings (epoch ms, NOT_YET until set).
  started: number = UNSET
  ended: number = UNSET
  /** What few tasks ever set, in one record made when first set (see `Rare`). */
  rare: Rare | undefined = undefined

  constructor(readonly host: TaskHost, private readonly _name: string | undefined) {
    super()
  }

  /** Attempts made so far: 1 until a retry. */
  get attempts(): number {
    return this.rare === undefined ? 1 : this.rare.attempts
  }
  set attempts(n: number) {
    ;(this.rare ??= new Rare()).attempts = n
  }

  /** The host's record of this task while it is queued or running (a standalone task's runner). */
  get run(): unknown {
    return this.rare?.run
  }
  set run(run: unknown) {
    if (run === undefined && this.rare === undefined) return
    ;(this.rare ??= new Rare()).run = run
  }

  /** What it waits on, while it waits in one of the core's primitives (for the registry). */
  get waiting(): Waiting | undefined {
    return this.rare?.waiting
  }
  set waiting(waiting: Waiting | undefined) {
    if (waiting === undefined && this.rare === undefined) return
    ;(this.rare ??= new Rare()).waiting = waiting
  }

  /** The innermost cancel scope open in it, if any (for the registry's deadline). */
  get scope(): ScopeImpl | undefined {
    return this.rare?.scope
  }
  set scope(scope: ScopeImpl | undefined) {
    if (scope === undefined && this.rare === undefined) return
    ;(this.rare ??= new Rare()).scope = scope
  }

  /** When it started, as a reading of the host's clock; NOT_YET (negative) until then. */
  get startedAt(): number {
    return this.started === UNSET ? NOT_YET : this.host.epoch + this.started
  }

  /** When it ended, as a reading of the host's clock; NOT_YET (negative) until then. */
  get endedAt(): number {
    return this.ended === UNSET ? NOT_YET : this.host.epoch + this.ended
  }

  get name(): string {
    return this._name ?? `task-${this.id}`
  }

  /** The group the task runs in, for the registry's paths. */
  get registryGroup(): RegisteredGroup | undefined {
    const host = this.host as Partial<RegisteredGroup>
    return typeof host.describe === "function" ? (host as RegisteredGroup) : undefined
  }

  unsafeState(): Task.State {
    switch (this.phase) {
      case QUEUED:
        return "queued"
      case RUNNING:
        return "running"
      default:
        return statusOf(this.exit!)
    }
  }

  get state(): Effect.Effect<Task.State> {
    return Effect.sync(() => this.unsafeState())
  }

  get poll(): Effect.Effect<Option.Option<Exit.Exit<A, E>>> {
    return Effect.sync(() => Option.fromNullable(this.exit))
  }

  get await(): Effect.Effect<Exit.Exit<A, E>> {
    return Effect.suspend(() =>
      this.exit !== undefined
        ? Effect.succeed(this.exit)
        : noteWaiting(this.block, "task", this.name, `waiting for task ${this.name} to end`)
    )
  }

  get block(): Effect.Effect<Exit.Exit<A, E>> {
    return Effect.async<Exit.Exit<A, E>>((resume) => {
      if (this.exit !== undefined) {
        return resume(Effect.succeed(this.exit))
      }
      const observer = (exit: Exit.Exit<A, E>) => resume(Effect.succeed(exit))
      this.addObserver(observer)
      return Effect.sync(() => this.removeObserver(observer))
    })
  }

  get join(): Effect.Effect<A, E> {
    return Effect.flatMap(this.await, (exit) => exit)
  }

  get cancel(): Effect.Effect<void> {
    return Effect.fiberIdWith((by) =>
      Effect.suspend(() => {
        this.host.cancelTask(this, by)
        return Effect.asVoid(this.await)
      })
    )
  }

  get result(): Effect.Effect<TaskResult.TaskResult<A, E>> {
    return Effect.map(this.await, (exit) => this.toResult(exit))
  }

  get timings(): Effect.Effect<Task.Timings> {
    return Effect.sync(() => ({
      startedAt: this.startedAt < 0 ? Option.none() : Option.some(this.startedAt),
      endedAt: this.endedAt < 0 ? Option.none() : Option.some(this.endedAt)
    }))
  }

  toResult(exit: Exit.Exit<A, E>): TaskResult.TaskResult<A, E> {
    const started = this.startedAt >= 0
    if (started && Exit.isSuccess(exit)) {
      return succeeded(exit.value, this.name, this.attempts, this.startedAt, this.endedAt)
    }
    return fromExit(exit, {
      name: this.name,
      attempts: this.attempts,
      startedAt: started ? this.startedAt : this.endedAt,
      endedAt: this.endedAt,
      started
    })
  }

  /** A retry of this task is about to wait `delay` before attempt `attempt + 1` (see `Retry`). */
  noteRetry(attempt: number, delay: Duration.Duration, error: unknown): void {
    this.attempts = attempt + 1
    this.host.noteRetry(this, attempt, delay, error)
  }

  markStarted(): void {
    this.phase = RUNNING
    this.started = sinceEpoch(this.host)
  }

  /** Records the outcome once and tells every observer, in registration order. */
  complete(exit: Exit.Exit<A, E>): boolean {
    if (this.phase === DONE) return false
    this.phase = DONE
    this.exit = exit
    this.ended = sinceEpoch(this.host)
    this.run = undefined
    const observers = this.observers
    if (observers !== undefined) {
      this.observers = undefined
      if (typeof observers === "function") {
        observers(exit)
      } else {
        for (let i = 0; i < observers.length; i++) {
          observers[i](exit)
        }
      }
    }
    return true
  }

  addObserver(observer: Observer<A, E>): void {
    const observers = this.observers
    if (this.exit !== undefined) {
      observer(this.exit)
    } else if (observers === undefined) {
      this.observers = observer
    } else if (typeof observers === "function") {
      this.observers = [observers, observer]
    } else {
      observers.push(observer)
    }
  }

  removeObserver(observer: Observer<A, E>): void {
    const observers = this.observers
    if (observers === observer) {
      this.observers = undefined
    } else if (observers !== undefined && typeof observers !== "function") {
      const i = observers.indexOf(observer)
      if (i >= 0) observers.splice(i, 1)
    }
  }

  toJSON(): unknown {
    return { _id: "Task", id: this.id, name: this.name, state: this.unsafeState() }
  }
}

Object.defineProperty(TaskImpl.prototype, TypeId, { value: variance })

/** @internal */
export const isTask = (u: unknown): u is Task.Task<unknown, unknown> =>
  typeof u === "object" && u !== null && TypeId in u

/** The host of a task made with `Task.fork`: the task runs on a plain child fiber. */
class StandaloneHost implements TaskHost {
  readonly epoch: number
  constructor(readonly clock: Clock.Clock, readonly runtime: Runtime.Runtime<never>) {
    this.epoch = clock.unsafeCurrentTimeMillis()
  }
  cancelTask(task: TaskImpl<any, any>, by: FiberId.FiberId): void {
    const runner = task.run as Runner | undefined
    if (runner !== undefined) interruptRunner(runner, by)
  }
  reportCallbackError(error: unknown, task: TaskImpl<any, any>): void {
    Runtime.runFork(this.runtime)(Effect.logError(`A done callback of task "${task.name}" threw`, error))
  }
  noteRetry(): void {}
}

/** @internal */
export const fork = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options?: { readonly name?: string }
): Effect.Effect<Task.Task<A, E>, never, R> =>
  Effect.withFiberRuntime((parent) => {
    const clock = Context.get(parent.currentDefaultServices, ClockTag)
    const runtime = Runtime.make({
      context: Context.empty(),
      fiberRefs: parent.getFiberRefs(),
      runtimeFlags: Runtime.defaultRuntimeFlags
    })
    const task = new TaskImpl<A, E>(new StandaloneHost(clock, runtime), options?.name)
    const runner: Runner & TaskInfo = { fiber: undefined, interruptBy: undefined, name: task.name, task }
    task.run = runner
    task.markStarted()
    return Effect.map(Effect.fork(Effect.locally(effect, currentTask, runner)), (fiber) => {
      attachFiber(runner, fiber)
      fiber.addObserver((exit) => task.complete(exit))
      return task
    })
  })

/** @internal */
export const current: Effect.Effect<Option.Option<Task.Task<unknown, unknown>>> = Effect.map(
  FiberRef.get(currentTask),
  (info) => Option.fromNullable(info?.task as Task.Task<unknown, unknown> | undefined)
)

/** @internal */
export const waitFor = <A, E>(
  task: Task.Task<A, E>,
  duration: Duration.DurationInput
): Effect.Effect<A, E | TimeoutError> =>
  Effect.suspend(() => {
    const ms = Options.toMillis(duration)
    if (ms === undefined || ms === -Infinity) {
      throw Options.invalidArgument(
        `Task.waitFor: Expected a duration (milliseconds, a Duration, or a string like "5 seconds"; Infinity for none), actual ${
          typeof duration === "string" ? JSON.stringify(duration) : String(duration)
        }`
      )
    }
    const impl = task as TaskImpl<A, E>
    return Effect.clockWith((clock) => {
      const start = clock.unsafeCurrentTimeMillis()
      const timedOut = Effect.zipRight(
        impl.cancel,
        Effect.suspend((): Effect.Effect<A, E | TimeoutError> => {
          const exit = impl.exit!
          // it completed while it was being cancelled: its outcome stands, as with asyncio.timeout
          if (Exit.isSuccess(exit) || !Cause.isInterrupted(exit.cause)) return exit
          const error = new TimeoutError({
            deadline: start + ms,
            elapsed: Duration.millis(Math.max(0, clock.unsafeCurrentTimeMillis() - start))
          })
          return Effect.failCause(andThen(removeInterrupts(exit.cause), Cause.fail(error)))
        })
      )
      return Effect.onInterrupt(
        Effect.flatMap(
          moveOnAfter(impl.await, ms),
          (waited): Effect.Effect<A, E | TimeoutError> => (Option.isSome(waited) ? waited.value : timedOut)
        ),
        () => impl.cancel
      )
    })
  })
