import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Equal from "effect/Equal"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as RuntimeFlags from "effect/RuntimeFlags"
import type * as Scheduler from "effect/Scheduler"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import type * as Registry from "../Registry.js"
import type * as Task from "../Task.js"
import type * as TaskGroup from "../TaskGroup.js"
import type * as TaskResult from "../TaskResult.js"
import { currentScope, effectiveDeadline, type ScopeImpl, withScope } from "./cancelScope.js"
import { andThen, both, isInterruptedOnly, removeInterrupts, syntheticId } from "./cause.js"
import { TaskExitedBeforeReadyError, TaskGroupClosedError } from "./errors.js"
import { Base } from "./inspectable.js"
import { type Job, type KeyGate, OUTSIDE } from "./kernel.js"
import * as Options from "./options.js"
import { nextId as nextRegistryId, pathOf, register, type RegisteredGroup, unregister } from "./registry.js"
import { KernelQueue, type RunQueue } from "./runQueue.js"
import { attachFiber, DONE, interruptRunner, Rare, type Runner, type TaskHost, TaskImpl } from "./task.js"
import { currentTask, type TaskInfo } from "./taskInfo.js"
import { WaitList } from "./waitList.js"

/** @internal */
export const TypeId: TaskGroup.TypeId = Symbol.for("@taskscope/core/TaskGroup") as TaskGroup.TypeId

const OptionsSchema = Schema.Struct({
  name: Schema.optional(Schema.String),
  mode: Schema.optional(Schema.Literal("failFast", "supervise")),
  concurrency: Schema.optional(Options.PositiveIntOrInfinity),
  keepFailures: Schema.optional(Options.NonNegativeIntOrInfinity),
  timeline: Schema.optional(Schema.Any),
  progress: Schema.optional(Schema.Any)
})

type DecodedOptions = Schema.Schema.Type<typeof OptionsSchema>

const checkOptions = Options.decodeOrDie("TaskGroup", OptionsSchema)

const OPEN = 0
const CANCELLING = 1
const CLOSED = 2

/**
 * Hooks into every child's lifecycle. Timeline, Progress and the Executor are listeners; each hook
 * is called synchronously, in registration order, and must not throw.
 * @internal
 */
export interface Listener {
  /** The child was accepted (it may start at once). */
  onQueued?(task: TaskImpl<any, any>, run: Run): void
  onStarted?(task: TaskImpl<any, any>, run: Run): void
  /** Attempt `attempt` failed and the child will retry after `delay` (see `Retry`). */
  onRetry?(task: TaskImpl<any, any>, attempt: number, delay: Duration.Duration, error: unknown): void
  /** The child ended; `started` is false for a child cancelled while it was queued. */
  onEnded?(task: TaskImpl<any, any>, exit: Exit.Exit<unknown, unknown>, run: Run, started: boolean): void
}

/**
 * A child of a group: its handle (the task users hold) and its run record — what the group needs to
 * schedule it: its effect and context while it waits, its place in the queue, and the fiber or
 * worker that runs it — in one object, so a queued child costs one record, not two.
 * @internal
 */
export class Run extends TaskImpl<any, any> implements Runner, Job, TaskInfo {
  fiber: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined
  /** The worker running it, when it runs in a bounded group's backlog. */
  worker: Worker | undefined = undefined
  // the kernel's fields: its place in the line
  priority = 0
  seq = 0
  kstate = OUTSIDE
  effect: Effect.Effect<unknown, unknown> | undefined = undefined
  context: Context.Context<never> | undefined = undefined
  /**
   * Started with `group.start`: until `ready`, it belongs to the caller of `start` (Trio's temporary
   * nursery), so a failure before then is the caller's, not the group's.
   */
  get startGate(): StartGate | undefined {
    return this.rare?.startGate
  }
  set startGate(gate: StartGate | undefined) {
    if (gate === undefined && this.rare === undefined) return
    ;(this.rare ??= new Rare()).startGate = gate
  }
  /** Set when it is cancelled before its fiber exists (see `interruptRunner`). */
  get interruptBy(): FiberId.FiberId | undefined {
    return this.rare?.interruptBy
  }
  set interruptBy(by: FiberId.FiberId | undefined) {
    if (by === undefined && this.rare === undefined) return
    ;(this.rare ??= new Rare()).interruptBy = by
  }
  /** A group's runs wait on no key gate (an owner's subclass may keep one per run). On the prototype. */
  declare readonly gate: KeyGate<any> | undefined
  /** The handle: the run itself. */
  get task(): TaskImpl<any, any> {
    return this
  }
  /** The host's record of it: itself, until it ends. */
  override get run(): unknown {
    return this.phase === DONE ? undefined : this
  }
  override set run(_: unknown) {}
  get weight(): number {
    return 1
  }
}
Object.defineProperty(Run.prototype, "gate", { value: undefined, writable: true })

const noop = () => {}

/**
 * A fiber's FiberRefs as it holds them. Not `getFiberRefs()`: that first writes the fiber's runtime
 * flags into them, a new FiberRefs object on every call — a copy per child, and an identity that
 * always differs (measured: TaskGroup ÷ Effect.forEach fell from 1.09–1.31 to 0.81–0.94).
 */
const fiberRefsOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>): FiberRefs.FiberRefs =>
  (fiber as unknown as { readonly _fiberRefs: FiberRefs.FiberRefs })._fiberRefs

/**
 * Replaces a running fiber's FiberRefs, from code running on that fiber (as `Effect.withFiberRuntime`
 * would). Effect's `Effect.setFiberRefs` sets each FiberRef the given set holds, and leaves one that
 * it does not hold (set for the first time since) as it is; the fiber's own method replaces them
 * all. Pinned by "a FiberRef one child sets is not seen by the next" in TaskGroup.test.ts.
 */
const setFiberRefs = (fiber: Fiber.RuntimeFiber<unknown, unknown>, refs: FiberRefs.FiberRefs): void => {
  ;(fiber as unknown as { setFiberRefs(refs: FiberRefs.FiberRefs): void }).setFiberRefs(refs)
}

/**
 * The fibers a fiber forked that are still running, if any. Effect 3 keeps them in the fiber's
 * `_children` set (null until its first fork) and has no synchronous accessor for it; `children`
 * asks the fiber with a message, a round trip per child. Pinned by the test "a fiber forked by a
 * child ends with the child" in TaskGroup.test.ts: a rename in Effect fails it.
 */
const forksOf = (
  fiber: Fiber.RuntimeFiber<unknown, unknown>
): Array<Fiber.RuntimeFiber<unknown, unknown>> | undefined => {
  const children = (fiber as unknown as { readonly _children?: Set<Fiber.RuntimeFiber<unknown, unknown>> | null })
    ._children
  return children === undefined || children === null || children.size === 0 ? undefined : Array.from(children)
}

/** Whether a child started with `group.start` has called `ready` (and so belongs to the group). */
interface StartGate {
  ready: boolean
}

/** A fiber that runs waiting children of a bounded group one after another. */
class Worker implements Runner, TaskInfo {
  fiber: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined
  interruptBy: FiberId.FiberId | undefined = undefined
  /** Interrupted to cancel its current child: it stops after that child. */
  doomed = false
  current: Run | undefined = undefined
  /** Resumes the worker while it is parked. */
  wake: () => void = noop
  /** Woken, or made with a child handed to it, and its fiber has not run since (counted in the group's `waking`). */
  pendingTurn = false
  constructor(readonly context: Context.Context<never>) {}
  get name(): string | undefined {
    return this.current?.task.name
  }
  get task(): TaskImpl<any, any> | undefined {
    return this.current?.task
  }
}

/** Code in a child's fiber finds its task (`Task.current`) and its limiter holder name through this. */
const holding = (info: TaskInfo) => ({
  updateRefs: (refs: FiberRefs.FiberRefs, fiberId: FiberId.Runtime) =>
    FiberRefs.updateAs(refs, { fiberId, fiberRef: currentTask, value: info })
})

/** Effect's built-in tracer: spans made with it go nowhere unless someone reads them. */
const defaultTracer = Effect.runSync(Effect.tracer)

/** @internal */
export interface GroupConfig extends DecodedOptions {
  /** `false`: no span per child (the Executor makes its own). Default: when a tracer is installed. */
  readonly spans?: boolean
  /** The waiting children: FIFO by default; by priority for `prioritized`; or the owner's own. */
  readonly queue?: RunQueue<Run>
  readonly prioritized?: boolean
}

/** @internal */
export class GroupImpl extends Base implements TaskGroup.TaskGroup<any, any>, TaskHost, RegisteredGroup {
  readonly [TypeId]: TaskGroup.TypeId = TypeId
  readonly name: string
  readonly mode: TaskGroup.Mode
  /** How many children run at once (the Executor may change it). */
  concurrency: number
  readonly keepFailures: number
  readonly clock: Clock.Clock
  readonly epoch: number
  readonly fiberRefs: FiberRefs.FiberRefs
  readonly runtimeFlags: RuntimeFlags.RuntimeFlags
  readonly ownerId: FiberId.FiberId
  readonly scheduler: Scheduler.Scheduler
  /** What the group interrupts its body and children with, to tell its own cancellations apart. */
  readonly groupId: FiberId.Runtime
  status = OPEN
  /** Children not yet done: queued plus running. */
  active = 0
  /** Slots taken: children running on their own fiber, plus workers. */
  slots = 0
  /** Children that run on a fiber of their own. */
  readonly running = new Set<Run>()
  readonly workers = new Set<Worker>()
  readonly queue: RunQueue<Run>
  /** The queue decides when a child may start (the Executor's keys, rates and pause): always ask it. */
  readonly gated: boolean
  /** The cancellation sweep has run: every running child has been interrupted once. */
  swept = false
  seq = 0
  readonly listeners: Array<Listener> = []
  failure: Cause.Cause<unknown> | undefined = undefined
  failureObserved = false
  /** `supervise` mode: failures recorded while the group was shutting down, never to be dropped. */
  shutdownFailures: Cause.Cause<unknown> = Cause.empty
  readonly supervised: Array<TaskResult.Failed<unknown> | TaskResult.TimedOut<unknown>> = []
  readonly idle = new WaitList()
  body: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined
  bodyDone = false
  /** `cancel` was called (Trio's `cancel_called`). */
  cancelled = false
  /** The task this group was opened in, if any. */
  readonly parentTask: TaskImpl<any, any> | undefined
  /** Each child gets a span (a tracer is installed), parented by `spanParent`. */
  tracing = false
  spanParent: Tracer.AnySpan | undefined = undefined
  /** Its entry in the registry of live groups, until it closes. */
  registryRef: WeakRef<RegisteredGroup> | undefined
  lastContext: Context.Context<never> | undefined = undefined
  lastRuntime: Runtime.Runtime<never> | undefined = undefined

  constructor(owner: Fiber.RuntimeFiber<unknown, unknown>, options: GroupConfig) {
    super()
    this.name = options.name ?? "TaskGroup"
    this.mode = options.mode ?? "failFast"
    this.concurrency = options.concurrency ?? Infinity
    this.keepFailures = options.keepFailures ?? 1_000
    // the line is the scheduling kernel's: the owner's (the Executor's, with its gates) or a plain one
    this.queue = options.queue ?? new KernelQueue<Run>()
    this.gated = options.queue !== undefined
    this.clock = Context.get(owner.currentDefaultServices, Clock.Clock)
    this.epoch = this.clock.unsafeCurrentTimeMillis()
    this.fiberRefs = owner.getFiberRefs()
    this.runtimeFlags = RuntimeFlags.enable(owner.getFiberRef(FiberRef.currentRuntimeFlags), RuntimeFlags.Interruption)
    this.ownerId = owner.id()
    this.scheduler = owner.currentScheduler
    this.groupId = syntheticId(this.clock)
    this.parentTask = owner.getFiberRef(currentTask)?.task as TaskImpl<any, any> | undefined
    this.registryRef = register(this)
    // a span per child when a tracer is installed (OpenTelemetry through @effect/opentelemetry),
    // parented by the group's span: the one `scoped` opens, or the owner's current span
    if (options.spans !== false && owner.currentTracer !== defaultTracer) {
      this.spanParent = Option.getOrUndefined(Context.getOption(owner.currentContext, Tracer.ParentSpan))
      this.tracing = true
    }
    if (options.timeline !== undefined) this.listeners.push((options.timeline as ListenerSource).listenerFor(this.name))
    if (options.progress !== undefined) this.listeners.push((options.progress as ListenerSource).listenerFor(this.name))
  }

  // ---------------------------------------------------------------------------------------------
  // spawning

  runtime(context: Context.Context<never>): Runtime.Runtime<never> {
    if (context !== this.lastContext) {
      this.lastContext = context
      this.lastRuntime = Runtime.make({ context, fiberRefs: this.fiberRefs, runtimeFlags: this.runtimeFlags })
    }
    return this.lastRuntime!
  }

  closedError(name: string | undefined): TaskGroupClosedError {
    return new TaskGroupClosedError({
      group: this.name,
      task: name ?? "task",
      reason: this.status === CLOSED ? "closed" : "cancelling"
    })
  }

  /** Accepts a child: it starts at once when a slot is free and nobody waits, else it waits in the queue. */
  unsafeSpawn<A, E>(
    context: Context.Context<never>,
    effect: Effect.Effect<A, E, any>,
    name: string | undefined,
    priority = 0,
    /** The owner's own record for the child, made with this group as host (the Executor's, with its spec and key gate). */
    given?: Run,
    startGate?: StartGate
  ): TaskImpl<A, E> | TaskGroupClosedError {
    if (this.status !== OPEN) return this.closedError(name)
    const run = given ?? new Run(this, name)
    const task = run as TaskImpl<A, E>
    if (this.tracing) effect = this.withSpan(task, effect)
    run.startGate = startGate
    run.priority = priority
    this.active++
    const listeners = this.listeners
    for (let i = 0; i < listeners.length; i++) listeners[i].onQueued?.(task, run)
    if (this.concurrency === Infinity && !this.gated) {
      // unbounded: every child on a fiber of its own, started at once
      this.slots++
      this.startRun(run, effect as Effect.Effect<unknown, unknown>, context)
    } else {
      run.effect = effect as Effect.Effect<unknown, unknown>
      run.context = context
      run.seq = this.seq++
      this.queue.push(run)
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
    return Effect.withFiberRuntime((caller) => {
      const deferred = Deferred.unsafeMake<V, unknown>(caller.id())
      let readyCalled = false
      let name = options?.name ?? "the child"
      const gate: StartGate = { ready: false }
      const ready = (value: V) =>
        Effect.suspend(() => {
          if (readyCalled) {
            return Effect.die(
              new Cause.RuntimeException(
                `TaskGroup.start: ready was called twice (task "${name}" in TaskGroup "${this.name}")`
              )
            )
          }
          readyCalled = true
          // Trio's started(): when the caller's cancel scope is cancelled, it does nothing — the child
          // stays the caller's and is cancelled with it, and start fails with the cancellation
          if (effectivelyCancelled(caller as Fiber.RuntimeFiber<unknown, unknown>)) return Effect.void
          gate.ready = true
          Deferred.unsafeDone(deferred, Exit.succeed(value))
          return Effect.void
        })
      const spawned = this.unsafeSpawn(
        caller.currentContext,
        Effect.suspend(() => f(ready)),
        options?.name,
        0,
        undefined,
        gate
      )
      if (!(spawned instanceof TaskImpl)) return Effect.fail(spawned)
      name = spawned.name
      spawned.addObserver((exit) => {
        Deferred.unsafeDone(
          deferred,
          Exit.isSuccess(exit)
            ? Exit.fail(new TaskExitedBeforeReadyError({ group: this.name, task: spawned.name }))
            : Exit.failCause(exit.cause)
        )
      })
      // Trio's nursery.start: until it is ready, the child lives under the caller's cancellation.
      // A caller cancelled cancels the child; a failure the child ends with instead (raised in an
      // uninterruptible region, a finalizer's defect) is not lost: the caller is gone (and an
      // Effect.timeout around it drops its failures), so the group records it, as Trio's start
      // raises it into the code around the caller
      return Effect.onInterrupt(Deferred.await(deferred), () =>
        Effect.suspend(() => {
          gate.ready = true
          return spawned.cancel
        }))
    })
  }

  shield<A, E, R>(effect: Effect.Effect<A, E, R>, options?: TaskGroup.SpawnOptions): Effect.Effect<A, any, R> {
    return Effect.flatMap(this.spawn(effect, options), (task) => task.join)
  }

  /** The child's span: its name, parented by the group's, with the task's id and group path. */
  withSpan<A, E>(task: TaskImpl<A, E>, effect: Effect.Effect<A, E, any>): Effect.Effect<A, E, any> {
    return Effect.withSpan(effect, task.name, {
      ...(this.spanParent === undefined ? {} : { parent: this.spanParent }),
      attributes: { "taskscope.task.id": task.id, "taskscope.group": pathOf(this) }
    })
  }

  /** Starts a child on a fiber of its own; it runs up to its first suspension before this returns. */
  startRun(run: Run, effect: Effect.Effect<unknown, unknown>, context: Context.Context<never>): void {
    const task = run.task
    task.markStarted()
    this.running.add(run)
    const listeners = this.listeners
    for (let i = 0; i < listeners.length; i++) listeners[i].onStarted?.(task, run)
    const fiber = Runtime.runFork(this.runtime(context))(effect, holding(run))
    attachFiber(run, fiber)
    fiber.addObserver((exit) => this.onEnd(run, exit, true))
  }

  // ---------------------------------------------------------------------------------------------
  // bounded groups: waiting children are plain records in a queue (no fiber per waiting child),
  // run one after another by a pool of at most `concurrency` worker fibers. A worker with nothing
  // to run parks until a child arrives, so a stream of short children costs no fork per child.
  // A child that finds a free slot and no parked worker gets a new worker, started at once: it
  // runs up to its first suspension before `spawn` returns — unless a woken worker has not run
  // its child yet: then the new worker is handed its child and runs it after that one.

  /** Workers with nothing to run, waiting for a child: the most recently parked first. */
  readonly parked: Array<Worker> = []

  /**
   * Puts a worker to every child that may start now: a parked worker is handed the child the queue
   * admits (it is running from this moment: started, counted, its slot taken, even before the
   * worker's fiber has resumed), then new workers are started while slots are free (each takes its
   * child from the queue as it starts, at once — or, while a woken worker has not run yet, is
   * handed its child and runs it after that one).
   */
  drain(): void {
    // a woken worker runs its child at the scheduler's next turn; a new worker's fiber at once —
    // so while a woken worker has not run yet, a new one is handed its child and waits its turn
    // too, and a running worker lets them go before it takes another: children begin in the order
    // they started (asyncio runs tasks in the order they were created)
    while (this.status === OPEN && this.queue.size > 0) {
      if (this.parked.length > 0) {
        const run = this.queue.shift()
        if (run === undefined) return
        const worker = this.parked.pop()!
        this.begin(worker, run)
        worker.wake()
        continue
      }
      if (this.slots >= this.concurrency) return
      if (this.waking > 0) {
        const run = this.queue.shift()
        if (run === undefined) return
        this.slots++
        this.startWorker(run.context ?? Context.empty(), run)
        continue
      }
      const head = this.queue.peek()
      if (head === undefined) return
      this.slots++
      this.startWorker(head.context ?? Context.empty())
    }
  }

  /** A worker takes an admitted child: from now on the child is running, on that worker. */
  begin(worker: Worker, run: Run): void {
    run.worker = worker
    worker.current = run
    const task = run.task
    task.markStarted()
    const listeners = this.listeners
    for (let i = 0; i < listeners.length; i++) listeners[i].onStarted?.(task, run)
  }

  /** A worker ended (or an own-fiber child did): give its slot to a new worker if a child may start. */
  releaseSlot(): void {
    this.slots--
    this.drain()
  }

  /**
   * A new worker: it takes the next child as soon as its fiber runs (at once), or — `handed` —
   * starts with that child and runs at the scheduler's next turn, after workers woken before it.
   */
  startWorker(context: Context.Context<never>, handed?: Run): void {
    const worker = new Worker(context)
    this.workers.add(worker)
    // its fiber runs at once into its uninterruptible loop (so a cancel cannot end it before it
    // has run its child); handed a child — its own before the fiber runs, as a parked worker's
    // is — it first lets the workers woken before it go
    if (handed !== undefined) {
      this.awaitTurn(worker)
      this.begin(worker, handed)
    }
    const fiber = Runtime.runFork(this.runtime(context))(this.workerLoop(worker), holding(worker))
    attachFiber(worker, fiber)
    fiber.addObserver(() => {
      this.workers.delete(worker)
      const i = this.parked.indexOf(worker)
      if (i >= 0) this.parked.splice(i, 1)
      this.releaseSlot()
      if (this.workers.size === 0) this.workersDone.release()
    })
  }

  readonly workersDone = new WaitList()

  /** Parks a worker until a child arrives or the group closes. */
  park(worker: Worker): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      worker.wake = () => {
        worker.wake = noop
        this.awaitTurn(worker)
        resume(Effect.void)
      }
      this.parked.push(worker)
    })
  }

  /**
   * Workers woken, or made with a child handed to them, whose fibers have not run since: a new
   * worker waits its turn behind them, and a running worker lets them run before it takes another child.
   */
  waking = 0

  /** One turn of the scheduler, whatever the runtime flags (yieldNow does not yield without cooperative yielding). */
  readonly turn: Effect.Effect<void> = Effect.async<void>((resume) => {
    this.scheduler.scheduleTask(() => resume(Effect.void), 0)
  })

  awaitTurn(worker: Worker): void {
    worker.pendingTurn = true
    this.waking++
  }

  workerLoop(worker: Worker): Effect.Effect<void> {
    return Effect.uninterruptibleMask((restore) => {
      // the worker's own fiber, and its FiberRefs as it started: each child starts from them, so
      // what one child sets (a FiberRef, Effect.locally left open) is never seen by the next — as
      // a child on a fiber of its own, and as asyncio's tasks, each on a copy of the context
      let self!: Fiber.RuntimeFiber<unknown, unknown>
      let initial!: FiberRefs.FiberRefs
      // the next step of the worker: its next child, wrapped so that its end comes back here; or a
      // park until one arrives; or its end. Called right after a child ended (no step in between).
      const next = (): Effect.Effect<void> => {
        // a child handed over while the worker was parked runs whatever happened since: it was
        // admitted, and counts as running (a lower concurrency, a cancellation — the worker is
        // then interrupted, and the child ends at its first step — apply to it as to any running one)
        if (worker.pendingTurn) {
          worker.pendingTurn = false
          this.waking--
        }
        let run = worker.current
        if (run === undefined) {
          // a doomed worker was interrupted to cancel its child: its fiber cannot run another one
          if (worker.doomed || this.status !== OPEN || this.slots > this.concurrency) return Effect.void
          // workers handed a child before have not begun it: they go first (children begin in order)
          if (this.waking > 0 && this.queue.size > 0) return Effect.flatMap(this.turn, next)
          run = this.queue.shift()
          if (run === undefined) return Effect.flatMap(this.park(worker), next)
          this.begin(worker, run)
        }
        let effect = run.effect!
        if (run.context !== worker.context) {
          effect = Effect.locally(effect, FiberRef.currentContext, run.context!)
        }
        run.effect = undefined
        run.context = undefined
        // FiberRefs are immutable: the same object means the last child changed none (the common
        // case, and no step); else the child starts from the worker's own — but for an
        // interruption already sent to this child (cancelled as it was handed over), kept
        if (fiberRefsOf(self) !== initial) {
          const pending = self.getFiberRef(FiberRef.interruptedCause)
          setFiberRefs(
            self,
            Cause.isEmpty(pending)
              ? initial
              : FiberRefs.updateAs(initial, { fiberId: self.id(), fiberRef: FiberRef.interruptedCause, value: pending })
          )
        }
        return Effect.matchCauseEffect(restore(effect), handlers)
      }
      const ended = (exit: Exit.Exit<unknown, unknown>) => {
        // the fibers the child forked end with it, as Effect.fork's do with their parent: the worker
        // is their parent here, and would keep them (seeing the next child as Task.current) until
        // the group closes. Read from the fiber's own set, without a step when there are none.
        const forks = forksOf(self)
        if (forks !== undefined) return Effect.flatMap(Fiber.interruptAll(forks), () => close(exit))
        return close(exit)
      }
      // made once per worker, not per child: the child is `worker.current`
      const close = (exit: Exit.Exit<unknown, unknown>) => {
        const run = worker.current!
        worker.current = undefined
        this.onEnd(run, exit, true)
        return next()
      }
      const handlers = {
        onFailure: (cause: Cause.Cause<unknown>) => ended(Exit.failCause(cause)),
        // a child that returns nothing shares one exit: none is made per child, and a promoted
        // task record is not pointed at a young one (which every scavenge would then visit)
        onSuccess: (value: unknown) => ended(value === undefined ? Exit.void : Exit.succeed(value))
      }
      return Effect.withFiberRuntime<void>((fiber) => {
        self = fiber
        initial = fiberRefsOf(fiber)
        // made to be handed a child behind woken workers: their turn first
        return worker.pendingTurn ? Effect.flatMap(this.turn, next) : next()
      })
    })
  }

  /** Changes how many children run at once: more start now; extra workers end after their child. */
  setConcurrency(n: number): void {
    this.concurrency = n
    for (let extra = this.slots - n; extra > 0 && this.parked.length > 0; extra--) this.parked.pop()!.wake()
    this.drain()
  }

  /** Wakes every parked worker: the group no longer takes children, and they end. */
  dismissParked(): void {
    const parked = this.parked.splice(0)
    for (const worker of parked) worker.wake()
  }

  /** Waits until every worker fiber has ended. */
  get awaitWorkers(): Effect.Effect<void> {
    return this.workersDone.wait(() => this.workers.size === 0)
  }

  // ---------------------------------------------------------------------------------------------
  // completion, failure and cancellation

  /** A child ended (or was dropped from the queue): record it, then give its slot back. */
  onEnd(run: Run, exit: Exit.Exit<unknown, unknown>, started: boolean): void {
    const task = run.task
    if (task.phase === DONE) return
    const ownFiber = run.worker === undefined && started
    task.complete(exit)
    this.ended++
    // a failure is recorded before the slot is given back: after a failFast failure, no queued child starts
    if (Exit.isFailure(exit) && (run.startGate?.ready ?? true) && !isInterruptedOnly(exit.cause)) {
      this.recordFailure(task, exit)
    }
    this.active--
    // the run's admission ends (a key's permit is free again); its worker slot is given back below
    if (started && run.worker !== undefined) this.queue.release(run)
    const listeners = this.listeners
    for (let i = 0; i < listeners.length; i++) listeners[i].onEnded?.(task, exit, run, started)
    if (ownFiber) {
      this.running.delete(run)
      this.releaseSlot()
    }
    // the handle is the run: a user may keep many ended tasks, and they must not keep what only the
    // run needed (its fiber, its effect and context if it never started)
    run.fiber = undefined
    run.worker = undefined
    run.interruptBy = undefined
    run.effect = undefined
    run.context = undefined
    run.startGate = undefined
    if (this.active === 0) this.idle.release()
  }

  recordFailure(task: TaskImpl<any, any>, exit: Exit.Failure<unknown, unknown>): void {
    if (this.mode === "failFast") {
      const cause = removeInterrupts(exit.cause)
      if (this.failure === undefined) {
        this.failure = cause
        this.cancelAll(this.groupId)
        if (this.body !== undefined && !this.bodyDone) this.body.unsafeInterruptAsFork(this.groupId)
      } else {
        this.failure = both(this.failure, cause)
      }
      return
    }
    if (this.status !== OPEN) {
      // supervise mode: a child that fails while the group shuts down cannot be looked at later
      this.shutdownFailures = andThen(this.shutdownFailures, removeInterrupts(exit.cause))
    }
    if (this.keepFailures > 0) {
      if (this.supervised.length >= this.keepFailures) this.supervised.shift()
      this.supervised.push(task.toResult(exit) as TaskResult.Failed<unknown>)
    }
  }

  /** Stops intake, drops queued children (their effects never run) and interrupts running ones. */
  cancelAll(by: FiberId.FiberId): void {
    if (this.status === OPEN) this.status = CANCELLING
    if (this.swept) return
    this.swept = true
    for (const run of this.queue.clear()) this.onEnd(run, Exit.interrupt(by), false)
    for (const run of this.running) interruptRunner(run, by)
    this.dismissParked()
    for (const worker of this.workers) {
      if (worker.current === undefined) continue
      worker.doomed = true
      interruptRunner(worker, by)
    }
  }

  cancelTask(task: TaskImpl<any, any>, by: FiberId.FiberId): void {
    const run = task.run as Run | undefined
    if (run === undefined || task.phase === DONE) return
    if (this.queue.remove(run)) {
      this.onEnd(run, Exit.interrupt(by), false)
    } else if (run.worker !== undefined) {
      run.worker.doomed = true
      interruptRunner(run.worker, by)
    } else {
      interruptRunner(run, by)
    }
  }

  noteRetry(task: TaskImpl<any, any>, attempt: number, delay: Duration.Duration, error: unknown): void {
    const listeners = this.listeners
    for (let i = 0; i < listeners.length; i++) listeners[i].onRetry?.(task, attempt, delay, error)
  }

  reportCallbackError(error: unknown, task: TaskImpl<any, any>): void {
    Runtime.runFork(this.runtime(Context.empty()))(
      Effect.logError(`A done callback of task "${task.name}" in TaskGroup "${this.name}" threw`, error)
    )
  }

  /**
   * Trio's `cancel_scope.cancel()`: does not suspend. The interruptions are sent once the caller's
   * current slice is over, so the caller — the body itself, or a child — goes on to its next
   * suspension and stops there, as Trio's checkpoints do.
   */
  requestCancel(): void {
    if (this.cancelled) return
    this.cancelled = true
    if (this.status === OPEN) this.status = CANCELLING
    this.scheduler.scheduleTask(() => {
      this.cancelAll(this.groupId)
      if (this.body !== undefined && !this.bodyDone) this.body.unsafeInterruptAsFork(this.groupId)
    }, 0)
  }

  addListener(listener: Listener): void {
    this.listeners.push(listener)
  }

  /** No child is queued or running. */
  isIdle(): boolean {
    return this.active === 0
  }

  /** Ends a queued child without running it (its owner dropped it); false when it was not queued. */
  dropQueued(run: Run, exit: Exit.Exit<unknown, unknown>): boolean {
    if (!this.queue.remove(run)) return false
    this.onEnd(run, exit, false)
    return true
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
    return Effect.sync(() => {
      if (this.cancelScope === undefined) return this.requestCancel()
      // intake stops at once; the interruptions follow when the caller's slice is over
      this.cancelled = true
      if (this.status === OPEN) this.status = CANCELLING
      this.cancelScope.unsafeCancel()
    })
  }

  /** A `scoped` group runs in a cancel scope of its own: `cancel` is that scope's (Trio's nursery.cancel_scope). */
  cancelScope: ScopeImpl | undefined = undefined

  /** The group's cancel scope fired: intake stops, queued children are dropped, running ones interrupted. */
  onScopeFired(): void {
    this.cancelled = true
    this.cancelAll(this.groupId)
  }

  get failures(): Effect.Effect<ReadonlyArray<TaskResult.Failed<unknown> | TaskResult.TimedOut<unknown>>> {
    return Effect.sync(() => this.supervised.slice())
  }

  get stats(): Effect.Effect<TaskGroup.Stats> {
    return Effect.sync(() => {
      const queued = this.queue.size
      return {
        active: this.active,
        running: this.active - queued,
        queued,
        status: this.status === OPEN ? "open" : this.status === CANCELLING ? "cancelling" : "closed"
      } as const
    })
  }

  /** Every child that runs now, on its own fiber or a worker's. */
  runningRuns(): Array<Run> {
    const out = Array.from(this.running)
    for (const worker of this.workers) if (worker.current !== undefined) out.push(worker.current)
    return out
  }

  /** Closes the group on its owner's behalf (see `close`). */
  shutdown(graceful: boolean): Effect.Effect<void> {
    return this.close(graceful, this.groupId)
  }

  /** Closes the group: cancels what is left (unless `graceful`), then waits until every child has ended. */
  close(graceful: boolean, by: FiberId.FiberId): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (!graceful) this.cancelAll(by)
      return Effect.zipRight(
        this.awaitIdle,
        Effect.suspend(() => {
          this.status = CLOSED
          unregister(this.registryRef)
          this.registryRef = undefined
          // idle workers end with the group: no fiber outlives it
          this.dismissParked()
          return this.awaitWorkers
        })
      )
    })
  }

  /** Unique in the process, for the registry. */
  readonly registryId: number = nextRegistryId()
  /** Children ended so far, for the registry. */
  ended = 0

  /** This group and its children, for a registry snapshot. */
  describe(now: number, into: { groups: Array<Registry.GroupEntry>; tasks: Array<Registry.TaskEntry> }): void {
    const path = pathOf(this)
    const parentGroup = this.parentTask?.registryGroup
    const queued = this.queue.toArray()
    const running = this.runningRuns()
    into.groups.push({
      id: this.registryId,
      name: this.name,
      path,
      parent: parentGroup === undefined || this.parentTask === undefined
        ? undefined
        : { group: parentGroup.registryId, task: this.parentTask.id },
      mode: this.mode,
      status: this.status === OPEN ? "open" : this.status === CANCELLING ? "cancelling" : "closed",
      concurrency: this.concurrency === Infinity ? null : this.concurrency,
      running: running.length,
      queued: queued.length,
      ended: this.ended
    })
    for (const run of running) {
      const task = run.task
      const fiber = run.worker === undefined ? run.fiber : run.worker.fiber
      const deadline = task.scope !== undefined
        ? effectiveDeadline(task.scope)
        : fiber === undefined
        ? Infinity
        : effectiveDeadline(fiber.getFiberRef(currentScope))
      const waiting = task.waiting
      into.tasks.push({
        id: task.id,
        name: task.name,
        groupId: this.registryId,
        group: path,
        state: "running",
        since: task.startedAt,
        forMillis: now - task.startedAt,
        waiting: waiting === undefined
          ? undefined
          : {
            on: waiting.on,
            name: waiting.name,
            reason: typeof waiting.reason === "string" ? waiting.reason : waiting.reason(),
            forMillis: Math.max(0, now - waiting.since)
          },
        deadline: deadline === Infinity ? undefined : deadline,
        remainingMillis: deadline === Infinity ? undefined : Math.max(0, deadline - now),
        attempt: task.attempts
      })
    }
    for (const run of queued) {
      const task = run.task
      into.tasks.push({
        id: task.id,
        name: task.name,
        groupId: this.registryId,
        group: path,
        state: "queued",
        since: undefined,
        forMillis: undefined,
        waiting: { on: "group", name: path, reason: `queued for a slot of ${path}`, forMillis: 0 },
        deadline: undefined,
        remainingMillis: undefined,
        attempt: task.attempts
      })
    }
  }

  removeListener(listener: Listener): void {
    const i = this.listeners.indexOf(listener)
    if (i >= 0) this.listeners.splice(i, 1)
  }

  /** Failures nobody may look at any more: the failFast failure and the supervise shutdown failures. */
  pendingFailures(): Cause.Cause<unknown> {
    return this.failure === undefined ? this.shutdownFailures : both(this.failure, this.shutdownFailures)
  }

  toJSON(): unknown {
    return { _id: "TaskGroup", name: this.name, mode: this.mode, active: this.active }
  }
}

/** Something that becomes a lifecycle listener of a group (a Timeline, a Progress tracker). @internal */
export interface ListenerSource {
  listenerFor(group: string): Listener
}

/** @internal */
export const unsafeMake = (owner: Fiber.RuntimeFiber<unknown, unknown>, config: GroupConfig): GroupImpl =>
  new GroupImpl(owner, config)

const makeGroup = (options: TaskGroup.Options | undefined): Effect.Effect<GroupImpl> =>
  Effect.withFiberRuntime((owner) => Effect.succeed(new GroupImpl(owner, checkOptions(options))))

/** @internal */
export const make = (options?: TaskGroup.Options): Effect.Effect<GroupImpl, never, Scope.Scope> =>
  Effect.acquireRelease(Effect.suspend(() => makeGroup(options)), (group, exit) =>
    Effect.zipRight(
      group.close(Exit.isSuccess(exit) && group.status === OPEN, group.groupId),
      // An unobserved failure fails the scope's close rather than vanish. Its error is a child's E,
      // which `spawn` already declared in the spawner's error channel.
      Effect.suspend(() => {
        const failures = group.failureObserved ? group.shutdownFailures : group.pendingFailures()
        return Cause.isEmpty(failures) ? Effect.void : Effect.failCause(failures as Cause.Cause<never>)
      })
    ))

/**
 * Runs the body on a fiber of its own, beside the children, and waits for all of them — inside a
 * cancel scope of the group's own (Trio's nursery.cancel_scope), which `group.cancel` cancels. The
 * outcome, to the letter of asyncio 3.13 and Trio:
 * - the body and every child done: the body's value (or the group's failFast failure);
 * - the body or a child failed: every child is cancelled, and every failure — including those that
 *   happen while the others shut down — is in the Cause;
 * - `group.cancel`: the group's scope catches it — the body's value if it returned one, else
 *   `undefined`; failures during the cancellation still come out;
 * - the owner interrupted: everything is cancelled, and the Cause holds the interruption and every
 *   failure that happened during the shutdown.
 * @internal
 */
export const scoped = <A, E, R>(
  body: (group: any) => Effect.Effect<A, E, R>,
  options?: TaskGroup.Options
): Effect.Effect<A | undefined, unknown, R> =>
  Effect.suspend(() => {
    const decoded = checkOptions(options)
    return withScope(
      () => Infinity,
      GROUP_SCOPE,
      (cancelScope) =>
        Effect.withFiberRuntime<A, unknown, R>((fiber) => {
          const inGroup = Effect.withFiberRuntime<A, unknown, R>((owner) => {
            const group = new GroupImpl(owner as Fiber.RuntimeFiber<unknown, unknown>, decoded)
            group.cancelScope = cancelScope
            cancelScope.onFire = () => group.onScopeFired()
            return runGroup(group, body)
          })
          // with a tracer installed, the group is a span, and its children are spans below it
          return fiber.currentTracer === defaultTracer
            ? inGroup
            : Effect.withSpan(inGroup, `TaskGroup ${decoded.name ?? "TaskGroup"}`, {
              attributes: { "taskscope.group.mode": decoded.mode ?? "failFast" }
            })
        }),
      // group.cancel is absorbed: the scope exits, and only failures come out
      (_, rest) => (Cause.isEmpty(rest) ? Effect.succeed(undefined) : Effect.failCause(rest))
    )
  })

/** The group's own bookkeeping runs uninterruptibly; the body and the waits are interruptible. */
const GROUP_SCOPE = { shield: false, movable: false, ownInterruptibility: true } as const

const runGroup = <A, E, R>(
  group: GroupImpl,
  body: (group: any) => Effect.Effect<A, E, R>
): Effect.Effect<A, unknown, R> =>
  // a child of the group's fiber: an interruption of it (the owner's, passed on, or the group's
  // cancel scope) reaches the body at once
  Effect.flatMap(Effect.fork(Effect.interruptible(Effect.suspend(() => body(group)))), (bodyFiber) => {
    group.body = bodyFiber as Fiber.RuntimeFiber<unknown, unknown>
    return Effect.flatMap(Effect.exit(Effect.interruptible(Fiber.await(bodyFiber))), (awaited) => {
      if (Exit.isFailure(awaited)) return ownerInterrupted(group, bodyFiber, awaited.cause)
      const bodyExit = awaited.value
      group.bodyDone = true
      if (Exit.isFailure(bodyExit)) return bodyEnded(group, bodyExit)
      // the body is done: wait for the children (they may still spawn), interruptibly
      return Effect.flatMap(Effect.exit(Effect.interruptible(group.awaitIdle)), (waited) => {
        if (Exit.isFailure(waited)) return ownerInterrupted(group, bodyFiber, waited.cause)
        return Effect.zipRight(
          group.close(true, group.groupId),
          Effect.suspend(() => {
            const failures = group.pendingFailures()
            return Cause.isEmpty(failures) ? bodyExit : Effect.failCause(failures)
          })
        )
      })
    })
  })

/** Whether `cause` is an interruption by `id` and nothing else. */
const onlyBy = (cause: Cause.Cause<unknown>, id: FiberId.FiberId): boolean => {
  if (!isInterruptedOnly(cause)) return false
  for (const by of Cause.interruptors(cause)) if (!Equal.equals(by, id)) return false
  return true
}

/** The group's fiber was interrupted: cancel everything, wait, and keep every failure beside the interruption. */
const ownerInterrupted = (
  group: GroupImpl,
  bodyFiber: Fiber.RuntimeFiber<unknown, unknown>,
  interruption: Cause.Cause<unknown>
): Effect.Effect<any, unknown> =>
  Effect.suspend(() => {
    group.cancelAll(group.ownerId)
    // group.cancel alone (the group's own scope fired): a body that has returned keeps its value
    // (Trio: a `return` in the nursery's block stands; the nursery's scope catches the children's
    // cancellation)
    const byOwnScope = onlyBy(interruption, group.cancelScope!.id)
    // the interruption reached the body already (it is the group fiber's child): no second signal
    return Effect.flatMap(Fiber.await(bodyFiber), (bodyExit) => {
      group.bodyDone = true
      return Effect.zipRight(
        group.close(false, group.ownerId),
        Effect.suspend(() => {
          const failures = group.pendingFailures()
          if (byOwnScope && Exit.isSuccess(bodyExit)) {
            return Cause.isEmpty(failures)
              ? bodyExit
              : Effect.failCause(failures)
          }
          const fromBody = Exit.isFailure(bodyExit) ? removeInterrupts(bodyExit.cause) : Cause.empty
          return Effect.failCause(andThen(interruption, andThen(failures, fromBody)))
        })
      )
    })
  })

/** The body failed, or was interrupted by the group after a failFast failure, or by someone else. */
const bodyEnded = (group: GroupImpl, bodyExit: Exit.Failure<unknown, unknown>): Effect.Effect<any, unknown> =>
  Effect.zipRight(
    group.close(false, group.groupId),
    Effect.suspend(() => {
      const cause = bodyExit.cause
      // the group interrupts its body for one reason: a failFast failure, which is what comes out
      if (group.failure !== undefined) {
        return Effect.failCause(both(group.pendingFailures(), removeInterrupts(cause)))
      }
      return Effect.failCause(andThen(cause, group.shutdownFailures))
    })
  )

/**
 * Trio's "effectively cancelled" for the caller of `start`: it has been interrupted, or a cancel
 * scope it runs in (up to a shield) has been cancelled, even if the interruption is still on its way.
 * @internal
 */
export const effectivelyCancelled = (fiber: Fiber.RuntimeFiber<unknown, unknown>): boolean => {
  if (!Cause.isEmpty(fiber.getFiberRef(FiberRef.interruptedCause))) return true
  for (let s = fiber.getFiberRef(currentScope); s !== undefined; s = s.parent) {
    if (s.cancelRequested && !s.ended) return true
    if (s.shield) break
  }
  return false
}
