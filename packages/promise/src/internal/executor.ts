import * as Deadline from "@taskscope/core/Deadline"
import { ExecutorClosedError, TaskDroppedError, TimeoutError } from "@taskscope/core/Errors"
import { ADMITTED, type Job, Kernel, type Lane, OUTSIDE, QUEUED, Stats } from "@taskscope/core/internal/kernel"
import * as Options from "@taskscope/core/Options"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Runtime from "effect/Runtime"
import { EventEmitter } from "eventemitter3"
import { CancelledError, SuppressedError } from "../Errors.js"
import type * as Executor from "../Executor.js"
import { isThenable } from "./bridge.js"
import { asyncDispose, ensure } from "./dispose.js"
import { asTypeError, linkRuntime, runtimeHere } from "./runtime.js"

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

/**
 * What a task's function gets: `{ signal }`, read as an own, enumerable property (so
 * `{ ...options }`, `Object.keys` and `JSON.stringify` see it), the signal made when first read.
 * A proxy over a small record rather than an object literal with a getter: V8 builds such a literal
 * on a slow path (≈ 260 ns each, 9% of a batch of resolved tasks in a profile); the proxy takes
 * ≈ 15 ns. Other properties a function sets on it are kept as on a plain object.
 */
class TaskOptions {
  readonly #host: ExecutorImpl
  readonly #entry: Entry
  constructor(host: ExecutorImpl, entry: Entry) {
    this.#host = host
    this.#entry = entry
  }
  static signal(options: TaskOptions): AbortSignal {
    return options.#host.signalOf(options.#entry)
  }
  /** util.inspect shows what the function sees (it calls this on the proxy, or on the record). */
  [Symbol.for("nodejs.util.inspect.custom")](): unknown {
    return { signal: #host in this ? TaskOptions.signal(this) : (this as { signal?: AbortSignal }).signal }
  }
}

const taskOptionsHandler: ProxyHandler<TaskOptions> = {
  get: (target, key) =>
    key === "signal"
      ? TaskOptions.signal(target)
      : Object.hasOwn(target, key)
      ? Reflect.get(target, key)
      : Reflect.get(Object.prototype, key),
  has: (target, key) => key === "signal" || key in target,
  ownKeys: (target) => ["signal", ...Reflect.ownKeys(target)],
  getOwnPropertyDescriptor: (target, key) =>
    key === "signal"
      ? { value: TaskOptions.signal(target), writable: false, enumerable: true, configurable: true }
      : Reflect.getOwnPropertyDescriptor(target, key),
  // `signal` is read-only, as the getter it replaces
  set: (target, key, value) => key !== "signal" && Reflect.set(target, key, value),
  defineProperty: (target, key, descriptor) => key !== "signal" && Reflect.defineProperty(target, key, descriptor),
  deleteProperty: (target, key) => key !== "signal" && Reflect.deleteProperty(target, key),
  // a plain object to whoever asks
  getPrototypeOf: () => Object.prototype,
  setPrototypeOf: () => false,
  // `signal` is reported without being on the record: the record must stay extensible
  preventExtensions: () => false
}

const optionsOf = (host: ExecutorImpl, entry: Entry): { readonly signal: AbortSignal } =>
  new Proxy(new TaskOptions(host, entry), taskOptionsHandler) as unknown as { readonly signal: AbortSignal }

/**
 * What only some tasks need — a timeout, a caller's signal, a signal of their own, a stop — kept
 * apart, so that the record of a plain task stays small (100,000 waiting tasks are 100,000 records,
 * and the GC copies each one it finds alive).
 */
class Extra {
  /** The signal the function is given, made when first read. */
  controller: AbortController | undefined = undefined
  onAbort: (() => void) | undefined = undefined
  /** A task with a timeout: its deadline (epoch ms on the executor's clock; a double from the start). */
  deadlineAt = 0.5
  cancelTimer: (() => void) | undefined = undefined
  /** Lifts the deadline its signal carries, once the task has ended. */
  endDeadline: (() => void) | undefined = undefined
  /** Why the executor stops it: the caller's signal's reason, its `TimeoutError`, or a `CancelledError` from `close`. */
  stopReason: unknown = undefined
  /** It was stopped by its timeout. */
  timedOut = false
  /** Its signal was aborted: how the function settles now is how it stopped. */
  stopping = false
  constructor(readonly timeout: number | undefined, readonly userSignal: AbortSignal | undefined) {}
}

/**
 * One `add` (or one `limit` call): its promise, where it is, and the call of its function — called
 * right here, as p-queue calls it, with no fiber. A task with a timeout has a timer on the
 * executor's clock that stops it through its signal, and its signal carries the deadline to every
 * Taskscope call given it. Its place in the line is the kernel's (`priority` is the kernel's:
 * p-queue's, negated).
 */
class Entry implements Job {
  // the kernel's fields
  seq = 0
  kstate = OUTSIDE
  /** When it started, in ms since the executor was made: a small integer, no heap number per task. */
  startTime = 0
  /** `add`: its promise's resolvers. A `limit` call: those of the promise that starts it. */
  resolve: (value: unknown) => void = noop
  reject: (error: unknown) => void = noop
  /** The promise the caller got. */
  outcome: Promise<unknown> | undefined = undefined
  /** It has ended (its promise may still wait for the executor's bookkeeping). */
  ended = false
  x: Extra | undefined
  constructor(
    readonly fn: Executor.Executor.Task<unknown>,
    /** `add`'s `id`, or the executor's running number (a string only when someone asks). */
    readonly key: string | number,
    /** The kernel's priority: lower first (p-queue's priority, negated). */
    public priority: number,
    /** `limit`'s calls: the function is called with these, not with `{ signal }`. */
    readonly args: Array<unknown> | undefined,
    x: Extra | undefined
  ) {
    this.x = x
  }

  get id(): string {
    return typeof this.key === "string" ? this.key : String(this.key)
  }

  get gate(): undefined {
    return undefined
  }

  get weight(): number {
    return 1
  }

  /** The priority as `add` was given it (p-queue's: higher first). */
  get given(): number {
    return -this.priority || 0
  }
}

/** The function settled with `error` after its signal was aborted: did it just stop? */
const isAbort = (x: Extra, error: unknown): boolean => {
  const reason = x.controller?.signal.reason
  if (error === reason) return true
  let u: any = error
  for (let depth = 0; depth < 8 && typeof u === "object" && u !== null; depth++) {
    if (u === reason || u.name === "AbortError") return true
    u = u.cause
  }
  return false
}

/** Stops listening to the caller's signal. */
const unlisten = (x: Extra): void => {
  if (x.onAbort !== undefined) {
    x.userSignal!.removeEventListener("abort", x.onAbort)
    x.onAbort = undefined
  }
}

const isSignal = (u: unknown): u is AbortSignal =>
  typeof u === "object" && u !== null && typeof (u as AbortSignal).addEventListener === "function" &&
  typeof (u as AbortSignal).aborted === "boolean"

const whileStopping = (error: unknown, reason: unknown): unknown =>
  new SuppressedError(error, reason, `${String((error as Error)?.message ?? error)} (while stopping)`)

/** A p-queue `queueClass`: what the executor calls on it (the public type). */
type UserQueue = Executor.Executor.QueueClass

const ENTRY = Symbol("Executor.entry")

/**
 * The kernel's line on a user's `queueClass` (p-queue's option): the user's queue decides the
 * order; each task is handed to it as a function, as p-queue hands it. A task that leaves the line
 * is asked out of the user's queue (`remove`, when it has one) and skipped if it comes back.
 */
class UserLane implements Lane<Entry> {
  queue: UserQueue
  /** Waiting tasks, in arrival order (for `clear` and the close report). */
  readonly waiting = new Set<Entry>()
  head: Entry | undefined = undefined
  /** The options `add` was given for the task it is about to push (p-queue hands them to `enqueue`). */
  given: object | undefined = undefined
  /** The task whose function the user's queue just called (it may wrap the function it was handed). */
  called: Entry | undefined = undefined
  constructor(readonly make: new() => UserQueue) {
    this.queue = new make()
  }
  get size(): number {
    return this.waiting.size
  }
  push(entry: Entry): void {
    // calling it only says which task it is: the executor starts it (p-queue's queue may wrap it)
    const run = Object.assign(() => {
      this.called = entry
    }, { [ENTRY]: entry })
    entry.kstate = QUEUED
    this.waiting.add(entry)
    const given = this.given
    this.given = undefined
    // as p-queue's add: the executor's timeout, the caller's options as given, the priority and id
    this.queue.enqueue(run, { ...given, priority: entry.given, id: entry.id })
  }
  peek(): Entry | undefined {
    while (this.head === undefined && this.waiting.size > 0) {
      const run = this.queue.dequeue() as (() => unknown) & { [ENTRY]?: Entry } | undefined
      if (run === undefined) return undefined
      let entry = run[ENTRY]
      if (entry === undefined && typeof run === "function") {
        // a function of the user's queue around ours: calling it calls ours
        this.called = undefined
        run()
        entry = this.called
        this.called = undefined
      }
      if (entry !== undefined && entry.kstate === QUEUED) this.head = entry
    }
    return this.head
  }
  shift(): Entry | undefined {
    const entry = this.peek()
    if (entry === undefined) return undefined
    this.head = undefined
    this.waiting.delete(entry)
    entry.kstate = OUTSIDE
    return entry
  }
  remove(entry: Entry): boolean {
    if (entry.kstate !== QUEUED) return false
    entry.kstate = OUTSIDE
    this.waiting.delete(entry)
    if (this.head === entry) this.head = undefined
    else this.queue.remove?.(entry.id)
    return true
  }
  reprioritize(entry: Entry, priority: number): void {
    entry.priority = priority
    if (this.head === entry) {
      // taken out to look at it: it goes back with its new priority
      this.head = undefined
      this.waiting.delete(entry)
      this.push(entry)
    } else {
      this.queue.setPriority(entry.id, entry.given)
    }
  }
  toArray(): Array<Entry> {
    return [...this.waiting]
  }
  clear(): Array<Entry> {
    const out = this.toArray()
    for (const entry of out) entry.kstate = OUTSIDE
    this.waiting.clear()
    this.head = undefined
    this.queue = new this.make()
    return out
  }
}

const decodeGrace = Options.decodeOrDie("Executor.close", Options.NonNegativeDurationOrInfinity)

/** An option that is there must be valid (p-queue throws for `{ concurrency: undefined }` too). */
const given = (options: object, name: string): boolean => name in options

/**
 * p-queue's scheduler, step for step (`add` starts a task when a slot is free; a microtask after a
 * task ends, the next one starts and `next` is emitted), on the scheduling kernel, with Taskscope's
 * guarantees on top: every task gets its own signal and is stopped through it (a timeout, the
 * caller's signal, `close`), and its slot is held until it has stopped; no promise is left pending;
 * `close` drains. An eventemitter3 `EventEmitter`, as p-queue is.
 * @internal
 */
export class ExecutorImpl extends EventEmitter<Executor.Executor.EventName> implements Executor.Executor {
  readonly name: string
  timeout: number | undefined
  /** The runtime it was made on: its Clock times the timeouts, the rate and `close`'s grace. */
  readonly runtime: Runtime.Runtime<never>
  /** The runtime is not the default one (a test's, a caller's): signals handed out are linked to it. */
  readonly linked: boolean
  readonly #kernel: Kernel<Entry>
  /** The kernel has a rate: it must be told the time. */
  readonly #rated: boolean
  #pending = 0
  #nextId = 1
  readonly #running = new Set<Entry>()
  /** The line on the user's `queueClass`, when given. */
  readonly #userLane: UserLane | undefined
  /** Cancels the wake-up for when the rate lets the next task start, while one is set. */
  #rateTimer: (() => void) | undefined = undefined
  #rateLimited = false
  #rateFlush = false
  // tasks that ended, waiting for the microtask that settles them (p-queue's `#next`), in order
  #ended: Array<Entry | undefined> = []
  #endedOk: Array<boolean> = []
  #endedValue: Array<unknown> = []
  #endedHead = 0
  // closing
  #closed = false
  #closing: Promise<Executor.Executor.CloseReport> | undefined = undefined
  #whenIdle: (() => void) | undefined = undefined
  #closeResolve: ((report: Executor.Executor.CloseReport) => void) | undefined = undefined
  #graceTimers: Array<() => void> = []
  #expired = false
  readonly #stats = new Stats()

  /**
   * `limit`'s executor: nobody can read its stats, running list or drain report (p-limit's API has
   * none), so it keeps none — no clock reading, no set of running calls, no percentiles per call.
   */
  readonly #lean: boolean

  constructor(options: Executor.Executor.Options = {}, internal?: { readonly lean: boolean }) {
    super()
    ensure()
    this.#lean = internal?.lean === true
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`Executor: Expected an options object, actual ${String(options)}`)
    }
    const concurrency = given(options, "concurrency")
      ? concurrencyOf("Executor", options.concurrency)
      : Infinity
    this.timeout = options.timeout === undefined ? undefined : positive("Executor", "timeout", options.timeout, false)
    const intervalCap = given(options, "intervalCap") ? options.intervalCap : Infinity
    const interval = given(options, "interval") ? options.interval : 0
    if (!(typeof intervalCap === "number" && intervalCap >= 1)) {
      throw new TypeError(
        `Executor: Expected \`intervalCap\` to be a number from 1 and up, actual ${String(intervalCap)}`
      )
    }
    if (!(typeof interval === "number" && Number.isFinite(interval) && interval >= 0)) {
      throw new TypeError(`Executor: Expected \`interval\` to be a finite number >= 0, actual ${String(interval)}`)
    }
    const strict = options.strict === true
    if (strict && interval === 0) throw new TypeError("Executor: The `strict` option requires a non-zero `interval`")
    if (strict && intervalCap === Infinity) {
      throw new TypeError("Executor: The `strict` option requires a finite `intervalCap`")
    }
    const queueClass = (options as { queueClass?: unknown }).queueClass
    if (queueClass !== undefined && typeof queueClass !== "function") {
      throw new TypeError(`Executor: Expected \`queueClass\` to be a class, actual ${String(queueClass)}`)
    }
    const name = options.name ?? "Executor"
    if (typeof name !== "string") throw new TypeError(`Executor: Expected \`name\` to be a string, actual ${name}`)
    this.name = name
    const carryover = options.carryoverIntervalCount ??
      (options as { carryoverConcurrencyCount?: boolean }).carryoverConcurrencyCount ?? false
    this.#rated = intervalCap !== Infinity && interval > 0
    this.#userLane = queueClass === undefined ? undefined : new UserLane(queueClass as new() => UserQueue)
    this.#kernel = new Kernel<Entry>({
      concurrency,
      paused: options.autoStart === false,
      rate: this.#rated
        ? { limit: intervalCap, intervalMs: interval, window: strict ? "sliding" : "fixed", carryover }
        : undefined,
      lane: this.#userLane
    })
    this.runtime = runtimeHere()
    this.linked = this.runtime !== Runtime.defaultRuntime
    this.#epoch = this.#clock()
  }

  /** The executor's clock when it was made: tasks keep their start as ms since then (small integers). */
  readonly #epoch: number

  /** Ms since the executor was made, on its clock (whole ms: a task's start stays a small integer). */
  #since(): number {
    return Math.floor(this.#clock() - this.#epoch)
  }

  /** A task's extras, made when it first needs them. */
  #extra(entry: Entry): Extra {
    return entry.x ??= new Extra(undefined, undefined)
  }

  /** The signal a task's function is given (made when first read). @internal */
  signalOf(entry: Entry): AbortSignal {
    const x = this.#extra(entry)
    if (x.controller !== undefined) return x.controller.signal
    x.controller = new AbortController()
    const signal = x.controller.signal
    if (x.timeout !== undefined && entry.kstate === ADMITTED) {
      // a call given this signal runs on the executor's runtime, under the task's deadline
      const { end, runtime } = Deadline.unsafeRuntimeAt(this.runtime, x.deadlineAt)
      linkRuntime(signal, runtime)
      x.endDeadline = end
    } else if (this.linked) {
      // a call given this signal runs on the executor's runtime (a test's clock)
      linkRuntime(signal, this.runtime)
    }
    return signal
  }

  /** Emits an event; a listener that throws is reported as uncaught, and the executor goes on. */
  #emit(event: Executor.Executor.EventName, value?: unknown): void {
    // eventemitter3's count of events with listeners: most executors have none
    if ((this as unknown as { _eventsCount: number })._eventsCount === 0 || this.listenerCount(event) === 0) return
    try {
      if (value === undefined) this.emit(event)
      else this.emit(event, value)
    } catch (error) {
      report(error)
    }
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
    let id: string | number
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
        // the kernel's order is lower first; 0 stays 0 (-0 is no small integer for V8)
        priority = -options.priority || 0
      }
      signal = options.signal
      if (signal !== undefined && !isSignal(signal)) {
        throw new TypeError(`Executor.add: Expected \`signal\` to be an AbortSignal, actual ${String(signal)}`)
      }
      id = options.id ?? this.#nextId++
    } else {
      id = this.#nextId++
    }
    // the executor's default too: it can be set to anything at run time
    if (timeout !== undefined) positive("Executor.add", "timeout", timeout, false)
    if (this.#closed) throw new ExecutorClosedError({ executor: this.name, task: String(id) })
    if (signal?.aborted) {
      // as p-queue: the task is removed at once, and the queue moves on
      const reason = signal.reason
      this.#tryToStartAnother()
      this.#emit("next")
      throw reason
    }
    const x = timeout === undefined && signal === undefined ? undefined : new Extra(timeout, signal)
    const entry = new Entry(fn, id, priority, undefined, x)
    if (signal !== undefined) {
      const onAbort = () => this.#abort(entry)
      x!.onAbort = onAbort
      signal.addEventListener("abort", onAbort, { once: true })
    }
    const promise = this.#promiseOf<R>(entry)
    if (this.#userLane !== undefined) {
      this.#userLane.given = { timeout: this.timeout, ...(options as object | undefined) }
    }
    this.#enqueue(entry)
    return promise
  }

  // a promise's resolvers, taken by one shared executor function (no closure per task)
  #resolve: (value: unknown) => void = noop
  #reject: (error: unknown) => void = noop
  readonly #capture = (resolve: (value: unknown) => void, reject: (error: unknown) => void): void => {
    this.#resolve = resolve
    this.#reject = reject
  }

  /** Makes the promise a task's caller gets. */
  #promiseOf<R>(entry: Entry): Promise<R> {
    const promise = new Promise<R>(this.#capture as (resolve: (value: R) => void) => void)
    entry.resolve = this.#resolve
    entry.reject = this.#reject
    entry.outcome = promise
    return promise
  }

  #enqueue(entry: Entry): void {
    this.#stats.submitted++
    this.#kernel.push(entry)
    this.#emit("add")
    if (this.#rated) this.#scheduleRateLimitUpdate()
    this.#tryToStartAnother()
  }

  /**
   * `fn(...args)` as a task with no options (p-limit's call): nothing to check, no `{ signal }`.
   * The function is called in the caller's async context (AsyncLocalStorage), a microtask after it
   * takes its slot, as in p-limit 7: the call's promise is made by a `then` on a promise that the
   * executor resolves when the call may start, and that `then`, registered here, runs in this
   * context (Node's async context follows a promise's reactions) — one promise pair per call, as
   * p-limit's, and no other capture. The call's promise then follows the function's own (as
   * p-limit's resolves with it): it settles after the executor has counted the call out and started
   * the next one. (`limit`'s executor has no timeout and is never closed: nothing stops a call.)
   */
  call<R>(fn: (...args: Array<any>) => PromiseLike<R> | R, args: Array<unknown>): Promise<R> {
    if (this.#closed) {
      return Promise.reject(new ExecutorClosedError({ executor: this.name, task: String(this.#nextId++) }))
    }
    const entry = new Entry(fn, this.#nextId++, 0, args, undefined)
    const started = new Promise<Entry>(this.#capture as (resolve: (entry: Entry) => void) => void)
    entry.resolve = this.#resolve
    entry.reject = this.#reject
    // the shared function takes the entry as the promise's value: no closure per call
    const promise = started.then(this.#callEntry) as Promise<R>
    entry.outcome = promise
    const kernel = this.#kernel
    if (kernel.size === 0 && kernel.tryStart(entry)) {
      // a free slot: called a microtask from now
      this.#stats.submitted++
      this.#begin(entry)
      entry.resolve(entry)
      return promise
    }
    this.#enqueue(entry)
    return promise
  }

  addAll<R>(fns: ReadonlyArray<Executor.Executor.Task<R>>, options?: Executor.Executor.AddOptions): Promise<Array<R>> {
    if (!Array.isArray(fns)) {
      return Promise.reject(new TypeError(`Executor.addAll: Expected an array of functions, actual ${String(fns)}`))
    }
    return Promise.all(fns.map((fn) => this.add<R>(fn, options)))
  }

  /** The time the kernel needs: the executor's clock when it has a rate, else none. */
  #kernelNow(): number {
    return this.#rated ? this.#now() : 0
  }

  /** p-queue's `#tryToStartAnother`: starts the next task if a slot, the rate and the pause allow. */
  #tryToStartAnother(): boolean {
    const kernel = this.#kernel
    if (kernel.size === 0) {
      // nothing waits for the rate (cleared, aborted): no wake-up keeps the process alive (as p-queue)
      this.#clearRateTimer()
      this.#emit("empty")
      if (this.#pending === 0) this.#idle()
      return false
    }
    if (kernel.paused || kernel.running >= kernel.concurrency) return false
    const now = this.#kernelNow()
    const entry = kernel.next(now)
    if (entry === undefined) {
      if (this.#rated) this.#armRateTimer(now)
      return false
    }
    if (this.#rated) this.#scheduleRateLimitUpdate()
    this.#start(entry)
    this.#emit("active")
    return true
  }

  #processQueue(): void {
    while (this.#tryToStartAnother()) {
      // starts as many as may start
    }
  }

  /** The rate holds the next task back: look again when it allows one. */
  #armRateTimer(now: number): void {
    if (this.#rateTimer !== undefined) return
    const wait = this.#kernel.blockedFor(now)
    if (wait === Infinity || wait <= 0) return
    this.#rateTimer = this.#after(wait, () => {
      this.#rateTimer = undefined
      this.#processQueue()
      this.#scheduleRateLimitUpdate()
    })
  }

  #clearRateTimer(): void {
    const cancel = this.#rateTimer
    if (cancel === undefined) return
    this.#rateTimer = undefined
    cancel()
  }

  #idle(): void {
    this.#emit("idle")
    const whenIdle = this.#whenIdle
    if (whenIdle !== undefined) {
      this.#whenIdle = undefined
      whenIdle()
    }
  }

  /** A task took its slot. */
  #begin(entry: Entry): void {
    this.#pending++
    if (this.#lean) return
    entry.startTime = this.#since()
    this.#running.add(entry)
    const x = entry.x
    if (x !== undefined && x.timeout !== undefined) {
      x.deadlineAt = this.#epoch + entry.startTime + x.timeout
      x.cancelTimer = this.#timer(x.timeout, () => this.#timeUp(entry))
    }
  }

  #start(entry: Entry): void {
    const signal = entry.x?.userSignal
    if (signal !== undefined && signal.aborted) {
      // aborted while it was being started (by the task before it, say): never called, as in
      // p-queue, and its start in the rate window is given back
      this.#kernel.withdraw(entry)
      this.#pending++
      if (!this.#lean) this.#running.add(entry)
      entry.x!.stopReason = signal.reason
      return this.#end(entry, false, signal.reason)
    }
    this.#begin(entry)
    // `limit`'s calls: started through the promise whose reaction was registered in the caller's context
    if (entry.args !== undefined) return entry.resolve(entry)
    this.#call(entry)
  }

  /**
   * A `limit` call may start (a reaction registered in its caller's context): calls the function and
   * returns what the call's promise follows — its promise, or its value — or throws what it threw.
   */
  readonly #callEntry = (entry: Entry): unknown => {
    let out: unknown
    try {
      out = (entry.fn as (...args: Array<unknown>) => unknown)(...entry.args!)
    } catch (error) {
      this.#settled(entry, false, error)
      throw error
    }
    return this.#hear(entry, out)
  }

  /** Calls an `add`'s function and hears how it settles. */
  #call(entry: Entry): void {
    if (entry.kstate !== ADMITTED || entry.ended) return
    let out: unknown
    try {
      out = entry.fn(optionsOf(this, entry))
    } catch (error) {
      // (a function that aborted its caller's signal first failed while stopping)
      return this.#settled(entry, false, error)
    }
    this.#hear(entry, out)
  }

  /** Hears how a function's result settles; returns what the caller's promise may follow. */
  #hear(entry: Entry, out: unknown): unknown {
    if (isThenable(out)) {
      // a thenable that is not a promise is adopted as `await` adopts it: a `then` that throws, or
      // that calls back at once or with a promise, is handled as p-queue's await handles it
      const promise = out instanceof Promise ? out : Promise.resolve(out)
      promise.then((value) => this.#settled(entry, true, value), (error) => this.#settled(entry, false, error))
      return promise
    }
    // p-queue awaits a plain value too: it settles a microtask later
    queueMicrotask(() => this.#settled(entry, true, out))
    return out
  }

  /** The function has settled. */
  #settled(entry: Entry, ok: boolean, value: unknown): void {
    if (entry.ended) return
    const x = entry.x
    if (x === undefined || !x.stopping) return this.#end(entry, ok, value)
    // it was stopped: a value or the abort itself means it stopped; anything else failed while stopping
    const reason = x.controller!.signal.reason
    this.#end(entry, false, ok || isAbort(x, value) ? reason : whileStopping(value, reason))
  }

  /**
   * A running task has ended. p-queue's order: `completed`/`error` now; a
   * microtask later the count drops, the next task starts, `next` is emitted — and then the task's
   * promise settles, so the code after `await add()` sees the executor as p-queue's shows it. A
   * `limit` call does it all now: the next call has started before the promise settles (p-limit).
   */
  #end(entry: Entry, ok: boolean, value: unknown): void {
    entry.ended = true
    const x = entry.x
    const stats = this.#stats
    if (!this.#lean) {
      this.#running.delete(entry)
      stats.duration(this.#since() - entry.startTime)
    }
    if (x === undefined) {
      if (!this.#lean) stats.settled(ok, value, false)
    } else {
      unlisten(x)
      if (x.cancelTimer !== undefined) {
        x.cancelTimer()
        x.cancelTimer = undefined
      }
      if (x.endDeadline !== undefined) x.endDeadline()
      // the one classifier: stopped by its timeout is timedOut, by a signal or close cancelled, a
      // rejection by what it rejected with (a TimeoutError of its own is timedOut too)
      stats.settled(ok, x.timedOut ? x.stopReason : value, !x.timedOut && x.stopReason !== undefined)
    }
    this.#emit(ok ? "completed" : "error", value)
    if (entry.args !== undefined) {
      // a `limit` call: the next call starts now; the call's promise follows the function's own,
      // and settles after this
      this.#kernel.release(entry)
      this.#pending--
      if (this.#pending === 0) this.#emit("pendingZero")
      this.#tryToStartAnother()
      return
    }
    this.#ended.push(entry)
    this.#endedOk.push(ok)
    this.#endedValue.push(value)
    queueMicrotask(this.#next)
  }

  /** p-queue's `#next`, then the task's promise settles. */
  readonly #next = (): void => {
    const i = this.#endedHead++
    const entry = this.#ended[i]!
    const ok = this.#endedOk[i]
    const value = this.#endedValue[i]
    if (this.#endedHead === this.#ended.length) {
      this.#ended = []
      this.#endedOk = []
      this.#endedValue = []
      this.#endedHead = 0
    } else {
      this.#ended[i] = undefined
      this.#endedValue[i] = undefined
    }
    // the promise settles first: the code awaiting it runs after this bookkeeping all the same
    if (ok) entry.resolve(value)
    else entry.reject(value)
    // the slot is given back now, as p-queue's count drops now
    this.#kernel.release(entry)
    this.#pending--
    if (this.#pending === 0) this.#emit("pendingZero")
    this.#tryToStartAnother()
    this.#emit("next")
    if (this.#rated) this.#scheduleRateLimitUpdate()
  }

  /** Stops a running task through its signal; its promise rejects with `reason` once it has stopped. */
  #stop(entry: Entry, reason: unknown): void {
    if (entry.kstate !== ADMITTED || entry.ended) return
    const x = this.#extra(entry)
    if (x.stopReason !== undefined) return
    x.stopReason = reason
    x.stopping = true
    const signal = this.signalOf(entry)
    if (!signal.aborted) x.controller!.abort(reason)
  }

  /** A task's timeout has passed: it is stopped with a `TimeoutError`. */
  #timeUp(entry: Entry): void {
    const x = entry.x!
    if (entry.kstate !== ADMITTED || entry.ended || x.stopReason !== undefined) return
    x.timedOut = true
    const elapsed = Duration.millis(Math.max(0, this.#since() - entry.startTime))
    this.#stop(entry, new TimeoutError({ deadline: x.deadlineAt, elapsed }))
  }

  /** Calls `f` after `ms` on the executor's clock (a plain timer on the default one). */
  #timer(ms: number, f: () => void): () => void {
    if (this.linked) return this.#after(ms, f)
    const timer = setTimeout(f, ms)
    return () => clearTimeout(timer)
  }

  /** The caller's signal aborted: a queued task is removed, a running one is stopped. */
  #abort(entry: Entry): void {
    const x = entry.x!
    const signal = x.userSignal!
    x.onAbort = undefined
    if (entry.kstate === ADMITTED) return this.#stop(entry, signal.reason)
    if (!this.#kernel.remove(entry)) return
    entry.ended = true
    this.#stats.drop()
    entry.reject(signal.reason)
    this.#tryToStartAnother()
    this.#emit("next")
    if (this.#rated) this.#scheduleRateLimitUpdate()
  }

  /** A queued task that will never run: its promise rejects with `error`, marked handled. */
  #drop(entry: Entry, error: unknown): void {
    entry.ended = true
    if (entry.x !== undefined) unlisten(entry.x)
    this.#stats.drop()
    entry.outcome!.catch(noop)
    entry.reject(error)
  }

  // ---------------------------------------------------------------------------------------------
  // the rate-limited state (p-queue's `isRateLimited` and its events), looked at a microtask after
  // each change, as p-queue does

  #scheduleRateLimitUpdate(): void {
    if (this.#rateFlush) return
    this.#rateFlush = true
    queueMicrotask(() => {
      this.#rateFlush = false
      this.#updateRateLimited()
    })
  }

  #updateRateLimited(): void {
    const limited = this.#rated && this.#kernel.isRateLimited(this.#now())
    if (limited === this.#rateLimited) return
    this.#rateLimited = limited
    this.#emit(limited ? "rateLimit" : "rateLimitCleared")
  }

  // ---------------------------------------------------------------------------------------------
  // timers, on the executor's clock

  #now(): number {
    return this.linked ? Runtime.runSync(this.runtime)(Clock.currentTimeMillis) : Date.now()
  }

  /** The time for `runningTasks` and run times: the executor's clock (the default one is `Date.now`). */
  #clock(): number {
    return this.linked ? this.#now() : Date.now()
  }

  /** Calls `f` after `ms` on the executor's clock; the returned function cancels it. */
  #after(ms: number, f: () => void): () => void {
    if (!this.linked) {
      const timer = setTimeout(f, Math.max(0, ms))
      return () => clearTimeout(timer)
    }
    const fiber = Runtime.runFork(this.runtime)(Effect.sleep(Math.max(0, ms)))
    fiber.addObserver((exit) => {
      if (Exit.isSuccess(exit)) f()
    })
    return () => fiber.unsafeInterruptAsFork(FiberId.none)
  }

  // ---------------------------------------------------------------------------------------------
  // control

  start(): this {
    if (this.#kernel.paused) {
      this.#kernel.paused = false
      this.#processQueue()
    }
    return this
  }

  pause(): void {
    this.#kernel.paused = true
  }

  clear(): void {
    for (const entry of this.#kernel.clear()) {
      this.#drop(entry, new TaskDroppedError({ executor: this.name, task: entry.id, reason: "cleared" }))
    }
    // as p-queue: nothing waits for the rate now, and the rate-limited state drops at once
    this.#clearRateTimer()
    this.#updateRateLimited()
    this.#emit("empty")
    if (this.#pending === 0) this.#idle()
    this.#emit("next")
  }

  /** p-limit's `clearQueue`: drops the waiting calls; they reject with `error`, marked handled. */
  clearWith(error: () => unknown): void {
    for (const entry of this.#kernel.clear()) this.#drop(entry, error())
  }

  get concurrency(): number {
    return this.#kernel.concurrency
  }

  set concurrency(n: number) {
    this.#kernel.concurrency = concurrencyOf("Executor.concurrency", n)
    this.#processQueue()
  }

  setPriority(id: string, priority: number): void {
    if (typeof priority !== "number" || !Number.isFinite(priority)) {
      throw new TypeError(
        `Executor.setPriority: Expected \`priority\` to be a finite number, actual ${String(priority)}`
      )
    }
    // an id given as a number (JavaScript callers, as p-queue takes it) is its string
    const key = String(id)
    const entry = this.#kernel.toArray().find((e) => e.id === key)
    if (entry === undefined) throw new ReferenceError(`No promise function with the id "${id}" exists in the queue.`)
    // as p-queue: it moves behind the tasks already waiting with that priority
    this.#kernel.reprioritize(entry, -priority || 0)
  }

  // ---------------------------------------------------------------------------------------------
  // waiting: async functions, as p-queue's, so they resolve on the same turn as p-queue's

  async onEmpty(): Promise<void> {
    if (this.#kernel.size === 0) return
    await this.#onEvent(["empty"])
  }

  async onIdle(): Promise<void> {
    if (this.#kernel.size === 0 && this.#pending === 0) return
    await this.#onEvent(["idle"])
  }

  async onSizeLessThan(limit: number): Promise<void> {
    if (this.#kernel.size < limit) return
    await this.#onEvent(["next", "active"], () => this.#kernel.size < limit)
  }

  async onPendingZero(): Promise<void> {
    if (this.#pending === 0) return
    await this.#onEvent(["pendingZero"])
  }

  async onRateLimit(): Promise<void> {
    if (this.#rateLimited) return
    await this.#onEvent(["rateLimit"])
  }

  async onRateLimitCleared(): Promise<void> {
    if (!this.#rateLimited) return
    await this.#onEvent(["rateLimitCleared"])
  }

  onError(): Promise<never> {
    return new Promise((_, reject) => {
      const listener = (error: unknown) => {
        this.off("error", listener)
        reject(error)
      }
      this.on("error", listener)
    })
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
    return this.#kernel.size
  }

  sizeBy(options: { readonly priority?: number }): number {
    const lane = this.#kernel.lane
    if (lane instanceof UserLane) return lane.queue.filter(options).length
    return this.#kernel.sizeBy(options.priority === undefined ? undefined : -options.priority || 0)
  }

  get pending(): number {
    return this.#pending
  }

  get isPaused(): boolean {
    return this.#kernel.paused
  }

  /** Every slot is taken or the rate holds tasks back, and tasks wait (p-queue's `isSaturated`). */
  get isSaturated(): boolean {
    const kernel = this.#kernel
    return kernel.size > 0 && (this.#pending >= kernel.concurrency || this.#rateLimited)
  }

  /** The rate (`intervalCap` per `interval`) holds queued tasks back (p-queue's `isRateLimited`). */
  get isRateLimited(): boolean {
    return this.#rateLimited
  }

  get runningTasks(): ReadonlyArray<Executor.Executor.RunningTask> {
    const now = this.#clock()
    const out: Array<Executor.Executor.RunningTask> = []
    for (const entry of this.#running) {
      out.push({
        id: entry.id,
        priority: entry.given,
        startTime: this.#epoch + entry.startTime,
        timeout: entry.x?.timeout,
        timeoutRemaining: entry.x?.timeout === undefined
          ? undefined
          : Math.max(0, this.#epoch + entry.startTime + entry.x.timeout - now)
      })
    }
    return out
  }

  get stats(): Executor.Executor.Stats {
    const kernel = this.#kernel
    return {
      ...this.#stats.counts(),
      queued: kernel.size,
      running: this.#running.size,
      concurrency: kernel.concurrency,
      paused: kernel.paused,
      rateLimited: this.#rated && kernel.isRateLimited(this.#now()),
      closed: this.#closed,
      ...this.#stats.percentiles()
    }
  }

  // ---------------------------------------------------------------------------------------------
  // closing

  close(options?: { readonly grace?: Duration.DurationInput }): Promise<Executor.Executor.CloseReport> {
    let grace: number
    try {
      grace = options?.grace === undefined ? Infinity : Duration.toMillis(decodeGrace(options.grace))
    } catch (error) {
      return Promise.reject(asTypeError(error))
    }
    if (this.#closing !== undefined) {
      // a second close with a grace (a second Ctrl-C) applies it: the first grace to run out wins
      if (grace !== Infinity) this.#armGrace(grace)
      return this.#closing
    }
    this.#closed = true
    let resolve!: (report: Executor.Executor.CloseReport) => void
    this.#closing = new Promise((r) => (resolve = r))
    if (this.#kernel.size === 0 && this.#pending === 0) {
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
    for (const entry of this.#kernel.clear()) {
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
    return {
      _id: "Executor",
      name: this.name,
      size: this.#kernel.size,
      pending: this.#pending,
      paused: this.#kernel.paused
    }
  }
}
