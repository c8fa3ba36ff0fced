import { Errors, Options } from "@taskscope/core"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Subscribable from "effect/Subscribable"
import { Redis as IORedis } from "ioredis"
import { createHash } from "node:crypto"
import * as net from "node:net"
import * as tls from "node:tls"
import type { ConnectionState } from "../Redis.js"

/** @internal */
export interface ClientConfig {
  readonly url: string
  readonly prefix: string
  readonly commandTimeout: Duration.Duration
  readonly connectTimeout: Duration.Duration
  readonly pingInterval: Duration.Duration
  readonly pingTimeout: Duration.Duration
  readonly retryFor: Duration.Duration
}

const ConfigSchema = Schema.Struct({
  url: Schema.String.pipe(Schema.filter((s) => /^rediss?:\/\/./.test(s), {
    message: (issue) => `Expected a redis:// or rediss:// URL, actual ${JSON.stringify(redact(String(issue.actual)))}`
  })),
  prefix: Schema.optional(Schema.String.pipe(Schema.minLength(1))),
  commandTimeout: Schema.optional(Options.PositiveDuration),
  connectTimeout: Schema.optional(Options.PositiveDuration),
  pingInterval: Schema.optional(Options.PositiveDuration),
  pingTimeout: Schema.optional(Options.PositiveDuration),
  retryFor: Schema.optional(Options.NonNegativeDuration)
})

const decodeConfigEither = Options.decode("Redis", ConfigSchema)

/** @internal */
export const decodeConfig = (input: unknown): Effect.Effect<ClientConfig, Errors.InvalidOptionsError> =>
  Effect.map(decodeConfigEither(input), (c) => ({
    url: c.url,
    prefix: c.prefix ?? "taskscope",
    commandTimeout: c.commandTimeout ?? Duration.seconds(5),
    connectTimeout: c.connectTimeout ?? Duration.millis(800),
    pingInterval: c.pingInterval ?? Duration.millis(100),
    pingTimeout: c.pingTimeout ?? Duration.millis(500),
    retryFor: c.retryFor ?? Duration.zero
  }))

/** The URL without its password (for messages and logs). @internal */
export const redact = (url: string): string =>
  url.replace(/^([a-z][\w+.-]*:\/\/)([^@/]*)@/i, (_, scheme, auth: string) => {
    const user = auth.includes(":") ? auth.slice(0, auth.indexOf(":")) : ""
    return `${scheme}${user === "" ? "" : `${user}@`}`
  })

/** A duration as a person reads it: `340ms`, `1.02s`. @internal */
export const formatMs = (ms: number): string => ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(2)}s`

/** A Lua script, run by its SHA1 (and sent whole when the server does not know it, e.g. after a restart). */
export class Script {
  readonly sha: string
  constructor(readonly name: string, readonly source: string) {
    this.sha = createHash("sha1").update(source).digest("hex")
  }
}

/**
 * The client library's text, cleaned of what is meant for its own maintainers ("Please report this.")
 * and of its internal wording; a reply type byte is shown as the character it is.
 */
const message = (u: unknown): string => {
  const text = u instanceof Error ? u.message : String(u)
  if (/max retries per request/i.test(text)) return "the connection closed before the reply came"
  if (/Stream isn't writeable/i.test(text)) return "the connection is not open"
  return text.replace(/\.? ?Please report this\.?/g, "").trim()
}
const codeOf = (u: unknown): string =>
  typeof u === "object" && u !== null && "code" in u && typeof u.code === "string" ? u.code : ""

/** Errors that say the connection is down, reconnecting, or the server is busy loading: worth waiting out. */
const transient = (text: string): "unavailable" | "timeout" | undefined => {
  if (/timed? ?out/i.test(text)) return "timeout"
  if (
    /connection|closed|not open|ECONN|EPIPE|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|socket|LOADING|reset|TRYAGAIN|MASTERDOWN|READONLY/i
      .test(text)
  ) return "unavailable"
  return undefined
}

/**
 * What was tried: the URL without its password, and whether over TLS.
 * @internal
 */
export const describeTarget = (url: string): string =>
  `${redact(url)} ${url.startsWith("rediss:") ? "over TLS" : "without TLS"}`

/**
 * What went wrong with the connection to `where`, in words a person can act on, and whether waiting
 * can help (a refused or reset connection may come back; a wrong password or port will not).
 * @internal
 */
export const explain = (
  error: unknown,
  where: string,
  /** The connection has worked before: a reset is the server going away, not a TLS port. */
  hasConnected = false
): { readonly detail: string; readonly fatal: boolean; readonly reason: "unavailable" | "protocol" } => {
  const text = message(error)
  const code = codeOf(error)
  const tlsUrl = where.startsWith("rediss:")
  const has = (pattern: RegExp) => pattern.test(text) || pattern.test(code)
  if (error instanceof Silent) {
    return {
      detail: error.stage === "tcp"
        ? `${where}: the TCP connection was not accepted within ${
          formatMs(error.ms)
        }: is the host reachable (no firewall dropping packets)?`
        : error.stage === "tls"
        ? `the TLS handshake with ${where} failed: no TLS answer within ${
          formatMs(error.ms)
        }: is TLS enabled on that port? A plain server needs redis://`
        : `${where} accepted the connection but did not answer within ${
          formatMs(error.ms)
        }: is it a Redis server, and is it running (not stopped or overloaded)?`,
      fatal: true,
      reason: "unavailable"
    }
  }
  if (has(/WRONGPASS|invalid password|invalid username-password/i)) {
    return {
      detail: `authentication failed at ${where}: wrong user name or password (${text})`,
      fatal: true,
      reason: "protocol"
    }
  }
  if (has(/NOAUTH/)) {
    return {
      detail: `${where} requires a password and none was given (put it in the URL: redis://:password@host:port)`,
      fatal: true,
      reason: "protocol"
    }
  }
  if (has(/DB index is out of range|invalid DB index/i)) {
    return {
      detail: `the database in the URL does not exist on ${where} (${text})`,
      fatal: true,
      reason: "protocol"
    }
  }
  if (has(/Unknown RESP type|Protocol error|unexpected reply/i)) {
    const firstByte = /RESP type (\d+)/.exec(text)?.[1]
    const looksTls = firstByte === "21" || firstByte === "22"
    const shown = firstByte === undefined
      ? ""
      : ` (its first byte was ${JSON.stringify(String.fromCharCode(Number(firstByte)))})`
    return {
      detail: looksTls
        ? `${where} answered with TLS: the port speaks TLS, use rediss://`
        : `${where} is not a Redis server: it answered in another protocol${shown}; check the port`,
      fatal: true,
      reason: "protocol"
    }
  }
  if (has(/CERT|certificate|self.signed|UNABLE_TO_VERIFY/i)) {
    return {
      detail: `the TLS certificate of ${where} was rejected: ${text}`,
      fatal: true,
      reason: "protocol"
    }
  }
  if (has(/EPROTO|ERR_SSL|wrong version number|ssl3|tls/i)) {
    return {
      detail: tlsUrl
        ? `the TLS handshake with ${where} failed (${text}): is TLS enabled on that port? A plain server needs redis://`
        : `${where}: ${text}`,
      fatal: true,
      reason: "protocol"
    }
  }
  if (has(/ECONNREFUSED/)) {
    return {
      detail: `connection refused by ${where}: is redis-server running there?`,
      fatal: false,
      reason: "unavailable"
    }
  }
  if (has(/ENOTFOUND|EAI_AGAIN/)) {
    return { detail: `the host of ${where} was not found (${text})`, fatal: false, reason: "unavailable" }
  }
  if (has(/ECONNRESET|EPIPE/)) {
    return {
      detail: tlsUrl || hasConnected
        ? `${where} reset the connection (${text}): the server stopped, restarted or dropped this client?`
        : `${where} reset the connection (${text}); a port that speaks TLS resets plain connections: use rediss:// there`,
      fatal: false,
      reason: "unavailable"
    }
  }
  if (has(/LOADING/)) {
    return { detail: `${where} is loading its data (${text})`, fatal: false, reason: "unavailable" }
  }
  if (has(/ETIMEDOUT|timed? ?out/i)) {
    return {
      detail: `no answer from ${where} in time (${text}): is the host reachable, and is it a Redis server?`,
      fatal: true,
      reason: "unavailable"
    }
  }
  return { detail: `${where}: ${text}`, fatal: false, reason: "unavailable" }
}

/** A connection attempt that got no answer in time, at the TCP, TLS or Redis stage. */
class Silent extends Error {
  constructor(readonly stage: "tcp" | "tls" | "redis", readonly ms: number) {
    super(`no answer at the ${stage} stage within ${ms}ms`)
  }
}

/** A failure worth waiting out (the connection is lost, or a command timed out). */
class Transient {
  constructor(readonly reason: "unavailable" | "timeout", readonly detail: string) {}
}

const Connected = Data.tagged<Extract<ConnectionState, { _tag: "Connected" }>>("Connected")
const Lost = Data.tagged<Extract<ConnectionState, { _tag: "Lost" }>>("Lost")

/** How a command behaves while the connection is lost. @internal */
export interface RunOptions {
  /** Wait (at most `retryFor` from the loss) for the connection to come back; else fail at once. */
  readonly wait: boolean
  /** The connection to use (the main one by default). */
  readonly redis?: IORedis
}

const WAIT: RunOptions = { wait: true }
/** @internal */
export const NO_WAIT: RunOptions = { wait: false }

/**
 * One connection for ordinary commands, and a pool of extra connections for blocking reads.
 *
 * A health check pings the main connection every `pingInterval`: when no byte comes back within
 * `pingTimeout` (a stopped server, a dead network path), or the socket closes (a killed server), the
 * connection is **lost**: every command in flight fails at once, the sockets are closed so the client
 * reconnects, and the state becomes `Lost` — once per outage. It becomes `Connected` again when the
 * client is ready on a new connection. While it is lost, a command either fails at once or waits for
 * the connection (its `RunOptions`), never longer than `retryFor` after the loss.
 *
 * @internal
 */
export class Client {
  readonly idle: Array<IORedis> = []
  readonly all = new Set<IORedis>()
  closed = false
  /** The URL without its password. */
  readonly where: string
  /** The URL without its password, and whether over TLS. */
  readonly tried: string
  /** The last connection-level error seen (an 'error' event), cleared when a connection is ready. */
  lastError: unknown = undefined
  /** Some connection of this client has been ready: a reset since then is the server going away. */
  hasConnected = false
  /** Commands waiting for a reply: each is failed at once when the connection is lost. */
  private readonly inflight = new Set<(failure: Transient) => void>()
  /** Called at each loss (limiters wake their napping waiters, so that they see it). */
  readonly lostListeners = new Set<() => void>()
  /** Called when the connection is back (queues send what could not go while it was lost). */
  readonly backListeners = new Set<() => void>()
  private readonly stateListeners = new Set<(state: ConnectionState) => void>()
  current: ConnectionState
  /** Completed at the next loss (a new one after each recovery). */
  private lostSignal = Deferred.unsafeMake<void>(FiberId.none)
  /** Completed when the connection is back (a new one at each loss). */
  private backSignal = Deferred.unsafeMake<void>(FiberId.none)
  /** When a byte last came from the server on the main connection. */
  lastData = Date.now()
  readonly connection: Subscribable.Subscribable<ConnectionState>

  constructor(readonly config: ClientConfig, readonly main: IORedis, readonly readyCheck: boolean) {
    this.where = redact(config.url)
    this.tried = describeTarget(config.url)
    Deferred.unsafeDone(this.backSignal, Effect.void)
    this.current = Connected({ since: new Date(), downtime: Option.none() })
    this.watch(main)
    this.watchData(main)
    main.on("close", () => {
      if (!this.closed && !this.isLost) this.markLost(this.closedDetail())
    })
    main.on("ready", () => {
      this.watchData(main)
      if (this.isLost && !this.closed) this.markBack()
    })
    this.connection = Subscribable.make({
      get: Effect.sync(() => this.current),
      changes: Stream.async<ConnectionState>((emit) => {
        void emit.single(this.current)
        const listener = (state: ConnectionState) => void emit.single(state)
        this.stateListeners.add(listener)
        return Effect.sync(() => this.stateListeners.delete(listener))
      }, "unbounded")
    })
  }

  static options(config: ClientConfig, extraTimeout = 0, readyCheck = true) {
    const connectTimeout = Duration.toMillis(config.connectTimeout)
    return {
      lazyConnect: true,
      // the ready check waits while the server loads its data; a user without INFO permission cannot run it
      enableReadyCheck: readyCheck,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      connectTimeout,
      // a socket closed while the server is stopped waits for its FIN no longer than this
      disconnectTimeout: Math.min(connectTimeout, 200),
      commandTimeout: Duration.toMillis(config.commandTimeout) + extraTimeout,
      retryStrategy: (times: number) => Math.min(50 * times, 250)
    } as const
  }

  get isLost(): boolean {
    return this.current._tag === "Lost"
  }

  /** Remembers why a connection failed, so that a command's "Connection is closed" can say why. */
  private watch(redis: IORedis): void {
    redis.on("error", (e: unknown) => {
      // keep the cause, not the client library's "the connection is closed" that follows it
      if (this.lastError === undefined || !/not open|closed before the reply|Connection is closed/.test(message(e))) {
        this.lastError = e
      }
    })
    redis.on("ready", () => {
      this.lastError = undefined
      this.hasConnected = true
    })
    redis.on("connect", () => guard(redis.stream))
  }

  /** Notes every byte that comes from the server on the current socket of `redis`. */
  private watchData(redis: IORedis): void {
    const stream = redis.stream as (net.Socket & { taskscopeWatched?: boolean }) | undefined
    if (stream === undefined || stream.taskscopeWatched === true) return
    stream.taskscopeWatched = true
    guard(stream)
    stream.on("data", () => {
      this.lastData = Date.now()
    })
  }

  private closedDetail(): string {
    return this.lastError === undefined
      ? `the server closed the connection (stopped or restarted?)`
      : explain(this.lastError, this.where, this.hasConnected).detail
  }

  private setState(state: ConnectionState): void {
    this.current = state
    for (const listener of [...this.stateListeners]) listener(state)
  }

  /** The connection is lost: fail every command in flight, close the sockets (the client reconnects), tell everyone. */
  markLost(detail: string): void {
    if (this.isLost || this.closed) return
    const error = new Errors.BackendError({
      backend: "redis",
      operation: "connection",
      reason: "unavailable",
      detail: `${detail} (${this.tried})`
    })
    this.backSignal = Deferred.unsafeMake<void>(FiberId.none)
    this.setState(Lost({ since: new Date(), error }))
    Deferred.unsafeDone(this.lostSignal, Effect.void)
    const failure = new Transient("unavailable", detail)
    for (const fail of [...this.inflight]) fail(failure)
    this.inflight.clear()
    for (const redis of [this.main, ...this.all]) redis.stream?.destroy()
    for (const listener of [...this.lostListeners]) listener()
  }

  private markBack(): void {
    const lost = this.current
    if (lost._tag !== "Lost") return
    const now = new Date()
    this.lostSignal = Deferred.unsafeMake<void>(FiberId.none)
    this.lastData = now.getTime()
    this.setState(
      Connected({ since: now, downtime: Option.some(Duration.millis(now.getTime() - lost.since.getTime())) })
    )
    Deferred.unsafeDone(this.backSignal, Effect.void)
    for (const listener of [...this.backListeners]) listener()
  }

  /** Completes at the next loss of the connection (at once while it is lost). */
  get whenLost(): Effect.Effect<void> {
    // interruptible even where it is raced in a finalizer, so that the race can end it
    return Effect.suspend(() => Effect.interruptible(Deferred.await(this.lostSignal)))
  }

  key(...parts: ReadonlyArray<string>): string {
    return `${this.config.prefix}:${parts.join(":")}`
  }

  /** The detail of a failed command: the command's own error, or the connection's when that is the cause. */
  private describe(e: unknown): string {
    const text = message(e)
    if (/Unknown RESP type|Protocol error/i.test(text)) return explain(e, this.where, this.hasConnected).detail
    if (this.lastError !== undefined && /closed|writeable|Connection/i.test(text)) {
      return `connection lost: ${explain(this.lastError, this.where, this.hasConnected).detail}`
    }
    return `${text} (${this.where})`
  }

  private once<A>(
    operation: string,
    redis: IORedis,
    f: (redis: IORedis) => Promise<A>
  ): Effect.Effect<A, Errors.BackendError | Transient> {
    return Effect.async<A, Errors.BackendError | Transient>((resume) => {
      let settled = false
      const abort = (failure: Transient) => {
        if (settled) return
        settled = true
        resume(Effect.fail(failure))
      }
      this.inflight.add(abort)
      let promise: Promise<A>
      try {
        promise = f(redis)
      } catch (e) {
        promise = Promise.reject(e)
      }
      promise.then(
        (a) => {
          if (settled) return
          settled = true
          this.inflight.delete(abort)
          resume(Effect.succeed(a))
        },
        (e) => {
          if (settled) return
          settled = true
          this.inflight.delete(abort)
          const text = message(e)
          const reason = transient(text)
          if (reason !== undefined) resume(Effect.fail(new Transient(reason, this.describe(e))))
          else {
            resume(
              Effect.fail(
                new Errors.BackendError({ backend: "redis", operation, reason: "protocol", detail: this.describe(e) })
              )
            )
          }
        }
      )
      return Effect.sync(() => {
        settled = true
        this.inflight.delete(abort)
      })
    })
  }

  /** The error of a command that cannot run because the connection is lost (since `since`). */
  private lostError(operation: string, waitedMs: number | undefined): Errors.BackendError {
    const lost = this.current
    const since = lost._tag === "Lost" ? lost.since.getTime() : Date.now()
    const why = lost._tag === "Lost" ? lost.error.detail : "the connection is lost"
    const now = explain(this.lastError, this.where, this.hasConnected)
    const still = this.lastError !== undefined && !why.includes(now.detail) ? `; now: ${now.detail}` : ""
    return new Errors.BackendError({
      backend: "redis",
      operation,
      reason: "unavailable",
      detail: `connection lost ${formatMs(Date.now() - since)} ago: ${why}${still}${
        waitedMs === undefined ? "" : `; waited ${formatMs(waitedMs)} for it to come back (retryFor)`
      }`
    })
  }

  /**
   * While the connection is lost: waits until it is back (when `wait`, at most `retryFor` after the
   * loss), else fails with a typed error at once.
   */
  private awaitBack(operation: string, wait: boolean): Effect.Effect<void, Errors.BackendError> {
    return Effect.suspend(() => {
      const lost = this.current
      if (lost._tag !== "Lost") return Effect.void
      const budget = Duration.toMillis(this.config.retryFor) - (Date.now() - lost.since.getTime())
      if (!wait || budget <= 0) return Effect.fail(this.lostError(operation, undefined))
      const started = Date.now()
      return Effect.flatMap(
        Effect.timeoutOption(Effect.interruptible(Deferred.await(this.backSignal)), Duration.millis(budget)),
        (back) =>
          Option.isSome(back) && !this.closed
            ? Effect.void
            : Effect.fail(this.lostError(operation, Date.now() - started))
      )
    })
  }

  /** Fails at once with the typed error while the connection is lost. */
  ensureUp(operation: string): Effect.Effect<void, Errors.BackendError> {
    return this.awaitBack(operation, false)
  }

  private closedError(operation: string): Errors.BackendError {
    return new Errors.BackendError({
      backend: "redis",
      operation,
      reason: "unavailable",
      detail: `the connection to ${this.where} was closed (the Redis layer was released)`
    })
  }

  /**
   * Runs a command. While the connection is lost it fails at once, or waits for it (`options.wait`,
   * at most `retryFor` after the loss). A command in flight when the connection is lost fails at once
   * (and, when it may wait, runs again once the connection is back: every command is idempotent).
   */
  run<A>(
    operation: string,
    f: (redis: IORedis) => Promise<A>,
    options: RunOptions = WAIT
  ): Effect.Effect<A, Errors.BackendError> {
    const redis = options.redis ?? this.main
    const retryFor = Duration.toMillis(this.config.retryFor)
    return Effect.suspend(() => {
      let firstFailure = 0
      let checked = false
      const attempt: Effect.Effect<A, Errors.BackendError> = Effect.suspend(() => {
        if (this.closed) return Effect.fail(this.closedError(operation))
        if (this.isLost) return Effect.zipRight(this.awaitBack(operation, options.wait), attempt)
        return Effect.catchIf(
          this.once(operation, redis, f),
          (e): e is Transient => e instanceof Transient,
          (failure): Effect.Effect<A, Errors.BackendError> => {
            if (this.closed) return Effect.fail(this.closedError(operation))
            // the connection was lost meanwhile: wait for it, or fail, as any command would
            if (this.isLost) return Effect.zipRight(this.awaitBack(operation, options.wait), attempt)
            // a connection-level failure (a closed socket) while the state still says Connected: ask
            // the server at once, and treat the command as every other one if the connection is lost
            if (failure.reason === "unavailable" && !checked) {
              checked = true
              return Effect.zipRight(this.checkNow, Effect.suspend(() => retryOrFail(failure)))
            }
            return retryOrFail(failure)
          }
        )
      })
      const retryOrFail = (failure: Transient): Effect.Effect<A, Errors.BackendError> => {
        if (this.closed) return Effect.fail(this.closedError(operation))
        if (this.isLost) return Effect.zipRight(this.awaitBack(operation, options.wait), attempt)
        // the connection is fine, but this command failed (a timeout on a blocking read, a server
        // loading its data, a socket of its own that closed): retried for retryFor, counted from
        // its first failure
        const now = Date.now()
        if (firstFailure === 0) firstFailure = now
        const left = retryFor - (now - firstFailure)
        const error = new Errors.BackendError({
          backend: "redis",
          operation,
          reason: failure.reason,
          detail: retryFor === 0
            ? failure.detail
            : `${failure.detail} (gave up after ${formatMs(now - firstFailure)})`
        })
        if (!options.wait || left <= 0) return Effect.fail(error)
        return Effect.zipRight(Effect.sleep(Duration.millis(Math.min(left, 250))), attempt)
      }
      return attempt
    })
  }

  /** Runs a Lua script by SHA, sending the source when the server has not seen it. */
  eval(
    script: Script,
    keys: ReadonlyArray<string>,
    args: ReadonlyArray<string | number>,
    options: RunOptions = WAIT
  ): Effect.Effect<unknown, Errors.BackendError> {
    return this.run(script.name, async (redis) => {
      try {
        return await redis.evalsha(script.sha, keys.length, ...keys, ...args)
      } catch (e) {
        if (/NOSCRIPT/.test(message(e))) return await redis.eval(script.source, keys.length, ...keys, ...args)
        throw e
      }
    }, options)
  }

  /**
   * A connection of its own for one blocking command, ready to use; give it back with `unlease` once
   * the command has settled.
   */
  get lease(): Effect.Effect<IORedis, Errors.BackendError> {
    return Effect.suspend(() => {
      if (this.closed) return Effect.fail(this.closedError("connect"))
      const found = this.idle.pop()
      if (found !== undefined && found.status === "ready") return Effect.succeed(found)
      const extra = found ?? new IORedis(this.config.url, Client.options(this.config, 10_000, this.readyCheck))
      if (found === undefined) {
        this.watch(extra)
        this.all.add(extra)
      }
      return this.run("connect", () => waitReady(extra, Duration.toMillis(this.config.connectTimeout))).pipe(
        Effect.as(extra),
        Effect.onError(() => Effect.sync(() => this.unlease(extra)))
      )
    })
  }

  unlease(redis: IORedis): void {
    if (this.closed) redis.disconnect()
    else this.idle.push(redis)
  }

  close(): void {
    this.closed = true
    for (const fail of [...this.inflight]) fail(new Transient("unavailable", "closed"))
    this.inflight.clear()
    for (const redis of [this.main, ...this.all]) {
      redis.disconnect()
      // a stopped server never answers the FIN: do not keep the process alive for it
      if (this.isLost) redis.stream?.destroy()
    }
  }

  /**
   * The health check: a PING every `pingInterval`; no byte from the server within `pingTimeout` of it
   * means the connection is lost. A timer that fires late (a busy event loop) first lets waiting I/O
   * be read, so a reply that arrived meanwhile is not mistaken for silence.
   */
  get healthCheck(): Effect.Effect<never> {
    const interval = Duration.toMillis(this.config.pingInterval)
    return Effect.forever(Effect.zipRight(this.pingOnce, Effect.sleep(interval)))
  }

  /** The PING on its way for `checkNow`, shared by every command that asks meanwhile. */
  private checking: Deferred.Deferred<void> | undefined = undefined

  /** Asks the server now (one PING for every caller that asks at the same time). */
  private get checkNow(): Effect.Effect<void> {
    return Effect.suspend(() => {
      const running = this.checking
      if (running !== undefined) return Effect.interruptible(Deferred.await(running))
      const done = Deferred.unsafeMake<void>(FiberId.none)
      this.checking = done
      return Effect.ensuring(
        this.pingOnce,
        Effect.sync(() => {
          this.checking = undefined
          Deferred.unsafeDone(done, Effect.void)
        })
      )
    })
  }

  /** One PING: ends when it is answered, or when the connection is found lost (no answer within `pingTimeout`). */
  get pingOnce(): Effect.Effect<void> {
    const timeout = Duration.toMillis(this.config.pingTimeout)
    return Effect.suspend(() => {
      if (this.isLost || this.closed) return Effect.void
      if (this.main.status !== "ready") {
        // the socket closed and the client is reconnecting: the close is being reported
        this.markLost(this.closedDetail())
        return Effect.void
      }
      const sent = Date.now()
      let outcome: { readonly error: unknown } | "pending" | "answered" = "pending"
      let wake: (() => void) | undefined
      this.main.ping().then(() => {
        outcome = "answered"
        wake?.()
      }, (error: unknown) => {
        outcome = { error }
        wake?.()
      })
      const settled = Effect.async<void>((resume) => {
        if (outcome !== "pending") resume(Effect.void)
        else wake = () => resume(Effect.void)
      })
      const watchdog: Effect.Effect<void> = Effect.flatMap(Effect.zipRight(Effect.sleep(timeout), afterIo), () => {
        if (outcome !== "pending" || this.isLost || this.closed) return Effect.void
        const quiet = Date.now() - Math.max(sent, this.lastData)
        // bytes are still arriving (a long reply ahead of the PING): the server is alive
        if (quiet < timeout) return Effect.zipRight(Effect.sleep(timeout - quiet), watchdog)
        this.markLost(`no answer to PING within ${formatMs(timeout)}: the server is stopped, overloaded or unreachable`)
        return Effect.void
      })
      return Effect.zipRight(
        Effect.raceFirst(Effect.interruptible(settled), Effect.interruptible(watchdog)),
        Effect.sync(() => {
          if (typeof outcome === "object" && !this.closed) {
            // a PING refused because the socket is closing: the cause is the connection's last error
            const generic = /not open|closed before the reply|Connection is closed/.test(message(outcome.error))
            this.markLost(
              generic && this.lastError !== undefined
                ? this.closedDetail()
                : explain(outcome.error, this.where, this.hasConnected).detail
            )
          }
        })
      )
    })
  }
}

/**
 * The client listens for one error per socket; a second one (a reset after a close) would be
 * unhandled and end the process. The client has already reported the first.
 */
const guard = (stream: (net.Socket & { taskscopeGuarded?: boolean }) | undefined): void => {
  if (stream === undefined || stream.taskscopeGuarded === true) return
  stream.taskscopeGuarded = true
  stream.on("error", () => {})
}

/** Resolves after the I/O that is ready now has been read (setImmediate runs after the poll phase). */
const afterIo: Effect.Effect<void> = Effect.async<void>((resume) => {
  const t = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(t))
})

/** Connects `redis` (made with lazyConnect) and waits until it is ready, at most `ms`. */
const waitReady = (redis: IORedis, ms: number): Promise<void> => {
  if (redis.status === "ready") return Promise.resolve()
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup()
      reject(Object.assign(new Error(`not ready within ${ms}ms`), { code: "ETIMEDOUT" }))
    }, ms)
    const onReady = () => {
      cleanup()
      resolve()
    }
    const cleanup = () => {
      clearTimeout(timer)
      redis.removeListener("ready", onReady)
    }
    redis.once("ready", onReady)
    if (redis.status === "wait") redis.connect().catch(() => {})
  })
}

interface Target {
  readonly host: string
  readonly port: number
  readonly tls: boolean
}

const targetOf = (url: string): Target => {
  const parsed = new URL(url)
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1",
    port: parsed.port === "" ? 6379 : Number(parsed.port),
    tls: parsed.protocol === "rediss:"
  }
}

/**
 * Opens a TCP connection (and the TLS handshake, for rediss://) and closes it again, at most `ms`:
 * tells a port nobody listens on, a host that drops packets, and a port that does not speak TLS
 * apart, before the Redis handshake.
 */
const reach = (target: Target, ms: number): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    let stage: "tcp" | "tls" = "tcp"
    const socket = target.tls
      ? tls.connect({
        host: target.host,
        port: target.port,
        ...(net.isIP(target.host) === 0 ? { servername: target.host } : {})
      })
      : net.connect({ host: target.host, port: target.port })
    let done = false
    const finish = (error: unknown) => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      if (error === undefined) resolve()
      else reject(error)
    }
    const timer = setTimeout(() => finish(new Silent(stage, ms)), ms)
    // every error, also one after the socket was closed (an unhandled one would end the process)
    socket.on("error", (e) => finish(e))
    socket.once("connect", () => {
      if (target.tls) stage = "tls"
      else finish(undefined)
    })
    if (target.tls) socket.once("secureConnect", () => finish(undefined))
  })

/**
 * Checks that the server answers as Redis does, on a connection of its own, each attempt bounded by
 * `connectTimeout`: a refused connection or a server loading its data is tried again until
 * `retryFor` has passed; anything else (a wrong password, a missing database, a port that is not
 * Redis, a TLS mismatch, a port that never answers) fails at once. The error says what is wrong, what
 * was tried, and how long it really took.
 */
const check = (config: ClientConfig): Effect.Effect<{ readonly readyCheck: boolean }, Errors.BackendError> => {
  const where = redact(config.url)
  const ms = Duration.toMillis(config.connectTimeout)
  const target = targetOf(config.url)
  let attempts = 0
  const attempt = Effect.tryPromise({
    try: async () => {
      attempts++
      // one attempt, all stages together, takes connectTimeout at most
      const deadline = Date.now() + ms
      await reach(target, ms)
      const left = Math.max(1, deadline - Date.now())
      const probe = new IORedis(config.url, { ...Client.options(config, 0, false), retryStrategy: () => null })
      // the client reports why it closed the connection as an event; its promise only says "closed"
      let lastError: unknown = undefined
      probe.on("error", (e: unknown) => {
        lastError = e
      })
      let timer: ReturnType<typeof setTimeout> | undefined
      try {
        return await Promise.race([
          (async () => {
            await probe.connect()
            // ioredis reports a failed SELECT as an event and goes on with database 0: ask explicitly
            const db = /^rediss?:\/\/[^/]*\/(\d+)/.exec(config.url)?.[1]
            if (db !== undefined && db !== "0") await probe.select(Number(db))
            await probe.ping()
            // the client's ready check runs INFO (and prints a warning of its own when it may not)
            try {
              const info = await probe.info("persistence")
              if (/loading:1/.test(info)) throw new Error("LOADING the server is loading its data")
              return { readyCheck: true }
            } catch (e) {
              if (/NOPERM/.test(message(e))) return { readyCheck: false }
              throw e
            }
          })(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Silent("redis", ms)), left)
          })
        ])
      } catch (e) {
        throw e instanceof Silent || lastError === undefined ? e : lastError
      } finally {
        clearTimeout(timer)
        probe.stream?.on("error", () => {})
        probe.disconnect()
        probe.stream?.destroy()
      }
    },
    catch: (e) => e
  })
  return Effect.flatMap(Effect.sync(() => Date.now()), (started) =>
    attempt.pipe(
      Effect.retry({
        schedule: Schedule.exponential("50 millis", 2).pipe(
          Schedule.union(Schedule.spaced("250 millis")),
          Schedule.upTo(config.retryFor)
        ),
        while: (e) => !explain(e, where).fatal
      }),
      Effect.mapError((error) => {
        const { detail, reason } = explain(error, where)
        return new Errors.BackendError({
          backend: "redis",
          operation: "connect",
          reason,
          detail: `${detail} (tried ${describeTarget(config.url)}: ${attempts} attempt${attempts === 1 ? "" : "s"} in ${
            formatMs(Date.now() - started)
          })`
        })
      })
    ))
}

/** @internal */
export const make = (config: ClientConfig): Effect.Effect<Client, Errors.BackendError, Scope.Scope> =>
  Effect.gen(function*() {
    const { readyCheck } = yield* check(config)
    const client = yield* Effect.acquireRelease(
      Effect.suspend(() => {
        const main = new IORedis(config.url, Client.options(config, 0, readyCheck))
        const client = new Client(config, main, readyCheck)
        return Effect.as(
          Effect.tryPromise({
            try: () => waitReady(main, Duration.toMillis(config.connectTimeout)),
            catch: (e) =>
              new Errors.BackendError({
                backend: "redis",
                operation: "connect",
                reason: "unavailable",
                detail: `${
                  explain(client.lastError ?? e, client.where, client.hasConnected).detail
                } (tried ${client.tried})`
              })
          }).pipe(Effect.onError(() => Effect.sync(() => client.close()))),
          client
        )
      }),
      (client) => Effect.sync(() => client.close())
    )
    yield* Effect.forkScoped(client.healthCheck)
    return client
  })

/**
 * The value of the `Redis` service made by `Redis.layer`: the public fields, and the client the
 * limiters and queues use.
 * @internal
 */
export class Connection {
  readonly url: string
  readonly connection: Subscribable.Subscribable<ConnectionState>
  constructor(readonly prefix: string, readonly client: Client) {
    this.url = client.where
    this.connection = client.connection
  }
}

/** The client behind a `Redis` service; only `Redis.layer` makes one. @internal */
export const clientOf = (redis: { readonly prefix: string; readonly url: string }): Client => {
  if (redis instanceof Connection) return redis.client
  throw new Error("This Redis service was not made by Redis.layer: provide Redis.layer({ url }) instead")
}
