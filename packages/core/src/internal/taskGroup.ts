import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import * as Runtime from "effect/Runtime"
import * as RuntimeFlags from "effect/RuntimeFlags"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { TaskExitedBeforeReadyError, TaskGroupClosedError } from "../Errors.js"
import type { InvalidOptionsError } from "../Errors.js"
import * as Options from "../Options.js"
import type * as Progress from "../Progress.js"
import type * as Task from "../Task.js"
import type * as TaskGroup from "../TaskGroup.js"
import type * as TaskResult from "../TaskResult.js"
import type * as Timeline from "../Timeline.js"
import { Deque } from "./deque.js"
import { byPriority, MinHeap, type Prioritized } from "./heap.js"
import { Base } from "./inspectable.js"
import { attachFiber, DONE, interruptRunner, PENDING, type Runner, type TaskHost, TaskImpl } from "./task.js"
import { currentTask, type TaskInfo } from "./taskInfo.js"
import { WaitList } from "./waitList.js"

/** @internal */
export const TypeId: TaskGroup.TypeId = Symbol.for("@taskscope/core/TaskGroup") as TaskGroup.TypeId

const OptionsSchema = Schema.Struct({
  name: Schema.optional(Schema.String),
  mode: Schema.optional(Schema.Literal("failFast", "supervise")),
  concurrency: Schema.optional(Options.PositiveIntOrInfinity),
  timeline: Schema.optional(Schema.Any),
  progress: Schema.optional(Schema.Any)
})

const decode = Options.decode("TaskGroup", OptionsSchema)

const OPEN = 0
const CANCELLING = 1
const CLOSED = 2

/** Children waiting for a slot. */
interface PendingQueue {
  forEach(f: (task: TaskImpl<any, any>) => void): void
  push(task: TaskImpl<any, any>, priority: number): void
  shift(): TaskImpl<any, any> | undefined
  peek(): TaskImpl<any, any> | undefined
}

class FifoTasks extends Deque<TaskImpl<any, any>> implements PendingQueue {
  override forEach(f: (task: TaskImpl<any, any>) => void): void {
    super.forEach((task) => {
      if (task.phase === PENDING) f(task)
    })
  }
}

/** Lowest priority first; FIFO among equal priorities. */
class HeapTasks implements PendingQueue {
  readonly heap = new MinHeap<Prioritized<TaskImpl<any, any>>>(byPriority)
  seq = 0
  forEach(f: (task: TaskImpl<any, any>) => void): void {
    for (const entry of this.heap.items) if (entry.value.phase === PENDING) f(entry.value)
  }
  push(task: TaskImpl<any, any>, priority: number): void {
    this.heap.push({ value: task, priority, seq: this.seq++ })
  }
  peek(): TaskImpl<any, any> | undefined {
    return this.heap.peek()?.value
  }
  shift(): TaskImpl<any, any> | undefined {
    return this.heap.pop()?.value
  }
}

/** A fiber that runs waiting children of a bounded group one after another. */
interface Worker extends Runner, TaskInfo {
  /** Interrupted to cancel its current child: it stops after that child. */
  doomed: boolean
  context: Context.Context<never>
  current: TaskImpl<any, any> | undefined
}

/** Children report retry attempts to their own task (see Retry). */
const listenTo = (listener: TaskInfo) => ({
  updateRefs: (refs: FiberRefs.FiberRefs, fiberId: FiberId.Runtime) =>
    FiberRefs.updateAs(refs, { fiberId, fiberRef: currentTask, value: listener })
})

const removeInterrupts = <E>(cause: Cause.Cause<E>): Cause.Cause<E> =>
  Cause.match<Cause.Cause<E>, E>(cause, {
    onEmpty: Cause.empty,
    onFail: (error) => Cause.fail(error),
    onDie: (defect) => Cause.die(defect),
    onInterrupt: () => Cause.empty,
    onSequential: (l, r) => Cause.isEmpty(l) ? r : Cause.isEmpty(r) ? l : Cause.sequential(l, r),
    onParallel: (l, r) => Cause.isEmpty(l) ? r : Cause.isEmpty(r) ? l : Cause.parallel(l, r)
  })

/** @internal */
export class GroupImpl extends Base implements TaskGroup.TaskGroup<any>, TaskHost {
  readonly [TypeId]: TaskGroup.TypeId = TypeId
  readonly name: string
  readonly mode: TaskGroup.Mode
  readonly concurrency: number
  readonly clock: Clock.Clock
  readonly fiberRefs: FiberRefs.FiberRefs
  readonly runtimeFlags: RuntimeFlags.RuntimeFlags
  readonly ownerId: FiberId.FiberId
  status = OPEN
  /** Children not yet done: queued plus running. */
  active = 0
  /** Children that are running, each on a fiber of its own. */
  readonly running = new Set<TaskImpl<any, any>>()
  /** Children waiting for a slot (bounded groups): FIFO, or by priority. */
  readonly queue: PendingQueue
  failure: Cause.Cause<unknown> | undefined = undefined
  failureObserved = false
  readonly supervised: Array<TaskResult.Failed<unknown> | TaskResult.TimedOut<unknown>> = []
  readonly idle = new WaitList()
  body: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined
  readonly timeline: Timeline.Timeline | undefined
  readonly progress: Progress.Tracker | undefined

  constructor(owner: Fiber.RuntimeFiber<unknown, unknown>, options: DecodedOptions, prioritized = false) {
    super()
    this.name = options.name ?? "TaskGroup"
    this.mode = options.mode ?? "failFast"
    this.concurrency = options.concurrency ?? Infinity
    this.queue = prioritized ? new HeapTasks() : new FifoTasks()
    this.timeline = options.timeline as Timeline.Timeline | undefined
    this.progress = options.progress as Progress.Tracker | undefined
    this.clock = Context.get(owner.currentDefaultServices, Clock.Clock)
    this.fiberRefs = owner.getFiberRefs()
    this.runtimeFlags = RuntimeFlags.enable(owner.getFiberRef(FiberRef.currentRuntimeFlags), RuntimeFlags.Interruption)
    this.ownerId = owner.id()
  }

  // ---------------------------------------------------------------------------------------------
  // spawning

  runtime(context: Context.Context<never>): Runtime.Runtime<never> {
    return Runtime.make({ context, fiberRefs: this.fiberRefs, runtimeFlags: this.runtimeFlags })
  }

  unsafeSpawn<A, E>(
    context: Context.Context<never>,
    effect: Effect.Effect<A, E, any>,
    name: string | undefined,
    task: TaskImpl<A, E> = new TaskImpl<A, E>(this, name),
    priority = 0
  ): TaskImpl<A, E> | TaskGroupClosedError {
    if (this.status !== OPEN) {
      return new TaskGroupClosedError({
        group: this.name,
        task: name ?? "task",
        reason: this.status === CLOSED ? "closed" : "cancelling"
      })
    }
    this.active++
    if (this.timeline !== undefined) this.timeline.unsafeTrack(task, this.name)
    if (this.progress !== undefined) this.progress.unsafeAdd(1)
    if (this.slots < this.concurrency && this.pending === 0) {
      this.slots++
      this.run(task, effect, context)
    } else {
      task.effect = effect
      task.context = context
      this.queue.push(task, priority)
      this.pending++
      this.drain()
    }
    return task
  }

  spawn<A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options?: TaskGroup.SpawnOptions
  ): Effect.Effect<Task.Task<A, E>, any, R> {
    return Effect.withFiberRuntime((fiber) => {
      const task = this.unsafeSpawn(fiber.currentContext, effect, options?.name)
      return task instanceof TaskImpl ? Effect.succeed(task) : Effect.fail(task)
    })
  }

  start<V, A, E, R>(
    f: (ready: (value: V) => Effect.Effect<void>) => Effect.Effect<A, E, R>,
    options?: TaskGroup.SpawnOptions
  ): Effect.Effect<V, any, R> {
    return Effect.withFiberRuntime((fiber) => {
      const deferred = Deferred.unsafeMake<V, unknown>(fiber.id())
      const ready = (value: V) => Deferred.succeed(deferred, value).pipe(Effect.asVoid)
      const task = this.unsafeSpawn(fiber.currentContext, Effect.suspend(() => f(ready)), options?.name)
      if (!(task instanceof TaskImpl)) return Effect.fail(task)
      task.addObserver((exit) => {
        Deferred.unsafeDone(
          deferred,
          Exit.isSuccess(exit)
            ? Exit.fail(new TaskExitedBeforeReadyError({ group: this.name, task: task.name }))
            : Exit.failCause(exit.cause)
        )
      })
      return Deferred.await(deferred)
    })
  }

  /** Starts a child on a fiber of its own; it runs up to its first suspension before this returns. */
  run<A, E>(task: TaskImpl<A, E>, effect: Effect.Effect<A, E, any>, context: Context.Context<never>): void {
    task.markStarted()
    this.running.add(task)
    const fiber = Runtime.runFork(this.runtime(context))(effect as Effect.Effect<A, E>, listenTo(task))
    attachFiber(task, fiber)
    fiber.addObserver((exit) => this.onTaskDone(task, exit as Exit.Exit<A, E>))
  }

  // ---------------------------------------------------------------------------------------------
  // bounded groups: waiting children are plain records in a FIFO queue (no fiber per waiting child).
  // A child that finds a free slot runs on a fiber of its own. When a slot frees while children
  // wait, a worker fiber takes the slot over and runs waiting children one after another on its
  // own fiber, so a backlog costs no fork per child. A worker ends when the queue is empty.

  /** Slots taken: children running on their own fiber, plus workers. */
  slots = 0
  /** Children in the queue that are still pending (not cancelled). */
  pending = 0
  readonly workers = new Set<Worker>()

  drain(): void {
    while (this.status === OPEN && this.slots < this.concurrency && this.pending > 0) {
      this.slots++
      this.startWorker(this.headContext())
    }
  }

  /** A slot was given back: hand it to a new worker if children wait, else free it. */
  releaseSlot(): void {
    if (this.status === OPEN && this.pending > 0) {
      this.startWorker(this.headContext())
    } else {
      this.slots--
    }
  }

  headContext(): Context.Context<never> {
    return (this.queue.peek()?.context as Context.Context<never> | undefined) ?? Context.empty()
  }

  startWorker(context: Context.Context<never>): void {
    const worker: Worker = {
      fiber: undefined,
      interruptBy: undefined,
      doomed: false,
      context,
      current: undefined,
      get name() {
        return this.current?.name
      },
      onAttempt(attempt) {
        this.current?.onAttempt(attempt)
      },
      onRetry() {}
    }
    this.workers.add(worker)
    const fiber = Runtime.runFork(this.runtime(context))(this.workerLoop(worker), listenTo(worker))
    attachFiber(worker, fiber)
    fiber.addObserver(() => {
      this.workers.delete(worker)
      this.releaseSlot()
    })
  }

  workerLoop(worker: Worker): Effect.Effect<void> {
    return Effect.uninterruptibleMask((restore) => {
      const loop: Effect.Effect<void> = Effect.suspend(() => {
        // a doomed worker was interrupted to cancel its child: its fiber cannot run another one
        if (worker.doomed || this.status !== OPEN) return Effect.void
        const task = this.dequeue()
        if (task === undefined) return Effect.void
        let effect = task.effect! as Effect.Effect<unknown, unknown>
        if (task.context !== worker.context) {
          effect = Effect.locally(effect, FiberRef.currentContext, task.context as Context.Context<never>)
        }
        task.effect = undefined
        task.context = undefined
        task.worker = worker
        worker.current = task
        task.markStarted()
        return Effect.flatMap(Effect.exit(restore(effect)), (exit) => {
          worker.current = undefined
          this.onTaskDone(task, exit)
          return loop
        })
      })
      return loop
    })
  }

  dequeue(): TaskImpl<any, any> | undefined {
    while (true) {
      const task = this.queue.shift()
      if (task === undefined) return undefined
      if (task.phase === PENDING) {
        this.pending--
        return task
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // completion, failure and cancellation

  onTaskDone(task: TaskImpl<any, any>, exit: Exit.Exit<unknown, unknown>): void {
    const wasPending = task.phase === PENDING
    const worker = task.worker
    if (!task.complete(exit)) return
    this.active--
    if (this.progress !== undefined) this.progress.unsafeAdvance(1)
    if (wasPending) {
      this.pending--
    } else if (worker === undefined) {
      this.running.delete(task)
      this.releaseSlot()
    }
    if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) {
      if (this.mode === "failFast") {
        this.recordFailure(removeInterrupts(exit.cause))
      } else {
        this.supervised.push(task.toResult(exit) as TaskResult.Failed<unknown>)
      }
    }
    if (this.active === 0) this.idle.release()
  }

  recordFailure(cause: Cause.Cause<unknown>): void {
    if (this.failure === undefined) {
      this.failure = cause
      this.cancelAll(this.ownerId)
      if (this.body !== undefined) this.body.unsafeInterruptAsFork(this.ownerId)
    } else {
      this.failure = Cause.parallel(this.failure, cause)
    }
  }

  /** Stops intake, drops queued children (their effects never run) and interrupts running ones. */
  cancelAll(by: FiberId.FiberId): void {
    if (this.status === OPEN) this.status = CANCELLING
    // queued children end as cancelled without ever running (onTaskDone counts them off `pending`)
    for (let task = this.queue.shift(); task !== undefined; task = this.queue.shift()) {
      if (task.phase === PENDING) this.onTaskDone(task, Exit.interrupt(by))
    }
    for (const task of this.running) interruptRunner(task, by)
    for (const worker of this.workers) {
      worker.doomed = true
      interruptRunner(worker, by)
    }
  }

  cancelTask(task: TaskImpl<any, any>, by: FiberId.FiberId): void {
    if (task.phase === PENDING) {
      this.onTaskDone(task, Exit.interrupt(by))
    } else if (task.phase !== DONE) {
      const worker = task.worker
      if (worker !== undefined) {
        worker.doomed = true
        interruptRunner(worker, by)
      } else {
        interruptRunner(task, by)
      }
    }
  }

  reportCallbackError(error: unknown, task: TaskImpl<any, any>): void {
    Runtime.runFork(this.runtime(Context.empty()))(
      Effect.logError(`A done callback of task "${task.name}" in TaskGroup "${this.name}" threw`, error)
    )
  }

  get awaitIdle(): Effect.Effect<void> {
    return this.idle.wait(() => this.active === 0)
  }

  get join(): Effect.Effect<void, unknown> {
    return Effect.zipRight(
      this.awaitIdle,
      Effect.suspend(() => {
        if (this.failure === undefined) return Effect.void
        this.failureObserved = true
        return Effect.failCause(this.failure)
      })
    )
  }

  get cancel(): Effect.Effect<void> {
    return Effect.fiberIdWith((by) =>
      Effect.suspend(() => {
        this.cancelAll(by)
        return this.awaitIdle
      })
    )
  }

  get failures(): Effect.Effect<ReadonlyArray<TaskResult.Failed<unknown> | TaskResult.TimedOut<unknown>>> {
    return Effect.sync(() => this.supervised.slice())
  }

  get stats(): Effect.Effect<TaskGroup.Stats> {
    return Effect.sync(() => {
      return {
        active: this.active,
        running: this.active - this.pending,
        queued: this.pending,
        status: this.status === OPEN ? "open" : this.status === CANCELLING ? "cancelling" : "closed"
      } as const
    })
  }

  /** Closes the group: cancels what is left (unless `graceful`), then waits until every child has ended. */
  close(graceful: boolean, by: FiberId.FiberId): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (!graceful) this.cancelAll(by)
      return Effect.zipRight(this.awaitIdle, Effect.sync(() => (this.status = CLOSED)))
    })
  }

  toJSON(): unknown {
    return { _id: "TaskGroup", name: this.name, mode: this.mode, active: this.active }
  }
}

type DecodedOptions = Schema.Schema.Type<typeof OptionsSchema>

/** @internal */
export const unsafeMake = (
  owner: Fiber.RuntimeFiber<unknown, unknown>,
  options: TaskGroup.Options | undefined,
  prioritized = false
): Either.Either<GroupImpl, InvalidOptionsError> =>
  Either.map(decode(options), (decoded) => new GroupImpl(owner, decoded, prioritized))

const makeGroup = (options: TaskGroup.Options | undefined): Effect.Effect<GroupImpl, InvalidOptionsError> =>
  Effect.withFiberRuntime((owner) => unsafeMake(owner, options))

/** @internal */
export const make = (options?: TaskGroup.Options): Effect.Effect<GroupImpl, InvalidOptionsError, Scope.Scope> =>
  Effect.acquireRelease(makeGroup(options), (group, exit) =>
    Effect.fiberIdWith((by) =>
      Effect.zipRight(
        group.close(Exit.isSuccess(exit) && group.status === OPEN, by),
        // An unobserved failFast failure fails the scope's close rather than vanish. Its error is a
        // child's E, which `spawn` already declared in the spawner's error channel.
        Effect.suspend(() =>
          group.failure !== undefined && !group.failureObserved
            ? Effect.failCause(group.failure as Cause.Cause<never>)
            : Effect.void
        )
      )
    ))

/** @internal */
export const scoped = <A, E, R>(
  body: (group: any) => Effect.Effect<A, E, R>,
  options?: TaskGroup.Options
): Effect.Effect<A, unknown, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(
      makeGroup(options),
      (group) =>
        Effect.flatMap(Effect.fork(restore(Effect.suspend(() => body(group)))), (bodyFiber) => {
          group.body = bodyFiber
          const cancelled = (cause: Cause.Cause<never>) =>
            Effect.zipRight(
              Effect.zipRight(group.close(false, group.ownerId), Fiber.interrupt(bodyFiber)),
              Effect.failCause(cause)
            )
          return Effect.flatMap(Effect.exit(restore(Fiber.await(bodyFiber))), (awaited): Effect.Effect<A, unknown> => {
            if (Exit.isFailure(awaited)) return cancelled(awaited.cause)
            const bodyExit = awaited.value
            if (Exit.isSuccess(bodyExit)) {
              // the body is done: wait for the children (they may still spawn), interruptibly
              return Effect.flatMap(Effect.exit(restore(group.awaitIdle)), (waited) =>
                Exit.isFailure(waited) ? cancelled(waited.cause) : Effect.zipRight(
                  group.close(true, group.ownerId),
                  Effect.suspend(() => group.failure === undefined ? bodyExit : Effect.failCause(group.failure))
                ))
            }
            const bodyCause = removeInterrupts(bodyExit.cause)
            return Effect.zipRight(
              group.close(false, group.ownerId),
              Effect.suspend(() => {
                if (group.failure !== undefined) {
                  return Effect.failCause(
                    Cause.isEmpty(bodyCause) ? group.failure : Cause.parallel(group.failure, bodyCause)
                  )
                }
                return Effect.failCause(bodyExit.cause)
              })
            )
          })
        })
    )
  )
