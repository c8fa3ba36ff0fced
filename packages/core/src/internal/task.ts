import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import type * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import type * as Task from "../Task.js"
import * as TaskResult from "../TaskResult.js"
import { Base } from "./inspectable.js"
import type { TaskInfo } from "./taskInfo.js"

/** @internal */
export const TypeId: Task.TypeId = Symbol.for("@taskscope/core/Task") as Task.TypeId

/** @internal */
export const PENDING = 0
/** @internal */
export const RUNNING = 1
/** @internal */
export const DONE = 2

/**
 * Something a task can be cancelled through: the group it belongs to, or the fiber of a standalone task.
 * @internal
 */
export interface TaskHost {
  readonly clock: Clock.Clock
  cancelTask(task: TaskImpl<any, any>, by: FiberId.FiberId): void
  reportCallbackError(error: unknown, task: TaskImpl<any, any>): void
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

const variance = { _A: (_: never) => _, _E: (_: never) => _ }

/** @internal */
export class TaskImpl<A, E> extends Base implements Task.Task<A, E>, Runner, TaskInfo {
  readonly [TypeId] = variance
  readonly id: number = ++nextId
  phase: 0 | 1 | 2 = PENDING
  exit: Exit.Exit<A, E> | undefined = undefined
  fiber: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined
  interruptBy: FiberId.FiberId | undefined = undefined
  observers: Array<(exit: Exit.Exit<A, E>) => void> | undefined = undefined
  startedAt = -1
  endedAt = -1
  attempts = 1
  /** The worker fiber running this task, when it runs in a bounded group's backlog. */
  worker: (Runner & { doomed: boolean }) | undefined = undefined
  /** Held only while the task waits in a bounded group's queue. */
  effect: Effect.Effect<A, E, any> | undefined = undefined
  context: unknown = undefined

  constructor(readonly host: TaskHost, private readonly _name: string | undefined) {
    super()
  }

  get name(): string {
    return this._name ?? `task-${this.id}`
  }

  unsafeState(): Task.State {
    switch (this.phase) {
      case PENDING:
        return "pending"
      case RUNNING:
        return "running"
      default: {
        const exit = this.exit!
        return Exit.isSuccess(exit) ? "succeeded" : Cause.isInterruptedOnly(exit.cause) ? "cancelled" : "failed"
      }
    }
  }

  get state(): Effect.Effect<Task.State> {
    return Effect.sync(() => this.unsafeState())
  }

  get poll(): Effect.Effect<Option.Option<Exit.Exit<A, E>>> {
    return Effect.sync(() => Option.fromNullable(this.exit))
  }

  get await(): Effect.Effect<Exit.Exit<A, E>> {
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
    return Effect.sync(() => this.unsafeTimings())
  }

  unsafeTimings(): Task.Timings {
    return {
      startedAt: this.startedAt < 0 ? Option.none() : Option.some(this.startedAt),
      endedAt: this.endedAt < 0 ? Option.none() : Option.some(this.endedAt)
    }
  }

  toResult(exit: Exit.Exit<A, E>): TaskResult.TaskResult<A, E> {
    const started = this.startedAt >= 0
    return TaskResult.fromExit(exit, {
      name: this.name,
      attempts: this.attempts,
      startedAt: started ? this.startedAt : this.endedAt,
      endedAt: this.endedAt,
      started
    })
  }

  onAttempt(attempt: number): void {
    this.attempts = attempt
  }

  onRetry(_attempt: number, _delay: Duration.Duration, _error: unknown): void {}

  markStarted(): void {
    this.phase = RUNNING
    this.startedAt = this.host.clock.unsafeCurrentTimeMillis()
  }

  /** Records the outcome once and tells every observer, in registration order. */
  complete(exit: Exit.Exit<A, E>): boolean {
    if (this.phase === DONE) return false
    this.phase = DONE
    this.exit = exit
    this.endedAt = this.host.clock.unsafeCurrentTimeMillis()
    this.fiber = undefined
    this.worker = undefined
    this.effect = undefined
    this.context = undefined
    const observers = this.observers
    if (observers !== undefined) {
      this.observers = undefined
      for (let i = 0; i < observers.length; i++) {
        observers[i](exit)
      }
    }
    return true
  }

  addObserver(observer: (exit: Exit.Exit<A, E>) => void): void {
    if (this.exit !== undefined) {
      observer(this.exit)
    } else if (this.observers === undefined) {
      this.observers = [observer]
    } else {
      this.observers.push(observer)
    }
  }

  removeObserver(observer: (exit: Exit.Exit<A, E>) => void): void {
    if (this.observers !== undefined) {
      const i = this.observers.indexOf(observer)
      if (i >= 0) this.observers.splice(i, 1)
    }
  }

  toJSON(): unknown {
    return { _id: "Task", id: this.id, name: this.name, state: this.unsafeState() }
  }
}

/** @internal */
export const isTask = (u: unknown): u is Task.Task<unknown, unknown> =>
  typeof u === "object" && u !== null && TypeId in u
