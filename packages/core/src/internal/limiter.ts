import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Schema from "effect/Schema"
import { OverReleaseError } from "../Errors.js"
import { InvalidOptionsError } from "../Errors.js"
import type * as Limiter from "../Limiter.js"
import * as Options from "../Options.js"
import { Base } from "./inspectable.js"
import { currentTask } from "./taskInfo.js"

/** @internal */
export const TypeId: Limiter.TypeId = Symbol.for("@taskscope/core/Limiter") as Limiter.TypeId

// ---------------------------------------------------------------------------------------------
// rate algorithms

interface Rate {
  readonly algorithm: "tokenBucket" | "slidingWindow"
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

/** Exact: in every window of `intervalMs`, at most `limit` units start. Keeps one timestamp per unit. */
class SlidingWindow implements Rate {
  readonly algorithm = "slidingWindow"
  /** Start times of the most recent units, oldest first (at most `limit`). */
  starts: Array<number> = []
  readonly maxCost: number
  constructor(readonly limit: number, readonly intervalMs: number) {
    this.maxCost = limit
  }
  prune(now: number) {
    let i = 0
    while (i < this.starts.length && this.starts[i] <= now - this.intervalMs) i++
    if (i > 0) this.starts.splice(0, i)
  }
  waitFor(cost: number, now: number) {
    this.prune(now)
    const over = this.starts.length + cost - this.limit
    if (over <= 0) return 0
    // the `over`-th oldest start must leave the window first
    return this.starts[over - 1] + this.intervalMs - now
  }
  consume(cost: number, now: number) {
    for (let i = 0; i < cost; i++) this.starts.push(now)
  }
  refund(cost: number) {
    this.starts.splice(this.starts.length - cost, cost)
  }
  isFresh(now: number) {
    this.prune(now)
    return this.starts.length === 0
  }
  snapshot(now: number): Limiter.RateStats {
    this.prune(now)
    return {
      algorithm: this.algorithm,
      limit: this.limit,
      interval: Duration.millis(this.intervalMs),
      available: this.limit - this.starts.length
    }
  }
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

const DurationInputSchema = Schema.Union(Schema.Number, Schema.String, Schema.DurationFromSelf).pipe(
  Schema.filter((input) => {
    const d = Duration.decodeUnknown(input)
    return d._tag === "Some" && Duration.isFinite(d.value) && Duration.toMillis(d.value) > 0
  }, { message: (issue) => `Expected a positive, finite duration, actual ${String(issue.actual)}` })
)

const PositiveNumber = Schema.Number.pipe(Schema.filter((n) => Number.isFinite(n) && n > 0, {
  message: (issue) => `Expected a positive number, actual ${String(issue.actual)}`
}))

const OptionsSchema = Schema.Struct({
  name: Schema.optional(Schema.String),
  concurrency: Schema.optional(Options.PositiveIntOrInfinity),
  bounded: Schema.optional(Schema.Boolean),
  rate: Schema.optional(Schema.Struct({
    limit: PositiveNumber,
    interval: DurationInputSchema,
    algorithm: Schema.optional(Schema.Literal("tokenBucket", "slidingWindow")),
    burst: Schema.optional(PositiveNumber)
  }))
})

/** @internal */
export const decodeLimiterOptions = Options.decode("Limiter", OptionsSchema)

const invalid = (subject: string, detail: string) => new InvalidOptionsError({ subject, detail })

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
    for (const [holder, held] of this.holders) {
      if (left <= 0) break
      const n = Math.min(held, left)
      if (held === n) this.holders.delete(holder)
      else this.holders.set(holder, held - n)
      left -= n
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
        waiter.sleepMs = Math.max(1, this.timeToWait(waiter, now))
        this.deliver(waiter, SLEEP)
      }
      return
    }
  }

  timeToWait(waiter: Waiter, now: number): number {
    if (this.pausedUntil > now) return this.pausedUntil - now
    return this.rate === undefined ? 0 : this.rate.waitFor(waiter.cost, now)
  }

  validate(permits: number, cost: number): InvalidOptionsError | undefined {
    if (!Number.isInteger(permits) || permits < 0) {
      return invalid(`Limiter "${this.name}"`, `permits: Expected a non-negative integer, actual ${permits}`)
    }
    if (this.capacity !== Infinity && permits > this.capacity) {
      return invalid(
        `Limiter "${this.name}"`,
        `permits: ${permits} can never be granted: the capacity is ${this.capacity}`
      )
    }
    if (!Number.isFinite(cost) || cost < 0) {
      return invalid(`Limiter "${this.name}"`, `cost: Expected a non-negative number, actual ${cost}`)
    }
    if (this.rate !== undefined && this.rate.algorithm === "slidingWindow" && !Number.isInteger(cost)) {
      return invalid(`Limiter "${this.name}"`, `cost: a sliding window counts whole starts, actual ${cost}`)
    }
    const max = this.rate === undefined ? Infinity : this.rate.maxCost
    if (cost > max) {
      return invalid(`Limiter "${this.name}"`, `cost: ${cost} can never be granted: at most ${max} fit the rate`)
    }
    return undefined
  }

  /**
   * Acquires inside an uninterruptible region; only the waiting is interruptible (via `restore`).
   * An interruption at any point leaves no trace: a waiter granted just before it was interrupted
   * gives its permits and tokens back.
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
      return Effect.onInterrupt(restore(loop), () =>
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

  releaseNow(permits: number, name: string): void {
    this.available += permits
    this.forgetHolder(name, permits)
    this.lastUsed = this.clock.unsafeCurrentTimeMillis()
    this.pump()
  }

  withPermit<A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options?: Limiter.AcquireOptions
  ): Effect.Effect<A, E | InvalidOptionsError, R> {
    const permits = options?.permits ?? (this.capacity === Infinity ? 0 : 1)
    const cost = options?.cost ?? 1
    const error = this.validate(permits, cost)
    if (error !== undefined) return Effect.fail(error)
    return Effect.uninterruptibleMask((restore) =>
      Effect.withFiberRuntime((fiber) => {
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

  acquire(options?: Limiter.AcquireOptions): Effect.Effect<void, InvalidOptionsError> {
    const permits = options?.permits ?? (this.capacity === Infinity ? 0 : 1)
    const cost = options?.cost ?? 1
    const error = this.validate(permits, cost)
    if (error !== undefined) return Effect.fail(error)
    return Effect.uninterruptibleMask((restore) =>
      Effect.withFiberRuntime((fiber) => this.acquireWith(restore, permits, cost, nameOf(fiber)))
    )
  }

  tryAcquire(options?: Limiter.AcquireOptions): Effect.Effect<boolean, InvalidOptionsError> {
    const permits = options?.permits ?? (this.capacity === Infinity ? 0 : 1)
    const cost = options?.cost ?? 1
    const error = this.validate(permits, cost)
    if (error !== undefined) return Effect.fail(error)
    return Effect.withFiberRuntime((fiber) => {
      const now = this.clock.unsafeCurrentTimeMillis()
      if (this.waiting > 0 || this.blocker(permits, cost, now) !== undefined) return Effect.succeed(false)
      this.take(permits, cost, nameOf(fiber), now)
      return Effect.succeed(true)
    })
  }

  release(permits = 1): Effect.Effect<void, OverReleaseError> {
    return Effect.withFiberRuntime((fiber) => {
      if (this.bounded && this.available + permits > this.capacity) {
        return Effect.fail(new OverReleaseError({ limiter: this.name, released: permits, capacity: this.capacity }))
      }
      this.releaseNow(permits, nameOf(fiber))
      return Effect.void
    })
  }

  resize(capacity: number): Effect.Effect<void, InvalidOptionsError> {
    return Effect.suspend(() => {
      if (!(capacity === Infinity || (Number.isInteger(capacity) && capacity > 0))) {
        return Effect.fail(invalid(`Limiter "${this.name}"`, `resize: Expected a positive integer, actual ${capacity}`))
      }
      this.available += capacity - this.capacity
      this.capacity = capacity
      this.pump()
      return Effect.void
    })
  }

  pause(duration: Duration.DurationInput): Effect.Effect<void, InvalidOptionsError> {
    return Effect.suspend(() => {
      const d = Duration.decodeUnknown(duration)
      if (d._tag === "None" || !Duration.isFinite(d.value)) {
        return Effect.fail(
          invalid(`Limiter "${this.name}"`, `pause: Expected a finite duration, actual ${String(duration)}`)
        )
      }
      const now = this.clock.unsafeCurrentTimeMillis()
      this.pausedUntil = Math.max(this.pausedUntil, now + Duration.toMillis(d.value))
      // a head sleeping for the rate must now sleep for the pause: it re-checks when it wakes;
      // wake it at once if it sleeps on nothing
      this.pump()
      return Effect.void
    })
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

/** @internal */
export const unsafeMake = (
  options: Schema.Schema.Type<typeof OptionsSchema>,
  clock: Clock.Clock
): LimiterImpl => {
  const rate = options.rate === undefined ? undefined : (() => {
    const interval = Duration.toMillis(Duration.decode(options.rate.interval as Duration.DurationInput))
    return options.rate.algorithm === "slidingWindow"
      ? new SlidingWindow(options.rate.limit, interval)
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

/** @internal */
export const make = (options: Limiter.Options): Effect.Effect<LimiterImpl, InvalidOptionsError> =>
  Effect.withFiberRuntime((fiber) =>
    Either.map(
      decodeLimiterOptions(options),
      (decoded) => unsafeMake(decoded, Context.get(fiber.currentDefaultServices, Clock.Clock))
    )
  )

// ---------------------------------------------------------------------------------------------
// keyed limiters

const KeyedSchema = Schema.Struct({
  idleTimeout: Schema.optional(DurationInputSchema),
  name: Schema.optional(Schema.String)
})

const decodeKeyed = Options.decode("Limiter.keyed", KeyedSchema)

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

  get(key: K): Effect.Effect<Limiter.Limiter, InvalidOptionsError> {
    return Effect.suspend(() => this.unsafeGet(key))
  }

  unsafeGet(key: K): Either.Either<LimiterImpl, InvalidOptionsError> {
    this.sweep()
    const existing = this.limiters.get(key)
    if (existing !== undefined) return Either.right(existing)
    const options = this.optionsFor(key)
    return Either.map(decodeLimiterOptions({ name: `${this.name}[${String(key)}]`, ...options }), (decoded) => {
      const limiter = unsafeMake(decoded, this.clock)
      this.limiters.set(key, limiter)
      return limiter
    })
  }

  withPermit<A, E, R>(
    key: K,
    effect: Effect.Effect<A, E, R>,
    options?: Limiter.AcquireOptions
  ): Effect.Effect<A, E | InvalidOptionsError, R> {
    return Effect.suspend(() => {
      const limiter = this.unsafeGet(key)
      return Either.isLeft(limiter) ? Effect.fail(limiter.left) : limiter.right.withPermit(effect, options)
    })
  }

  pause(key: K, duration: Duration.DurationInput): Effect.Effect<void, InvalidOptionsError> {
    return Effect.flatMap(this.get(key), (limiter) => limiter.pause(duration))
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
export const keyed = <K>(
  optionsFor: (key: K) => Limiter.Options,
  options?: Limiter.KeyedOptions
): Effect.Effect<Limiter.Keyed<K>, InvalidOptionsError> =>
  Effect.withFiberRuntime((fiber) =>
    Either.map(decodeKeyed(options ?? {}), (decoded) =>
      new KeyedImpl<K>(
        decoded.name ?? "keyed",
        optionsFor,
        decoded.idleTimeout === undefined
          ? 60_000
          : Duration.toMillis(Duration.decode(decoded.idleTimeout as Duration.DurationInput)),
        Context.get(fiber.currentDefaultServices, Clock.Clock)
      ))
  )
