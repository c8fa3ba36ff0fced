import { Errors, Options } from "@taskscope/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { Redis as IORedis } from "ioredis"
import { createHash } from "node:crypto"

/** @internal */
export interface ClientConfig {
  readonly url: string
  readonly prefix: string
  readonly commandTimeout: Duration.Duration
  readonly retryFor: Duration.Duration
}

const ConfigSchema = Schema.Struct({
  url: Schema.String.pipe(Schema.filter((s) => /^rediss?:\/\/./.test(s), {
    message: (issue) => `Expected a redis:// or rediss:// URL, actual ${JSON.stringify(redact(String(issue.actual)))}`
  })),
  prefix: Schema.optional(Schema.String.pipe(Schema.minLength(1))),
  commandTimeout: Schema.optional(Options.PositiveDuration),
  retryFor: Schema.optional(Options.NonNegativeDuration)
})

const decodeConfigEither = Options.decode("Redis", ConfigSchema)

/** @internal */
export const decodeConfig = (input: unknown): Effect.Effect<ClientConfig, Errors.InvalidOptionsError> =>
  Effect.map(decodeConfigEither(input), (c) => ({
    url: c.url,
    prefix: c.prefix ?? "taskscope",
    commandTimeout: c.commandTimeout ?? Duration.seconds(5),
    retryFor: c.retryFor ?? Duration.seconds(30)
  }))

/** The URL without its password (for messages and logs). @internal */
export const redact = (url: string): string =>
  url.replace(/^([a-z][\w+.-]*:\/\/)([^@/]*)@/i, (_, scheme, auth: string) => {
    const user = auth.includes(":") ? auth.slice(0, auth.indexOf(":")) : ""
    return `${scheme}${user === "" ? "" : `${user}@`}`
  })

/** A Lua script, run by its SHA1 (and sent whole when the server does not know it, e.g. after a restart). */
export class Script {
  readonly sha: string
  constructor(readonly name: string, readonly source: string) {
    this.sha = createHash("sha1").update(source).digest("hex")
  }
}

const message = (u: unknown): string => u instanceof Error ? u.message : String(u)
const codeOf = (u: unknown): string =>
  typeof u === "object" && u !== null && "code" in u && typeof u.code === "string" ? u.code : ""

/** Errors worth a retry: the connection is down or reconnecting, the server is loading its data, or it timed out. */
const transient = (text: string): "unavailable" | "timeout" | undefined => {
  if (/timed? ?out/i.test(text)) return "timeout"
  if (
    /connection|closed|writeable|ECONN|EPIPE|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|socket|LOADING|MaxRetries|reset|TRYAGAIN|MASTERDOWN|READONLY/i
      .test(text)
  ) return "unavailable"
  return undefined
}

/**
 * What went wrong with the connection to `where`, in words a person can act on, and whether waiting
 * can help (a refused or reset connection may come back; a wrong password or port will not).
 * @internal
 */
export const explain = (
  error: unknown,
  where: string
): { readonly detail: string; readonly fatal: boolean; readonly reason: "unavailable" | "protocol" } => {
  const text = message(error)
  const code = codeOf(error)
  const tls = where.startsWith("rediss:")
  const has = (pattern: RegExp) => pattern.test(text) || pattern.test(code)
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
    return {
      detail: looksTls
        ? `${where} answered with TLS: the port speaks TLS, use rediss://`
        : `${where} is not a Redis server: it answered in another protocol (${text}); check the port`,
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
      detail: tls
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
      detail: tls
        ? `${where} reset the connection (${text})`
        : `${where} reset the connection (${text}); a port that speaks TLS resets plain connections: use rediss:// there`,
      fatal: false,
      reason: "unavailable"
    }
  }
  if (has(/ETIMEDOUT|timed? ?out/i)) {
    return {
      detail: tls
        ? `no answer from ${where} in time (${text}): is TLS enabled on that port? A plain server needs redis://`
        : `no answer from ${where} in time (${text}): is the host reachable, and is it a Redis server?`,
      fatal: false,
      reason: "unavailable"
    }
  }
  return { detail: `${where}: ${text}`, fatal: false, reason: "unavailable" }
}

class Transient {
  constructor(readonly reason: "unavailable" | "timeout", readonly detail: string) {}
}

/**
 * One connection for ordinary commands, and a pool of extra connections for blocking reads.
 * Every command is bounded by `commandTimeout`; transient failures (connection lost, server
 * restarting, timeouts) are retried with backoff for up to `retryFor`, then fail with a typed
 * `BackendError` that says what is wrong and where (the URL without its password). ioredis itself
 * never queues a command while disconnected (no silent hang).
 *
 * @internal
 */
export class Client {
  readonly idle: Array<IORedis> = []
  readonly all = new Set<IORedis>()
  closed = false
  /** The URL without its password. */
  readonly where: string
  /** The last connection-level error seen (an 'error' event), cleared when a connection is ready. */
  lastError: unknown = undefined
  private readonly retry: Schedule.Schedule<unknown, unknown>

  constructor(readonly config: ClientConfig, readonly main: IORedis) {
    this.where = redact(config.url)
    this.retry = Schedule.exponential("50 millis", 2).pipe(
      Schedule.union(Schedule.spaced("1 second")),
      Schedule.upTo(config.retryFor)
    )
    this.watch(main)
  }

  static connect(config: ClientConfig, extraTimeout = 0): IORedis {
    return new IORedis(config.url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      connectTimeout: Math.max(1000, Duration.toMillis(config.commandTimeout)),
      commandTimeout: Duration.toMillis(config.commandTimeout) + extraTimeout,
      retryStrategy: (times) => Math.min(50 * times, 500)
    })
  }

  /** Remembers why a connection failed, so that a command's "Connection is closed" can say why. */
  private watch(redis: IORedis): void {
    redis.on("error", (e: unknown) => {
      this.lastError = e
    })
    redis.on("ready", () => {
      this.lastError = undefined
    })
  }

  key(...parts: ReadonlyArray<string>): string {
    return `${this.config.prefix}:${parts.join(":")}`
  }

  /** The detail of a failed command: the command's own error, or the connection's when that is the cause. */
  private describe(e: unknown): string {
    const text = message(e)
    if (this.lastError !== undefined && /closed|writeable|Connection/i.test(text)) {
      return `connection lost: ${explain(this.lastError, this.where).detail}`
    }
    return `${text} (${this.where})`
  }

  private once<A>(
    operation: string,
    redis: IORedis,
    f: (redis: IORedis) => Promise<A>
  ): Effect.Effect<A, Errors.BackendError | Transient> {
    return Effect.async<A, Errors.BackendError | Transient>((resume) => {
      let promise: Promise<A>
      try {
        promise = f(redis)
      } catch (e) {
        promise = Promise.reject(e)
      }
      promise.then(
        (a) => resume(Effect.succeed(a)),
        (e) => {
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
    })
  }

  /** Runs a command on `redis` (the main connection by default), retrying transient failures. */
  run<A>(
    operation: string,
    f: (redis: IORedis) => Promise<A>,
    redis: IORedis = this.main
  ): Effect.Effect<A, Errors.BackendError> {
    const once = this.once(operation, redis, f)
    const gaveUp = (e: Transient) =>
      Effect.fail(
        new Errors.BackendError({
          backend: "redis",
          operation,
          reason: e.reason,
          detail: `${e.detail} (gave up after ${Duration.format(this.config.retryFor)})`
        })
      )
    // the retry machinery is built only when a first attempt failed for a reason worth waiting out
    return Effect.catchIf(
      once,
      (e): e is Transient => e instanceof Transient,
      (first) =>
        this.closed ? gaveUp(first) : once.pipe(
          Effect.retry({ schedule: this.retry, while: (e) => e instanceof Transient && !this.closed }),
          Effect.catchIf((e): e is Transient => e instanceof Transient, gaveUp)
        )
    )
  }

  /** Runs a Lua script by SHA, sending the source when the server has not seen it. */
  eval(
    script: Script,
    keys: ReadonlyArray<string>,
    args: ReadonlyArray<string | number>
  ): Effect.Effect<unknown, Errors.BackendError> {
    return this.run(script.name, async (redis) => {
      try {
        return await redis.evalsha(script.sha, keys.length, ...keys, ...args)
      } catch (e) {
        if (/NOSCRIPT/.test(message(e))) return await redis.eval(script.source, keys.length, ...keys, ...args)
        throw e
      }
    })
  }

  /** A connection of its own for one blocking command; give it back with `unlease` once the command has settled. */
  lease(): IORedis {
    const found = this.idle.pop()
    if (found !== undefined) return found
    const extra = Client.connect(this.config, 10_000)
    this.watch(extra)
    this.all.add(extra)
    return extra
  }

  unlease(redis: IORedis): void {
    if (this.closed) redis.disconnect()
    else this.idle.push(redis)
  }

  close(): Promise<void> {
    this.closed = true
    for (const redis of this.all) redis.disconnect()
    this.main.disconnect()
    return Promise.resolve()
  }
}

/**
 * Checks, on a connection of its own, that the server answers as Redis does: a refused or
 * unreachable server is retried for `retryFor`; a wrong password, a missing database, a port that
 * is not Redis or a TLS mismatch fails at once. Every failure says what is wrong and where.
 */
const check = (config: ClientConfig, where: string): Effect.Effect<void, Errors.BackendError> => {
  const timeout = Duration.toMillis(config.commandTimeout)
  const attempt = Effect.async<void, unknown>((resume) => {
    const probe = new IORedis(config.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: Math.max(1000, timeout),
      commandTimeout: timeout,
      retryStrategy: () => null
    })
    let lastError: unknown = undefined
    probe.on("error", (e: unknown) => {
      lastError = e
    })
    let done = false
    const finish = (error: unknown) => {
      if (done) return
      done = true
      clearTimeout(timer)
      probe.disconnect()
      resume(error === undefined ? Effect.void : Effect.fail(error))
    }
    // a server that accepts the connection and never answers (not Redis, or a TLS port)
    const timer = setTimeout(
      () => finish(lastError ?? Object.assign(new Error("connected, but no reply"), { code: "ETIMEDOUT" })),
      Math.max(1000, timeout) + timeout
    )
    ;(async () => {
      await probe.connect()
      // ioredis reports a failed SELECT as an event and goes on with database 0: ask explicitly
      const db = /^rediss?:\/\/[^/]*\/(\d+)/.exec(config.url)?.[1]
      if (db !== undefined && db !== "0") await probe.select(Number(db))
      await probe.ping()
    })().then(() => finish(undefined), (e) => finish(lastError ?? e))
    return Effect.sync(() => finish(undefined))
  })
  return attempt.pipe(
    Effect.retry({
      schedule: Schedule.exponential("50 millis", 2).pipe(
        Schedule.union(Schedule.spaced("1 second")),
        Schedule.upTo(config.retryFor)
      ),
      while: (e) => !explain(e, where).fatal
    }),
    Effect.mapError((error) => {
      const { detail, fatal, reason } = explain(error, where)
      return new Errors.BackendError({
        backend: "redis",
        operation: "connect",
        reason,
        detail: fatal ? detail : `${detail} (gave up after ${Duration.format(config.retryFor)})`
      })
    })
  )
}

/** @internal */
export const make = (config: ClientConfig): Effect.Effect<Client, Errors.BackendError, Scope.Scope> =>
  Effect.gen(function*() {
    yield* check(config, redact(config.url))
    return yield* Effect.acquireRelease(
      Effect.sync(() => new Client(config, Client.connect(config))),
      (client) => Effect.promise(() => client.close())
    )
  })

/**
 * The value of the `Redis` service made by `Redis.layer`: the public fields, and the client the
 * limiters and queues use.
 * @internal
 */
export class Connection {
  readonly url: string
  constructor(readonly prefix: string, readonly client: Client) {
    this.url = client.where
  }
}

/** The client behind a `Redis` service; only `Redis.layer` makes one. @internal */
export const clientOf = (redis: { readonly prefix: string; readonly url: string }): Client => {
  if (redis instanceof Connection) return redis.client
  throw new Error("This Redis service was not made by Redis.layer: provide Redis.layer({ url }) instead")
}
