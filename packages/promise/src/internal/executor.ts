import * as Deadline from "@taskscope/core/Deadline"
import * as CoreExecutor from "@taskscope/core/Executor"
import type * as CoreTask from "@taskscope/core/Task"
import * as TaskApi from "@taskscope/core/Task"
import type * as TaskResult from "@taskscope/core/TaskResult"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import { CancelledError, SuppressedError } from "../Errors.js"
import type * as Executor from "../Executor.js"
import { Call } from "./bridge.js"
import { asyncDispose, ensure } from "./dispose.js"
import { runPromise, runSync, runtimeHere, toThrown } from "./runtime.js"

const noop = () => {}

/** Reports an exception thrown by an event listener the way an EventEmitter in async code does: uncaught. */
const report = (error: unknown) =>
  queueMicrotask(() => {
    throw error
  })

const positive = (subject: string, name: string, value: unknown, allowInfinity: boolean): number => {
  if (
    typeof value !== "number" || Number.isNaN(value) || value <= 0 ||
    (!allowInfinity && !Number.isFinite(value))
  ) {
    throw new TypeError(
      `${subject}: Expected \`${name}\` to be a ${
        allowInfinity ? "number from 1 and up" : "positive finite number"
      }, actual ${String(value)} (${typeof value})`
    )
  }
  return value
}

const concurrencyOf = (subject: string, value: unknown): number => {
  const n = positive(subject, "concurrency", value, true)
  if (n < 1 || (n !== Infinity && !Number.isInteger(n))) {
    throw new TypeError(`${subject}: Expected \`concurrency\` to be an integer from 1 and up, actual ${n}`)
  }
  return n
}

/** What an entry tells its executor. */
interface Host {
  started(entry: Entry): void
  settled(entry: Entry, ok: boolean, value: unknown): void
}

/** What a task's function gets: `{ signal }`, an own property (so `{ ...options }` keeps it), made when read. */
const optionsOf = (call: Call): { readonly signal: AbortSignal } => ({
  get signal() {
    return call.signal
  }
})

/**
 * One `add`: its promise, its core task, where it is — and the call of its function. The promise
 * settles right where the call ends (no wrapper per task); the counts change when the core says
 * the task has ended, just before the next one starts.
 */
class Entry extends Call {
  task: CoreTask.Task<unknown, unknown> | undefined = undefined
  started = false
  /** The promise `add` returned has settled. */
  settled = false
  /** The core task has ended (or never reached the core). */
  ended = false
  /** Epoch ms, read once started. A double from the start, as `Date.now()` is (no field migration in V8). */
  startTime = 0.5
  resolve: (value: unknown) => void = noop
  reject: (error: unknown) => void = noop
  /** The promise `add` returned. */
  outcome: Promise<unknown> | undefined = undefined
  onAbort: (() => void) | undefined = undefined
  constructor(
    readonly host: Host,
    readonly fn: Executor.Executor.Task<unknown>,
    readonly id: string,
    public priority: number,
    readonly timeout: number | undefined,
    readonly userSignal: AbortSignal | undefined
  ) {
    super()
  }

  override invoke(): unknown {
    if (!this.started) this.host.started(this)
    return this.fn(optionsOf(this))
  }

  override reason(): unknown {
    const signal = this.userSignal
    return signal?.aborted ? signal.reason : super.reason()
  }

  override finished(ok: boolean, value: unknown): void {
    this.host.settled(this, ok, value)
  }

  override stopped(failed: boolean, error: unknown): void {
    const reason = this.controller?.signal.aborted ? this.controller.signal.reason : this.reason()
    this.host.settled(
      this,
      false,
      failed
        ? new SuppressedError(error, reason, `${String((error as Error)?.message ?? error)} (while stopping)`)
        : reason
    )
  }

  /** What the core runs: the call, under the task's timeout if it has one. */
  body(): Effect.Effect<unknown, unknown> {
    if (this.timeout === undefined) return this.effect()
    return Deadline.within(
      Effect.flatMap(Deadline.current, (deadline) => {
        this.deadline = Option.getOrElse(deadline, () => Infinity)
        return this.effect()
      }),
      this.timeout
    )
  }
}

type Listener = (...args: Array<any>) => void

/** @internal */
export class ExecutorImpl implements Executor.Executor {
  readonly core: CoreExecutor.Executor
  readonly scope: Scope.CloseableScope
  timeout: number | undefined
  #concurrency: number
  #paused: boolean
  #size = 0
  #pending = 0
  #nextId = 1
  readonly #listeners = new Map<string, Array<{ readonly listener: Listener; readonly once: boolean }>>()
  #clearing = false
  /** Tasks added and not yet handed to the core. */
  #batch: Array<Entry> = []
  /** Every task not yet ended. */
  readonly #live = new Set<Entry>()
  #closing: Promise<Executor.Executor.CloseReport> | undefined = undefined

  constructor(options: Executor.Executor.Options = {}) {
    ensure()
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`Executor: Expected an options object, actual ${String(options)}`)
    }
    if ((options as { queueClass?: unknown }).queueClass !== undefined) {
      throw new TypeError("Executor: `queueClass` is not supported: the order is Taskscope's (priority, then FIFO)")
    }
    this.#concurrency = options.concurrency === undefined ? Infinity : concurrencyOf("Executor", options.concurrency)
    this.timeout = options.timeout === undefined ? undefined : positive("Executor", "timeout", options.timeout, false)
    const intervalCap = options.intervalCap ?? Infinity
    const interval = options.interval ?? 0
    if (!(typeof intervalCap === "number" && intervalCap >= 1)) {
      throw new TypeError(
        `Executor: Expected \`intervalCap\` to be a number from 1 and up, actual ${String(intervalCap)}`
      )
    }
    if (!(typeof interval === "number" && Number.isFinite(interval) && interval >= 0)) {
      throw new TypeError(`Executor: Expected \`interval\` to be a finite number >= 0, actual ${String(interval)}`)
    }
    this.#paused = options.autoStart === false
    const config: CoreExecutor.Config = {
      name: options.name ?? "Executor",
      concurrency: this.#concurrency,
      queueCapacity: Infinity,
      priority: "higherFirst",
      autoStart: !this.#paused,
      grace: Infinity,
      spans: false,
      ...(intervalCap === Infinity || interval === 0 ? {} : { rate: { limit: intervalCap, interval } })
    }
    const made = Effect.flatMap(
      Scope.make(),
      (scope) => Effect.map(Scope.extend(CoreExecutor.make(config), scope), (core) => [scope, core] as const)
    )
    const [scope, core] = runSync(made, undefined, runtimeHere())
    this.scope = scope
    this.core = core
  }

  get name(): string {
    return this.core.name
  }

  // ---------------------------------------------------------------------------------------------
  // adding: tasks are handed to the core in batches (one fiber per batch, not per task), at the
  // next microtask or as soon as anything about the executor is read or changed

  add<R>(fn: Executor.Executor.Task<R>, options?: Executor.Executor.AddOptions): Promise<R> {
    if (typeof fn !== "function") {
      return Promise.reject(
        new TypeError(`Executor.add: Expected a function ({ signal }) => value or promise, actual ${String(fn)}`)
      )
    }
    let timeout = this.timeout
    let priority = 0
    let id: string
    let signal: AbortSignal | undefined = undefined
    if (options !== undefined) {
      if ("timeout" in options) timeout = options.timeout
      if (timeout !== undefined) {
        try {
          positive("Executor.add", "timeout", timeout, false)
        } catch (error) {
          return Promise.reject(error)
        }
      }
      if (options.priority !== undefined) {
        if (typeof options.priority !== "number" || !Number.isFinite(options.priority)) {
          return Promise.reject(
            new TypeError(
              `Executor.add: Expected \`priority\` to be a finite number, actual ${String(options.priority)}`
            )
          )
        }
        priority = options.priority
      }
      signal = options.signal
      id = options.id ?? String(this.#nextId++)
      if (signal?.aborted) return Promise.reject(signal.reason)
    } else {
      id = String(this.#nextId++)
    }
    const entry = new Entry(this.#host, fn, id, priority, timeout, signal)
    const promise = new Promise<R>((resolve, reject) => {
      entry.resolve = resolve as (value: unknown) => void
      entry.reject = reject
    })
    entry.outcome = promise
    this.#live.add(entry)
    this.#size++
    if (signal !== undefined) {
      const onAbort = () => this.#abort(entry)
      entry.onAbort = onAbort
      signal.addEventListener("abort", onAbort, { once: true })
    }
    this.#emit("add")
    if (this.#batch.length === 0 && !this.#paused && this.#pending < this.#concurrency) {
      // a slot is free: it starts now, inside add, as in p-queue
      Effect.runSync(this.#submit(entry))
    } else {
      // it would wait anyway: it waits in a batch that goes to the core in one step
      this.#batch.push(entry)
      if (this.#batch.length === 1) queueMicrotask(this.#flush)
    }
    return promise
  }

  addAll<R>(fns: ReadonlyArray<Executor.Executor.Task<R>>, options?: Executor.Executor.AddOptions): Promise<Array<R>> {
    return Promise.all(fns.map((fn) => this.add(fn, options)))
  }

  /** Hands the waiting batch to the core executor: one fiber for all of them. */
  readonly #flush = (): void => {
    const batch = this.#batch
    if (batch.length === 0) return
    this.#batch = []
    Effect.runSync(Effect.forEach(batch, (entry) => this.#submit(entry), { discard: true }))
  }

  #submit(entry: Entry): Effect.Effect<void> {
    const spec = { name: entry.id, effect: Effect.suspend(() => entry.body()), priority: entry.priority }
    return Effect.matchCauseEffect(this.core.submit(spec), {
      onFailure: (cause) => Effect.sync(() => this.#endOutside(entry, toThrown(cause, undefined), false)),
      onSuccess: (task) => {
        entry.task = task
        return TaskApi.onDone(task, (result) => this.#ended(entry, result))
      }
    })
  }

  readonly #host: Host = {
    /** The task starts: it leaves the queue. */
    started: (entry) => {
      entry.started = true
      entry.startTime = Date.now()
      this.#size--
      this.#pending++
      this.#emit("active")
      if (this.#size === 0) this.#emit("empty")
    },
    /** The task's call has ended: its promise settles. */
    settled: (entry, ok, value) => {
      if (entry.settled) return
      entry.settled = true
      if (ok) {
        entry.resolve(value)
        this.#emit("completed", value)
      } else {
        entry.reject(value)
        this.#emit("error", value)
      }
    }
  }

  /** The core task has ended: the counts change, a task that never ran settles, then the events. */
  #ended(entry: Entry, result: TaskResult.TaskResult<unknown, unknown>): void {
    entry.ended = true
    this.#live.delete(entry)
    if (entry.onAbort !== undefined) entry.userSignal!.removeEventListener("abort", entry.onAbort)
    if (entry.started) this.#pending--
    else this.#size--
    if (!entry.settled) {
      entry.settled = true
      if (result._tag === "Succeeded") {
        entry.resolve(result.value)
      } else {
        const error = entry.userSignal?.aborted
          ? entry.userSignal.reason
          : result._tag === "Cancelled"
          ? new CancelledError(entry.started ? undefined : "The executor dropped the task before it started")
          : toThrown(result.cause, undefined)
        // a task that never ran (cleared, closed): p-queue leaves its promise pending — nobody
        // has to handle this rejection
        if (!entry.started && !entry.userSignal?.aborted) entry.outcome!.catch(noop)
        entry.reject(error)
      }
    }
    if (!this.#clearing) this.#afterEnd(entry.started)
  }

  /** A task that never reached the core (aborted while in the batch, or refused): it settles here. */
  #endOutside(entry: Entry, error: unknown, handled: boolean): void {
    if (entry.ended) return
    entry.ended = true
    entry.settled = true
    this.#live.delete(entry)
    if (entry.onAbort !== undefined) entry.userSignal!.removeEventListener("abort", entry.onAbort)
    this.#size--
    if (handled) entry.outcome!.catch(noop)
    entry.reject(error)
    this.#afterEnd(false)
  }

  /** The caller's signal aborted: a queued task is dropped, a running one is cancelled. */
  #abort(entry: Entry): void {
    if (entry.ended) return
    const task = entry.task
    if (task === undefined) {
      // still in the batch: it never reaches the core
      const i = this.#batch.indexOf(entry)
      if (i >= 0) this.#batch.splice(i, 1)
      return this.#endOutside(entry, entry.userSignal!.reason, false)
    }
    if (!runSync(this.core.remove(task.id))) runPromise(task.cancel).catch(noop)
  }

  /**
   * p-queue's `#next`, a microtask after a task ended — by then the next task has started:
   * `pendingZero` if nothing runs, `idle` if nothing waits either, then `next`.
   */
  #afterEnd(started: boolean): void {
    if (this.#listeners.size === 0) return
    queueMicrotask(() => {
      if (started && this.#pending === 0) this.#emit("pendingZero")
      if (!started && this.#size === 0) this.#emit("empty")
      if (this.#size === 0 && this.#pending === 0) this.#emit("idle")
      this.#emit("next")
    })
  }

  // ---------------------------------------------------------------------------------------------
  // control

  start(): this {
    this.#flush()
    if (this.#paused) {
      this.#paused = false
      runSync(this.core.resume)
    }
    return this
  }

  pause(): void {
    this.#flush()
    if (!this.#paused) {
      this.#paused = true
      runSync(this.core.pause)
    }
  }

  clear(): void {
    this.#flush()
    this.#clearing = true
    try {
      runSync(this.core.clear)
    } finally {
      this.#clearing = false
    }
    this.#emit("empty")
    if (this.#pending === 0) this.#emit("idle")
    this.#emit("next")
  }

  get concurrency(): number {
    return this.#concurrency
  }

  set concurrency(n: number) {
    this.#flush()
    this.#concurrency = concurrencyOf("Executor.concurrency", n)
    runSync(this.core.update({ concurrency: n }))
  }

  setPriority(id: string, priority: number): void {
    if (typeof priority !== "number" || !Number.isFinite(priority)) {
      throw new TypeError(
        `Executor.setPriority: Expected \`priority\` to be a finite number, actual ${String(priority)}`
      )
    }
    this.#flush()
    let entry: Entry | undefined = undefined
    for (const live of this.#live) {
      if (live.id === id && !live.started) {
        entry = live
        break
      }
    }
    if (entry === undefined || entry.task === undefined || !runSync(this.core.setPriority(entry.task.id, priority))) {
      throw new ReferenceError(`No promise function with the id "${id}" exists in the queue.`)
    }
    entry.priority = priority
  }

  // ---------------------------------------------------------------------------------------------
  // waiting

  onEmpty(): Promise<void> {
    this.#flush()
    return this.#size === 0 ? Promise.resolve() : runPromise(this.core.onEmpty)
  }

  onIdle(): Promise<void> {
    this.#flush()
    return this.#size === 0 && this.#pending === 0 ? Promise.resolve() : runPromise(this.core.onIdle)
  }

  onSizeLessThan(limit: number): Promise<void> {
    this.#flush()
    return this.#size < limit ? Promise.resolve() : runPromise(this.core.onSizeLessThan(limit))
  }

  onPendingZero(): Promise<void> {
    this.#flush()
    if (this.#pending === 0) return Promise.resolve()
    return new Promise((resolve) => this.once("pendingZero", () => resolve()))
  }

  onError(): Promise<never> {
    return new Promise((_, reject) => this.once("error", reject))
  }

  // ---------------------------------------------------------------------------------------------
  // state

  get size(): number {
    return this.#size
  }

  sizeBy(options: { readonly priority?: number }): number {
    let n = 0
    for (const entry of this.#live) {
      if (!entry.started && (options.priority === undefined || entry.priority === options.priority)) n++
    }
    return n
  }

  get pending(): number {
    return this.#pending
  }

  get isPaused(): boolean {
    return this.#paused
  }

  get runningTasks(): ReadonlyArray<Executor.Executor.RunningTask> {
    const now = Date.now()
    const out: Array<Executor.Executor.RunningTask> = []
    for (const entry of this.#live) {
      if (!entry.started) continue
      out.push({
        id: entry.id,
        priority: entry.priority,
        startTime: entry.startTime,
        timeout: entry.timeout,
        timeoutRemaining: entry.timeout === undefined ? undefined : Math.max(0, entry.startTime + entry.timeout - now)
      })
    }
    return out
  }

  get stats(): Executor.Executor.Stats {
    this.#flush()
    const s = runSync(this.core.stats)
    return {
      ...s,
      p50: Duration.toMillis(s.p50),
      p90: Duration.toMillis(s.p90),
      p99: Duration.toMillis(s.p99)
    }
  }

  // ---------------------------------------------------------------------------------------------
  // events (EventEmitter's surface)

  on(event: Executor.Executor.EventName, listener: Listener): this {
    const list = this.#listeners.get(event)
    if (list === undefined) this.#listeners.set(event, [{ listener, once: false }])
    else list.push({ listener, once: false })
    return this
  }

  addListener(event: Executor.Executor.EventName, listener: Listener): this {
    return this.on(event, listener)
  }

  once(event: Executor.Executor.EventName, listener: Listener): this {
    const list = this.#listeners.get(event)
    if (list === undefined) this.#listeners.set(event, [{ listener, once: true }])
    else list.push({ listener, once: true })
    return this
  }

  off(event: Executor.Executor.EventName, listener: Listener): this {
    const list = this.#listeners.get(event)
    if (list !== undefined) {
      const i = list.findIndex((l) => l.listener === listener)
      if (i >= 0) list.splice(i, 1)
      if (list.length === 0) this.#listeners.delete(event)
    }
    return this
  }

  removeListener(event: Executor.Executor.EventName, listener: Listener): this {
    return this.off(event, listener)
  }

  removeAllListeners(event?: Executor.Executor.EventName): this {
    if (event === undefined) this.#listeners.clear()
    else this.#listeners.delete(event)
    return this
  }

  listenerCount(event: Executor.Executor.EventName): number {
    return this.#listeners.get(event)?.length ?? 0
  }

  #emit(event: string, ...args: Array<unknown>): void {
    if (this.#listeners.size === 0) return
    const list = this.#listeners.get(event)
    if (list === undefined) return
    for (const entry of list.slice()) {
      if (entry.once) this.off(event as Executor.Executor.EventName, entry.listener)
      try {
        entry.listener(...args)
      } catch (error) {
        report(error)
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // closing

  close(options?: { readonly grace?: Duration.DurationInput }): Promise<Executor.Executor.CloseReport> {
    if (this.#closing === undefined) {
      this.#flush()
      this.#closing = runPromise(
        Effect.flatMap(this.core.drain(options), (report) =>
          Effect.as(Scope.close(this.scope, Exit.void), {
            completedInTime: report.completedInTime,
            neverRan: report.neverRan.map((u) => u.task.name),
            interrupted: report.interrupted.map((u) => u.task.name)
          }))
      )
    }
    return this.#closing
  }

  [asyncDispose](): Promise<void> {
    return this.close().then(noop)
  }

  get [Symbol.toStringTag](): string {
    return "Executor"
  }

  toJSON(): unknown {
    return { _id: "Executor", name: this.name, size: this.#size, pending: this.#pending, paused: this.#paused }
  }
}
