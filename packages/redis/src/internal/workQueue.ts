import type { Errors } from "@taskscope/core"
import { WorkQueue } from "@taskscope/core"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import { format, NodeInspectSymbol } from "effect/Inspectable"
import { pipeArguments } from "effect/Pipeable"
import * as Runtime from "effect/Runtime"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type { Redis as IORedis } from "ioredis"
import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { type Client, NO_WAIT, type RunOptions, Script } from "./client.js"

// KEYS: stream, unfinished counter, dedupe key. ARGV: item id, payload, capacity (-1: none), group, try
const putScript = new Script(
  "queue put",
  `local seen = redis.call('GET', KEYS[3])
if seen then return {1, seen} end
if tonumber(ARGV[3]) >= 0 then
  local len = redis.call('XLEN', KEYS[1])
  local pending = 0
  local ok, info = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[4])
  if ok then pending = tonumber(info[1]) end
  if len - pending >= tonumber(ARGV[3]) then return {0, ''} end
end
local id = redis.call('XADD', KEYS[1], '*', 'id', ARGV[1], 'v', ARGV[2])
redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[3], id, 'PX', 600000)
return {1, id}`
)

// KEYS: stream, unfinished, dedupe key of the batch. ARGV: payloads...
// For queues without a capacity: many puts in one call. The batch is added once however often the
// call is retried (a retry after a lost reply finds the batch's key).
const putManyScript = new Script(
  "queue put",
  `if redis.call('GET', KEYS[3]) then return 0 end
for i = 1, #ARGV do redis.call('XADD', KEYS[1], '*', 'v', ARGV[i]) end
redis.call('INCRBY', KEYS[2], #ARGV)
redis.call('SET', KEYS[3], 1, 'PX', 600000)
return #ARGV`
)

// KEYS: stream, unfinished. ARGV: group, entry ids... Acknowledges each once: a repeated ack changes nothing.
const ackScript = new Script(
  "queue ack",
  `local n = 0
for i = 2, #ARGV do
  if redis.call('XACK', KEYS[1], ARGV[1], ARGV[i]) == 1 then
    redis.call('XDEL', KEYS[1], ARGV[i])
    n = n + 1
  end
end
if n > 0 then redis.call('DECRBY', KEYS[2], n) end
return n`
)

// KEYS: stream. ARGV: group, entry id, consumer. Gives an entry back: re-added at the end for any
// consumer — only while this consumer owns it (another may have reclaimed it meanwhile).
const requeueScript = new Script(
  "queue requeue",
  `local e = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
if #e == 0 then return 0 end
if #redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1, ARGV[3]) == 0 then return 0 end
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('XDEL', KEYS[1], ARGV[2])
redis.call('XADD', KEYS[1], '*', unpack(e[1][2]))
return 1`
)

// KEYS: stream, unfinished, dead letters. ARGV: group, entry id, reason, deliveries
const deadLetterScript = new Script(
  "queue dead-letter",
  `local e = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('XDEL', KEYS[1], ARGV[2])
redis.call('DECR', KEYS[2])
local fields = {}
if #e > 0 then fields = e[1][2] end
table.insert(fields, 'reason'); table.insert(fields, ARGV[3])
table.insert(fields, 'deliveries'); table.insert(fields, ARGV[4])
table.insert(fields, 'entry'); table.insert(fields, ARGV[2])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', 10000, '*', unpack(fields))
return 1`
)

// KEYS: stream, unfinished, dead letters. ARGV: group, consumer, min idle ms, cursor, count, max deliveries
// Claims entries whose consumer stopped renewing them; an entry delivered too often goes to the dead letters.
const reclaimScript = new Script(
  "queue reclaim",
  `local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', ARGV[5])
local out = {}
for _, e in ipairs(r[2]) do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], e[1], e[1], 1)
  local n = 1
  if p[1] then n = tonumber(p[1][4]) end
  if n > tonumber(ARGV[6]) then
    redis.call('XACK', KEYS[1], ARGV[1], e[1])
    redis.call('XDEL', KEYS[1], e[1])
    redis.call('DECR', KEYS[2])
    local fields = e[2]
    table.insert(fields, 'reason'); table.insert(fields, 'delivered ' .. n .. ' times')
    table.insert(fields, 'deliveries'); table.insert(fields, tostring(n))
    table.insert(fields, 'entry'); table.insert(fields, e[1])
    redis.call('XADD', KEYS[3], 'MAXLEN', '~', 10000, '*', unpack(fields))
  else
    table.insert(out, e)
  end
end
return {r[1], out}`
)

// KEYS: stream. ARGV: group, consumer, ids... Resets the idle time of the entries this consumer still owns.
const heartbeatScript = new Script(
  "queue heartbeat",
  `local lost = {}
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1, ARGV[2])
  if p[1] then redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
  else table.insert(lost, ARGV[i]) end
end
return lost`
)

// KEYS: stream. ARGV: group. Returns {length, pending, last delivered id}
const statsScript = new Script(
  "queue stats",
  `local len = redis.call('XLEN', KEYS[1])
local ok, info = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[1])
local pending = 0
if ok then pending = tonumber(info[1]) end
local last = '0-0'
local ok2, groups = pcall(redis.call, 'XINFO', 'GROUPS', KEYS[1])
if ok2 then
  for _, g in ipairs(groups) do
    for i = 1, #g, 2 do
      if g[i] == 'name' and g[i + 1] == ARGV[1] then
        for j = 1, #g, 2 do if g[j] == 'last-delivered-id' then last = g[j + 1] end end
      end
    end
  end
end
return {len, pending, last}`
)

// KEYS: stream, unfinished. ARGV: group, consumer, count, number of acks, entry ids to acknowledge...
// Acknowledges (as ackScript) and reads up to `count` new entries, in one round trip.
const ackReadScript = new Script(
  "queue read",
  `local n = 0
local acks = tonumber(ARGV[4])
for i = 5, 4 + acks do
  if redis.call('XACK', KEYS[1], ARGV[1], ARGV[i]) == 1 then
    redis.call('XDEL', KEYS[1], ARGV[i])
    n = n + 1
  end
end
if n > 0 then redis.call('DECRBY', KEYS[2], n) end
if tonumber(ARGV[3]) > 0 then
  local r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
  if r then return r[1][2] end
end
return {}`
)

/** @internal */
export interface QueueConfig {
  readonly name: string
  readonly capacity: number
  readonly group: string
  readonly claimIdle: Duration.Duration
  readonly maxDeliveries: number
  readonly pollInterval: Duration.Duration
}

interface Entry<A> {
  readonly id: string
  readonly item: A
}

type RawEntry = [string, Array<string>]

/**
 * A group commit: items submitted while a call to Redis is on its way go together in the next call.
 * Under load many items share one round trip; an idle caller's item goes at once. Another call may
 * take the waiting items along (`steal`), e.g. acknowledgements riding on the next read.
 */
class Batcher<A> {
  private items: Array<A> = []
  private batch: Deferred.Deferred<void, Errors.BackendError> | undefined
  private running = false
  /** Batches on their way to Redis (sent by the flush, or stolen by another call). */
  private readonly inflight = new Set<Deferred.Deferred<void, Errors.BackendError>>()

  constructor(
    readonly run: (items: Array<A>) => Effect.Effect<unknown, Errors.BackendError>,
    /** Handles a batch that failed, for items whose callers do not wait for it (`post`). */
    readonly onLost: (error: Errors.BackendError, items: Array<A>) => Effect.Effect<void>,
    /** Runs an effect of the batcher's own (on the runtime of the queue: its logger, not the default one). */
    readonly fork: (effect: Effect.Effect<void>) => void
  ) {}

  private enqueue(item: A): Deferred.Deferred<void, Errors.BackendError> {
    this.push(item)
    return this.batch!
  }

  /** Adds an item to the next batch (made here if there is none). */
  private push(item: A): void {
    this.items.push(item)
    if (this.batch === undefined) this.batch = Deferred.unsafeMake<void, Errors.BackendError>(FiberId.none)
  }

  /** Adds an item and waits until its batch has reached Redis. */
  submit(item: A): Effect.Effect<void, Errors.BackendError> {
    return Effect.suspend(() => Effect.zipRight(this.kick, Deferred.await(this.enqueue(item))))
  }

  /**
   * Adds an item without waiting for it (see `flushed`). It goes with the next call that `steal`s
   * (the reader's next read, usually started in this same turn); if none has taken it once this
   * turn is over, a batch of its own carries it.
   */
  post(item: A): Effect.Effect<void> {
    return Effect.sync(() => {
      // the batch's Deferred is awaited by `flushed`, not here
      this.push(item)
      if (this.deferred) return
      this.deferred = true
      setImmediate(() => {
        this.deferred = false
        if (this.running || this.items.length === 0) return
        this.running = true
        this.fork(this.flush)
      })
    })
  }

  private deferred = false

  /** Starts the flush unless one runs; it runs on its own fiber, so no caller's interruption stops a batch. */
  private get kick(): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.running || this.items.length === 0) return Effect.void
      this.running = true
      // callers resumed in the same turn (the previous batch's) join this batch before it goes
      return Effect.asVoid(Effect.forkDaemon(Effect.zipRight(Effect.yieldNow(), this.flush)))
    })
  }

  /** Waits until every item added so far has reached Redis (or failed). */
  get flushed(): Effect.Effect<void> {
    return Effect.suspend(() => {
      const pending = [...this.inflight]
      if (this.batch !== undefined) pending.push(this.batch)
      if (pending.length === 0) return Effect.void
      return Effect.zipRight(
        this.kick,
        Effect.forEach(pending, (d) => Effect.exit(Deferred.await(d)), { discard: true })
      )
    })
  }

  /** Takes the items waiting for the next call; the caller settles them with `done`. */
  steal(): { readonly items: Array<A>; readonly done: (exit: Exit.Exit<unknown, Errors.BackendError>) => void } {
    const items = this.items
    const batch = this.batch
    this.items = []
    this.batch = undefined
    if (batch !== undefined) this.inflight.add(batch)
    return {
      items,
      done: (exit) => {
        if (batch === undefined) return
        this.inflight.delete(batch)
        Deferred.unsafeDone(batch, Exit.asVoid(exit))
        if (Exit.isFailure(exit)) this.fork(this.lost(exit, items))
      }
    }
  }

  private lost(exit: Exit.Exit<unknown, Errors.BackendError>, items: Array<A>): Effect.Effect<void> {
    if (Exit.isSuccess(exit)) return Effect.void
    const error = Cause.failureOption(exit.cause)
    return error._tag === "Some" ? this.onLost(error.value, items) : Effect.void
  }

  private get flush(): Effect.Effect<void> {
    return Effect.suspend((): Effect.Effect<void> => {
      const items = this.items
      const batch = this.batch
      if (items.length === 0 || batch === undefined) {
        this.running = false
        return Effect.void
      }
      this.items = []
      this.batch = undefined
      this.inflight.add(batch)
      return Effect.zipRight(
        Effect.flatMap(Effect.exit(this.run(items)), (exit) => {
          this.inflight.delete(batch)
          return Effect.zipRight(Deferred.done(batch, Exit.asVoid(exit)), this.lost(exit, items))
        }),
        this.flush
      )
    })
  }
}

type Resume = (effect: Effect.Effect<void, WorkQueue.QueueShutDownError | Errors.BackendError>) => void

interface Taker {
  resume: Resume | undefined
  /** Woken with a claim on a buffered entry that it must take or hand on. */
  woken: boolean
}

/** A FIFO of waiting takers with lazy removal of interrupted ones. */
class Takers {
  items: Array<Taker | undefined> = []
  head = 0
  count = 0
  add(t: Taker) {
    this.items.push(t)
    this.count++
  }
  remove(t: Taker) {
    const i = this.items.indexOf(t, this.head)
    if (i >= 0) {
      this.items[i] = undefined
      this.count--
    }
  }
  shift(): Taker | undefined {
    while (this.head < this.items.length) {
      const t = this.items[this.head]
      this.items[this.head++] = undefined
      if (t !== undefined) {
        this.count--
        if (this.head === this.items.length) {
          this.items = []
          this.head = 0
        }
        return t
      }
    }
    this.items = []
    this.head = 0
    return undefined
  }
}

const OPEN = 0
/** Shut down gracefully: no puts; takers take what is left in the stream, then fail. */
const DRAINING = 1
/** Shut down at once: no puts, no takes. */
const STOPPED = 2
/** The scope closed: everything this consumer owned was given back. */
const CLOSED = 3

/**
 * A work queue on a Redis stream with a consumer group. See `RedisWorkQueue` for the guarantees.
 *
 * One reader per consumer: the takers of this process wait locally, and a single fiber asks Redis
 * for as many entries as takers wait — acknowledging the settled items in the same call — and blocks
 * on the server only when the stream is empty.
 *
 * @internal
 */
export class RedisWorkQueueImpl<A, I> implements WorkQueue.WorkQueue<A, Errors.BackendError> {
  readonly [WorkQueue.TypeId]: WorkQueue.TypeId = WorkQueue.TypeId
  readonly consumer = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`
  readonly stream: string
  readonly unfinishedKey: string
  readonly deadKey: string
  /** Entries delivered to this consumer and not yet handed to a local taker. */
  readonly buffer: Array<Entry<A>> = []
  /** Buffered entries promised to takers that were woken and have not taken them yet. */
  claimed = 0
  readonly takers = new Takers()
  /** Every entry this consumer owns and has not settled (buffered, being processed, or taken). */
  readonly owned = new Set<string>()
  /** Taken with `take` and waiting for `taskDone`: entry id to the fiber that took it, oldest first. */
  readonly taken = new Map<string, string>()
  state = OPEN
  /** Opened when this consumer shuts down: wakes putters that wait for room. */
  readonly closing = Effect.unsafeMakeLatch(false)
  waitingPutters = 0
  reclaimCursor = "0-0"
  lastReclaim = 0
  /** The reader fiber, while one runs. */
  reading = false
  /** The connection of the reader's blocking read and its client id, while it blocks. */
  blockedOn: number | undefined = undefined
  private readonly decodeItem: (payload: string) => Either.Either<A, unknown>
  private readonly encodeItem: (item: A) => Either.Either<string, unknown>

  constructor(
    readonly client: Client,
    readonly config: QueueConfig,
    schema: Schema.Schema<A, I>,
    /** The runtime of the scope that opened the queue: the reader runs there, with its logger. */
    readonly runtime: Runtime.Runtime<never>
  ) {
    const base = `{${client.key("queue", config.name)}}`
    this.stream = `${base}:stream`
    this.unfinishedKey = `${base}:unfinished`
    this.deadKey = `${base}:dead`
    const json = Schema.parseJson(schema)
    this.decodeItem = Schema.decodeUnknownEither(json)
    this.encodeItem = Schema.encodeEither(json)
  }

  get name(): string {
    return this.config.name
  }

  get capacity(): number {
    return this.config.capacity
  }

  private get shutDownError() {
    return new WorkQueue.QueueShutDownError({ queue: this.name })
  }

  private ms(d: Duration.Duration): number {
    return Duration.toMillis(d)
  }

  ensureGroup: Effect.Effect<void, Errors.BackendError> = Effect.suspend(() =>
    this.client.run("XGROUP CREATE", async (redis) => {
      try {
        await redis.xgroup("CREATE", this.stream, this.config.group, "0", "MKSTREAM")
      } catch (e) {
        if (!/BUSYGROUP/.test(String(e))) throw e
      }
    })
  )

  /** Runs a command that needs the group; re-creates the group once if the server lost it (a restart without persistence). */
  private withGroup<X>(effect: Effect.Effect<X, Errors.BackendError>): Effect.Effect<X, Errors.BackendError> {
    return Effect.catchIf(
      effect,
      (e) => e.reason === "protocol" && /NOGROUP/.test(e.detail),
      () => Effect.zipRight(this.ensureGroup, effect)
    )
  }

  // --- put -----------------------------------------------------------------------------------

  private encode(item: A): Effect.Effect<string> {
    return Either.match(this.encodeItem(item), {
      onLeft: (error) =>
        Effect.die(new Error(`RedisWorkQueue ${this.name}: the item does not match its schema: ${String(error)}`)),
      onRight: Effect.succeed
    })
  }

  /** Runs an effect of the queue's own on the runtime that opened it (its logger). */
  private readonly fork = (effect: Effect.Effect<void>): void => {
    Runtime.runFork(this.runtime)(effect)
  }

  /** Puts to a queue without a capacity go to Redis in batches. */
  private readonly puts = new Batcher<string>(
    (payloads) =>
      this.client.eval(
        putManyScript,
        [this.stream, this.unfinishedKey, `${this.stream}:put:${randomUUID()}`],
        payloads
      ),
    () => Effect.void,
    this.fork
  )

  private putOnce(itemId: string, payload: string, tryOnly: boolean): Effect.Effect<boolean, Errors.BackendError> {
    // tryPut never waits, not even for a lost connection
    if (this.config.capacity === Infinity) {
      const submit = Effect.as(this.puts.submit(payload), true)
      return tryOnly ? Effect.zipRight(this.client.ensureUp("queue put"), submit) : submit
    }
    const capacity = this.config.capacity
    return Effect.map(
      this.client.eval(putScript, [this.stream, this.unfinishedKey, `${this.stream}:put:${itemId}`], [
        itemId,
        payload,
        capacity,
        this.config.group,
        tryOnly ? 1 : 0
      ], tryOnly ? NO_WAIT : undefined),
      (reply) => Array.isArray(reply) && Number(reply[0]) === 1
    )
  }

  put(item: A): Effect.Effect<void, WorkQueue.QueueShutDownError | Errors.BackendError> {
    return Effect.suspend(() => {
      if (this.state !== OPEN) return Effect.fail(this.shutDownError)
      // without a capacity a put never waits for room: straight into the next batch
      if (this.config.capacity === Infinity) return Effect.flatMap(this.encode(item), (p) => this.puts.submit(p))
      const itemId = randomUUID()
      return Effect.flatMap(this.encode(item), (payload) => {
        const attempt: Effect.Effect<void, WorkQueue.QueueShutDownError | Errors.BackendError> = Effect.flatMap(
          this.putOnce(itemId, payload, false),
          (added) => {
            if (added) return Effect.void
            if (this.state !== OPEN) return Effect.fail(this.shutDownError)
            // full: ask again after `pollInterval`, or fail at once when this consumer shuts down
            return Effect.zipRight(
              Effect.raceFirst(Effect.sleep(this.config.pollInterval), Effect.interruptible(this.closing.await)),
              Effect.suspend(() => this.state !== OPEN ? Effect.fail(this.shutDownError) : attempt)
            )
          }
        )
        return Effect.ensuring(
          Effect.zipRight(Effect.sync(() => this.waitingPutters++), attempt),
          Effect.sync(() => this.waitingPutters--)
        )
      })
    })
  }

  tryPut(item: A): Effect.Effect<void, WorkQueue.QueueFullError | WorkQueue.QueueShutDownError | Errors.BackendError> {
    return Effect.suspend((): Effect.Effect<
      void,
      WorkQueue.QueueFullError | WorkQueue.QueueShutDownError | Errors.BackendError
    > => {
      if (this.state !== OPEN) return Effect.fail(this.shutDownError)
      return Effect.flatMap(
        this.encode(item),
        (payload) =>
          Effect.flatMap(this.putOnce(randomUUID(), payload, true), (added) =>
            added
              ? Effect.void
              : Effect.fail(new WorkQueue.QueueFullError({ queue: this.name, capacity: this.capacity })))
      )
    })
  }

  // --- take ----------------------------------------------------------------------------------

  /** Decodes delivered entries into the local buffer and wakes takers for them; an entry that does not decode goes to the dead letters. */
  private receive(raw: ReadonlyArray<RawEntry>): Effect.Effect<void, Errors.BackendError> {
    if (raw.length === 0) return Effect.void
    const bad: Array<readonly [string, unknown]> = []
    for (const [id, fields] of raw) {
      const at = fields.indexOf("v")
      const decoded = at >= 0 && at % 2 === 0 ? this.decodeItem(fields[at + 1]!) : Either.left("no payload")
      if (Either.isLeft(decoded)) {
        bad.push([id, decoded.left])
        continue
      }
      if (this.owned.has(id)) continue
      this.owned.add(id)
      if (this.state <= DRAINING) this.buffer.push({ id, item: decoded.right })
      else this.orphaned.push(id)
    }
    this.wakeTakers()
    return Effect.zipRight(
      Effect.forEach(bad, ([id, error]) =>
        Effect.zipRight(
          this.client.eval(deadLetterScript, [this.stream, this.unfinishedKey, this.deadKey], [
            this.config.group,
            id,
            `does not decode: ${String(error)}`,
            1
          ]),
          Effect.logWarning(
            `RedisWorkQueue ${this.name}: entry ${id} does not match the schema; moved to ${this.deadKey}`
          )
        ), { discard: true }),
      Effect.suspend(() => this.orphaned.length > 0 ? this.giveBackOrphans : Effect.void)
    )
  }

  /** Wakes one waiting taker per buffered entry nobody has claimed yet. */
  private wakeTakers(): void {
    while (this.takers.count > 0 && this.buffer.length > this.claimed) {
      const taker = this.takers.shift()!
      this.claimed++
      taker.woken = true
      taker.resume!(Effect.void)
    }
  }

  /** Fails every waiting taker (shutdown, or the reader could not reach Redis). */
  private failTakers(error: WorkQueue.QueueShutDownError | Errors.BackendError): void {
    const fail = Effect.fail(error)
    for (let t = this.takers.shift(); t !== undefined; t = this.takers.shift()) t.resume!(fail)
  }

  /** Entries that arrived after this consumer stopped: given back at once. */
  readonly orphaned: Array<string> = []

  private get giveBackOrphans(): Effect.Effect<void, Errors.BackendError> {
    return Effect.suspend(() => {
      const ids = this.orphaned.splice(0)
      return Effect.forEach(ids, (id) => this.settle(id, "requeue"), { discard: true })
    })
  }

  /** Claims entries a dead consumer left behind (at most every quarter of `claimIdle`, unless `force`). */
  private reclaim(force: boolean, mode?: RunOptions): Effect.Effect<void, Errors.BackendError> {
    return Effect.suspend(() => {
      const now = Date.now()
      if (!force && now - this.lastReclaim < this.ms(this.config.claimIdle) / 4) return Effect.void
      return Effect.flatMap(
        this.withGroup(this.client.eval(reclaimScript, [this.stream, this.unfinishedKey, this.deadKey], [
          this.config.group,
          this.consumer,
          Math.ceil(this.ms(this.config.claimIdle)),
          this.reclaimCursor,
          10,
          this.config.maxDeliveries
        ], mode)),
        (reply) => {
          const [cursor, entries] = reply as [string, Array<RawEntry>]
          this.reclaimCursor = cursor
          if (cursor === "0-0") this.lastReclaim = now
          return this.receive(entries)
        }
      )
    })
  }

  /** Acknowledges the settled items waiting to go, and reads up to `count` new entries, in one call. */
  private ackAndRead(count: number, mode?: RunOptions): Effect.Effect<number, Errors.BackendError> {
    return Effect.suspend(() => {
      const acks = this.acks.steal()
      return this.withGroup(
        this.client.eval(ackReadScript, [this.stream, this.unfinishedKey], [
          this.config.group,
          this.consumer,
          count,
          acks.items.length,
          ...acks.items
        ], mode)
      ).pipe(
        Effect.onExit((exit) => Effect.sync(() => acks.done(exit))),
        Effect.flatMap((reply) => {
          const entries = (Array.isArray(reply) ? reply : []) as Array<RawEntry>
          return Effect.as(this.receive(entries), entries.length)
        })
      )
    })
  }

  /** One blocking read of new entries on a connection of its own; `CLIENT UNBLOCK` ends it early on shutdown. */
  private blockingRead(count: number, blockMs: number): Effect.Effect<void, Errors.BackendError> {
    return Effect.acquireUseRelease(
      this.client.lease,
      (redis) =>
        Effect.flatMap(
          this.client.run("CLIENT ID", (r) => this.clientId(r), { wait: true, redis }),
          (id) =>
            Effect.suspend(() => {
              if (this.state !== OPEN) return Effect.void
              this.blockedOn = id
              return this.withGroup(this.client.run(
                "XREADGROUP",
                (r) =>
                  r.xreadgroup(
                    "GROUP",
                    this.config.group,
                    this.consumer,
                    "COUNT",
                    count,
                    "BLOCK",
                    blockMs,
                    "STREAMS",
                    this.stream,
                    ">"
                  ) as Promise<Array<[string, Array<RawEntry>]> | null>,
                { wait: true, redis }
              )).pipe(
                Effect.ensuring(Effect.sync(() => this.blockedOn = undefined)),
                Effect.flatMap((reply) => this.receive(reply?.[0]?.[1] ?? []))
              )
            })
        ),
      (redis) => Effect.sync(() => this.client.unlease(redis))
    )
  }

  /** The server's id of each socket (a reconnected connection has a new one). */
  private readonly clientIds = new WeakMap<object, number>()
  private async clientId(redis: IORedis): Promise<number> {
    const socket = redis.stream
    const known = this.clientIds.get(socket)
    if (known !== undefined) return known
    const id = Number(await redis.client("ID"))
    this.clientIds.set(socket, id)
    return id
  }

  /** Ends the reader's blocking read at once (it returns nothing), so that it sees a shutdown. */
  private get unblockReader(): Effect.Effect<void> {
    return Effect.suspend(() => {
      const id = this.blockedOn
      if (id === undefined) return Effect.void
      return Effect.ignore(this.client.run("CLIENT UNBLOCK", (r) => r.client("UNBLOCK", id), NO_WAIT))
    })
  }

  /** How many more entries the waiting takers need. */
  private get wanted(): number {
    return this.takers.count - (this.buffer.length - this.claimed)
  }

  /**
   * The reader: while takers wait, asks Redis for as many entries as they need (acknowledging what
   * was settled meanwhile in the same call), and blocks on the server only when the stream is empty.
   * A graceful shutdown turns it into a drain: when nothing is left, the waiting takers fail.
   */
  private get readLoop(): Effect.Effect<void> {
    const block = Math.max(1, Math.min(1000, Math.floor(this.ms(this.config.claimIdle) / 4)))
    const loop: Effect.Effect<void, Errors.BackendError> = Effect.suspend(() => {
      const want = Math.min(64, this.wanted)
      if (want <= 0 || this.state > DRAINING) return Effect.void
      return Effect.zipRight(
        // the workers that finish in this turn become takers too: one call for all of them
        Effect.zipRight(Effect.yieldNow(), this.reclaim(false)),
        Effect.suspend(() => {
          const need = Math.min(64, this.wanted)
          if (need <= 0) return loop
          return Effect.flatMap(this.ackAndRead(need), (got) => {
            if (got > 0 || this.wanted <= 0) return loop
            if (this.state === DRAINING) {
              // nothing is left in the stream: the drain is over for this consumer
              this.failTakers(this.shutDownError)
              return Effect.void
            }
            return Effect.zipRight(this.blockingRead(Math.min(64, this.wanted), block), loop)
          })
        })
      )
    })
    return loop.pipe(
      Effect.catchAll((error) => Effect.sync(() => this.failTakers(error))),
      Effect.ensuring(Effect.sync(() => {
        this.reading = false
        // a taker that arrived as the reader was ending
        if (this.wanted > 0 && this.state <= DRAINING) this.startReader()
      }))
    )
  }

  private startReader(): void {
    if (this.reading) return
    this.reading = true
    Runtime.runFork(this.runtime)(this.readLoop)
  }

  /** The next entry, removed from the buffer in the caller's uninterruptible step. */
  private next(
    restore: <X, Y, Z>(effect: Effect.Effect<X, Y, Z>) => Effect.Effect<X, Y, Z>
  ): Effect.Effect<Entry<A>, WorkQueue.QueueShutDownError | Errors.BackendError> {
    return Effect.suspend(() => {
      if (this.buffer.length > this.claimed) return Effect.succeed(this.buffer.shift()!)
      if (this.state > DRAINING) return Effect.fail(this.shutDownError)
      const taker: Taker = { resume: undefined, woken: false }
      const wait = Effect.onInterrupt(
        Effect.async<void, WorkQueue.QueueShutDownError | Errors.BackendError>((resume) => {
          taker.resume = resume
          this.takers.add(taker)
          this.startReader()
          return Effect.sync(() => {
            if (!taker.woken) this.takers.remove(taker)
          })
        }),
        () =>
          Effect.sync(() => {
            // interrupted after it was woken: its claim passes to the next taker, nothing is lost
            if (taker.woken) {
              this.claimed--
              this.wakeTakers()
            }
          })
      )
      return Effect.flatMap(restore(wait), () =>
        Effect.suspend(() => {
          this.claimed--
          const entry = this.buffer.shift()
          // an immediate shutdown gave the buffer back after this taker was woken
          return entry === undefined ? Effect.fail(this.shutDownError) : Effect.succeed(entry)
        }))
    })
  }

  private settle(id: string, how: "ack" | "requeue" | "post"): Effect.Effect<void, Errors.BackendError> {
    if (how === "post") {
      return Effect.suspend(() => {
        this.owned.delete(id)
        return this.acks.post(id)
      })
    }
    if (how === "ack") return Effect.zipRight(this.acks.submit(id), Effect.sync(() => this.owned.delete(id)))
    // giving an item back never waits for a lost connection: it is given back when the connection is
    // back (or, if this process ends first, reclaimed by another consumer after claimIdle)
    return this.client.eval(requeueScript, [this.stream], [this.config.group, id, this.consumer], NO_WAIT).pipe(
      Effect.zipRight(Effect.sync(() => this.owned.delete(id))),
      Effect.tapError(() => Effect.sync(() => this.client.isLost && this.unsentRequeues.add(id)))
    )
  }

  /** Acknowledgements that could not reach Redis while the connection was lost: sent again when it is back. */
  readonly unsentAcks = new Set<string>()
  /** Items that could not be given back while the connection was lost: given back when it is back. */
  readonly unsentRequeues = new Set<string>()

  /** When the connection is back: what could not reach Redis while it was lost goes now. */
  readonly onBack = (): void => {
    const acks = [...this.unsentAcks]
    const requeues = [...this.unsentRequeues]
    this.unsentAcks.clear()
    this.unsentRequeues.clear()
    if (acks.length === 0 && requeues.length === 0) return
    this.fork(Effect.zipRight(
      Effect.forEach(acks, (id) => this.acks.post(id), { discard: true }),
      Effect.forEach(requeues, (id) => Effect.ignore(this.settle(id, "requeue")), { discard: true })
    ))
  }

  /**
   * Acknowledgements go to Redis in batches, or ride on the reader's next call. `process` does not
   * wait for its item's: the worker takes its next item at once, and the acknowledgement travels
   * with that read. One that could not go because the connection was lost goes again when it is
   * back (if this process ends first, the item is delivered again after `claimIdle`: at least once).
   * Everything that reads the shared counts waits for them.
   */
  private readonly acks = new Batcher<string>(
    (ids) => this.client.eval(ackScript, [this.stream, this.unfinishedKey], [this.config.group, ...ids]),
    (error, ids) => {
      if (this.client.isLost && !this.client.closed) {
        for (const id of ids) this.unsentAcks.add(id)
        return Effect.void
      }
      return Effect.logWarning(
        `RedisWorkQueue ${this.name}: ${ids.length} acknowledgement(s) did not reach Redis (${error.message}); those items will be delivered again after claimIdle`
      )
    },
    this.fork
  )

  /** Waits for the acknowledgements on their way, or until the connection is lost (they are sent when it is back). */
  private get settledOrLost(): Effect.Effect<void> {
    // interruptible even in a finalizer, so that the race can end its loser
    return Effect.raceFirst(Effect.interruptible(this.acks.flushed), Effect.interruptible(this.client.whenLost))
  }

  /** Records `entry` as taken by the calling fiber, for `taskDone`. */
  private hand(entry: Entry<A>): Effect.Effect<A> {
    return Effect.map(Effect.fiberId, (fiber) => {
      this.taken.set(entry.id, FiberId.threadName(fiber))
      return entry.item
    })
  }

  get take(): Effect.Effect<A, WorkQueue.QueueShutDownError | Errors.BackendError> {
    return Effect.uninterruptibleMask((restore) => Effect.flatMap(this.next(restore), (entry) => this.hand(entry)))
  }

  get tryTake(): Effect.Effect<A, WorkQueue.QueueEmptyError | WorkQueue.QueueShutDownError | Errors.BackendError> {
    return Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        const now = (): Effect.Effect<A, WorkQueue.QueueEmptyError | WorkQueue.QueueShutDownError> => {
          if (this.buffer.length > this.claimed) return this.hand(this.buffer.shift()!)
          return this.state === OPEN
            ? Effect.fail(new WorkQueue.QueueEmptyError({ queue: this.name }))
            : Effect.fail(this.shutDownError)
        }
        if (this.buffer.length > this.claimed || this.state > DRAINING) return now()
        return Effect.zipRight(
          restore(Effect.zipRight(
            this.reclaim(true, NO_WAIT),
            Effect.suspend(() =>
              this.buffer.length > this.claimed ? Effect.void : Effect.asVoid(this.ackAndRead(1, NO_WAIT))
            )
          )),
          Effect.suspend(now)
        )
      })
    )
  }

  process<B, E, R>(
    use: (item: A) => Effect.Effect<B, E, R>
  ): Effect.Effect<B, E | WorkQueue.QueueShutDownError | Errors.BackendError, R> {
    return Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(this.next(restore), (entry) =>
        Effect.flatMap(Effect.exit(restore(use(entry.item))), (exit) => {
          // done when `use` succeeded or failed; given back for another consumer when it was interrupted
          const how = Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause) ? "requeue" : "post"
          return Effect.zipRight(this.settle(entry.id, how), exit)
        }))
    )
  }

  get taskDone(): Effect.Effect<void, WorkQueue.TaskDoneError | Errors.BackendError> {
    return Effect.flatMap(
      Effect.fiberId,
      (fiber): Effect.Effect<void, WorkQueue.TaskDoneError | Errors.BackendError> => {
        const me = FiberId.threadName(fiber)
        // the calling fiber's newest taken item, else the oldest item this consumer handed out
        let id: string | undefined
        for (const [entry, by] of this.taken) {
          if (by === me) id = entry
        }
        if (id === undefined) id = this.taken.keys().next().value
        if (id === undefined) return Effect.fail(new WorkQueue.TaskDoneError({ queue: this.name }))
        this.taken.delete(id)
        return this.settle(id, "ack")
      }
    )
  }

  get join(): Effect.Effect<void, Errors.BackendError> {
    // asks again after 5 ms, doubling up to `pollInterval`
    const max = this.ms(this.config.pollInterval)
    const check = (delay: number): Effect.Effect<void, Errors.BackendError> =>
      Effect.flatMap(
        this.client.run("GET", (redis) => redis.get(this.unfinishedKey)),
        (n) =>
          Number(n ?? 0) <= 0
            ? Effect.void
            : Effect.zipRight(Effect.sleep(Duration.millis(delay)), check(Math.min(max, delay * 2)))
      )
    return Effect.zipRight(this.acks.flushed, Effect.suspend(() => check(Math.min(5, max))))
  }

  /** Gives back every entry this consumer owns and has not settled. */
  get giveBackAll(): Effect.Effect<void, Errors.BackendError> {
    return Effect.suspend(() => {
      this.buffer.length = 0
      this.claimed = 0
      this.taken.clear()
      return Effect.forEach([...this.owned], (id) => this.giveBack(id), { discard: true })
    })
  }

  /** Gives one item back; with the connection lost it goes when the connection is back, and that is no error. */
  private giveBack(id: string): Effect.Effect<void, Errors.BackendError> {
    return Effect.catchAll(this.settle(id, "requeue"), (e) => this.client.isLost ? Effect.void : Effect.fail(e))
  }

  shutdown(options?: WorkQueue.ShutdownOptions): Effect.Effect<Array<A>, Errors.BackendError> {
    return Effect.suspend(() => {
      if (this.state >= CLOSED) return Effect.succeed([])
      this.closing.unsafeOpen()
      if (options?.immediate !== true) {
        // graceful: takers go on taking what is left in the stream, then fail
        if (this.state === OPEN) this.state = DRAINING
        return Effect.as(this.unblockReader, [])
      }
      this.state = STOPPED
      this.failTakers(this.shutDownError)
      // delivered here but never handed out: back to the stream, for the other consumers
      const buffered = this.buffer.splice(0)
      this.claimed = 0
      return Effect.zipRight(
        this.unblockReader,
        Effect.as(Effect.forEach(buffered, (e) => this.giveBack(e.id), { discard: true }), [])
      )
    })
  }

  private get counts(): Effect.Effect<{ length: number; pending: number; last: string }, Errors.BackendError> {
    return Effect.map(
      Effect.zipRight(this.settledOrLost, this.client.eval(statsScript, [this.stream], [this.config.group], NO_WAIT)),
      (reply) => {
        const [length, pending, last] = reply as [number, number, string]
        return { length: Number(length), pending: Number(pending), last: String(last) }
      }
    )
  }

  get size(): Effect.Effect<number, Errors.BackendError> {
    return Effect.map(this.counts, (c) => c.length - c.pending)
  }

  get isEmpty(): Effect.Effect<boolean, Errors.BackendError> {
    return Effect.map(this.size, (n) => n === 0)
  }

  get isFull(): Effect.Effect<boolean, Errors.BackendError> {
    return Effect.map(this.size, (n) => n >= this.capacity)
  }

  get isShutdown(): Effect.Effect<boolean> {
    return Effect.sync(() => this.state !== OPEN)
  }

  get stats(): Effect.Effect<WorkQueue.Stats, Errors.BackendError> {
    return Effect.zipWith(
      this.counts,
      Effect.zipRight(this.settledOrLost, this.client.run("GET", (redis) => redis.get(this.unfinishedKey), NO_WAIT)),
      (c, unfinished) => ({
        size: c.length - c.pending,
        capacity: this.capacity,
        unfinished: Number(unfinished ?? 0),
        inFlight: c.pending,
        waitingTakers: this.takers.count,
        waitingPutters: this.waitingPutters,
        shutdown: this.state !== OPEN
      })
    )
  }

  get snapshot(): Effect.Effect<Array<A>, Errors.BackendError> {
    return Effect.flatMap(this.counts, (c) =>
      Effect.map(
        this.client.run(
          "XRANGE",
          (redis) => redis.xrange(this.stream, `(${c.last}`, "+", "COUNT", 10_000) as Promise<Array<RawEntry>>,
          NO_WAIT
        ),
        (entries) =>
          entries.flatMap(([, fields]) => {
            const at = fields.indexOf("v")
            const decoded = at >= 0 ? this.decodeItem(fields[at + 1]!) : Either.left("no payload")
            return Either.isRight(decoded) ? [decoded.right] : []
          })
      ))
  }

  /** Keeps the entries this consumer owns from being reclaimed while it is alive. */
  heartbeat: Effect.Effect<void, never> = Effect.suspend(() => {
    const beat = Effect.suspend(() => {
      // while the connection is lost there is nothing to renew on (the connection's state says so)
      if (this.owned.size === 0 || this.client.isLost) return Effect.void
      return this.client.eval(
        heartbeatScript,
        [this.stream],
        [this.config.group, this.consumer, ...this.owned],
        NO_WAIT
      ).pipe(
        Effect.flatMap((lost) =>
          Array.isArray(lost) && lost.length > 0
            ? Effect.logWarning(
              `RedisWorkQueue ${this.name}: ${lost.length} entr(ies) were reclaimed by another consumer while this one still held them (this process was stalled, or Redis out of reach, for longer than claimIdle)`
            )
            : Effect.void
        ),
        Effect.catchAll((e) =>
          this.client.isLost || this.client.closed
            ? Effect.void
            : Effect.logWarning(`RedisWorkQueue ${this.name}: heartbeat failed: ${e.message}`)
        )
      )
    })
    return Effect.forever(Effect.zipRight(Effect.sleep(Duration.millis(this.ms(this.config.claimIdle) / 3)), beat))
  })

  /** Closes this consumer: stops taking, gives back what it owns, removes its name from the group when it owns nothing. */
  get close(): Effect.Effect<void, Errors.BackendError> {
    return Effect.suspend(() => {
      this.state = CLOSED
      this.closing.unsafeOpen()
      this.failTakers(this.shutDownError)
      this.client.backListeners.delete(this.onBack)
      // with the connection lost nothing waits for it: what this consumer holds is reclaimed by
      // another consumer after claimIdle
      if (this.client.isLost || this.client.closed) return Effect.void
      return Effect.zipRight(
        Effect.zipRight(Effect.zipRight(this.unblockReader, this.settledOrLost), this.giveBackAll),
        this.client.run("XGROUP DELCONSUMER", async (redis) => {
          const pending = await redis.xpending(this.stream, this.config.group, "-", "+", 1, this.consumer) as Array<
            unknown
          >
          if (pending.length === 0) await redis.xgroup("DELCONSUMER", this.stream, this.config.group, this.consumer)
        }, NO_WAIT)
      )
    })
  }

  pipe() {
    return pipeArguments(this, arguments)
  }

  toJSON(): unknown {
    return { _id: "WorkQueue", backend: "redis", name: this.name, consumer: this.consumer }
  }

  toString(): string {
    return format(this.toJSON())
  }

  [NodeInspectSymbol](): unknown {
    return this.toJSON()
  }
}

/** @internal */
export const make = <A, I>(
  client: Client,
  config: QueueConfig,
  schema: Schema.Schema<A, I>
): Effect.Effect<RedisWorkQueueImpl<A, I>, Errors.BackendError, Scope.Scope> =>
  Effect.gen(function*() {
    const queue = new RedisWorkQueueImpl(client, config, schema, yield* Effect.runtime<never>())
    yield* queue.ensureGroup
    client.backListeners.add(queue.onBack)
    const beat = yield* Effect.forkDaemon(queue.heartbeat)
    yield* Effect.addFinalizer(() =>
      Effect.zipRight(
        Fiber.interrupt(beat),
        queue.close.pipe(
          Effect.catchAll((e) =>
            client.isLost || client.closed
              ? Effect.void
              : Effect.logWarning(`RedisWorkQueue ${queue.name}: could not give back its entries: ${e.message}`)
          )
        )
      )
    )
    return queue
  })
