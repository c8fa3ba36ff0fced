import { TaskDroppedError } from "@taskscope/core/Errors"
import * as CoreExecutor from "@taskscope/core/Executor"
import type * as CoreTask from "@taskscope/core/Task"
import * as TaskApi from "@taskscope/core/Task"
import type * as TaskResult from "@taskscope/core/TaskResult"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { CancelledError } from "../Errors.js"
import type * as Executor from "../Executor.js"
import { type Call, fromCall } from "./bridge.js"
import { currentSignal, runPromise, runSync, toThrown } from "./runtime.js"

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
      `${subject}: Expected \`${name}\` to be a ${allowInfinity ? "number from 1 and up" : "positive finite number"}, actual ${
        String(value)
      } (${typeof value})`
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

/** One `add`: its promise, its core task, and where it is. */
class Entry {
  task: CoreTask.Task<unknown, unknown> | undefined = undefined
  call: Call | undefined = undefined
  started = false
  ended = false
  startTime = 0
  /** Aborted by the caller's own signal. */
  abortedByCaller = false
  /** Dropped by `clear` or `close`: nobody has to handle its rejection. */
  dropped = false
  resolve: (value: unknown) => void = noop
  reject: (error: unknown) => void = noop
  promise: Promise<unknown> | undefined = undefined
  onAbort: (() => void) | undefined = undefined
  constructor(
    readonly id: string,
    public priority: number,
    readonly timeout: number | undefined,
    readonly signal: AbortSignal | undefined
  ) {}
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
  /** Every entry not yet ended, by id (the first of a repeated id). */
  readonly #entries = new Map<string, Entry>()
  readonly #listeners = new Map<string, Array<{ readonly listener: Listener; readonly once: boolean }>>()
  #clearing = false
  #closing: Promise<Executor.Executor.CloseReport> | undefined = undefined

  constructor(options: Executor.Executor.Options = {}) {
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
      throw new TypeError(`Executor: Expected \`intervalCap\` to be a number from 1 and up, actual ${String(intervalCap)}`)
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
    const made = Effect.flatMap(Scope.make(), (scope) =>
      Effect.map(Scope.extend(CoreExecutor.make(config), scope), (core) => [scope, core] as const))
    const [scope, core] = runSync(made)
    this.scope = scope
    this.core = core
  }

  get name(): string {
    return this.core.name
  }

  // ---------------------------------------------------------------------------------------------
  // adding

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
            new TypeError(`Executor.add: Expected \`priority\` to be a finite number, actual ${String(options.priority)}`)
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
    const entry = new Entry(id, priority, timeout, signal)
    const promise = new Promise<R>((resolve, reject) => {
      entry.resolve = resolve as (value: unknown) => void
      entry.reject = reject
    })
    entry.promise = promise
    if (!this.#entries.has(id)) this.#entries.set(id, entry)
    this.#size++
    this.#emit("add")
    let effect: Effect.Effect<unknown, unknown> = fromCall((call) => this.#start(entry, call, fn))
    if (signal !== undefined) effect = Effect.locally(effect, currentSignal, signal)
    const spec: CoreExecutor.TaskSpec<unknown, unknown> = timeout === undefined
      ? { name: id, effect, priority }
      : { name: id, effect, priority, timeout }
    const exit = Effect.runSyncExit(
      Effect.flatMap(this.core.submit(spec), (task) => {
        entry.task = task
        return TaskApi.onDone(task, (result) => this.#ended(entry, result))
      })
    )
    if (Exit.isFailure(exit)) {
      this.#size--
      if (this.#entries.get(id) === entry) this.#entries.delete(id)
      return Promise.reject(toThrown(exit.cause, undefined))
    }
    if (signal !== undefined && !entry.ended) {
      const onAbort = () => this.#abort(entry)
      entry.onAbort = onAbort
      signal.addEventListener("abort", onAbort, { once: true })
    }
    return promise
  }

  addAll<R>(fns: ReadonlyArray<Executor.Executor.Task<R>>, options?: Executor.Executor.AddOptions): Promise<Array<R>> {
    return Promise.all(fns.map((fn) => this.add(fn, options)))
  }

  /** The task starts (its first attempt): it leaves the queue and calls the user's function. */
  #start<R>(entry: Entry, call: Call, fn: Executor.Executor.Task<R>): R | PromiseLike<R> {
    entry.call = call
    if (!entry.started) {
      entry.started = true
      entry.startTime = Date.now()
      this.#size--
      this.#pending++
      this.#emit("active")
      if (this.#size === 0) this.#emit("empty")
    }
    return fn({
      get signal() {
        return call.signal
      }
    })
  }

  /** The caller's signal aborted: a queued task is dropped, a running one is cancelled. */
  #abort(entry: Entry): void {
    const task = entry.task
    if (task === undefined || entry.ended) return
    entry.abortedByCaller = true
    if (!runSync(this.core.remove(task.id))) runPromise(task.cancel).catch(noop)
  }

  #ended(entry: Entry, result: TaskResult.TaskResult<unknown, unknown>): void {
    entry.ended = true
    if (this.#entries.get(entry.id) === entry) this.#entries.delete(entry.id)
    if (entry.onAbort !== undefined) entry.signal!.removeEventListener("abort", entry.onAbort)
    const started = entry.started
    if (started) this.#pending--
    else this.#size--
    switch (result._tag) {
      case "Succeeded": {
        entry.resolve(result.value)
        this.#emit("completed", result.value)
        break
      }
      case "Cancelled": {
        const error = entry.abortedByCaller ? entry.signal!.reason : new CancelledError()
        if (!started) entry.promise!.catch(noop)
        entry.reject(error)
        if (started) this.#emit("error", error)
        break
      }
      default: {
        if (entry.abortedByCaller) {
          // a queued task the caller's signal removed
          entry.reject(entry.signal!.reason)
          break
        }
        const error = toThrown(result.cause, entry.signal)
        if (error instanceof TaskDroppedError) {
          // cleared: p-queue would leave the promise pending; nobody has to handle this rejection
          entry.promise!.catch(noop)
          entry.reject(error)
          break
        }
        entry.reject(error)
        this.#emit("error", error)
      }
    }
    if (this.#clearing) return
    if (started && this.#pending === 0) this.#emit("pendingZero")
    if (!started && this.#size === 0) this.#emit("empty")
    if (this.#size === 0 && this.#pending === 0) this.#emit("idle")
    // p-queue's `next` comes a microtask after the task ended: after its promise has settled
    if (this.#listeners.has("next")) queueMicrotask(() => this.#emit("next"))
  }

  // ---------------------------------------------------------------------------------------------
  // control

  start(): this {
    if (this.#paused) {
      this.#paused = false
      runSync(this.core.resume)
    }
    return this
  }

  pause(): void {
    if (!this.#paused) {
      this.#paused = true
      runSync(this.core.pause)
    }
  }

  clear(): void {
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
    this.#concurrency = concurrencyOf("Executor.concurrency", n)
    runSync(this.core.update({ concurrency: n }))
  }

  setPriority(id: string, priority: number): void {
    if (typeof priority !== "number" || !Number.isFinite(priority)) {
      throw new TypeError(`Executor.setPriority: Expected \`priority\` to be a finite number, actual ${String(priority)}`)
    }
    const entry = this.#entries.get(id)
    if (entry === undefined || entry.task === undefined || !runSync(this.core.setPriority(entry.task.id, priority))) {
      throw new ReferenceError(`No promise function with the id "${id}" exists in the queue.`)
    }
    entry.priority = priority
  }

  // ---------------------------------------------------------------------------------------------
  // waiting

  onEmpty(): Promise<void> {
    return this.#size === 0 ? Promise.resolve() : runPromise(this.core.onEmpty)
  }

  onIdle(): Promise<void> {
    return this.#size === 0 && this.#pending === 0 ? Promise.resolve() : runPromise(this.core.onIdle)
  }

  onSizeLessThan(limit: number): Promise<void> {
    return this.#size < limit ? Promise.resolve() : runPromise(this.core.onSizeLessThan(limit))
  }

  onPendingZero(): Promise<void> {
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
    for (const entry of this.#entries.values()) {
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
    for (const entry of this.#entries.values()) {
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

  [Symbol.asyncDispose](): Promise<void> {
    return this.close().then(noop)
  }

  get [Symbol.toStringTag](): string {
    return "Executor"
  }

  toJSON(): unknown {
    return { _id: "Executor", name: this.name, size: this.#size, pending: this.#pending, paused: this.#paused }
  }
}
