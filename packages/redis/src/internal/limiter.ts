import { Errors, Limiter, Options } from "@taskscope/core"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import { format, NodeInspectSymbol } from "effect/Inspectable"
import { pipeArguments } from "effect/Pipeable"
import * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { type Client, NO_WAIT, type RunOptions, Script } from "./client.js"

const NOW = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`

// KEYS: holders (zset lease -> expiry), weights (hash lease -> permits), waiters (zset ticket -> seq),
//       waiterExpiry (zset ticket -> expiry), seq, pause, capacity
// ARGV: ticket, permits, ttlMs, try (1/0), default capacity
const PURGE = `
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
for _, l in ipairs(dead) do redis.call('ZREM', KEYS[1], l); redis.call('HDEL', KEYS[2], l) end
local gone = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now)
for _, w in ipairs(gone) do redis.call('ZREM', KEYS[4], w); redis.call('ZREM', KEYS[3], w) end
local cap = tonumber(redis.call('GET', KEYS[7]) or ARGV[5])
local held = 0
for _, v in ipairs(redis.call('HVALS', KEYS[2])) do held = held + tonumber(v) end
`

const acquireScript = new Script(
  "limiter acquire",
  `${NOW}
${PURGE}
local ticket = ARGV[1]; local permits = tonumber(ARGV[2]); local ttl = tonumber(ARGV[3])
if redis.call('ZSCORE', KEYS[1], ticket) then return {1, 0} end
local pausedUntil = tonumber(redis.call('GET', KEYS[6]) or '0')
local queued = redis.call('ZSCORE', KEYS[3], ticket)
local head = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
local first = (queued and head == ticket) or ((not queued) and head == nil)
if first and now >= pausedUntil and held + permits <= cap then
  if queued then redis.call('ZREM', KEYS[3], ticket); redis.call('ZREM', KEYS[4], ticket) end
  redis.call('ZADD', KEYS[1], now + ttl, ticket)
  redis.call('HSET', KEYS[2], ticket, permits)
  return {1, 0}
end
if ARGV[4] == '1' then return {0, 0} end
if not queued then redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[5]), ticket) end
redis.call('ZADD', KEYS[4], now + ttl, ticket)
if now < pausedUntil then return {0, pausedUntil - now} end
return {0, 0}`
)

// KEYS: holders, weights, waiters, waiterExpiry. ARGV: ticket. Returns the permits it held (0 if none).
const releaseScript = new Script(
  "limiter release",
  `local w = redis.call('HGET', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1]); redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1]); redis.call('ZREM', KEYS[4], ARGV[1])
return tonumber(w or '0')`
)

// KEYS: holders. ARGV: ttlMs, lease... Returns the leases that were no longer held.
const renewScript = new Script(
  "limiter renew",
  `${NOW}
local lost = {}
for i = 2, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i])
  else table.insert(lost, ARGV[i]) end
end
return lost`
)

// KEYS: window (zset member -> start ms), pause. ARGV: limit, intervalMs, cost, ticket, try
const slidingScript = new Script(
  "limiter rate (sliding window)",
  `${NOW}
local limit = tonumber(ARGV[1]); local interval = tonumber(ARGV[2]); local cost = tonumber(ARGV[3])
if redis.call('ZSCORE', KEYS[1], ARGV[4] .. ':1') then return {1, 0} end
local pausedUntil = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < pausedUntil then return {0, pausedUntil - now} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - interval)
local count = redis.call('ZCARD', KEYS[1])
if count + cost <= limit then
  for i = 1, cost do redis.call('ZADD', KEYS[1], now, ARGV[4] .. ':' .. i) end
  redis.call('PEXPIRE', KEYS[1], interval + 1000)
  return {1, 0}
end
if ARGV[5] == '1' then return {0, 0} end
local e = redis.call('ZRANGE', KEYS[1], count + cost - limit - 1, count + cost - limit - 1, 'WITHSCORES')
return {0, tonumber(e[2]) + interval - now + 1}`
)

// GCRA (a token bucket kept as one "theoretical arrival time"). KEYS: tat, pause. ARGV: limit, intervalMs, burst, cost, try
const bucketScript = new Script(
  "limiter rate (token bucket)",
  `${NOW}
local pausedUntil = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < pausedUntil then return {0, pausedUntil - now} end
local emission = tonumber(ARGV[2]) / tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local newTat = tat + emission * tonumber(ARGV[4])
local allowAt = newTat - emission * tonumber(ARGV[3])
if now < allowAt then
  if ARGV[5] == '1' then return {0, 0} end
  return {0, math.ceil(allowAt - now)}
end
redis.call('SET', KEYS[1], tostring(newTat), 'PX', math.ceil(newTat - now) + 1000)
return {1, 0}`
)

// KEYS: pause. ARGV: ms. The pause only ever grows.
const pauseScript = new Script(
  "limiter pause",
  `${NOW}
local untilMs = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > current then redis.call('SET', KEYS[1], untilMs, 'PX', tonumber(ARGV[1]) + 1000) end
return 1`
)

// KEYS: as acquire + rate key. ARGV: default capacity, algorithm, limit, intervalMs, burst
const statsScript = new Script(
  "limiter stats",
  `${NOW}
${PURGE}
local holders = redis.call('HGETALL', KEYS[2])
local waiters = redis.call('ZRANGE', KEYS[3], 0, -1)
local pausedUntil = tonumber(redis.call('GET', KEYS[6]) or '0')
local available = -1
if ARGV[2] == 'slidingWindow' then
  redis.call('ZREMRANGEBYSCORE', KEYS[8], '-inf', now - tonumber(ARGV[4]))
  available = tonumber(ARGV[3]) - redis.call('ZCARD', KEYS[8])
elseif ARGV[2] == 'tokenBucket' then
  local emission = tonumber(ARGV[4]) / tonumber(ARGV[3])
  local tat = tonumber(redis.call('GET', KEYS[8]) or now)
  if tat < now then tat = now end
  available = math.floor((now - (tat - emission * tonumber(ARGV[5]))) / emission)
end
return {tostring(cap), held, holders, waiters, math.max(0, pausedUntil - now), available}`
)

const setCapacityScript = new Script(
  "limiter resize",
  `redis.call('SET', KEYS[1], ARGV[1]); return 1`
)

const processTag = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`
let ticketSeq = 0

/** Infinity as Lua reads it (`tonumber("1e999")` is `math.huge`). */
const capacityArg = (capacity: number): string | number => capacity === Infinity ? "1e999" : capacity

/** @internal */
export interface LimiterConfig {
  readonly name: string
  readonly concurrency: number
  readonly rate:
    | {
      readonly algorithm: "tokenBucket" | "slidingWindow"
      readonly limit: number
      readonly intervalMs: number
      readonly burst: number
    }
    | undefined
  readonly leaseTtl: Duration.Duration
  readonly pollInterval: Duration.Duration
}

interface Lease {
  readonly ticket: string
  readonly permits: number
  readonly fiber: string
}

/** A local waiter napping between polls of Redis: woken early, oldest ticket first, by a local release. */
interface Napper {
  readonly seq: number
  readonly wake: () => void
  done: boolean
}

/** A min-heap of nappers by ticket number (oldest first); woken or interrupted ones are skipped lazily. */
class Nappers {
  readonly items: Array<Napper> = []
  live = 0
  add(napper: Napper): void {
    const items = this.items
    let i = items.length
    items.push(napper)
    this.live++
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (items[parent]!.seq <= napper.seq) break
      items[i] = items[parent]!
      i = parent
    }
    items[i] = napper
  }
  private pop(): Napper | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined) return undefined
    if (items.length > 0) {
      let i = 0
      const n = items.length
      while (true) {
        const l = 2 * i + 1
        if (l >= n) break
        const r = l + 1
        const m = r < n && items[r]!.seq < items[l]!.seq ? r : l
        if (items[m]!.seq >= last.seq) break
        items[i] = items[m]!
        i = m
      }
      items[i] = last
    }
    return top
  }
  /** Marks a napper gone (woken by its timer, or interrupted). */
  remove(napper: Napper): void {
    if (!napper.done) {
      napper.done = true
      this.live--
    }
    // drop the dead at the top, so the heap does not grow with them
    while (this.items.length > 0 && this.items[0]!.done) this.pop()
  }
  /** Wakes the oldest live napper. */
  wakeOldest(): void {
    while (this.items.length > 0) {
      const napper = this.pop()!
      if (napper.done) continue
      napper.done = true
      this.live--
      napper.wake()
      return
    }
  }
  wakeAll(): void {
    const all = this.items.splice(0)
    for (const napper of all) {
      if (napper.done) continue
      napper.done = true
      napper.wake()
    }
    this.live = 0
  }
}

const illegal = (subject: string, detail: string) => new Cause.IllegalArgumentException(`${subject}: ${detail}`)
const show = (u: unknown) => typeof u === "string" ? JSON.stringify(u) : String(u)
const checkResize = Options.decodeOrDie("Limiter.resize", Options.NonNegativeIntOrInfinity)
const checkPause = Options.decodeOrDie("Limiter.pause", Options.FiniteDuration)
const checkRelease = Options.decodeOrDie("Limiter.release", Options.NonNegativeInt)

/**
 * A limiter whose state lives in Redis. Concurrency permits are leases with a time-to-live, kept
 * alive by a heartbeat while held; waiters queue in Redis in arrival order. The rate is an atomic
 * Lua script (exact sliding window, or GCRA for the token bucket) on the Redis server's clock.
 *
 * @internal
 */
export class RedisLimiterImpl implements Limiter.Limiter<Errors.BackendError> {
  readonly [Limiter.TypeId]: Limiter.TypeId = Limiter.TypeId
  readonly keys: ReadonlyArray<string>
  readonly rateKeys: ReadonlyArray<string>
  readonly leases: Array<Lease> = []
  /** Local waiters napping between polls: a release wakes the oldest one early. */
  private readonly nappers = new Nappers()
  /** Callers of this process waiting for the rate (they queue at the local gate, in order). */
  private rateQueued = 0
  capacity: number
  /** Calls of this process between asking and settling (for idle eviction of keyed limiters). */
  active = 0
  lastUsed = Date.now()
  /** The heartbeat that renews this process's leases; runs only while it holds some. */
  private beat: Fiber.RuntimeFiber<void> | undefined = undefined
  private beating = false
  closed = false

  constructor(
    readonly client: Client,
    readonly config: LimiterConfig,
    readonly rateGate: Limiter.Limiter,
    /** The runtime of the scope that made the limiter: its own work runs there, with its logger. */
    readonly runtime: Runtime.Runtime<never>
  ) {
    const base = `{${client.key("limiter", config.name)}}`
    this.keys = ["holders", "weights", "waiters", "waiterExpiry", "seq", "pause", "capacity"].map((k) => `${base}:${k}`)
    this.rateKeys = [`${base}:rate`, `${base}:pause`]
    this.capacity = config.concurrency
    client.lostListeners.add(this.onLost)
    client.backListeners.add(this.onBack)
  }

  /** A lost connection wakes every napping waiter, so that each one sees it at once (fails, or waits for it). */
  private readonly onLost = () => this.nappers.wakeAll()

  /**
   * Tickets and leases that could not be given back while the connection was lost: given back as
   * soon as it is back, so that nobody waits for them to expire (`leaseTtl`).
   */
  readonly unsentReleases = new Set<string>()

  private readonly onBack = () => {
    const tickets = [...this.unsentReleases]
    this.unsentReleases.clear()
    if (tickets.length === 0) return
    Runtime.runFork(this.runtime)(
      Effect.zipRight(
        Effect.forEach(tickets, (ticket) => Effect.ignore(this.releaseTicket(ticket)), { discard: true }),
        Effect.sync(() => this.nappers.wakeAll())
      )
    )
  }

  get name(): string {
    return this.config.name
  }

  private ticket(): Effect.Effect<string> {
    return Effect.map(Effect.fiberId, (id) => `${processTag}/${FiberId.threadName(id)}/${++ticketSeq}`)
  }

  /** The permits and cost of one call; a request that is malformed, or could never be granted, is a defect. */
  private check(subject: string, options: Limiter.AcquireOptions | undefined): { permits: number; cost: number } {
    const permits = options?.permits ?? (this.capacity === Infinity ? 0 : 1)
    const cost = options?.cost ?? 1
    if (!Number.isInteger(permits) || permits < 0) {
      throw illegal(subject, `permits: Expected a non-negative integer, actual ${show(permits)}`)
    }
    if (permits > this.capacity && this.capacity > 0) {
      throw illegal(
        subject,
        `permits: ${permits} can never be granted: Limiter "${this.name}" has a capacity of ${this.capacity}`
      )
    }
    if (typeof cost !== "number" || !Number.isFinite(cost) || cost < 0) {
      throw illegal(subject, `cost: Expected a non-negative number, actual ${show(cost)}`)
    }
    const rate = this.config.rate
    if (rate !== undefined) {
      if (rate.algorithm === "slidingWindow" && !Number.isInteger(cost)) {
        throw illegal(subject, `cost: a sliding window counts whole starts: Expected an integer, actual ${cost}`)
      }
      const max = rate.algorithm === "slidingWindow" ? rate.limit : rate.burst
      if (cost > max) {
        throw illegal(
          subject,
          `cost: ${cost} can never be granted: Limiter "${this.name}" lets at most ${max} start at once`
        )
      }
    }
    return { permits, cost }
  }

  /** Sleeps `ms` at most, or until a local release wakes this waiter (the oldest napping one first). */
  private nap(seq: number, ms: number): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      let timer: ReturnType<typeof setTimeout> | undefined = undefined
      const napper: Napper = {
        seq,
        done: false,
        wake: () => {
          clearTimeout(timer)
          resume(Effect.void)
        }
      }
      timer = setTimeout(() => {
        this.nappers.remove(napper)
        resume(Effect.void)
      }, Math.max(1, ms))
      this.nappers.add(napper)
      return Effect.sync(() => {
        clearTimeout(timer)
        this.nappers.remove(napper)
      })
    })
  }

  private eval(
    script: Script,
    keys: ReadonlyArray<string>,
    args: ReadonlyArray<string | number>,
    options?: RunOptions
  ) {
    return Effect.flatMap(this.client.eval(script, keys, args, options), (reply) =>
      Array.isArray(reply)
        ? Effect.succeed(reply as Array<unknown>)
        : Effect.fail(
          new Errors.BackendError({
            backend: "redis",
            operation: script.name,
            reason: "protocol",
            detail: `unexpected reply ${String(reply)}`
          })
        ))
  }

  /** Polls Redis until the ticket holds its permits. Interruption anywhere removes the ticket (and any lease it got). */
  private acquirePermits(
    ticket: string,
    permits: number,
    tryOnly: boolean
  ): Effect.Effect<boolean, Errors.BackendError> {
    const ttl = Duration.toMillis(this.config.leaseTtl)
    const poll = Duration.toMillis(this.config.pollInterval)
    const seq = Number(ticket.slice(ticket.lastIndexOf("/") + 1))
    const attempt: Effect.Effect<boolean, Errors.BackendError> = Effect.flatMap(
      Effect.suspend(() =>
        this.eval(
          acquireScript,
          this.keys,
          [ticket, permits, ttl, tryOnly ? 1 : 0, capacityArg(this.capacity)],
          // tryAcquire never waits, not even for a lost connection
          tryOnly ? NO_WAIT : undefined
        )
      ),
      ([granted, wait]) => {
        if (Number(granted) === 1) {
          // there may be room for the next local waiter too
          this.nappers.wakeOldest()
          return Effect.succeed(true)
        }
        if (tryOnly) return Effect.succeed(false)
        return Effect.zipRight(this.nap(seq, Math.min(Math.max(Number(wait), poll), ttl / 3)), attempt)
      }
    )
    return attempt
  }

  private acquireRate(ticket: string, cost: number, tryOnly: boolean): Effect.Effect<boolean, Errors.BackendError> {
    const rate = this.config.rate
    if (rate === undefined || cost === 0) return Effect.succeed(true)
    const mode = tryOnly ? NO_WAIT : undefined
    const call = (tryFlag: boolean) =>
      Effect.map(
        rate.algorithm === "slidingWindow"
          ? this.eval(slidingScript, this.rateKeys, [rate.limit, rate.intervalMs, cost, ticket, tryFlag ? 1 : 0], mode)
          : this.eval(
            bucketScript,
            this.rateKeys,
            [rate.limit, rate.intervalMs, rate.burst, cost, tryFlag ? 1 : 0],
            mode
          ),
        ([granted, wait]) => ({ granted: Number(granted) === 1, wait: Math.max(1, Number(wait)) })
      )
    if (tryOnly) return Effect.map(call(true), (r) => r.granted)
    const waitLoop: Effect.Effect<boolean, Errors.BackendError> = Effect.flatMap(
      call(false),
      (r) =>
        r.granted
          ? Effect.succeed(true)
          // a loss of the connection ends the wait at once: the next call says so (or waits for it)
          : Effect.zipRight(Effect.raceFirst(Effect.sleep(Duration.millis(r.wait)), this.client.whenLost), waitLoop)
    )
    // callers that must wait queue at the local gate, so they start in order and one at a time asks Redis
    const queued = Effect.acquireUseRelease(
      Effect.sync(() => this.rateQueued++),
      () => this.rateGate.withPermit(waitLoop),
      () => Effect.sync(() => this.rateQueued--)
    )
    // nobody of this process is waiting: ask at once (many callers' requests share the connection)
    return Effect.suspend(() =>
      this.rateQueued > 0 ? queued : Effect.flatMap(call(true), (r) => r.granted ? Effect.succeed(true) : queued)
    )
  }

  /**
   * Gives a ticket (and its lease) back. Never waits for a lost connection: the lease then expires on
   * the server after `leaseTtl`, and the waiter's ticket with it.
   */
  private releaseTicket(ticket: string): Effect.Effect<number, Errors.BackendError> {
    return this.client.eval(releaseScript, this.keys.slice(0, 4), [ticket], NO_WAIT).pipe(
      Effect.map((reply) => Number(reply)),
      Effect.tapError(() => Effect.sync(() => this.client.isLost && this.unsentReleases.add(ticket)))
    )
  }

  /** Records a lease and makes sure the heartbeat runs while this process holds any. */
  private hold(lease: Lease): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.leases.push(lease)
      if (this.beating || this.closed) return Effect.void
      this.beating = true
      return Effect.map(Effect.forkDaemon(this.heartbeat), (fiber) => {
        this.beat = fiber
      })
    })
  }

  /** Takes permits and rate units; on success the lease is recorded locally and kept alive by the heartbeat. */
  private take(
    subject: string,
    options: Limiter.AcquireOptions | undefined,
    tryOnly: boolean
  ): Effect.Effect<Lease | undefined, Errors.BackendError> {
    return Effect.suspend(() => {
      const { cost, permits } = this.check(subject, options)
      return Effect.flatMap(this.ticket(), (ticket) =>
        Effect.uninterruptibleMask((restore) => {
          const lease: Lease = { ticket, permits, fiber: ticket.slice(0, ticket.lastIndexOf("/")) }
          const give = permits > 0
            ? Effect.zipRight(Effect.ignore(this.releaseTicket(ticket)), Effect.sync(() => this.nappers.wakeOldest()))
            : Effect.void
          this.active++
          this.lastUsed = Date.now()
          return restore(
            Effect.gen(this, function*() {
              if (permits > 0) {
                const got = yield* this.acquirePermits(ticket, permits, tryOnly)
                if (!got) return undefined
                // permits held: the heartbeat keeps them alive while the rate is waited for
                yield* this.hold(lease)
              }
              const ok = yield* this.acquireRate(ticket, cost, tryOnly)
              if (!ok) {
                this.forget(lease)
                yield* give
                return undefined
              }
              return lease
            })
          ).pipe(
            Effect.onExit((exit) =>
              Effect.zipRight(
                Effect.sync(() => {
                  this.active--
                  this.lastUsed = Date.now()
                }),
                exit._tag === "Success" ? Effect.void : Effect.zipRight(Effect.sync(() => this.forget(lease)), give)
              )
            )
          )
        }))
    })
  }

  private forget(lease: Lease): boolean {
    const i = this.leases.indexOf(lease)
    if (i < 0) return false
    this.leases.splice(i, 1)
    return true
  }

  /** Gives a lease back (when run: it is built before the effect it guards ends). */
  private giveBack(lease: Lease): Effect.Effect<void, Errors.BackendError> {
    return Effect.suspend(() => {
      if (!this.forget(lease) || lease.permits === 0) return Effect.void
      this.lastUsed = Date.now()
      return Effect.zipRight(this.releaseTicket(lease.ticket), Effect.sync(() => this.nappers.wakeOldest()))
    })
  }

  withPermit<A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options?: Limiter.AcquireOptions
  ): Effect.Effect<A, E | Errors.BackendError, R> {
    return Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(restore(this.take("Limiter.withPermit", options, false)), (lease) =>
        restore(effect).pipe(
          Effect.ensuring(lease === undefined ? Effect.void : Effect.ignore(this.giveBack(lease)))
        ))
    )
  }

  acquire(options?: Limiter.AcquireOptions): Effect.Effect<void, Errors.BackendError> {
    return Effect.asVoid(this.take("Limiter.acquire", options, false))
  }

  tryAcquire(options?: Limiter.AcquireOptions): Effect.Effect<boolean, Errors.BackendError> {
    return Effect.map(this.take("Limiter.tryAcquire", options, true), (lease) => lease !== undefined)
  }

  release(permits = 1): Effect.Effect<void, Limiter.OverReleaseError | Errors.BackendError> {
    return Effect.flatMap(Effect.fiberId, (id): Effect.Effect<void, Limiter.OverReleaseError | Errors.BackendError> => {
      checkRelease(permits)
      if (permits === 0) return Effect.void
      const fiber = `${processTag}/${FiberId.threadName(id)}`
      // the calling fiber's most recent lease, else this process's oldest one of that size
      let lease: Lease | undefined
      for (let i = this.leases.length - 1; i >= 0 && lease === undefined; i--) {
        const l = this.leases[i]!
        if (l.fiber === fiber && l.permits === permits) lease = l
      }
      lease ??= this.leases.find((l) => l.permits === permits)
      if (lease === undefined) {
        return Effect.fail(
          new Limiter.OverReleaseError({ limiter: this.name, released: permits, capacity: this.capacity })
        )
      }
      return this.giveBack(lease)
    })
  }

  resize(capacity: number): Effect.Effect<void, Errors.BackendError> {
    return Effect.suspend(() => {
      checkResize(capacity)
      return Effect.zipRight(
        this.client.eval(setCapacityScript, [this.keys[6]!], [capacityArg(capacity)]),
        Effect.sync(() => {
          this.capacity = capacity
          this.nappers.wakeAll()
        })
      )
    })
  }

  pause(duration: Duration.DurationInput): Effect.Effect<void, Errors.BackendError> {
    return Effect.suspend(() => {
      const ms = Math.ceil(Duration.toMillis(checkPause(duration)))
      if (ms <= 0) return Effect.void
      return Effect.asVoid(this.client.eval(pauseScript, [this.keys[5]!], [ms]))
    })
  }

  get stats(): Effect.Effect<Limiter.Stats, Errors.BackendError> {
    const rate = this.config.rate
    return Effect.map(
      Effect.suspend(() =>
        this.eval(statsScript, [...this.keys, this.rateKeys[0]!], [
          capacityArg(this.capacity),
          rate?.algorithm ?? "none",
          rate?.limit ?? 0,
          rate?.intervalMs ?? 0,
          rate?.burst ?? 0
        ], NO_WAIT)
      ),
      ([cap, held, holders, waiters, pausedFor, available]) => {
        const capacity = cap === "inf" ? Infinity : Number(cap)
        const pairs = holders as Array<string>
        const byName = new Map<string, number>()
        for (let i = 0; i < pairs.length; i += 2) {
          const name = holderName(pairs[i]!)
          byName.set(name, (byName.get(name) ?? 0) + Number(pairs[i + 1]))
        }
        const queue = waiters as Array<string>
        const paused = Number(pausedFor)
        return {
          name: this.name,
          capacity,
          available: capacity - Number(held),
          held: Number(held),
          holders: [...byName].map(([name, permits]) => ({ name, permits })),
          waiting: queue.length,
          waiters: queue.map((ticket, i) => ({
            name: holderName(ticket),
            permits: 1,
            cost: 1,
            reason: paused > 0 ? "paused" as const : i === 0 ? "concurrency" as const : "queue" as const,
            waitingFor: Duration.zero
          })),
          pausedFor: Duration.millis(paused),
          rate: rate === undefined ? undefined : {
            algorithm: rate.algorithm,
            limit: rate.limit,
            interval: Duration.millis(rate.intervalMs),
            available: Math.max(
              0,
              Math.min(rate.algorithm === "tokenBucket" ? rate.burst : rate.limit, Number(available))
            )
          }
        }
      }
    )
  }

  /** True when this process neither holds nor asks for anything, and has not for `idleMs`. */
  isIdle(now: number, idleMs: number): boolean {
    return this.active === 0 && this.leases.length === 0 && now - this.lastUsed >= idleMs
  }

  /** Keeps the leases held by this process alive; ends when it holds none. */
  private get heartbeat(): Effect.Effect<void> {
    const ttl = Duration.toMillis(this.config.leaseTtl)
    const beat = Effect.suspend(() => {
      // while the connection is lost there is nothing to renew on (the connection's state says so)
      if (this.leases.length === 0 || this.client.isLost) return Effect.void
      return this.client.eval(renewScript, [this.keys[0]!], [ttl, ...this.leases.map((l) => l.ticket)], NO_WAIT).pipe(
        Effect.flatMap((lost) =>
          Array.isArray(lost) && lost.length > 0
            ? Effect.logWarning(
              `limiter ${this.name}: ${lost.length} lease(s) expired before their heartbeat could renew them (this process was stalled, or Redis out of reach, for longer than leaseTtl): the limit may be exceeded once`
            )
            : Effect.void
        ),
        Effect.catchAll((e) =>
          this.client.isLost || this.client.closed
            ? Effect.void
            : Effect.logWarning(`limiter ${this.name}: heartbeat failed: ${e.message}`)
        )
      )
    })
    const loop: Effect.Effect<void> = Effect.suspend(() => {
      if (this.leases.length === 0 || this.closed) {
        this.beat = undefined
        this.beating = false
        return Effect.void
      }
      return Effect.zipRight(Effect.zipRight(Effect.sleep(Duration.millis(ttl / 3)), beat), loop)
    })
    return loop
  }

  /** Stops the heartbeat and gives back whatever this process still holds. */
  get close(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.closed = true
      this.client.lostListeners.delete(this.onLost)
      this.client.backListeners.delete(this.onBack)
      const beat = this.beat
      this.beat = undefined
      return Effect.zipRight(
        beat === undefined ? Effect.void : Fiber.interrupt(beat),
        Effect.forEach([...this.leases], (lease) => Effect.ignore(this.giveBack(lease)), { discard: true })
      )
    })
  }

  pipe() {
    return pipeArguments(this, arguments)
  }

  toJSON(): unknown {
    return { _id: "Limiter", backend: "redis", name: this.name }
  }

  toString(): string {
    return format(this.toJSON())
  }

  [NodeInspectSymbol](): unknown {
    return this.toJSON()
  }
}

/** The holder of a lease or ticket: `host/pid/tag/#fiber`. */
const holderName = (ticket: string): string => ticket.slice(0, ticket.lastIndexOf("/"))

/** @internal */
export const make = (
  client: Client,
  config: LimiterConfig
): Effect.Effect<RedisLimiterImpl, Errors.BackendError, Scope.Scope> =>
  Effect.gen(function*() {
    const gate = yield* Limiter.semaphore(1, { name: `${config.name} rate gate` })
    const limiter = new RedisLimiterImpl(client, config, gate, yield* Effect.runtime<never>())
    // the latest process to configure the limiter sets its capacity
    if (config.concurrency !== Infinity) {
      yield* client.eval(setCapacityScript, [limiter.keys[6]!], [config.concurrency])
    }
    yield* Effect.addFinalizer(() => limiter.close)
    return limiter
  })

/**
 * A limiter per key, shared across processes: the limiter of `key` is called `name:key`, its state
 * lives in Redis. The local handle of a key idle for `idleMs` is closed (its state stays in Redis, so
 * a handle made again later behaves the same).
 * @internal
 */
export class RedisKeyed<K> implements Limiter.Keyed<K, Errors.BackendError> {
  readonly limiters = new Map<K, { readonly limiter: RedisLimiterImpl; readonly scope: Scope.CloseableScope }>()
  lastSweep = Date.now()

  constructor(
    readonly name: string,
    readonly optionsFor: (key: K) => KeyOptions,
    readonly idleMs: number,
    readonly makeKey: (
      key: K,
      options: KeyOptions
    ) => Effect.Effect<RedisLimiterImpl, Errors.BackendError, Scope.Scope>,
    readonly scope: Scope.Scope
  ) {}

  /** Closes the handles of keys idle for `idleMs` (at most every half of it). */
  private get sweep(): Effect.Effect<void> {
    return Effect.suspend(() => {
      const now = Date.now()
      if (now - this.lastSweep < this.idleMs / 2) return Effect.void
      this.lastSweep = now
      const idle: Array<Scope.CloseableScope> = []
      for (const [key, entry] of this.limiters) {
        if (entry.limiter.isIdle(now, this.idleMs)) {
          this.limiters.delete(key)
          idle.push(entry.scope)
        }
      }
      return Effect.forEach(idle, (scope) => Scope.close(scope, Exit.void), { discard: true })
    })
  }

  get(key: K): Effect.Effect<Limiter.Limiter<Errors.BackendError>, Errors.BackendError> {
    return this.unsafeGet(key)
  }

  private unsafeGet(key: K): Effect.Effect<RedisLimiterImpl, Errors.BackendError> {
    return Effect.zipRight(
      this.sweep,
      Effect.suspend(() => {
        const found = this.limiters.get(key)
        if (found !== undefined) return Effect.succeed(found.limiter)
        const options = this.optionsFor(key)
        return Effect.uninterruptible(
          Effect.flatMap(Scope.fork(this.scope, ExecutionStrategy.sequential), (scope) =>
            Effect.flatMap(
              Effect.onError(
                Scope.extend(this.makeKey(key, options), scope),
                (cause) => Scope.close(scope, Exit.failCause(cause))
              ),
              (limiter) => {
                // two callers raced to make it: keep the first, close the second
                const first = this.limiters.get(key)
                if (first !== undefined) return Effect.as(Scope.close(scope, Exit.void), first.limiter)
                this.limiters.set(key, { limiter, scope })
                return Effect.succeed(limiter)
              }
            ))
        )
      })
    )
  }

  withPermit<A, E, R>(
    key: K,
    effect: Effect.Effect<A, E, R>,
    options?: Limiter.AcquireOptions
  ): Effect.Effect<A, E | Errors.BackendError, R> {
    return Effect.flatMap(this.unsafeGet(key), (limiter) => limiter.withPermit(effect, options))
  }

  pause(key: K, duration: Duration.DurationInput): Effect.Effect<void, Errors.BackendError> {
    return Effect.flatMap(this.unsafeGet(key), (limiter) => limiter.pause(duration))
  }

  get stats(): Effect.Effect<ReadonlyMap<K, Limiter.Stats>, Errors.BackendError> {
    return Effect.zipRight(
      this.sweep,
      Effect.map(
        Effect.forEach([...this.limiters], ([key, { limiter }]) => Effect.map(limiter.stats, (s) => [key, s] as const)),
        (entries) => new Map(entries)
      )
    )
  }

  get size(): Effect.Effect<number> {
    return Effect.zipRight(this.sweep, Effect.sync(() => this.limiters.size))
  }
}

/** The options `optionsFor` gives a key of a shared keyed limiter. @internal */
export type KeyOptions = Limiter.Options & {
  readonly leaseTtl?: Duration.DurationInput
  readonly pollInterval?: Duration.DurationInput
}

/** @internal */
export const keyName = (name: string, key: unknown): string => `${name}:${String(key)}`
