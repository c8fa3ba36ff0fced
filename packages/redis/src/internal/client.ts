import { Errors } from "@taskscope/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { Redis as IORedis } from "ioredis"
import { createHash } from "node:crypto"
import { decode, durationOr, PositiveDuration } from "./options.js"

/** @internal */
export interface ClientConfig {
  readonly url: string
  readonly prefix: string
  readonly commandTimeout: Duration.Duration
  readonly retryFor: Duration.Duration
}

const ConfigSchema = Schema.Struct({
  url: Schema.String.pipe(Schema.filter((s) => /^rediss?:\/\/./.test(s), {
    message: (issue) => `Expected a redis:// or rediss:// URL, actual ${JSON.stringify(issue.actual)}`
  })),
  prefix: Schema.optional(Schema.String.pipe(Schema.minLength(1))),
  commandTimeout: Schema.optional(PositiveDuration),
  retryFor: Schema.optional(PositiveDuration)
})

/** @internal */
export const decodeConfig = (input: unknown): Effect.Effect<ClientConfig, Errors.InvalidOptionsError> =>
  Effect.map(decode("Redis", ConfigSchema)(input), (c) => ({
    url: c.url,
    prefix: c.prefix ?? "taskscope",
    commandTimeout: durationOr(c.commandTimeout, "5 seconds"),
    retryFor: durationOr(c.retryFor, "30 seconds")
  }))

/** A Lua script, run by its SHA1 (and sent whole when the server does not know it, e.g. after a restart). */
export class Script {
  readonly sha: string
  constructor(readonly name: string, readonly source: string) {
    this.sha = createHash("sha1").update(source).digest("hex")
  }
}

const message = (u: unknown): string => u instanceof Error ? u.message : String(u)

/** Errors worth a retry: the connection is down or reconnecting, the server is loading its data, or it timed out. */
const transient = (text: string): "unavailable" | "timeout" | undefined => {
  if (/timed? ?out/i.test(text)) return "timeout"
  if (
    /connection|closed|writeable|ECONN|EPIPE|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|socket|LOADING|MaxRetries|reset|TRYAGAIN|MASTERDOWN|READONLY/i
      .test(text)
  ) return "unavailable"
  return undefined
}

class Transient {
  constructor(readonly reason: "unavailable" | "timeout", readonly detail: string) {}
}

/**
 * One connection for ordinary commands, and a pool of extra connections for blocking reads.
 * Every command is bounded by `commandTimeout`; transient failures (connection lost, server
 * restarting, timeouts) are retried with backoff for up to `retryFor`, then fail with a typed
 * `BackendError`. ioredis itself never queues a command while disconnected (no silent hang).
 *
 * @internal
 */
export class Client {
  readonly idle: Array<IORedis> = []
  readonly all = new Set<IORedis>()
  closed = false
  private readonly retry: Schedule.Schedule<unknown, unknown>

  constructor(readonly config: ClientConfig, readonly main: IORedis) {
    this.retry = Schedule.exponential("50 millis", 2).pipe(
      Schedule.union(Schedule.spaced("1 second")),
      Schedule.upTo(config.retryFor)
    )
  }

  static connect(config: ClientConfig, extraTimeout = 0): IORedis {
    const redis = new IORedis(config.url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      connectTimeout: Math.max(1000, Duration.toMillis(config.commandTimeout)),
      commandTimeout: Duration.toMillis(config.commandTimeout) + extraTimeout,
      retryStrategy: (times) => Math.min(50 * times, 500)
    })
    return redis
  }

  key(...parts: ReadonlyArray<string>): string {
    return `${this.config.prefix}:${parts.join(":")}`
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
          if (reason !== undefined) resume(Effect.fail(new Transient(reason, text)))
          else {resume(
              Effect.fail(new Errors.BackendError({ backend: "redis", operation, reason: "protocol", detail: text }))
            )}
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
    return this.once(operation, redis, f).pipe(
      Effect.retry({ schedule: this.retry, while: (e) => e instanceof Transient && !this.closed }),
      Effect.catchIf(
        (e): e is Transient => e instanceof Transient,
        (e) =>
          Effect.fail(
            new Errors.BackendError({
              backend: "redis",
              operation,
              reason: e.reason,
              detail: `${e.detail} (gave up after ${Duration.format(this.config.retryFor)})`
            })
          )
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
    // errors surface on the commands; the event only needs a listener
    extra.on("error", () => {})
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

/** @internal */
export const make = (config: ClientConfig): Effect.Effect<Client, Errors.BackendError, Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const main = Client.connect(config)
        const client = new Client(config, main)
        main.on("error", () => {})
        return client
      }),
      (client) => Effect.promise(() => client.close())
    )
    // fail fast (after the retry budget) when the server is not there at all
    yield* client.run("PING", (redis) => redis.ping())
    return client
  })
