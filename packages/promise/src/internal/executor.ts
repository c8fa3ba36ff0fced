import * as Deadline from "@taskscope/core/Deadline"
import { ExecutorClosedError, TaskDroppedError, TimeoutError } from "@taskscope/core/Errors"
import * as Options from "@taskscope/core/Options"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Runtime from "effect/Runtime"
import { CancelledError, SuppressedError } from "../Errors.js"
import type * as Executor from "../Executor.js"
import { Call, isThenable } from "./bridge.js"
import { asyncDispose, ensure } from "./dispose.js"
import { linkRuntime, runtimeHere } from "./runtime.js"

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

/** What a task's function gets: `{ signal }`, an own property (so `{ ...options }` keeps it), made when read. */
const optionsOf = (entry: Entry): { readonly signal: AbortSignal } => ({
  get signal() {
    return entry.signal
  }
})

const QUEUED = 0
const RUNNING = 1
const ENDED = 2

/**
 * One `add`: its promise, where it is, and the call of its function — called right here, as
 * p-queue calls it, with no fiber. A task with a timeout has a timer on the executor's clock that
 * stops it through its signal, and its signal carries the deadline to every Taskscope call given it.
 */
class Entry extends Call {
  state = QUEUED
  /** Epoch ms, read once started. A double from the start, as `Date.now()` is (no field migration in V8). */
  startTime = 0.5
  resolve: (value: unknown) => void = noop
  reject: (error: unknown) => void = noop
  /** The promise `add` returned. */
  outcome: Promise<unknown> | undefined = undefined
  onAbort: (() => void) | undefined = undefined
  /** A task with a timeout: its deadline (epoch ms on the executor's clock), and the timer's cancel. */
  deadlineAt = 0.5
  cancelTimer: (() => void) | undefined = undefined
  /** It was stopped by its timeout. */
  timedOut = false
  /** Lifts the deadline its signal carries, once the task has ended. */
  endDeadline: (() => void) | undefined = undefined
  /** Why the executor stops it: the caller's signal's reason, or a `CancelledError` from `close`. */
  stopReason: unknown = undefined
  /** `limit`'s calls: the function is called with these, not with `{ signal }`. */
  args: Array<unknown> | undefined = undefined
  constructor(
    readonly host: ExecutorImpl,
    readonly fn: Executor.Executor.Task<unknown>,
    readonly id: string,
    public priority: number,
    readonly timeout: number | undefined,
    readonly userSignal: AbortSignal | undefined
  ) {
    super()
  }

  override get signal(): AbortSignal {
    if (this.controller !== undefined) return this.controller.signal
    const signal = super.signal
    if (this.timeout !== undefined && this.state === RUNNING) {
      // a call given this signal runs on the executor's runtime, under the task's deadline
      const { end, runtime } = Deadline.unsafeRuntimeAt(this.host.runtime, this.deadlineAt)
      linkRuntime(signal, runtime)
      this.endDeadline = end
    } else if (this.host.linked) {
      // a call given this signal runs on the executor's runtime (a test's clock)
      linkRuntime(signal, this.host.runtime)
    }
    return signal
  }

  override invoke(): unknown {
    return this.args === undefined
      ? this.fn(optionsOf(this))
      : (this.fn as (...args: Array<unknown>) => unknown)(...this.args)
  }
}

/** Stops listening to the caller's signal. */
const unlisten = (entry: Entry): void => {
  if (entry.onAbort !== undefined) {
    entry.userSignal!.removeEventListener("abort", entry.onAbort)
    entry.onAbort = undefined
  }
}

const isSignal = (u: unknown): u is AbortSignal =>
  typeof u === "object" && u !== null && typeof (u as AbortSignal).addEventListener === "function" &&
  typeof (u as AbortSignal).aborted === "boolean"

const whileStopping = (error: unknown, reason: unknown): unknown =>
  new SuppressedError(error, reason, `${String((error as Error)?.message ?? error)} (while stopping)`)

/**
 * The tasks waiting to start: one FIFO per priority, the highest first. Most tasks share one
 * priority, so `push` and `shift` are O(1). A task that leaves the line (its signal aborted) is
 * only marked ended and skipped when its turn comes — one signal aborting many queued tasks is
 * O(n), not O(n²); `setPriority`, rare, takes the task out of its line.
 */
class Backlog {
  levels: Array<Level> = []
  /** Tasks waiting (those marked as left are not counted). */
  size = 0

  push(entry: Entry): void {
    this.levelFor(entry.priority).items.push(entry)
    this.size++
  }

  shift(): Entry | undefined {
    while (this.levels.length > 0) {
      const level = this.levels[0]
      const items = level.items
      while (level.head < items.length) {
        const entry = items[level.head]!
        items[level.head++] = undefined
        if (entry.state !== QUEUED) continue
        if (level.head === items.length) {
          this.levels.shift()
        } else if (level.head > 1024 && level.head * 2 > items.length) {
          level.items = items.slice(level.head)
          level.head = 0
        }
        this.size--
        return entry
      }
      this.levels.shift()
    }
    return undefined
  }

  /** The task leaves the line: marked ended, skipped later. */
  remove(entry: Entry): boolean {
    if (entry.state !== QUEUED) return false
    entry.state = ENDED
    if (--this.size === 0) this.levels = []
    return true
  }

  /** Takes a waiting task out of its line (to put it back with another priority). */
  take(entry: Entry): void {
    const level = this.levels.find((l) => l.priority === entry.priority)!
    level.items.splice(level.items.indexOf(entry, level.head), 1)
    if (level.head === level.items.length) this.levels.splice(this.levels.indexOf(level), 1)
    this.size--
  }

  find(f: (entry: Entry) => boolean): Entry | undefined {
    for (const level of this.levels) {
      for (let i = level.head; i < level.items.length; i++) {
        const entry = level.items[i]!
        if (entry.state === QUEUED && f(entry)) return entry
      }
    }
    return undefined
  }

  count(f: (entry: Entry) => boolean): number {
    let n = 0
    for (const level of this.levels) {
      for (let i = level.head; i < level.items.length; i++) {
        const entry = level.items[i]!
        if (entry.state === QUEUED && f(entry)) n++
      }
    }
    return n
  }

  /** Removes and returns every waiting task, in the order they would have started. */
  clear(): Array<Entry> {
    const out: Array<Entry> = []
    for (const level of this.levels) {
      for (let i = level.head; i < level.items.length; i++) {
        const entry = level.items[i]!
        if (entry.state === QUEUED) out.push(entry)
      }
    }
    this.levels = []
    this.size = 0
    return out
  }

  private levelFor(priority: number): Level {
    const levels = this.levels
    const last = levels[levels.length - 1]
    if (last !== undefined && last.priority === priority) return last
    let i = 0
    while (i < levels.length && levels[i].priority > priority) i++
    if (i < levels.length && levels[i].priority === priority) return levels[i]
    const level = new Level(priority)
    levels.splice(i, 0, level)
    return level
  }
}

class Level {
  items: Array<Entry | undefined> = []
  head = 0
  constructor(readonly priority: number) {}
}

type Listener = (...args: Array<any>) => void

const RECORDED = 1024

const decodeGrace = Options.decodeOrDie("Executor.close", Options.NonNegativeDurationOrInfinity)

/**
 * p-queue's scheduler, step for step (`add` starts a task when a slot is free; a microtask after a
 * task ends, the next one starts and `next` is emitted), with Taskscope's guarantees on top: every
 * task gets its own signal and is stopped through it (a timeout, the caller's signal, `close`), and
 * its slot is held until it has stopped; no promise is left pending; `close` drains.
 * @internal
 */
export class ExecutorImpl implements Executor.Executor {
  readonly name: string
  timeout: number | undefined
  /** The runtime it was made on: its Clock times the timeouts, the rate and `close`'s grace. */
  readonly runtime: Runtime.Runtime<never>
  /** The runtime is not the default one (a test's, a caller's): signals handed out are linked to it. */
  readonly linked: boolean
  #concurrency: number
  #paused: boolean
  #pending = 0
  #nextId = 1
  readonly #backlog = new Backlog()
  readonly #running = new Set<Entry>()
  readonly #listeners = new Map<string, Array<{ readonly listener: Listener; readonly once: boolean }>>()
  // the rate: at most #cap starts in any window of #interval ms
  readonly #cap: number
  readonly #interval: number
  #ticks: Array<number> = []
  #tickHead = 0
  #rateTimer = false
  // closing
  #closed = false
  #closing: Promise<Executor.Executor.CloseReport> | undefined = undefined
  #whenIdle: (() => void) | undefined = undefined
  #closeResolve: ((report: Executor.Executor.CloseReport) => void) | undefined = undefined
  #graceTimers: Array<() => void> = []
  #expired = false
  // stats
  readonly #counts = { submitted: 0, succeeded: 0, failed: 0, timedOut: 0, cancelled: 0, dropped: 0 }
  readonly #durations = new Float64Array(RECORDED)
  #recorded = 0

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
    const name = options.name ?? "Executor"
    if (typeof name !== "string") throw new TypeError(`Executor: Expected \`name\` to be a string, actual ${name}`)
    this.name = name
    this.#cap = intervalCap === Infinity || interval === 0 ? Infinity : intervalCap
    this.#interval = interval
    this.#paused = options.autoStart === false
    this.runtime = runtimeHere()
    this.linked = this.runtime !== Runtime.defaultRuntime
  }

  // ---------------------------------------------------------------------------------------------
  // adding and starting

  add<R>(fn: Executor.Executor.Task<R>, options?: Executor.Executor.AddOptions): Promise<R> {
    try {
      return this.#add(fn, options)
    } catch (error) {
      // a bad argument rejects, as from p-queue's async `add`
      return Promise.reject(error)
    }
  }

  #add<R>(fn: Executor.Executor.Task<R>, options?: Executor.Executor.AddOptions): Promise<R> {
    if (typeof fn !== "function") {
      throw new TypeError(`Executor.add: Expected a function ({ signal }) => value or promise, actual ${String(fn)}`)
    }
    let timeout = this.timeout
    let priority = 0
    let id: string
    let signal: AbortSignal | undefined = undefined
    if (options !== undefined) {
      if (typeof options !== "object" || options === null) {
        throw new TypeError(`Executor.add: Expected an options object, actual ${String(options)}`)
      }
      if ("timeout" in options) timeout = options.timeout
      if (options.priority !== undefined) {
        if (typeof options.priority !== "number" || !Number.isFinite(options.priority)) {
          throw new TypeError(
            `Executor.add: Expected \`priority\` to be a finite number, actual ${String(options.priority)}`
          )
        }
        // 0 stays 0 (-0 is no small integer for V8)
        priority = options.priority || 0
      }
      signal = options.signal
      if (signal !== undefined && !isSignal(signal)) {
        throw new TypeError(`Executor.add: Expected \`signal\` to be an AbortSignal, actual ${String(signal)}`)
      }
      id = options.id ?? String(this.#nextId++)
    } else {
      id = String(this.#nextId++)
    }
    // the executor's default too: it can be set to anything at run time
    if (timeout !== undefined) positive("Executor.add", "timeout", timeout, false)
    if (this.#closed) throw new ExecutorClosedError({ executor: this.name, task: id })
    if (signal?.aborted) {
      // as p-queue: the task is removed at once, and the queue moves on
      const reason = signal.reason
      this.#tryToStartAnother()
      this.#emit("next")
      throw reason
    }
    const entry = new Entry(this, fn, id, priority, timeout, signal)
    if (signal !== undefined) {
      const onAbort = () => this.#abort(entry)
      entry.onAbort = onAbort
      signal.addEventListener("abort", onAbort, { once: true })
    }
    return this.#enqueue<R>(entry)
  }

  #enqueue<R>(entry: Entry): Promise<R> {
    const settles = new Promise<R>((resolve, reject) => {
      entry.resolve = resolve as (value: unknown) => void
      entry.reject = reject
    })
    const promise = settles
    entry.outcome = promise
    this.#counts.submitted++
    this.#backlog.push(entry)
    this.#emit("add")
    this.#tryToStartAnother()
    return promise
  }

  /** `fn(...args)` as a task with no options (p-limit's call): nothing to check, no `{ signal }`. */
  call<R>(fn: (...args: Array<any>) => PromiseLike<R> | R, args: Array<unknown>): Promise<R> {
    const id = String(this.#nextId++)
    if (this.#closed) return Promise.reject(new ExecutorClosedError({ executor: this.name, task: id }))
    const entry = new Entry(this, fn, id, 0, this.timeout, undefined)
    entry.args = args
    return this.#enqueue(entry)
  }

  addAll<R>(fns: ReadonlyArray<Executor.Executor.Task<R>>, options?: Executor.Executor.AddOptions): Promise<Array<R>> {
    if (!Array.isArray(fns)) {
      return Promise.reject(new TypeError(`Executor.addAll: Expected an array of functions, actual ${String(fns)}`))
    }
    return Promise.all(fns.map((fn) => this.add<R>(fn, options)))
  }

  /** p-queue's `#tryToStartAnother`: starts the next task if a slot, the rate and the pause allow. */
  #tryToStartAnother(): boolean {
    if (this.#backlog.size === 0) {
      this.#emit("empty")
      if (this.#pending === 0) this.#idle()
      return false
    }
    if (this.#paused || this.#pending >= this.#concurrency) return false
    if (this.#cap !== Infinity && !this.#takeTick()) return false
    this.#start(this.#backlog.shift()!)
    this.#emit("active")
    return true
  }

  #processQueue(): void {
    while (this.#tryToStartAnother()) {
      // starts as many as may start
    }
  }

  #idle(): void {
    this.#emit("idle")
    const whenIdle = this.#whenIdle
    if (whenIdle !== undefined) {
      this.#whenIdle = undefined
      whenIdle()
    }
  }

  #start(entry: Entry): void {
    entry.state = RUNNING
    entry.startTime = this.#clock()
    this.#pending++
    this.#running.add(entry)
    const signal = entry.userSignal
    if (signal !== undefined && signal.aborted) {
      // aborted while it was being started (by the task before it, say): never called, as in
      // p-queue, and its start in the rate window is given back
      if (this.#cap !== Infinity) this.#ticks.pop()
      entry.stopReason = signal.reason
      return this.#end(entry, false, signal.reason)
    }
    if (entry.timeout !== undefined) {
      entry.deadlineAt = entry.startTime + entry.timeout
      entry.cancelTimer = this.#timer(entry.timeout, () => this.#timeUp(entry))
    }
    // `limit`'s calls: as in p-limit 7, the function is called a microtask after it took its slot
    if (entry.args !== undefined) return queueMicrotask(() => this.#call(entry))
    this.#call(entry)
  }

  /** Calls the function and hears how it settles. */
  #call(entry: Entry): void {
    if (entry.state !== RUNNING) return
    let out: unknown
    try {
      out = entry.invoke()
    } catch (error) {
      // (a function that aborted its caller's signal first failed while stopping)
      return this.#settled(entry, false, error)
    }
    if (isThenable(out)) {
      // a thenable that is not a promise is adopted as `await` adopts it: a `then` that throws, or
      // that calls back at once or with a promise, is handled as p-queue's await handles it
      const promise = out instanceof Promise ? out : Promise.resolve(out)
      entry.promise = promise
      promise.then((value) => this.#settled(entry, true, value), (error) => this.#settled(entry, false, error))
    } else {
      // p-queue awaits a plain value too: it settles a microtask later
      queueMicrotask(() => this.#settled(entry, true, out))
    }
  }

  /** The function has settled. */
  #settled(entry: Entry, ok: boolean, value: unknown): void {
    if (entry.state !== RUNNING) return
    if (!entry.stopping) return this.#end(entry, ok, value)
    // it was stopped: a value or the abort itself means it stopped; anything else failed while stopping
    const reason = entry.controller!.signal.reason
    this.#end(entry, false, ok || entry.isAbort(value) ? reason : whileStopping(value, reason))
  }

  /** A running task has ended: its promise settles, and a microtask later the next one starts. */
  #end(entry: Entry, ok: boolean, value: unknown): void {
    entry.state = ENDED
    this.#running.delete(entry)
    unlisten(entry)
    if (entry.cancelTimer !== undefined) {
      entry.cancelTimer()
      entry.cancelTimer = undefined
    }
    if (entry.endDeadline !== undefined) entry.endDeadline()
    this.#durations[this.#recorded++ % RECORDED] = this.#clock() - entry.startTime
    const counts = this.#counts
    if (ok) counts.succeeded++
    else if (entry.timedOut) counts.timedOut++
    else if (entry.stopReason !== undefined) counts.cancelled++
    else counts.failed++
    if (ok) {
      entry.resolve(value)
      this.#emit("completed", value)
    } else {
      entry.reject(value)
      this.#emit("error", value)
    }
    queueMicrotask(this.#next)
  }

  /** p-queue's `#next`. */
  readonly #next = (): void => {
    this.#pending--
    if (this.#pending === 0) this.#emit("pendingZero")
    this.#tryToStartAnother()
    this.#emit("next")
  }

  /** Stops a running task through its signal; its promise rejects with `reason` once it has stopped. */
  #stop(entry: Entry, reason: unknown): void {
    if (entry.state !== RUNNING || entry.stopReason !== undefined) return
    entry.stopReason = reason
    entry.stopping = true
    entry.abort(reason)
  }

  /** A task's timeout has passed: it is stopped with a `TimeoutError`. */
  #timeUp(entry: Entry): void {
    if (entry.state !== RUNNING || entry.stopReason !== undefined) return
    entry.timedOut = true
    const elapsed = Duration.millis(Math.max(0, this.#clock() - entry.startTime))
    this.#stop(entry, new TimeoutError({ deadline: entry.deadlineAt, elapsed }))
  }

  /** Calls `f` after `ms` on the executor's clock (a plain timer on the default one). */
  #timer(ms: number, f: () => void): () => void {
    if (this.linked) return this.#after(ms, f)
    const timer = setTimeout(f, ms)
    return () => clearTimeout(timer)
  }

  /** The caller's signal aborted: a queued task is removed, a running one is stopped. */
  #abort(entry: Entry): void {
    const signal = entry.userSignal!
    entry.onAbort = undefined
    if (entry.state === RUNNING) return this.#stop(entry, signal.reason)
    if (entry.state !== QUEUED || !this.#backlog.remove(entry)) return
    entry.state = ENDED
    this.#counts.dropped++
    entry.reject(signal.reason)
    this.#tryToStartAnother()
    this.#emit("next")
  }

  /** A queued task that will never run: its promise rejects with `error`, marked handled. */
  #drop(entry: Entry, error: unknown): void {
    entry.state = ENDED
    unlisten(entry)
    this.#counts.dropped++
    entry.outcome!.catch(noop)
    entry.reject(error)
  }

  // ---------------------------------------------------------------------------------------------
  // the rate and timers, on the executor's clock

  /** The sliding window has room: takes a start from it; else wakes the queue when it will. */
  #takeTick(): boolean {
    const now = this.#now()
    this.#expireTicks(now)
    if (this.#ticks.length - this.#tickHead < this.#cap) {
      this.#ticks.push(now)
      return true
    }
    if (!this.#rateTimer) {
      this.#rateTimer = true
      this.#after(this.#ticks[this.#tickHead] + this.#interval - now, () => {
        this.#rateTimer = false
        this.#processQueue()
      })
    }
    return false
  }

  #expireTicks(now: number): void {
    const ticks = this.#ticks
    while (this.#tickHead < ticks.length && now - ticks[this.#tickHead] >= this.#interval) this.#tickHead++
    if (this.#tickHead === ticks.length || (this.#tickHead > 128 && this.#tickHead * 2 > ticks.length)) {
      this.#ticks = ticks.slice(this.#tickHead)
      this.#tickHead = 0
    }
  }

  #now(): number {
    return Runtime.runSync(this.runtime)(Clock.currentTimeMillis)
  }

  /** The time for `runningTasks` and run times: the executor's clock (the default one is `Date.now`). */
  #clock(): number {
    return this.linked ? this.#now() : Date.now()
  }

  /** Calls `f` after `ms` on the executor's clock; the returned function cancels it. */
  #after(ms: number, f: () => void): () => void {
    const fiber = Runtime.runFork(this.runtime)(Effect.sleep(Math.max(0, ms)))
    fiber.addObserver((exit) => {
      if (Exit.isSuccess(exit)) f()
    })
    return () => fiber.unsafeInterruptAsFork(FiberId.none)
  }

  // ---------------------------------------------------------------------------------------------
  // control

  start(): this {
    if (this.#paused) {
      this.#paused = false
      this.#processQueue()
    }
    return this
  }

  pause(): void {
    this.#paused = true
  }

  clear(): void {
    for (const entry of this.#backlog.clear()) {
      this.#drop(entry, new TaskDroppedError({ executor: this.name, task: entry.id, reason: "cleared" }))
    }
    this.#emit("empty")
    if (this.#pending === 0) this.#idle()
    this.#emit("next")
  }

  get concurrency(): number {
    return this.#concurrency
  }

  set concurrency(n: number) {
    this.#concurrency = concurrencyOf("Executor.concurrency", n)
    this.#processQueue()
  }

  setPriority(id: string, priority: number): void {
    if (typeof priority !== "number" || !Number.isFinite(priority)) {
      throw new TypeError(
        `Executor.setPriority: Expected \`priority\` to be a finite number, actual ${String(priority)}`
      )
    }
    const entry = this.#backlog.find((e) => e.id === id)
    if (entry === undefined) throw new ReferenceError(`No promise function with the id "${id}" exists in the queue.`)
    // as p-queue: it moves behind the tasks already waiting with that priority
    this.#backlog.take(entry)
    entry.priority = priority || 0
    this.#backlog.push(entry)
  }

  // ---------------------------------------------------------------------------------------------
  // waiting

  onEmpty(): Promise<void> {
    return this.#backlog.size === 0 ? Promise.resolve() : this.#onEvent(["empty"])
  }

  onIdle(): Promise<void> {
    return this.#backlog.size === 0 && this.#pending === 0 ? Promise.resolve() : this.#onEvent(["idle"])
  }

  onSizeLessThan(limit: number): Promise<void> {
    return this.#backlog.size < limit
      ? Promise.resolve()
      : this.#onEvent(["next", "active"], () => this.#backlog.size < limit)
  }

  onPendingZero(): Promise<void> {
    return this.#pending === 0 ? Promise.resolve() : this.#onEvent(["pendingZero"])
  }

  onError(): Promise<never> {
    return new Promise((_, reject) => this.once("error", reject))
  }

  #onEvent(events: ReadonlyArray<Executor.Executor.EventName>, filter?: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const listener = () => {
        if (filter !== undefined && !filter()) return
        for (const event of events) this.off(event, listener)
        resolve()
      }
      for (const event of events) this.on(event, listener)
    })
  }

  // ---------------------------------------------------------------------------------------------
  // state

  get size(): number {
    return this.#backlog.size
  }

  sizeBy(options: { readonly priority?: number }): number {
    return this.#backlog.count((entry) => options.priority === undefined || entry.priority === options.priority)
  }

  get pending(): number {
    return this.#pending
  }

  get isPaused(): boolean {
    return this.#paused
  }

  /** Every slot is taken and tasks wait (p-queue's `isSaturated`). */
  get isSaturated(): boolean {
    return this.#backlog.size > 0 && (this.#pending >= this.#concurrency || this.isRateLimited)
  }

  /** The rate (`intervalCap` per `interval`) holds the next task back now (p-queue's `isRateLimited`). */
  get isRateLimited(): boolean {
    if (this.#cap === Infinity) return false
    this.#expireTicks(this.#now())
    return this.#ticks.length - this.#tickHead >= this.#cap
  }

  get runningTasks(): ReadonlyArray<Executor.Executor.RunningTask> {
    const now = this.#clock()
    const out: Array<Executor.Executor.RunningTask> = []
    for (const entry of this.#running) {
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
    const sorted = this.#durations.slice(0, Math.min(this.#recorded, RECORDED)).sort()
    const pct = (p: number) =>
      sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
    const c = this.#counts
    let rateLimited = false
    if (this.#cap !== Infinity && this.#backlog.size > 0) {
      this.#expireTicks(this.#now())
      rateLimited = this.#ticks.length - this.#tickHead >= this.#cap
    }
    return {
      ...c,
      queued: this.#backlog.size,
      running: this.#running.size,
      done: c.succeeded + c.failed + c.timedOut + c.cancelled + c.dropped,
      retries: 0,
      concurrency: this.#concurrency,
      paused: this.#paused,
      rateLimited,
      closed: this.#closed,
      p50: pct(0.5),
      p90: pct(0.9),
      p99: pct(0.99)
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

  /** Removes every registration of `listener` (EventEmitter3's rule, which p-queue has). */
  off(event: Executor.Executor.EventName, listener: Listener): this {
    const list = this.#listeners.get(event)
    if (list !== undefined) {
      const kept = list.filter((l) => l.listener !== listener)
      if (kept.length === 0) this.#listeners.delete(event)
      else this.#listeners.set(event, kept)
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

  /** Removes this one registration (a `once` that fired), not others of the same function. */
  #forget(event: string, registration: { readonly listener: Listener; readonly once: boolean }): void {
    const list = this.#listeners.get(event)
    if (list === undefined) return
    const i = list.indexOf(registration)
    if (i >= 0) list.splice(i, 1)
    if (list.length === 0) this.#listeners.delete(event)
  }

  #emit(event: string, value?: unknown): void {
    if (this.#listeners.size === 0) return
    const list = this.#listeners.get(event)
    if (list === undefined) return
    for (const entry of list.slice()) {
      if (entry.once) this.#forget(event, entry)
      try {
        if (value === undefined) entry.listener()
        else entry.listener(value)
      } catch (error) {
        report(error)
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // closing

  close(options?: { readonly grace?: Duration.DurationInput }): Promise<Executor.Executor.CloseReport> {
    let grace: number
    try {
      grace = options?.grace === undefined ? Infinity : Duration.toMillis(decodeGrace(options.grace))
    } catch (error) {
      return Promise.reject(error)
    }
    if (this.#closing !== undefined) {
      // a second close with a grace (a second Ctrl-C) applies it: the first grace to run out wins
      if (grace !== Infinity) this.#armGrace(grace)
      return this.#closing
    }
    this.#closed = true
    let resolve!: (report: Executor.Executor.CloseReport) => void
    this.#closing = new Promise((r) => (resolve = r))
    if (this.#backlog.size === 0 && this.#pending === 0) {
      resolve({ completedInTime: true, neverRan: [], interrupted: [] })
      return this.#closing
    }
    this.#closeResolve = resolve
    this.#whenIdle = () => this.#closed_({ completedInTime: true, neverRan: [], interrupted: [] })
    if (grace !== Infinity) this.#armGrace(grace)
    // a paused executor cannot finish its queue: closing resumes it
    this.start()
    return this.#closing
  }

  #armGrace(grace: number): void {
    if (this.#closeResolve === undefined || this.#expired) return
    // no grace: no timer to wait for
    if (grace === 0) return this.#expire()
    this.#graceTimers.push(this.#after(grace, () => this.#expire()))
  }

  #closed_(report: Executor.Executor.CloseReport): void {
    const resolve = this.#closeResolve
    if (resolve === undefined) return
    this.#closeResolve = undefined
    for (const cancel of this.#graceTimers) cancel()
    this.#graceTimers = []
    resolve(report)
  }

  /** The grace has run out: what waits never runs, what runs is stopped; resolves once all have ended. */
  #expire(): void {
    if (this.#closeResolve === undefined || this.#expired) return
    this.#expired = true
    const neverRan: Array<string> = []
    for (const entry of this.#backlog.clear()) {
      neverRan.push(entry.id)
      this.#drop(entry, new CancelledError("The executor dropped the task before it started"))
    }
    const interrupted: Array<string> = []
    for (const entry of this.#running) {
      interrupted.push(entry.id)
      // the closer asked for it: nobody has to handle this rejection
      entry.outcome!.catch(noop)
      this.#stop(entry, new CancelledError())
    }
    this.#whenIdle = () => this.#closed_({ completedInTime: false, neverRan, interrupted })
    this.#tryToStartAnother()
    this.#emit("next")
  }

  [asyncDispose](): Promise<void> {
    return this.close().then(noop)
  }

  get [Symbol.toStringTag](): string {
    return "Executor"
  }

  toJSON(): unknown {
    return { _id: "Executor", name: this.name, size: this.#backlog.size, pending: this.#pending, paused: this.#paused }
  }
}
