import type * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Schema from "effect/Schema"
import type * as Limiter from "../Limiter.js"
import { InvalidOptionsError, OverReleaseError } from "./errors.js"
import { Base } from "./inspectable.js"
import { SlidingWindow } from "./kernel.js"
import * as Options from "./options.js"
import { noteWaiting } from "./registry.js"
import { currentTask } from "./taskInfo.js"

/** @internal */
export const TypeId: Limiter.TypeId = Symbol.for("@taskscope/core/Limiter") as Limiter.TypeId

// ---------------------------------------------------------------------------------------------
// rate algorithms

interface Rate {
  readonly algorithm: "tokenBucket" | "slidingWindow"
  readonly limit: number
  readonly intervalMs: number
  /** The most units one call can ever get. */
  readonly maxCost: number
  /** Milliseconds to wait before `cost` can start at `now` (0: now). */
  waitFor(cost: number, now: number): number
  consume(cost: number, now: number): void
  refund(cost: number, now: number): void
  /** True when a fresh instance would behave the same (used for eviction). */
  isFresh(now: number): boolean
  snapshot(now: number): Limiter.RateStats
}

class TokenBucket implements Rate {
  readonly algorithm = "tokenBucket"
  tokens: number
  last = -Infinity
  readonly perMs: number
  readonly maxCost: number
  constructor(readonly limit: number, readonly intervalMs: number, readonly burst: number) {
    this.tokens = burst
    this.maxCost = burst
    this.perMs = limit / intervalMs
  }
  refill(now: number) {
    if (now > this.last) {
      this.tokens = this.last === -Infinity
        ? this.burst
        : Math.min(this.burst, this.tokens + (now - this.last) * this.perMs)
      this.last = now
    }
  }
  waitFor(cost: number, now: number) {
    this.refill(now)
    // a tiny epsilon absorbs floating-point dust in the refill arithmetic
    return this.tokens + 1e-9 >= cost ? 0 : Math.ceil((cost - this.tokens) / this.perMs)
  }
  consume(cost: number, now: number) {
    this.refill(now)
    this.tokens -= cost
  }
  refund(cost: number, now: number) {
    this.refill(now)
    this.tokens = Math.min(this.burst, this.tokens + cost)
  }
  isFresh(now: number) {
    this.refill(now)
    return this.tokens >= this.burst
  }
  snapshot(now: number): Limiter.RateStats {
    this.refill(now)
    return {
      algorithm: this.algorithm,
      limit: this.limit,
      interval: Duration.millis(this.intervalMs),
      available: this.tokens
    }
  }
}

/** The kernel's exact sliding window, with what a limiter reports about it. */
class SlidingWindowRate extends SlidingWindow implements Rate {
  readonly algorithm = "slidingWindow"
  readonly maxCost: number
  constructor(limit: number, intervalMs: number) {
    super(limit, intervalMs)
    this.maxCost = limit
  }
  snapshot(now: number): Limiter.RateStats {
    return {
      algorithm: this.algorithm,
      limit: this.limit,
      interval: Duration.millis(this.intervalMs),
      available: this.limit - this.used(now)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// options and per-call checks

const PositiveNumber = Schema.Number.pipe(Schema.filter((n) => Number.isFinite(n) && n > 0, {
  message: (issue) => `Expected a positive number, actual ${String(issue.actual)}`
}))

const RateSchema = Schema.Struct({
  limit: PositiveNumber,
  interval: Options.PositiveDuration,
  algorithm: Schema.optional(Schema.Literal("tokenBucket", "slidingWindow")),
  burst: Schema.optional(PositiveNumber)
}).pipe(Schema.filter((rate) =>
  rate.algorithm === "slidingWindow" && !Number.isInteger(rate.limit)
    ? { path: ["limit"], message: `a sliding window counts whole starts: Expected an integer, actual ${rate.limit}` }
    : undefined
))

/** @internal */
export const OptionsSchema = Schema.Struct({
  name: Schema.optional(Schema.String),
  concurrency: Schema.optional(Options.NonNegativeIntOrInfinity),
  bounded: Schema.optional(Schema.Boolean),
  rate: Schema.optional(RateSchema)
})

/** Limiter options after decoding. @internal */
export type DecodedOptions = Schema.Schema.Type<typeof OptionsSchema>

/** @internal */
export const decodeLimiterOptions = Options.decode("Limiter", OptionsSchema)

/** A defect for a bad argument written at a call site: names the function and the value. */
const illegal = (subject: string, detail: string): Cause.IllegalArgumentException =>
  Options.invalidArgument(`${subject}: ${detail}`)

const checkSemaphore = Options.decodeOrDie(
  "Limiter.semaphore",
  Schema.Struct({
    permits: Options.NonNegativeIntOrInfinity,
    name: Schema.optional(Schema.String),
    bounded: Schema.optional(Schema.Boolean)
  })
)

const checkRate = Options.decodeOrDie(
  "Limiter.rate",
  Schema.extend(RateSchema, Schema.Struct({ name: Schema.optional(Schema.String) }))
)

const checkResize = Options.decodeOrDie("Limiter.resize", Options.NonNegativeIntOrInfinity)
const checkPause = Options.decodeOrDie("Limiter.pause", Options.FiniteDuration)
const checkRelease = Options.decodeOrDie("Limiter.release", Options.NonNegativeInt)

const show = (u: unknown) => typeof u === "string" ? JSON.stringify(u) : String(u)

/**
 * A canonical text of decoded options (defaults applied), to tell whether two calls that name the
 * same limiter ask for the same limits.
 * @internal
 */
export const fingerprint = (options: DecodedOptions): string => {
  const parts: Array<string> = [`concurrency: ${options.concurrency ?? Infinity}`]
  if (options.bounded === true) parts.push("bounded")
  const rate = options.rate
  if (rate !== undefined) {
    const algorithm = rate.algorithm ?? "tokenBucket"
    parts.push(
      `rate: ${rate.limit} per ${Duration.format(rate.interval)} (${algorithm}${
        algorithm === "tokenBucket" ? `, burst ${rate.burst ?? rate.limit}` : ""
      })`
    )
  }
  return `{ ${parts.join(", ")} }`
}

// ---------------------------------------------------------------------------------------------
// the pipeline

const NONE = 0
const GRANTED = 1
const SLEEP = 2

interface Waiter {
  readonly permits: number
  readonly cost: number
  readonly name: string
  readonly since: number
  resume: ((effect: Effect.Effect<void>) => void) | undefined
  signal: 0 | 1 | 2
  sleepMs: number
  removed: boolean
}

/** @internal */
export class LimiterImpl extends Base implements Limiter.Limiter {
  readonly [TypeId]: Limiter.TypeId = TypeId
  capacity: number
  available: number
  pausedUntil = -Infinity
  readonly queue: Array<Waiter> = []
  head = 0
  timerOwner: Waiter | undefined = undefined
  readonly holders = new Map<string, number>()
  lastUsed: number

  constructor(
    readonly name: string,
    concurrency: number,
    readonly bounded: boolean,
    readonly rate: Rate | undefined,
    readonly clock: Clock.Clock
  ) {
    super()
    this.capacity = concurrency
    this.available = concurrency
    this.lastUsed = clock.unsafeCurrentTimeMillis()
  }

  get waiting(): number {
    return this.queue.length - this.head
  }

  /** Why a caller asking for `permits` and `cost` cannot start now, or undefined if it can. */
  blocker(permits: number, cost: number, now: number): Limiter.Reason | undefined {
    if (this.pausedUntil > now) return "paused"
    if (this.available < permits) return "concurrency"
    if (this.rate !== undefined && cost > 0 && this.rate.waitFor(cost, now) > 0) return "rate"
    return undefined
  }

  take(permits: number, cost: number, name: string, now: number): void {
    this.available -= permits
    if (this.rate !== undefined && cost > 0) this.rate.consume(cost, now)
    if (permits > 0) this.holders.set(name, (this.holders.get(name) ?? 0) + permits)
    this.lastUsed = now
  }

  untake(permits: number, cost: number, name: string, now: number): void {
    this.available += permits
    if (this.rate !== undefined && cost > 0) this.rate.refund(cost, now)
    this.forgetHolder(name, permits)
  }

  forgetHolder(name: string, permits: number): void {
    let left = permits
    const own = this.holders.get(name)
    if (own !== undefined) {
      const n = Math.min(own, left)
      if (own === n) this.holders.delete(name)
      else this.holders.set(name, own - n)
      left -= n
    }
    // released by another task than the one that acquired: take the rest from the oldest holders
    if (left > 0) {
      for (const [holder, held] of this.holders) {
        if (left <= 0) break
        const n = Math.min(held, left)
        if (held === n) this.holders.delete(holder)
        else this.holders.set(holder, held - n)
        left -= n
      }
    }
  }

  deliver(waiter: Waiter, signal: 1 | 2): void {
    waiter.signal = signal
    const resume = waiter.resume
    if (resume !== undefined) {
      waiter.resume = undefined
      resume(Effect.void)
    }
  }

  shift(): void {
    this.queue[this.head++] = undefined as never
    if (this.head === this.queue.length) {
      this.queue.length = 0
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head)
      this.head = 0
    }
  }

  /** Grants waiters strictly in FIFO order while every constraint allows; a later, smaller request never overtakes. */
  pump(): void {
    const now = this.clock.unsafeCurrentTimeMillis()
    while (this.head < this.queue.length) {
      const waiter = this.queue[this.head]
      if (waiter.removed) {
        this.shift()
        continue
      }
      const reason = this.blocker(waiter.permits, waiter.cost, now)
      if (reason === undefined) {
        this.shift()
        if (this.timerOwner === waiter) this.timerOwner = undefined
        this.take(waiter.permits, waiter.cost, waiter.name, now)
        this.deliver(waiter, GRANTED)
        continue
      }
      if (reason !== "concurrency" && this.timerOwner === undefined) {
        // the head sleeps until the time-based constraint lifts, then pumps again
        this.timerOwner = waiter
        waiter.sleepMs = Math.max(1, this.timeToWait(waiter.cost, now))
        this.deliver(waiter, SLEEP)
      }
      return
    }
  }

  timeToWait(cost: number, now: number): number {
    if (this.pausedUntil > now) return this.pausedUntil - now
    return this.rate === undefined || cost === 0 ? 0 : this.rate.waitFor(cost, now)
  }

  /**
   * Checks the permits and cost of one call: a request that is malformed, or that this limiter could
   * never grant, is a programmer error — a defect naming the function and the value.
   */
  check(subject: string, permits: number, cost: number): void {
    if (!Number.isInteger(permits) || permits < 0) {
      throw illegal(subject, `permits: Expected a non-negative integer, actual ${show(permits)}`)
    }
    // a limiter of capacity 0 is locked (asyncio's Semaphore(0)): callers wait for a release or resize
    if (permits > this.capacity && this.capacity > 0) {
      throw illegal(
        subject,
        `permits: ${permits} can never be granted: Limiter "${this.name}" has a capacity of ${this.capacity}`
      )
    }
    if (typeof cost !== "number" || !Number.isFinite(cost) || cost < 0) {
      throw illegal(subject, `cost: Expected a non-negative number, actual ${show(cost)}`)
    }
    const rate = this.rate
    if (rate !== undefined) {
      if (rate.algorithm === "slidingWindow" && !Number.isInteger(cost)) {
        throw illegal(subject, `cost: a sliding window counts whole starts: Expected an integer, actual ${cost}`)
      }
      if (cost > rate.maxCost) {
        throw illegal(
          subject,
          `cost: ${cost} can never be granted: Limiter "${this.name}" lets at most ${rate.maxCost} start at once`
        )
      }
    }
  }

  permitsOf(options: Limiter.AcquireOptions | undefined): number {
    return options?.permits ?? (this.capacity === Infinity ? 0 : 1)
  }

  /**
   * Acquires inside an uninterruptible region; only the waiting is interruptible (via `restore`).
   * An interruption at any point leaves no trace: a waiter granted just before it was interrupted
   * gives its permits and tokens back. `name` is the holder's name in `stats`.
   */
  acquireWith(
    restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>,
    permits: number,
    cost: number,
    name: string
  ): Effect.Effect<void> {
    return Effect.suspend(() => {
      const now = this.clock.unsafeCurrentTimeMillis()
      if (this.waiting === 0 && this.blocker(permits, cost, now) === undefined) {
        this.take(permits, cost, name, now)
        return Effect.void
      }
      const waiter: Waiter = {
        permits,
        cost,
        name,
        since: now,
        resume: undefined,
        signal: NONE,
        sleepMs: 0,
        removed: false
      }
      this.queue.push(waiter)
      this.pump()
      const loop: Effect.Effect<void> = Effect.flatMap(
        Effect.async<void>((resume) => {
          if (waiter.signal !== NONE) return resume(Effect.void)
          waiter.resume = resume
          return Effect.sync(() => {
            waiter.resume = undefined
          })
        }),
        () => {
          if (waiter.signal === GRANTED) return Effect.void
          waiter.signal = NONE
          return Effect.zipRight(
            Effect.sleep(waiter.sleepMs),
            Effect.suspend(() => {
              if (this.timerOwner === waiter) this.timerOwner = undefined
              this.pump()
              return loop
            })
          )
        }
      )
      const waiting = noteWaiting(loop, "limiter", this.name, () => this.describeWait(waiter))
      return Effect.onInterrupt(restore(waiting), () =>
        Effect.sync(() => {
          if (waiter.signal === GRANTED) {
            this.untake(permits, cost, name, this.clock.unsafeCurrentTimeMillis())
          } else {
            waiter.removed = true
            if (this.timerOwner === waiter) this.timerOwner = undefined
          }
          this.pump()
        }))
    })
  }

  /**
   * Takes `permits` and `cost` now if a caller could start now — never past a waiter, never waiting.
   * Synchronous and allocation-free when it fails; `name` is the holder's name in `stats`.
   */
  unsafeTryAcquire(permits: number, cost: number, name: string = this.name): boolean {
    const now = this.clock.unsafeCurrentTimeMillis()
    if (this.waiting > 0 || this.blocker(permits, cost, now) !== undefined) return false
    this.take(permits, cost, name, now)
    return true
  }

  /**
   * Milliseconds until a caller of `cost` (and `permits`, default 0) could start as far as time is
   * concerned: 0 if it could start now; the rest of a pause and the rate's wait otherwise (the
   * larger); `Infinity` when only a release or a resize can let it start (all permits are held, or
   * callers already wait in line).
   */
  unsafeWaitMillis(cost: number, permits = 0): number {
    if (this.waiting > 0 || this.available < permits) return Infinity
    const now = this.clock.unsafeCurrentTimeMillis()
    const paused = this.pausedUntil > now ? this.pausedUntil - now : 0
    const rate = this.rate === undefined || cost === 0 ? 0 : this.rate.waitFor(cost, now)
    return paused > rate ? paused : rate
  }

  releaseNow(permits: number, name: string): void {
    this.available += permits
    this.forgetHolder(name, permits)
    this.lastUsed = this.clock.unsafeCurrentTimeMillis()
    this.pump()
  }

  withPermit<A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options?: Limiter.AcquireOptions
  ): Effect.Effect<A, E, R> {
    const permits = this.permitsOf(options)
    const cost = options?.cost ?? 1
    return Effect.uninterruptibleMask((restore) =>
      Effect.withFiberRuntime((fiber) => {
        this.check("Limiter.withPermit", permits, cost)
        const name = nameOf(fiber)
        return Effect.zipRight(
          this.acquireWith(restore, permits, cost, name),
          permits === 0
            ? restore(effect)
            : Effect.ensuring(restore(effect), Effect.sync(() => this.releaseNow(permits, name)))
        )
      })
    )
  }

  acquire(options?: Limiter.AcquireOptions): Effect.Effect<void> {
    const permits = this.permitsOf(options)
    const cost = options?.cost ?? 1
    return Effect.uninterruptibleMask((restore) =>
      Effect.withFiberRuntime((fiber) => {
        this.check("Limiter.acquire", permits, cost)
        return this.acquireWith(restore, permits, cost, nameOf(fiber))
      })
    )
  }

  tryAcquire(options?: Limiter.AcquireOptions): Effect.Effect<boolean> {
    const permits = this.permitsOf(options)
    const cost = options?.cost ?? 1
    return Effect.withFiberRuntime((fiber) => {
      this.check("Limiter.tryAcquire", permits, cost)
      return Effect.succeed(this.unsafeTryAcquire(permits, cost, nameOf(fiber)))
    })
  }

  release(permits = 1): Effect.Effect<void, OverReleaseError> {
    return Effect.withFiberRuntime((fiber) => {
      checkRelease(permits)
      if (this.bounded && this.available + permits > this.capacity) {
        return Effect.fail(new OverReleaseError({ limiter: this.name, released: permits, capacity: this.capacity }))
      }
      this.releaseNow(permits, nameOf(fiber))
      return Effect.void
    })
  }

  resize(capacity: number): Effect.Effect<void> {
    return Effect.sync(() => {
      checkResize(capacity)
      if (this.capacity === Infinity || capacity === Infinity) {
        // from or to "no limit": what is free is the new limit less what is held
        this.available = capacity - sum(this.holders)
      } else {
        this.available += capacity - this.capacity
      }
      this.capacity = capacity
      this.pump()
    })
  }

  pause(duration: Duration.DurationInput): Effect.Effect<void> {
    return Effect.sync(() => {
      const ms = Duration.toMillis(checkPause(duration))
      const now = this.clock.unsafeCurrentTimeMillis()
      this.pausedUntil = Math.max(this.pausedUntil, now + ms)
      // a head sleeping for the rate must now sleep for the pause: it re-checks when it wakes;
      // wake it at once if it sleeps on nothing
      this.pump()
    })
  }

  /** Why `waiter` waits now, in words (for the registry: `taskscope ps`). */
  describeWait(waiter: Waiter): string {
    const now = this.clock.unsafeCurrentTimeMillis()
    let ahead = 0
    for (let i = this.head; i < this.queue.length && this.queue[i] !== waiter; i++) {
      if (!this.queue[i].removed) ahead++
    }
    if (ahead > 0) return `waiting in line for ${this.name} (${ahead} ahead)`
    switch (this.blocker(waiter.permits, waiter.cost, now)) {
      case "paused":
        return `waiting: ${this.name} is paused for ${Math.ceil((this.pausedUntil - now) / 1000)} s more`
      case "rate":
        return `waiting for the rate window of ${this.name}`
      case "concurrency":
        return `waiting for a permit of ${this.name} (${this.capacity - this.available} of ${this.capacity} in use)`
      default:
        return `about to take a permit of ${this.name}`
    }
  }

  unsafeStats(): Limiter.Stats {
    const now = this.clock.unsafeCurrentTimeMillis()
    const waiters: Array<Limiter.WaiterInfo> = []
    let first = true
    for (let i = this.head; i < this.queue.length; i++) {
      const w = this.queue[i]
      if (w.removed) continue
      waiters.push({
        name: w.name,
        permits: w.permits,
        cost: w.cost,
        reason: first ? this.blocker(w.permits, w.cost, now) ?? "queue" : "queue",
        waitingFor: Duration.millis(now - w.since)
      })
      first = false
    }
    return {
      name: this.name,
      capacity: this.capacity,
      available: this.available,
      held: sum(this.holders),
      holders: Array.from(this.holders, ([name, permits]) => ({ name, permits })),
      waiting: waiters.length,
      waiters,
      pausedFor: Duration.millis(Math.max(0, this.pausedUntil - now)),
      rate: this.rate?.snapshot(now)
    }
  }

  get stats(): Effect.Effect<Limiter.Stats> {
    return Effect.sync(() => this.unsafeStats())
  }

  isIdle(now: number, idleMs: number): boolean {
    return this.waiting === 0 && this.holders.size === 0 && this.available === this.capacity &&
      this.pausedUntil <= now && now - this.lastUsed >= idleMs && (this.rate === undefined || this.rate.isFresh(now))
  }

  toJSON(): unknown {
    return {
      _id: "Limiter",
      name: this.name,
      capacity: this.capacity,
      available: this.available,
      waiting: this.waiting
    }
  }
}

const sum = (holders: Map<string, number>) => {
  let n = 0
  for (const v of holders.values()) n += v
  return n
}

const nameOf = (fiber: Fiber.RuntimeFiber<any, any>): string =>
  fiber.getFiberRef(currentTask)?.name ?? FiberId.threadName(fiber.id())

/**
 * Makes a limiter from options that were decoded already (the Executor's intake, a keyed limiter's
 * keys). `rate.interval` may be a `Duration` or any `DurationInput`.
 * @internal
 */
export const unsafeMake = (
  options: {
    readonly name?: string | undefined
    readonly concurrency?: number | undefined
    readonly bounded?: boolean | undefined
    readonly rate?:
      | {
        readonly limit: number
        readonly interval: Duration.DurationInput
        readonly algorithm?: "tokenBucket" | "slidingWindow" | undefined
        readonly burst?: number | undefined
      }
      | undefined
  },
  clock: Clock.Clock
): LimiterImpl => {
  const rate = options.rate === undefined ? undefined : (() => {
    const interval = Duration.toMillis(Duration.decode(options.rate.interval))
    return options.rate.algorithm === "slidingWindow"
      ? new SlidingWindowRate(options.rate.limit, interval)
      : new TokenBucket(options.rate.limit, interval, options.rate.burst ?? options.rate.limit)
  })()
  return new LimiterImpl(
    options.name ?? "Limiter",
    options.concurrency ?? Infinity,
    options.bounded ?? false,
    rate,
    clock
  )
}

const clockOf = (fiber: Fiber.RuntimeFiber<any, any>): Clock.Clock =>
  Context.get(fiber.currentDefaultServices, Clock.Clock)

/** @internal */
export const make = (options: Limiter.Options): Effect.Effect<LimiterImpl, InvalidOptionsError> =>
  Effect.withFiberRuntime((fiber) =>
    Either.map(decodeLimiterOptions(options), (decoded) => unsafeMake(decoded, clockOf(fiber)))
  )

/** @internal */
export const semaphore = (
  permits: number,
  options?: { readonly name?: string; readonly bounded?: boolean }
): Effect.Effect<Limiter.Limiter> =>
  Effect.withFiberRuntime((fiber) => {
    const decoded = checkSemaphore({ ...options, permits })
    return Effect.succeed(
      unsafeMake({ name: decoded.name, bounded: decoded.bounded, concurrency: decoded.permits }, clockOf(fiber))
    )
  })

/** @internal */
export const rate = (
  options: NonNullable<Limiter.Options["rate"]> & { readonly name?: string }
): Effect.Effect<Limiter.Limiter> =>
  Effect.withFiberRuntime((fiber) => {
    const { name, ...rate } = checkRate(options)
    return Effect.succeed(unsafeMake({ name, rate }, clockOf(fiber)))
  })

// ---------------------------------------------------------------------------------------------
// keyed limiters

const KeyedSchema = Schema.Struct({
  idleTimeout: Schema.optional(Options.PositiveDuration),
  name: Schema.optional(Schema.String)
})

const decodeKeyedOptions = Options.decode("Limiter.keyed", KeyedSchema)

const checkKeyed = Options.decodeOrDie("Limiter.keyed", KeyedSchema)

/** @internal */
export const keyName = (name: string, key: unknown): string => `${name}:${String(key)}`

/**
 * Decodes the options `optionsFor` gave a key. They are code, not configuration: a bad value is a
 * defect that names the keyed limiter and the key.
 * @internal
 */
const decodeKeyOptions = (name: string, key: unknown, options: Limiter.Options): DecodedOptions => {
  const decoded = decodeLimiterOptions({ ...options, name: keyName(name, key) })
  if (Either.isRight(decoded)) return decoded.right
  throw illegal(`Limiter.keyed "${name}", key ${show(key)}`, decoded.left.detail)
}

/** @internal */
export class KeyedImpl<K> implements Limiter.Keyed<K> {
  readonly limiters = new Map<K, LimiterImpl>()
  lastSweep: number
  constructor(
    readonly name: string,
    readonly optionsFor: (key: K) => Limiter.Options,
    readonly idleMs: number,
    readonly clock: Clock.Clock
  ) {
    this.lastSweep = clock.unsafeCurrentTimeMillis()
  }

  /** Evicts limiters idle for `idleMs` whose state a fresh one would reproduce. */
  sweep(): void {
    const now = this.clock.unsafeCurrentTimeMillis()
    if (now - this.lastSweep < this.idleMs / 2) return
    this.lastSweep = now
    for (const [key, limiter] of this.limiters) {
      if (limiter.isIdle(now, this.idleMs)) this.limiters.delete(key)
    }
  }

  get(key: K): Effect.Effect<Limiter.Limiter> {
    return Effect.sync(() => this.unsafeGet(key))
  }

  /** The key's limiter, made on first use; throws (a defect inside an Effect) on bad options. */
  unsafeGet(key: K): LimiterImpl {
    this.sweep()
    const existing = this.limiters.get(key)
    if (existing !== undefined) return existing
    const limiter = unsafeMake(decodeKeyOptions(this.name, key, this.optionsFor(key)), this.clock)
    this.limiters.set(key, limiter)
    return limiter
  }

  withPermit<A, E, R>(
    key: K,
    effect: Effect.Effect<A, E, R>,
    options?: Limiter.AcquireOptions
  ): Effect.Effect<A, E, R> {
    return Effect.suspend(() => this.unsafeGet(key).withPermit(effect, options))
  }

  pause(key: K, duration: Duration.DurationInput): Effect.Effect<void> {
    return Effect.suspend(() => this.unsafeGet(key).pause(duration))
  }

  get stats(): Effect.Effect<ReadonlyMap<K, Limiter.Stats>> {
    return Effect.sync(() => {
      this.sweep()
      return new Map(Array.from(this.limiters, ([key, limiter]) => [key, limiter.unsafeStats()]))
    })
  }

  get size(): Effect.Effect<number> {
    return Effect.sync(() => {
      this.sweep()
      return this.limiters.size
    })
  }
}

/** @internal */
export const DEFAULT_IDLE_MS = 60_000

/** @internal */
export const unsafeKeyed = <K>(
  optionsFor: (key: K) => Limiter.Options,
  options: Schema.Schema.Type<typeof KeyedSchema>,
  clock: Clock.Clock
): KeyedImpl<K> =>
  new KeyedImpl<K>(
    options.name ?? "keyed",
    optionsFor,
    options.idleTimeout === undefined ? DEFAULT_IDLE_MS : Duration.toMillis(options.idleTimeout),
    clock
  )

/** @internal */
export const keyed = <K>(
  optionsFor: (key: K) => Limiter.Options,
  options?: Limiter.KeyedOptions
): Effect.Effect<Limiter.Keyed<K>> =>
  Effect.withFiberRuntime((fiber) => Effect.succeed(unsafeKeyed(optionsFor, checkKeyed(options), clockOf(fiber))))

// ---------------------------------------------------------------------------------------------
// the in-memory Limiters service

/** @internal */
export const makeMemoryProvider = (): Limiter.Limiters => {
  const limiters = new Map<string, { readonly limiter: LimiterImpl; readonly fingerprint: string }>()
  const keyeds = new Map<
    string,
    { readonly keyed: KeyedImpl<any>; readonly optionsFor: unknown; readonly fingerprint: string }
  >()
  return {
    backend: "memory",
    make: (options) =>
      Effect.withFiberRuntime((fiber) =>
        Effect.flatMap(decodeLimiterOptions(options), (decoded) => {
          const print = fingerprint(decoded)
          const found = limiters.get(options.name)
          if (found !== undefined) {
            return found.fingerprint === print ? Effect.succeed(found.limiter) : Effect.fail(conflict(
              "Limiters.make",
              options.name,
              found.fingerprint,
              print
            ))
          }
          const limiter = unsafeMake(decoded, clockOf(fiber))
          limiters.set(options.name, { limiter, fingerprint: print })
          return Effect.succeed(limiter)
        })
      ),
    keyed: <K>(
      name: string,
      optionsFor: (key: K) => Limiter.Options,
      options?: Omit<Limiter.KeyedOptions, "name">
    ): Effect.Effect<Limiter.Keyed<K>, InvalidOptionsError> =>
      Effect.withFiberRuntime((fiber) =>
        Effect.flatMap(decodeKeyedOptions({ ...options, name }), (decoded) => {
          const print = `{ idleTimeout: ${Duration.format(decoded.idleTimeout ?? Duration.millis(DEFAULT_IDLE_MS))} }`
          const found = keyeds.get(name)
          if (found !== undefined) {
            if (found.optionsFor !== optionsFor) {
              return Effect.fail(keyedConflict(name))
            }
            return found.fingerprint === print
              ? Effect.succeed<Limiter.Keyed<K>>(found.keyed)
              : Effect.fail(conflict("Limiters.keyed", name, found.fingerprint, print))
          }
          const keyed = unsafeKeyed(optionsFor, decoded, clockOf(fiber))
          keyeds.set(name, { keyed, optionsFor, fingerprint: print })
          return Effect.succeed<Limiter.Keyed<K>>(keyed)
        })
      )
  }
}

/**
 * The same name asked for with other limits: one name, one set of limits.
 * @internal
 */
const conflict = (subject: string, name: string, was: string, now: string): InvalidOptionsError =>
  new InvalidOptionsError({
    subject,
    detail:
      `"${name}" was made with ${was}; this call asks for ${now} (one name, one set of limits: use another name, or the same options)`
  })

const keyedConflict = (name: string): InvalidOptionsError =>
  new InvalidOptionsError({
    subject: "Limiters.keyed",
    detail:
      `"${name}" was made with another optionsFor function (one name, one set of limits: pass the same function, or use another name)`
  })
