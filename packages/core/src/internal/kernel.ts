/**
 * The scheduling kernel: the one place that decides what starts next. Plain data structures, no
 * Effect, no timers, no promises: the owner (the core Executor, TaskGroup's bounded pool, the
 * promise Executor, `limit`) tells it the time, asks it for the next job that may start, gives the
 * job back when it ends, and sets a timer for `blockedFor` when time alone will let one start.
 *
 * - priority levels: lower runs first, FIFO among equals (owners with p-queue's "higher first"
 *   negate); a job that leaves the line is skipped lazily, so one abort is O(1);
 * - admission gates, all asked before a job is admitted: pause, concurrency, an interval rate
 *   (an exact sliding window, or a fixed window with carryover as p-queue's default), a minimum
 *   time between starts, Bottleneck's reservoir (refresh, increase, depleted), and key gates (a
 *   concurrency and a rate per key; a job waiting on a busy key never blocks other keys);
 * - counts and stats: queued, running, outcomes in the one status vocabulary, run-time percentiles.
 *
 * The promise package reaches it through `@taskscope/core/Kernel` (documented as internal).
 * @internal
 */

import { type Ended, statusOfSettled } from "./outcome.js"

// -----------------------------------------------------------------------------------------------
// jobs and their line

/** Where a job is, as the kernel sees it. @internal */
export const OUTSIDE = 0
/** @internal */
export const QUEUED = 1
/** @internal */
export const ADMITTED = 2

/**
 * What the kernel needs on an owner's record. Owners declare these fields on their own class (one
 * shape, no wrapper object per job).
 * @internal
 */
export interface Job {
  /** Lower runs first. */
  priority: number
  /** Arrival order, set by the kernel. */
  seq: number
  /** OUTSIDE, QUEUED or ADMITTED. */
  kstate: number
  /** The key gate it waits on and holds, if the kernel has keys (the kernel only reads it). */
  readonly gate: KeyGate<any> | undefined
  /** What it takes from the reservoir, 1 for most (the kernel only reads it). */
  readonly weight: number
}

/** The base class owners may extend to get the fields. @internal */
export class JobBase implements Job {
  priority = 0
  seq = 0
  kstate = OUTSIDE
  gate: KeyGate<any> | undefined = undefined
  weight = 1
}

/**
 * A line of waiting jobs. The default is `Levels` (priority levels); a p-queue `queueClass` is
 * adapted to it by the promise Executor.
 * @internal
 */
export interface Lane<J extends Job> {
  /** Jobs waiting (those that left are not counted). */
  readonly size: number
  push(job: J): void
  /** The job `shift` would take. */
  peek(): J | undefined
  shift(): J | undefined
  /** A waiting job leaves the line; false when it was not waiting. */
  remove(job: J): boolean
  /** Moves a waiting job to another priority, behind the jobs already waiting there. */
  reprioritize(job: J, priority: number): void
  /** Waiting jobs, in the order they would start. */
  toArray(): Array<J>
  /** Removes every waiting job and returns them in the order they would have started. */
  clear(): Array<J>
  /** Of the lowest priority (the highest number), the job that arrived first; without it, the kernel scans `toArray()`. */
  oldestLowest?(): J | undefined
}

class Level<J> {
  items: Array<J | undefined> = []
  head = 0
  /** Jobs that left from the middle of `items`, still there (skipped when their turn comes). */
  removed = 0
  constructor(readonly priority: number) {}
}

/**
 * One FIFO per priority, the priorities kept sorted (lowest first). Most jobs share one priority,
 * so `push` and `shift` are O(1). A job that leaves from the middle is marked and skipped when its
 * turn comes; one at either end is taken off at once, and a level whose marked jobs outnumber its
 * waiting ones is compacted — so jobs that leave (an overflow policy dropping a task per submit)
 * never pile up.
 * @internal
 */
export class Levels<J extends Job> implements Lane<J> {
  levels: Array<Level<J>> = []
  size = 0

  push(job: J): void {
    this.levelFor(job.priority).items.push(job)
    job.kstate = QUEUED
    this.size++
  }

  peek(): J | undefined {
    if (this.size === 0) return undefined
    const levels = this.levels
    while (levels.length > 0) {
      const level = levels[0]
      const items = level.items
      while (level.head < items.length) {
        const job = items[level.head]!
        if (job.kstate === QUEUED) return job
        items[level.head++] = undefined
      }
      levels.shift()
    }
    return undefined
  }

  shift(): J | undefined {
    const job = this.peek()
    if (job === undefined) return undefined
    const level = this.levels[0]
    const items = level.items
    items[level.head++] = undefined
    if (level.head === items.length) {
      this.levels.shift()
    } else if (level.head > 1024 && level.head * 2 > items.length) {
      level.items = items.slice(level.head)
      level.head = 0
    }
    job.kstate = OUTSIDE
    this.size--
    return job
  }

  remove(job: J): boolean {
    if (job.kstate !== QUEUED) return false
    job.kstate = OUTSIDE
    if (--this.size === 0) {
      this.levels = []
      return true
    }
    const at = this.levelAt(job.priority)
    if (at < 0) return true
    const level = this.levels[at]
    const items = level.items
    if (items[items.length - 1] === job) {
      items.pop()
    } else if (items[level.head] === job) {
      items[level.head++] = undefined
    } else {
      level.removed++
    }
    // marked jobs at either end go at once
    while (items.length > level.head && (items[items.length - 1] as J).kstate !== QUEUED) {
      items.pop()
      level.removed--
    }
    while (level.head < items.length && (items[level.head] as J).kstate !== QUEUED) {
      items[level.head++] = undefined
      level.removed--
    }
    if (level.removed < 0) level.removed = 0
    if (level.head >= items.length) {
      this.levels.splice(at, 1)
    } else if (level.removed > 16 && level.removed * 2 > items.length - level.head) {
      level.items = items.slice(level.head).filter((j) => (j as J).kstate === QUEUED)
      level.head = 0
      level.removed = 0
    }
    return true
  }

  oldestLowest(): J | undefined {
    for (let l = this.levels.length - 1; l >= 0; l--) {
      const level = this.levels[l]
      for (let i = level.head; i < level.items.length; i++) {
        const job = level.items[i] as J
        if (job.kstate === QUEUED) return job
      }
    }
    return undefined
  }

  /** The index of the level of `priority` in `levels`, or -1. */
  private levelAt(priority: number): number {
    const levels = this.levels
    if (levels.length > 0 && levels[levels.length - 1].priority === priority) return levels.length - 1
    for (let i = 0; i < levels.length; i++) if (levels[i].priority === priority) return i
    return -1
  }

  reprioritize(job: J, priority: number): void {
    const level = this.levels.find((l) => l.priority === job.priority)
    if (level !== undefined) {
      const i = level.items.indexOf(job, level.head)
      if (i >= 0) level.items.splice(i, 1)
      if (level.head >= level.items.length) this.levels.splice(this.levels.indexOf(level), 1)
    }
    this.size--
    job.priority = priority
    this.push(job)
  }

  toArray(): Array<J> {
    const out: Array<J> = []
    for (const level of this.levels) {
      for (let i = level.head; i < level.items.length; i++) {
        const job = level.items[i]!
        if (job.kstate === QUEUED) out.push(job)
      }
    }
    return out
  }

  clear(): Array<J> {
    const out = this.toArray()
    for (const job of out) job.kstate = OUTSIDE
    this.levels = []
    this.size = 0
    return out
  }

  private levelFor(priority: number): Level<J> {
    const levels = this.levels
    const last = levels[levels.length - 1]
    if (last !== undefined && last.priority === priority) return last
    let i = 0
    while (i < levels.length && levels[i].priority < priority) i++
    if (i < levels.length && levels[i].priority === priority) return levels[i]
    const level = new Level<J>(priority)
    levels.splice(i, 0, level)
    return level
  }
}

// -----------------------------------------------------------------------------------------------
// rate windows

/**
 * An interval rate: at most `limit` units start per `intervalMs`. The owner passes the time; the
 * window never reads a clock.
 * @internal
 */
export interface Window {
  readonly limit: number
  readonly intervalMs: number
  /** Milliseconds until `cost` more may start (0: now). `running` feeds a fixed window's carryover. */
  waitFor(cost: number, now: number, running: number): number
  consume(cost: number, now: number): void
  /** Gives back the newest `cost` starts (a job admitted, then withdrawn before it started). */
  refund(cost: number): void
  /** Units started in the current window. */
  used(now: number, running: number): number
  /** A new window would behave the same (nothing it remembers can hold anyone back). */
  isFresh(now: number, running: number): boolean
}

/**
 * Exact: in every window of `intervalMs`, at most `limit` units start (p-queue's `strict`,
 * Bottleneck-free of bursts at window edges). One timestamp per unit in a ring that grows on
 * demand up to `limit`, so a check never allocates.
 * @internal
 */
export class SlidingWindow implements Window {
  starts: Float64Array
  head = 0
  count = 0
  constructor(readonly limit: number, readonly intervalMs: number) {
    this.starts = new Float64Array(Math.min(64, Math.max(1, limit)))
  }

  private at(i: number): number {
    return this.starts[(this.head + i) % this.starts.length]
  }

  private prune(now: number): void {
    const edge = now - this.intervalMs
    while (this.count > 0 && this.starts[this.head] <= edge) {
      this.head = this.head + 1 === this.starts.length ? 0 : this.head + 1
      this.count--
    }
  }

  waitFor(cost: number, now: number): number {
    this.prune(now)
    const over = this.count + cost - this.limit
    if (over <= 0) return 0
    if (cost > this.limit) return Infinity
    // the `over`-th oldest start must leave the window first
    return this.at(over - 1) + this.intervalMs - now
  }

  consume(cost: number, now: number): void {
    if (this.count + cost > this.starts.length) this.grow(this.count + cost)
    for (let i = 0; i < cost; i++) {
      this.starts[(this.head + this.count) % this.starts.length] = now
      this.count++
    }
  }

  private grow(needed: number): void {
    let size = this.starts.length
    while (size < needed) size *= 2
    const next = new Float64Array(Math.min(size, Math.max(needed, this.limit)))
    for (let i = 0; i < this.count; i++) next[i] = this.at(i)
    this.starts = next
    this.head = 0
  }

  refund(cost: number): void {
    this.count = Math.max(0, this.count - cost)
  }

  used(now: number): number {
    this.prune(now)
    return this.count
  }

  isFresh(now: number): boolean {
    this.prune(now)
    return this.count === 0
  }
}

/**
 * p-queue's default (non-strict) window: the first start opens a window of `intervalMs`; up to
 * `limit` start in it; when it ends the count starts again from 0 — or, with `carryover`, from the
 * number of jobs still running (p-queue's `carryoverIntervalCount`). While jobs keep coming the
 * windows follow one another; after a quiet window, the next start opens a new one. Up to twice
 * `limit` can start around a window's edge: the price of the cheaper window.
 * @internal
 */
export class FixedWindow implements Window {
  count = 0
  /** When the current window ends (-Infinity: none open). */
  end = -Infinity
  constructor(readonly limit: number, readonly intervalMs: number, readonly carryover: boolean) {}

  private roll(now: number, running: number): void {
    if (now < this.end) return
    if (this.end !== -Infinity && now < this.end + this.intervalMs) {
      // the next window follows on
      this.end += this.intervalMs
    } else {
      this.end = -Infinity
    }
    this.count = this.carryover ? running : 0
  }

  waitFor(cost: number, now: number, running: number): number {
    this.roll(now, running)
    if (this.count + cost <= this.limit) return 0
    if (cost > this.limit) return Infinity
    // full: the next window (which a carryover may fill again: the owner asks once more then)
    return this.end === -Infinity ? this.intervalMs : this.end - now
  }

  consume(cost: number, now: number): void {
    if (this.end === -Infinity) this.end = now + this.intervalMs
    this.count += cost
  }

  refund(cost: number): void {
    this.count = Math.max(0, this.count - cost)
  }

  used(now: number, running: number): number {
    this.roll(now, running)
    return this.count
  }

  isFresh(now: number, running: number): boolean {
    this.roll(now, running)
    return this.count === 0
  }
}

/** The rate options every scheduler takes. @internal */
export interface RateOptions {
  readonly limit: number
  readonly intervalMs: number
  /** "sliding" (exact, the default) or "fixed" (p-queue's default). */
  readonly window?: "sliding" | "fixed" | undefined
  /** A fixed window starts counting from the jobs still running. */
  readonly carryover?: boolean | undefined
}

/** @internal */
export const makeWindow = (rate: RateOptions | undefined): Window | undefined =>
  rate === undefined || rate.limit === Infinity || rate.intervalMs === 0
    ? undefined
    : rate.window === "fixed"
    ? new FixedWindow(rate.limit, rate.intervalMs, rate.carryover === true)
    : new SlidingWindow(rate.limit, rate.intervalMs)

// -----------------------------------------------------------------------------------------------
// the reservoir

/** Bottleneck's reservoir options. @internal */
export interface ReservoirOptions {
  /** Starts left (the reservoir's content at the start). */
  readonly initial: number
  /** Every `refreshIntervalMs`, the reservoir is set to `refreshAmount`. */
  readonly refreshIntervalMs?: number | undefined
  readonly refreshAmount?: number | undefined
  /** Every `increaseIntervalMs`, `increaseAmount` is added, up to `increaseMaximum`. */
  readonly increaseIntervalMs?: number | undefined
  readonly increaseAmount?: number | undefined
  readonly increaseMaximum?: number | undefined
}

/**
 * Bottleneck's reservoir: a job takes `weight` from it to start and nothing gives it back; a
 * refresh sets it, an increase adds to it (up to a maximum). Refreshes and increases are counted
 * lazily from the time the owner passes: no timer inside.
 * @internal
 */
export class Reservoir {
  value: number
  lastRefresh: number
  lastIncrease: number
  constructor(readonly options: ReservoirOptions, now: number) {
    this.value = options.initial
    this.lastRefresh = now
    this.lastIncrease = now
  }

  update(now: number): void {
    const o = this.options
    if (o.refreshIntervalMs !== undefined && o.refreshAmount !== undefined) {
      const n = Math.floor((now - this.lastRefresh) / o.refreshIntervalMs)
      if (n > 0) {
        this.value = o.refreshAmount
        this.lastRefresh += n * o.refreshIntervalMs
      }
    }
    if (o.increaseIntervalMs !== undefined && o.increaseAmount !== undefined) {
      const n = Math.floor((now - this.lastIncrease) / o.increaseIntervalMs)
      if (n > 0) {
        this.lastIncrease += n * o.increaseIntervalMs
        const max = o.increaseMaximum ?? Infinity
        if (this.value < max) this.value = Math.min(max, this.value + n * o.increaseAmount)
      }
    }
  }

  /** Milliseconds until `weight` is there (0: now; Infinity: only `set`/`increment` can help). */
  waitFor(weight: number, now: number): number {
    this.update(now)
    if (this.value >= weight) return 0
    const o = this.options
    let wait = Infinity
    if (o.refreshIntervalMs !== undefined && o.refreshAmount !== undefined && o.refreshAmount >= weight) {
      wait = this.lastRefresh + o.refreshIntervalMs - now
    }
    if (o.increaseIntervalMs !== undefined && o.increaseAmount !== undefined && o.increaseAmount > 0) {
      const max = o.increaseMaximum ?? Infinity
      if (max >= weight) {
        const steps = Math.ceil((weight - this.value) / o.increaseAmount)
        wait = Math.min(wait, this.lastIncrease + steps * o.increaseIntervalMs - now)
      }
    }
    return Math.max(0, wait)
  }
}

// -----------------------------------------------------------------------------------------------
// key gates

/** A key's limits. @internal */
export interface KeyLimits {
  readonly concurrency?: number | undefined
  readonly rate?: RateOptions | undefined
}

/**
 * One key's gate: its own concurrency and rate, and its own line. The kernel keeps the gates whose
 * head may start now in a heap ordered by that head, so the best job that may start is found in
 * O(log keys), and a job waiting on a busy key never holds back another key's.
 * @internal
 */
export class KeyGate<J extends Job> {
  /** Position in the kernel's ready heap (-1: not in it). */
  index = -1
  running = 0
  readonly lane = new Levels<J>()
  /** When it last had nothing queued or running (for eviction). */
  idleSince: number
  /** Is in the kernel's list of gates waiting for their rate. */
  timed = false
  constructor(
    readonly name: string | undefined,
    readonly concurrency: number,
    readonly rate: Window | undefined,
    now: number
  ) {
    this.idleSince = now
  }

  /** Milliseconds until its head may start: 0 now, Infinity while every permit is held. */
  waitFor(cost: number, now: number): number {
    if (this.running >= this.concurrency) return Infinity
    return this.rate === undefined ? 0 : this.rate.waitFor(cost, now, this.running)
  }

  isIdle(now: number): boolean {
    return this.running === 0 && this.lane.size === 0 && (this.rate === undefined || this.rate.isFresh(now, 0))
  }
}

const headFirst = (a: KeyGate<any>, b: KeyGate<any>): boolean => {
  const x = a.lane.peek()!, y = b.lane.peek()!
  return x.priority < y.priority || (x.priority === y.priority && x.seq < y.seq)
}

/** An indexed binary min-heap of gates: a gate can leave or move in O(log n). */
class GateHeap {
  items: Array<KeyGate<any>> = []

  get size(): number {
    return this.items.length
  }

  has(gate: KeyGate<any>): boolean {
    return gate.index >= 0 && this.items[gate.index] === gate
  }

  peek(): KeyGate<any> | undefined {
    return this.items[0]
  }

  /** Puts a gate in, or restores the order after its head changed. */
  upsert(gate: KeyGate<any>): void {
    if (this.has(gate)) {
      this.up(gate.index)
      this.down(gate.index)
      return
    }
    gate.index = this.items.length
    this.items.push(gate)
    this.up(gate.index)
  }

  remove(gate: KeyGate<any>): void {
    if (!this.has(gate)) return
    const items = this.items
    const i = gate.index
    const last = items.pop()!
    gate.index = -1
    if (i < items.length) {
      items[i] = last
      last.index = i
      this.up(i)
      this.down(last.index)
    }
  }

  private up(i: number): void {
    const items = this.items
    const item = items[i]
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = items[parent]
      if (!headFirst(item, p)) break
      items[i] = p
      p.index = i
      i = parent
    }
    items[i] = item
    item.index = i
  }

  private down(i: number): void {
    const items = this.items
    const n = items.length
    const item = items[i]
    while (true) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const c = r < n && headFirst(items[r], items[l]) ? r : l
      if (!headFirst(items[c], item)) break
      items[i] = items[c]
      items[i].index = i
      i = c
    }
    items[i] = item
    item.index = i
  }
}

// -----------------------------------------------------------------------------------------------
// the kernel

/** @internal */
export interface KernelOptions<J extends Job> {
  /** Jobs admitted at once (Infinity: no bound). */
  readonly concurrency?: number | undefined
  readonly paused?: boolean | undefined
  readonly rate?: RateOptions | undefined
  /** At least this long between two starts (Bottleneck's `minTime`). */
  readonly minTimeMs?: number | undefined
  readonly reservoir?: ReservoirOptions | undefined
  /** Per-key limits: with it, jobs wait per key (`gateFor`). */
  readonly keys?: ((key: string) => KeyLimits) | undefined
  /** A line of the owner's (p-queue's `queueClass`); only without keys. */
  readonly lane?: Lane<J> | undefined
  /** The reservoir reached 0 when a job took the last of it (`empty`: nothing else is queued). */
  readonly onDepleted?: ((empty: boolean) => void) | undefined
  /** The time of the first call, for the reservoir's refresh and increase clock. */
  readonly now?: number | undefined
  /** A key's head starts waiting for its key's rate, for `waitMs` (for a RateLimited event). */
  readonly onKeyWait?: ((gate: KeyGate<J>, waitMs: number) => void) | undefined
}

/**
 * The scheduling core. Synchronous: `push` a job, `next(now)` takes the next one that may start
 * and admits it, `release(job)` gives its slot back. Nothing is lost: a job is queued, admitted,
 * or handed back by `remove`/`clear`/`dropLast`.
 * @internal
 */
export class Kernel<J extends Job> {
  concurrency: number
  paused: boolean
  /** Jobs admitted and not yet released. */
  running = 0
  rate: Window | undefined
  minTimeMs: number
  lastStart = -Infinity
  reservoir: Reservoir | undefined
  onDepleted: ((empty: boolean) => void) | undefined
  readonly onKeyWait: ((gate: KeyGate<J>, waitMs: number) => void) | undefined
  /** Without keys: the one line. */
  readonly lane: Lane<J>
  /** With keys: every gate by name, the keyless jobs' gate, and the gates whose head may start now. */
  readonly limitsFor: ((key: string) => KeyLimits) | undefined
  readonly gates = new Map<string, KeyGate<J>>()
  readonly anyGate: KeyGate<J> | undefined
  readonly ready = new GateHeap()
  /** Gates whose head waits for their rate: looked at again by `blockedFor` and `next`. */
  readonly timed: Array<KeyGate<J>> = []
  seq = 0
  /** Jobs waiting (with keys, over every gate). */
  size = 0

  constructor(options: KernelOptions<J> = {}) {
    this.concurrency = options.concurrency ?? Infinity
    this.paused = options.paused === true
    this.rate = makeWindow(options.rate)
    this.minTimeMs = options.minTimeMs ?? 0
    this.reservoir = options.reservoir === undefined ? undefined : new Reservoir(options.reservoir, options.now ?? 0)
    this.onDepleted = options.onDepleted
    this.onKeyWait = options.onKeyWait
    this.limitsFor = options.keys
    this.lane = options.lane ?? new Levels<J>()
    this.anyGate = options.keys === undefined ? undefined : new KeyGate<J>(undefined, Infinity, undefined, 0)
  }

  // ---------------------------------------------------------------------------------------------
  // gates of keys

  /** The gate of a key (made on first use with the owner's limits); keyless jobs share one. */
  gateFor(key: string | undefined, now: number): KeyGate<J> | undefined {
    if (this.anyGate === undefined) return undefined
    if (key === undefined) return this.anyGate
    let gate = this.gates.get(key)
    if (gate === undefined) {
      const limits = this.limitsFor!(key)
      gate = new KeyGate<J>(key, limits.concurrency ?? Infinity, makeWindow(limits.rate), now)
      this.gates.set(key, gate)
    }
    return gate
  }

  /** Forgets gates idle for `idleMs` (nothing queued or running, nothing in their window). */
  evictIdle(now: number, idleMs: number): void {
    for (const [name, gate] of this.gates) {
      if (gate.isIdle(now) && now - gate.idleSince >= idleMs) this.gates.delete(name)
    }
  }

  /** Puts a gate in the ready heap when its head may start now, else notes it waits for time. */
  private refresh(gate: KeyGate<J>, now: number): void {
    if (gate.lane.size === 0) {
      this.ready.remove(gate)
      return
    }
    const wait = gate.waitFor(1, now)
    if (wait === 0) {
      this.ready.upsert(gate)
      return
    }
    this.ready.remove(gate)
    if (wait !== Infinity && !gate.timed) {
      gate.timed = true
      this.timed.push(gate)
      this.onKeyWait?.(gate, wait)
    }
  }

  /** Gates whose rate now allows their head go back to the ready heap. */
  private wakeTimed(now: number): void {
    const timed = this.timed
    for (let i = timed.length - 1; i >= 0; i--) {
      const gate = timed[i]
      const wait = gate.lane.size === 0 ? Infinity : gate.waitFor(1, now)
      // still waiting for its rate: stays; else it is ready, or empty, or busy (a release refreshes it)
      if (wait > 0 && wait !== Infinity) continue
      timed.splice(i, 1)
      gate.timed = false
      if (wait === 0) this.ready.upsert(gate)
    }
  }

  // ---------------------------------------------------------------------------------------------
  // the line

  /** A job joins the line (it does not start: ask `next`). */
  push(job: J, now = 0): void {
    job.seq = this.seq++
    this.size++
    const gate = job.gate
    if (gate === undefined) {
      this.lane.push(job)
      return
    }
    gate.lane.push(job)
    if (gate.lane.size === 1 || this.ready.has(gate)) this.refresh(gate, now)
  }

  /** A waiting job leaves the line (aborted, dropped); false when it was not waiting. */
  remove(job: J, now = 0): boolean {
    const gate = job.gate
    if (gate === undefined) {
      if (!this.lane.remove(job)) return false
    } else {
      if (!gate.lane.remove(job)) return false
      this.refresh(gate, now)
    }
    this.size--
    return true
  }

  /** Moves a waiting job to another priority, behind those already there. */
  reprioritize(job: J, priority: number, now = 0): boolean {
    if (job.kstate !== QUEUED) return false
    job.seq = this.seq++
    const gate = job.gate
    if (gate === undefined) {
      this.lane.reprioritize(job, priority)
    } else {
      gate.lane.reprioritize(job, priority)
      this.refresh(gate, now)
    }
    return true
  }

  /** Every waiting job, in the order they would start (the keys merged by priority, then arrival). */
  toArray(): Array<J> {
    if (this.anyGate === undefined) return this.lane.toArray()
    const out = this.anyGate.lane.toArray()
    for (const gate of this.gates.values()) out.push(...gate.lane.toArray())
    return out.sort((a, b) => a.priority - b.priority || a.seq - b.seq)
  }

  /** Takes every waiting job out of the line, in the order they would have started. */
  clear(): Array<J> {
    if (this.anyGate === undefined) {
      this.size = 0
      return this.lane.clear()
    }
    const out = this.toArray()
    for (const job of out) this.remove(job)
    return out
  }

  /** Waiting jobs with this priority (p-queue's `sizeBy`). */
  sizeBy(priority: number | undefined): number {
    let n = 0
    for (const job of this.toArray()) if (priority === undefined || job.priority === priority) n++
    return n
  }

  /**
   * The job to drop first for room (overflow `dropOldest`): of the lowest priority (the highest
   * number), the one that arrived first.
   */
  oldestLowest(): J | undefined {
    // of the lowest priority, the one that arrived first: across keys, by arrival
    const worse = (a: J | undefined, b: J | undefined) =>
      b === undefined
        ? a
        : a === undefined || b.priority > a.priority || (b.priority === a.priority && b.seq < a.seq)
        ? b
        : a
    if (this.anyGate === undefined) {
      if (this.lane.oldestLowest !== undefined) return this.lane.oldestLowest()
    } else if (this.anyGate.lane.oldestLowest !== undefined) {
      let worst = this.anyGate.lane.oldestLowest()
      for (const gate of this.gates.values()) worst = worse(worst, gate.lane.oldestLowest?.())
      return worst
    }
    let worst: J | undefined = undefined
    for (const job of this.toArray()) worst = worse(worst, job)
    return worst
  }

  /** Takes `oldestLowest()` out of the line. */
  dropOldest(): J | undefined {
    const worst = this.oldestLowest()
    if (worst !== undefined) this.remove(worst)
    return worst
  }

  // ---------------------------------------------------------------------------------------------
  // admission

  /** The global gates (rate, minTime, reservoir) let `weight` start now: 0, else how long to wait. */
  private globalWait(weight: number, now: number): number {
    let wait = 0
    if (this.rate !== undefined) wait = this.rate.waitFor(1, now, this.running)
    if (this.minTimeMs > 0) wait = Math.max(wait, this.lastStart + this.minTimeMs - now)
    if (this.reservoir !== undefined) wait = Math.max(wait, this.reservoir.waitFor(weight, now))
    return wait
  }

  /** The head of the line the global gates look at (a ready key's head with keys), if any. */
  peekHead(): J | undefined {
    return this.anyGate === undefined ? this.lane.peek() : this.ready.peek()?.lane.peek()
  }

  /** The job `next` would take at `now`, if one may start. */
  peek(now: number): J | undefined {
    if (this.paused || this.running >= this.concurrency || this.size === 0) return undefined
    let job: J | undefined
    if (this.anyGate === undefined) {
      job = this.lane.peek()
    } else {
      if (this.timed.length > 0) this.wakeTimed(now)
      job = this.ready.peek()?.lane.peek()
    }
    if (job === undefined) return undefined
    if (
      (this.rate !== undefined || this.minTimeMs > 0 || this.reservoir !== undefined) &&
      this.globalWait(job.weight, now) > 0
    ) return undefined
    return job
  }

  /**
   * A new job of `gate` would start now if it came: the kernel is not paused, its gates and the
   * global ones let it, and nothing that may start waits ahead of it (with keys: no ready gate).
   * An owner with a bounded intake asks this first: a job that would not wait is no overflow.
   */
  wouldStart(gate: KeyGate<J> | undefined, now: number): boolean {
    if (this.paused || this.running >= this.concurrency) return false
    if (gate !== undefined && gate.waitFor(1, now) > 0) return false
    if (
      (this.rate !== undefined || this.minTimeMs > 0 || this.reservoir !== undefined) &&
      this.globalWait(1, now) > 0
    ) return false
    if (this.anyGate === undefined) return this.size === 0
    if (this.timed.length > 0) this.wakeTimed(now)
    return this.ready.peek() === undefined
  }

  /** Takes and admits the next job that may start now; undefined when none may. */
  next(now = 0): J | undefined {
    const job = this.peek(now)
    if (job === undefined) return undefined
    const gate = job.gate
    if (gate === undefined) {
      this.lane.shift()
    } else {
      gate.lane.shift()
      gate.running++
      gate.rate?.consume(1, now)
      this.refresh(gate, now)
    }
    this.size--
    this.admit(job, now)
    return job
  }

  /**
   * Admits a job that is not in the line when it may start at once — nothing waits ahead of it and
   * every gate allows it (TaskGroup's and the executors' fast path). False: `push` it.
   */
  tryStart(job: J, now = 0): boolean {
    if (this.paused || this.running >= this.concurrency || this.size > 0) return false
    const gate = job.gate
    if (gate !== undefined && gate.waitFor(1, now) > 0) return false
    if (
      (this.rate !== undefined || this.minTimeMs > 0 || this.reservoir !== undefined) &&
      this.globalWait(job.weight, now) > 0
    ) return false
    job.seq = this.seq++
    if (gate !== undefined) {
      gate.running++
      gate.rate?.consume(1, now)
    }
    this.admit(job, now)
    return true
  }

  private admit(job: J, now: number): void {
    job.kstate = ADMITTED
    this.running++
    if (this.rate !== undefined) this.rate.consume(1, now)
    if (this.minTimeMs > 0) this.lastStart = now
    const reservoir = this.reservoir
    if (reservoir !== undefined) {
      reservoir.value -= job.weight
      if (reservoir.value <= 0 && this.onDepleted !== undefined) this.onDepleted(this.size === 0)
    }
  }

  /** An admitted job has ended: its slot (and its key's permit) is free again. */
  release(job: J, now = 0): void {
    if (job.kstate !== ADMITTED) return
    job.kstate = OUTSIDE
    this.running--
    const gate = job.gate
    if (gate !== undefined) {
      gate.running--
      if (gate.running === 0 && gate.lane.size === 0) gate.idleSince = now
      this.refresh(gate, now)
    }
  }

  /**
   * An admitted job is withdrawn before it ran (aborted as it was being started): its slot is
   * freed and its starts are given back to the rates (p-queue's rollback).
   */
  withdraw(job: J, now = 0): void {
    if (job.kstate !== ADMITTED) return
    this.rate?.refund(1)
    job.gate?.rate?.refund(1)
    if (this.reservoir !== undefined) this.reservoir.value += job.weight
    this.release(job, now)
  }

  /**
   * How long until time alone may let a waiting job start: 0 now, Infinity when only a release,
   * `resume`, a larger concurrency or a reservoir top-up can (or nothing waits). The owner sets one
   * timer for it and calls `next` again then.
   */
  blockedFor(now: number): number {
    if (this.paused || this.size === 0 || this.running >= this.concurrency) return Infinity
    let head: J | undefined
    let wait = 0
    if (this.anyGate === undefined) {
      head = this.lane.peek()
    } else {
      if (this.timed.length > 0) this.wakeTimed(now)
      head = this.ready.peek()?.lane.peek()
      if (head === undefined) {
        // every waiting key is busy or waits for its rate
        wait = Infinity
        for (const gate of this.timed) wait = Math.min(wait, gate.waitFor(1, now))
        return wait
      }
    }
    if (head === undefined) return Infinity
    return this.globalWait(head.weight, now)
  }

  /**
   * One more start outside the line (a retry's next attempt) when the global gates and the key's
   * rate allow it now: 0, and the start is counted; else how long to wait.
   */
  takeStart(gate: KeyGate<J> | undefined, now: number): number {
    const wait = Math.max(
      this.rate === undefined ? 0 : this.rate.waitFor(1, now, this.running),
      this.minTimeMs > 0 ? this.lastStart + this.minTimeMs - now : 0,
      gate?.rate === undefined ? 0 : gate.rate.waitFor(1, now, gate.running)
    )
    if (wait > 0) return wait
    this.rate?.consume(1, now)
    gate?.rate?.consume(1, now)
    if (this.minTimeMs > 0) this.lastStart = now
    return 0
  }

  /** Jobs wait, and the global rate holds them back now (p-queue's `isRateLimited`). */
  isRateLimited(now: number): boolean {
    return this.size > 0 && this.rate !== undefined && this.rate.used(now, this.running) >= this.rate.limit
  }

  /** Every slot is taken or the rate holds jobs back, and jobs wait (p-queue's `isSaturated`). */
  isSaturated(now: number): boolean {
    return this.size > 0 && (this.running >= this.concurrency || this.isRateLimited(now))
  }

  setRate(rate: RateOptions | undefined): void {
    this.rate = makeWindow(rate)
  }

  /** Sets the reservoir (Bottleneck's `updateSettings({ reservoir })`); `undefined` lifts it. */
  setReservoir(value: number | undefined, now: number): void {
    if (value === undefined) {
      this.reservoir = undefined
    } else if (this.reservoir === undefined) {
      this.reservoir = new Reservoir({ initial: value }, now)
    } else {
      this.reservoir.update(now)
      this.reservoir.value = value
    }
  }

  /** Adds to the reservoir (Bottleneck's `incrementReservoir`). */
  incrementReservoir(amount: number, now: number): void {
    if (this.reservoir === undefined) return
    this.reservoir.update(now)
    this.reservoir.value += amount
  }

  /** The reservoir's content now (undefined: no reservoir). */
  reservoirAt(now: number): number | undefined {
    if (this.reservoir === undefined) return undefined
    this.reservoir.update(now)
    return this.reservoir.value
  }
}

// -----------------------------------------------------------------------------------------------
// counts and stats

const RECORDED = 1024

/**
 * Counts since an executor was made, in the one status vocabulary (`Task.State`), and run-time
 * percentiles over the last 1,024 runs. `dropped` counts, of the `cancelled`, the tasks the
 * executor dropped before they started (cleared, overflow, removed, aborted while queued).
 * @internal
 */
export class Stats {
  submitted = 0
  succeeded = 0
  failed = 0
  timedOut = 0
  cancelled = 0
  dropped = 0
  retries = 0
  readonly durations = new Float64Array(RECORDED)
  recorded = 0

  ended(status: Ended): void {
    this[status]++
  }

  /** A promise task settled: classified by the one rule (`statusOfSettled`). */
  settled(ok: boolean, value: unknown, stopped: boolean): void {
    this[statusOfSettled(ok, value, stopped)]++
  }

  /** A queued task was dropped: it is cancelled, and counted as dropped too. */
  drop(): void {
    this.cancelled++
    this.dropped++
  }

  duration(ms: number): void {
    this.durations[this.recorded++ % RECORDED] = ms
  }

  get done(): number {
    return this.succeeded + this.failed + this.timedOut + this.cancelled
  }

  /** The p50, p90 and p99 run times in ms (0 before any run). */
  percentiles(): { readonly p50: number; readonly p90: number; readonly p99: number } {
    const sorted = this.durations.slice(0, Math.min(this.recorded, RECORDED)).sort()
    const pct = (p: number) =>
      sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
    return { p50: pct(0.5), p90: pct(0.9), p99: pct(0.99) }
  }

  counts() {
    return {
      submitted: this.submitted,
      succeeded: this.succeeded,
      failed: this.failed,
      timedOut: this.timedOut,
      cancelled: this.cancelled,
      dropped: this.dropped,
      retries: this.retries,
      done: this.done
    }
  }
}
