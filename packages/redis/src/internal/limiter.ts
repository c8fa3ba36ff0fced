import { Errors, Limiter } from "@taskscope/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import { format, NodeInspectSymbol } from "effect/Inspectable"
import { pipeArguments } from "effect/Pipeable"
import type * as Scope from "effect/Scope"
import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { type Client, Script } from "./client.js"

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
  /** Local waiters napping between polls, by ticket number: a release wakes the oldest one early. */
  private readonly wake = new Map<number, () => void>()
  /** Callers of this process waiting for the rate (they queue at the local gate, in order). */
  private rateQueued = 0
  private capacity: number
  /** Local FIFO in front of the rate script: one caller per process polls Redis at a time. */
  readonly rateGate: Limiter.Limiter

  constructor(readonly client: Client, readonly config: LimiterConfig, rateGate: Limiter.Limiter) {
    const base = `{${client.key("limiter", config.name)}}`
    this.keys = ["holders", "weights", "waiters", "waiterExpiry", "seq", "pause", "capacity"].map((k) => `${base}:${k}`)
    this.rateKeys = [`${base}:rate`, `${base}:pause`]
    this.capacity = config.concurrency
    this.rateGate = rateGate
  }

  get name(): string {
    return this.config.name
  }

  private ticket(): Effect.Effect<string> {
    return Effect.map(Effect.fiberId, (id) => `${processTag}/${FiberId.threadName(id)}/${++ticketSeq}`)
  }

  private decodePermits(options: Limiter.AcquireOptions | undefined) {
    const permits = options?.permits ?? (this.config.concurrency === Infinity ? 0 : 1)
    const cost = options?.cost ?? 1
    if (!Number.isInteger(permits) || permits < 0) {
      return Effect.fail(
        new Errors.InvalidOptionsError({
          subject: "Limiter.acquire",
          detail: `permits: Expected a non-negative integer, actual ${permits}`
        })
      )
    }
    if (!Number.isInteger(cost) || cost < 0) {
      return Effect.fail(
        new Errors.InvalidOptionsError({
          subject: "Limiter.acquire",
          detail: `cost: Expected a non-negative integer, actual ${cost}`
        })
      )
    }
    if (permits > this.capacity) {
      return Effect.fail(
        new Errors.InvalidOptionsError({
          subject: "Limiter.acquire",
          detail: `permits: ${permits} can never be granted by a limiter of ${this.capacity}`
        })
      )
    }
    if (this.config.rate !== undefined && cost > Math.max(this.config.rate.limit, this.config.rate.burst)) {
      return Effect.fail(
        new Errors.InvalidOptionsError({
          subject: "Limiter.acquire",
          detail: `cost: ${cost} is more than the rate allows at once (${this.config.rate.limit})`
        })
      )
    }
    return Effect.succeed({ permits, cost })
  }

  /** Sleeps `ms` at most, or until a local release wakes this waiter (the oldest napping one). */
  private nap(seq: number, ms: number): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      let done = false
      const wake = () => {
        if (done) return
        done = true
        this.wake.delete(seq)
        clearTimeout(timer)
        resume(Effect.void)
      }
      const timer = setTimeout(wake, Math.max(1, ms))
      this.wake.set(seq, wake)
      return Effect.sync(() => {
        done = true
        this.wake.delete(seq)
        clearTimeout(timer)
      })
    })
  }

  /** Wakes the oldest napping local waiter (one Redis call; it wakes the next if it gets permits). */
  private wakeOne(): void {
    let oldest: number | undefined
    for (const seq of this.wake.keys()) if (oldest === undefined || seq < oldest) oldest = seq
    if (oldest !== undefined) this.wake.get(oldest)!()
  }

  private wakeAll(): void {
    for (const wake of [...this.wake.values()]) wake()
  }

  private eval(script: Script, keys: ReadonlyArray<string>, args: ReadonlyArray<string | number>) {
    return Effect.flatMap(this.client.eval(script, keys, args), (reply) =>
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
      this.eval(acquireScript, this.keys, [ticket, permits, ttl, tryOnly ? 1 : 0, this.capacity]),
      ([granted, wait]) => {
        if (Number(granted) === 1) {
          // there may be room for the next local waiter too
          this.wakeOne()
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
    const call = (tryFlag: boolean) =>
      Effect.map(
        rate.algorithm === "slidingWindow"
          ? this.eval(slidingScript, this.rateKeys, [rate.limit, rate.intervalMs, cost, ticket, tryFlag ? 1 : 0])
          : this.eval(bucketScript, this.rateKeys, [rate.limit, rate.intervalMs, rate.burst, cost, tryFlag ? 1 : 0]),
        ([granted, wait]) => ({ granted: Number(granted) === 1, wait: Math.max(1, Number(wait)) })
      )
    if (tryOnly) return Effect.map(call(true), (r) => r.granted)
    const waitLoop: Effect.Effect<boolean, Errors.BackendError> = Effect.flatMap(
      call(false),
      (r) => r.granted ? Effect.succeed(true) : Effect.zipRight(Effect.sleep(Duration.millis(r.wait)), waitLoop)
    )
    // callers that must wait queue at the local gate, so they start in order and one at a time asks Redis
    const queued = Effect.acquireUseRelease(
      Effect.sync(() => this.rateQueued++),
      () => this.rateGate.withPermit(waitLoop) as Effect.Effect<boolean, Errors.BackendError>,
      () => Effect.sync(() => this.rateQueued--)
    )
    // nobody of this process is waiting: ask at once (many callers' requests share the connection)
    return Effect.suspend(() =>
      this.rateQueued > 0 ? queued : Effect.flatMap(call(true), (r) => r.granted ? Effect.succeed(true) : queued)
    )
  }

  private releaseTicket(ticket: string): Effect.Effect<number, Errors.BackendError> {
    return Effect.map(this.client.eval(releaseScript, this.keys.slice(0, 4), [ticket]), (reply) => Number(reply))
  }

  /** Takes permits and rate units; on success the lease is recorded locally and kept alive by the heartbeat. */
  private take(
    options: Limiter.AcquireOptions | undefined,
    tryOnly: boolean
  ): Effect.Effect<Lease | undefined, Errors.InvalidOptionsError | Errors.BackendError> {
    return Effect.flatMap(
      this.decodePermits(options),
      ({ cost, permits }) =>
        Effect.flatMap(this.ticket(), (ticket) =>
          Effect.uninterruptibleMask((restore) => {
            const lease: Lease = { ticket, permits, fiber: ticket.split("/").slice(0, -1).join("/") }
            const give = permits > 0
              ? Effect.zipRight(Effect.ignore(this.releaseTicket(ticket)), Effect.sync(() => this.wakeOne()))
              : Effect.void
            return restore(
              Effect.gen(this, function*() {
                if (permits > 0) {
                  const got = yield* this.acquirePermits(ticket, permits, tryOnly)
                  if (!got) return undefined
                }
                // permits held: the heartbeat keeps them alive while the rate is waited for
                if (permits > 0) this.leases.push(lease)
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
                exit._tag === "Success" ? Effect.void : Effect.zipRight(Effect.sync(() => this.forget(lease)), give)
              )
            )
          }))
    )
  }

  private forget(lease: Lease): boolean {
    const i = this.leases.indexOf(lease)
    if (i < 0) return false
    this.leases.splice(i, 1)
    return true
  }

  private giveBack(lease: Lease): Effect.Effect<void, Errors.BackendError> {
    if (!this.forget(lease) || lease.permits === 0) return Effect.void
    return Effect.zipRight(this.releaseTicket(lease.ticket), Effect.sync(() => this.wakeOne()))
  }

  withPermit<A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options?: Limiter.AcquireOptions
  ): Effect.Effect<A, E | Errors.InvalidOptionsError | Errors.BackendError, R> {
    return Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(restore(this.take(options, false)), (lease) =>
        restore(effect).pipe(
          Effect.ensuring(lease === undefined ? Effect.void : Effect.ignore(this.giveBack(lease)))
        ))
    )
  }

  acquire(options?: Limiter.AcquireOptions): Effect.Effect<void, Errors.InvalidOptionsError | Errors.BackendError> {
    return Effect.asVoid(this.take(options, false))
  }

  tryAcquire(
    options?: Limiter.AcquireOptions
  ): Effect.Effect<boolean, Errors.InvalidOptionsError | Errors.BackendError> {
    return Effect.map(this.take(options, true), (lease) => lease !== undefined)
  }

  release(permits = 1): Effect.Effect<void, Limiter.OverReleaseError | Errors.BackendError> {
    return Effect.flatMap(Effect.fiberId, (id): Effect.Effect<void, Limiter.OverReleaseError | Errors.BackendError> => {
      const fiber = `${processTag}/${FiberId.threadName(id)}`
      // the calling fiber's most recent lease, else this process's oldest one of that size
      const own = [...this.leases].reverse().find((l) => l.fiber === fiber && l.permits === permits)
      const lease = own ?? this.leases.find((l) => l.permits === permits)
      if (lease === undefined) {
        return Effect.fail(
          new Limiter.OverReleaseError({ limiter: this.name, released: permits, capacity: this.capacity })
        )
      }
      return this.giveBack(lease)
    })
  }

  resize(capacity: number): Effect.Effect<void, Errors.InvalidOptionsError | Errors.BackendError> {
    if (!(capacity === Infinity || (Number.isInteger(capacity) && capacity > 0))) {
      return Effect.fail(
        new Errors.InvalidOptionsError({
          subject: "Limiter.resize",
          detail: `Expected a positive integer or Infinity, actual ${capacity}`
        })
      )
    }
    if (this.config.concurrency === Infinity) {
      return Effect.fail(
        new Errors.InvalidOptionsError({
          subject: "Limiter.resize",
          detail: "this limiter was made without a concurrency limit"
        })
      )
    }
    return Effect.zipRight(
      this.client.eval(setCapacityScript, [this.keys[6]!], [capacity === Infinity ? "inf" : capacity]),
      Effect.sync(() => {
        this.capacity = capacity
        this.wakeAll()
      })
    )
  }

  pause(duration: Duration.DurationInput): Effect.Effect<void, Errors.InvalidOptionsError | Errors.BackendError> {
    const d = Duration.decodeUnknown(duration)
    if (d._tag === "None" || !Duration.isFinite(d.value)) {
      return Effect.fail(
        new Errors.InvalidOptionsError({
          subject: "Limiter.pause",
          detail: `Expected a finite duration, actual ${String(duration)}`
        })
      )
    }
    const ms = Math.ceil(Duration.toMillis(d.value))
    if (ms <= 0) return Effect.void
    return Effect.asVoid(this.client.eval(pauseScript, [this.keys[5]!], [ms]))
  }

  get stats(): Effect.Effect<Limiter.Stats, Errors.BackendError> {
    const rate = this.config.rate
    return Effect.map(
      this.eval(statsScript, [...this.keys, this.rateKeys[0]!], [
        this.capacity,
        rate?.algorithm ?? "none",
        rate?.limit ?? 0,
        rate?.intervalMs ?? 0,
        rate?.burst ?? 0
      ]),
      ([cap, held, holders, waiters, pausedFor, available]) => {
        const capacity = cap === "inf" ? Infinity : Number(cap)
        const pairs = holders as Array<string>
        const byName = new Map<string, number>()
        for (let i = 0; i < pairs.length; i += 2) {
          const name = pairs[i]!.split("/").slice(0, -1).join("/")
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
            name: ticket.split("/").slice(0, -1).join("/"),
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

  /** Keeps the leases held by this process alive; runs for the life of the limiter's scope. */
  heartbeat: Effect.Effect<void, never> = Effect.suspend(() => {
    const ttl = Duration.toMillis(this.config.leaseTtl)
    const beat = Effect.suspend(() => {
      if (this.leases.length === 0) return Effect.void
      return this.client.eval(renewScript, [this.keys[0]!], [ttl, ...this.leases.map((l) => l.ticket)]).pipe(
        Effect.flatMap((lost) =>
          Array.isArray(lost) && lost.length > 0
            ? Effect.logWarning(
              `limiter ${this.name}: ${lost.length} lease(s) expired before their heartbeat (the process was stalled for longer than the lease time-to-live)`
            )
            : Effect.void
        ),
        Effect.catchAll((e) => Effect.logWarning(`limiter ${this.name}: heartbeat failed: ${e.message}`))
      )
    })
    return Effect.forever(Effect.zipRight(Effect.sleep(Duration.millis(ttl / 3)), beat))
  })

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

/** @internal */
export const make = (
  client: Client,
  config: LimiterConfig
): Effect.Effect<RedisLimiterImpl, Errors.BackendError | Errors.InvalidOptionsError, Scope.Scope> =>
  Effect.gen(function*() {
    const gate = yield* Limiter.semaphore(1, { name: `${config.name} rate gate` })
    const limiter = new RedisLimiterImpl(client, config, gate)
    // the latest process to configure the limiter sets its capacity
    if (config.concurrency !== Infinity) {
      yield* client.eval(setCapacityScript, [limiter.keys[6]!], [config.concurrency])
    }
    const beat = yield* Effect.forkDaemon(limiter.heartbeat)
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        yield* Fiber.interrupt(beat)
        // give back whatever this process still holds
        yield* Effect.forEach([...limiter.leases], (lease) => Effect.ignore(limiter.release(lease.permits)), {
          discard: true
        })
      })
    )
    return limiter
  })
