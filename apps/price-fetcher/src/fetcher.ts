/**
 * The fetcher: polling rounds over every (symbol, exchange) pair, each round a
 * TaskGroup; requests through per-exchange concurrency and rate limits (paused
 * on Retry-After), a global concurrency limit, a deadline per request, retries
 * with backoff, and a hedged request where an exchange is slow. Every fetched
 * price goes through a WorkQueue to one consumer that appends it to the
 * JSON-lines file and updates the aggregate (the spread across exchanges per
 * symbol).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import {
  Concurrent,
  Deadline,
  Limiter,
  Retry,
  TaskGroup,
  type Timeline
} from "@taskscope/core"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type { Config } from "./config.js"
import {
  type Exchange,
  type ExchangeName,
  exchangeNames,
  exchanges,
  MalformedResponse
} from "./exchanges.js"

export interface Price {
  readonly id: string
  readonly round: number
  readonly exchange: ExchangeName
  readonly symbol: string
  readonly price: number
  readonly at: number
  readonly attempts: number
}

export class RateLimited extends Data.TaggedError("RateLimited")<{
  readonly exchange: ExchangeName
  readonly retryAfter: Duration.Duration
}> {}

export class ServerError extends Data.TaggedError("ServerError")<
  { readonly exchange: ExchangeName; readonly status: number }
> {}

export class TransportError extends Data.TaggedError("TransportError")<
  { readonly exchange: ExchangeName; readonly detail: string }
> {}

/** The shared limits (Redis) could not be reached: the request was not sent. */
export class LimiterUnavailable
  extends Data.TaggedError("LimiterUnavailable")<{ readonly detail: string }>
{}

export type FetchError =
  | RateLimited
  | ServerError
  | TransportError
  | MalformedResponse
  | Deadline.TimeoutError
  | LimiterUnavailable

export interface Stats {
  rounds: number
  requests: number
  retries: number
  rateLimited: number
  timeouts: number
  errors: number
  hedges: number
  inFlight: number
  fetched: number
  /** Times the process was frozen for longer than the limits' margin (see the stall guard). */
  stalls: number
}

export interface Cell {
  price: number
  at: number
}

/** The live table's data: the last price per symbol and exchange. */
export type Table = Map<string, Partial<Record<ExchangeName, Cell>>>

export const makeStats = (): Stats => ({
  rounds: 0,
  requests: 0,
  retries: 0,
  rateLimited: 0,
  timeouts: 0,
  errors: 0,
  hedges: 0,
  inFlight: 0,
  fetched: 0,
  stalls: 0
})

/** What went wrong with an exchange, or with the shared limits, as the user is told. */
export interface Alerts {
  /** A problem (`key` names its source) began, or changed. */
  readonly problem: (key: string, message: string) => void
  /** The problem of `key`, if any, is over. */
  readonly resolved: (key: string, message: string) => void
  /** A one-off notice. */
  readonly notice: (message: string) => void
}

/** One line: the first line of a multi-line detail, cut to `max` characters. */
export const oneLine = (text: string, max = 120): string => {
  const line = text.split("\n").map((l) => l.trim()).filter((l) => l !== "")
    .join(" ")
  return line.length <= max ? line : line.slice(0, max - 1) + "…"
}

/** The reason of a failed request, without the method and URL the client repeats. */
const transportDetail = (
  e: { readonly message: string; readonly cause?: unknown }
): string => {
  const cause = e.cause as {
    code?: string
    message?: string
    cause?: { code?: string; message?: string }
  } | undefined
  const inner = cause?.cause ?? cause
  if (inner?.code === "ECONNREFUSED") return "connection refused"
  if (inner?.code === "ECONNRESET") return "connection reset"
  if (inner?.code === "ENOTFOUND") return "host not found"
  return oneLine(inner?.message ?? e.message, 80)
}

export interface Fetcher {
  readonly fetch: (
    exchange: Exchange,
    symbol: string,
    round: number
  ) => Effect.Effect<Price, FetchError>
  readonly round: (
    round: number,
    timeline?: Timeline.Timeline
  ) => Effect.Effect<void>
  readonly warmUp: Effect.Effect<void>
}

/**
 * How often the stall guard looks at the clock, and the freeze it reacts to:
 * the limits keep 200 ms in hand for a request's way to the exchange; a freeze
 * of this process up to 80 ms, plus one of the exchange's up to 80 ms (which
 * the exchange still judges), plus the network, stay within it.
 */
const STALL_TICK_MS = 20
const STALL_MS = 80

/**
 * After this many failures in a row of one kind, an exchange's problem is
 * reported: soon for an exchange that cannot be reached, hangs or answers
 * garbage; later for answers that are errors by design (5xx, 429), which a
 * healthy exchange also sends now and then.
 */
const reportAfter = (
  kind: string
) => (kind === "status" || kind === "429" ? 5 : 3)

export const make = (options: {
  readonly config: Config
  readonly baseUrl: (exchange: Exchange) => string
  readonly stats: Stats
  readonly emit: (price: Price) => Effect.Effect<void>
  readonly alerts: Alerts
}) =>
  Effect.gen(function*() {
    const { alerts, config, stats } = options
    const maxPauseMs = Duration.toMillis(config.maxPause)

    // per exchange: failures in a row of one kind; a problem is reported once,
    // and its end once
    const health = new Map<
      ExchangeName,
      { kind: string; count: number; reported: boolean }
    >()
    const failed = (name: ExchangeName, kind: string, message: string) => {
      const h = health.get(name) ?? { kind, count: 0, reported: false }
      if (h.kind !== kind) {
        h.kind = kind
        h.count = 0
      }
      h.count++
      health.set(name, h)
      if (h.count === reportAfter(kind)) {
        h.reported = true
        alerts.problem(name, message)
      }
    }
    const answered = (name: ExchangeName) => {
      const h = health.get(name)
      if (h === undefined) return
      health.delete(name)
      if (h.reported) alerts.resolved(name, `${name} answers again`)
    }
    // when the shared limits (Redis) were lost; they are back when a request
    // that asked for its permits after that got them
    let redisLostAt: number | undefined
    const limitsReached = (askedAt: number) => {
      if (redisLostAt !== undefined && askedAt > redisLostAt) {
        redisLostAt = undefined
        alerts.resolved(
          "redis",
          "Redis back: the shared limits are reachable again"
        )
      }
    }
    const limitsLost = (detail: string) => {
      if (redisLostAt === undefined) {
        redisLostAt = Date.now()
        alerts.problem(
          "redis",
          `Redis lost: ${
            oneLine(detail)
          } (no request is sent without the shared limits)`
        )
      }
    }
    const client = yield* HttpClient.HttpClient
    // this process's own cap on requests in flight
    const global = yield* Limiter.semaphore(config.concurrency, {
      name: "global"
    })
    // the exchange's limits come from the Limiters service: in memory, or
    // shared by every fetcher on Redis
    const limiters = yield* Limiter.Limiters
    // per exchange: a few requests at once (so no exchange hogs the global
    // slots)...
    const perExchange = yield* limiters.keyed(
      "concurrency",
      (_: ExchangeName) => ({ concurrency: 3 })
    )
    // ...and its advertised rate, exactly, with a 20% margin: the exchange
    // counts arrivals, and a busy event loop can delay a send
    const rates = yield* limiters.keyed("rate", (name: ExchangeName) => ({
      rate: {
        limit: exchanges[name].rateLimit,
        interval: "1200 millis",
        algorithm: "slidingWindow" as const
      }
    }))

    // #region stall-guard
    // The stall guard. The exchange counts arrivals; a process that was frozen
    // (an overloaded machine, a long GC) had requests on their way that the
    // exchange reads late, bunched with the ones sent after the freeze — more
    // than the 200 ms the limits keep in hand. After a freeze longer than
    // STALL_MS, every exchange is paused for one of its windows, so nothing new
    // bunches up with what it counts late.
    yield* Effect.forkScoped(Effect.gen(function*() {
      let last = Date.now()
      while (true) {
        yield* Effect.sleep(STALL_TICK_MS)
        const now = Date.now()
        const frozen = now - last - STALL_TICK_MS
        last = now
        if (frozen > STALL_MS) {
          stats.stalls++
          yield* Effect.forEach(exchangeNames, (name) =>
            Effect.ignore(rates.pause(name, "1 second")), {
            concurrency: "unbounded",
            discard: true
          })
        }
      }
    }))
    // #endregion stall-guard

    const send = (
      exchange: Exchange,
      symbol: string,
      warm: boolean,
      askedAt: number
    ): Effect.Effect<number, FetchError> =>
      Effect.gen(function*() {
        if (warm) {
          // see warmUp: the same path, answered by the mock without counting it
          const response = yield* client.get(
            `${options.baseUrl(exchange)}${exchange.path(symbol)}`,
            {
              headers: { "x-warm-up": "1" }
            }
          ).pipe(Effect.mapError((e) =>
            new TransportError({ exchange: exchange.name, detail: e.message })
          ))
          yield* Effect.ignore(response.text)
          return 0
        }
        limitsReached(askedAt)
        stats.requests++
        stats.inFlight++
        const url = `${options.baseUrl(exchange)}${exchange.path(symbol)}`
        const response = yield* client.get(url).pipe(
          Effect.mapError((e) => {
            const detail = transportDetail(e)
            failed(
              exchange.name,
              "unreachable",
              `${exchange.name} unreachable at ${
                options.baseUrl(exchange)
              }: ${detail}`
            )
            return new TransportError({ exchange: exchange.name, detail })
          }),
          Effect.ensuring(Effect.sync(() =>
            stats.inFlight--
          ))
        )
        if (response.status === 429) {
          stats.rateLimited++
          // seconds or an HTTP date; 1 s when missing or unreadable
          const asked = Option.match(
            Retry.parseRetryAfter(
              response.headers["retry-after"] ?? "",
              Date.now()
            ),
            {
              onNone: () =>
                1000,
              onSome: Duration.toMillis
            }
          )
          // a pause is capped (--max-pause): an exchange that asks for days
          // does not stop the run
          if (asked > maxPauseMs) {
            alerts.notice(
              `${exchange.name} asked to pause for ${
                Math.round(asked / 1000)
              }s; pausing ${Duration.format(config.maxPause)} (--max-pause)`
            )
          }
          const retryAfter = Duration.millis(Math.min(asked, maxPauseMs))
          if (asked <= maxPauseMs) {
            failed(
              exchange.name,
              "429",
              `${exchange.name} keeps asking to slow down (429, Retry-After ${
                Math.round(asked / 1000)
              }s)`
            )
          }
          // every caller of this exchange waits the penalty out
          yield* rates.pause(exchange.name, retryAfter).pipe(
            Effect.catchTag("BackendError", (e) =>
              Effect.sync(() =>
                limitsLost(e.detail)
              ))
          )
          return yield* new RateLimited({ exchange: exchange.name, retryAfter })
        }
        if (response.status >= 400) {
          failed(
            exchange.name,
            "status",
            `${exchange.name} answers HTTP ${response.status}`
          )
          return yield* new ServerError({
            exchange: exchange.name,
            status: response.status
          })
        }
        const body = yield* response.json.pipe(
          Effect.mapError(() =>
            new MalformedResponse({
              exchange: exchange.name,
              detail: "the body is not JSON"
            })
          )
        )
        const price = exchange.parse(body, symbol)
        if (Either.isLeft(price)) {
          return yield* price.left
        }
        answered(exchange.name)
        return price.right
      }).pipe(
        Effect.tapErrorTag("MalformedResponse", (e) =>
          Effect.sync(() =>
            failed(
              exchange.name,
              "malformed",
              `${exchange.name} sends malformed replies: ${oneLine(e.detail)}`
            )
          ))
      )

    /**
     * One attempt: a per-exchange slot, a global slot, then a rate token, then
     * the request under its deadline. If the answer is slow, a hedged backup
     * request (with a rate token of its own) starts after `hedgeAfter`; the
     * first success wins and the other is cancelled.
     */
    const attempt = (
      exchange: Exchange,
      symbol: string,
      warm = false
    ): Effect.Effect<number, FetchError> => {
      const askedAt = Date.now()
      const timed = Deadline.within(
        send(exchange, symbol, warm, askedAt),
        config.timeout
      ).pipe(
        Effect.tapError((e) =>
          Effect.sync(() => {
            if (warm) return
            if (e._tag === "TimeoutError") {
              stats.timeouts++
              failed(
                exchange.name,
                "timeout",
                `${exchange.name} not answering: requests time out after ${
                  Duration.format(config.timeout)
                }`
              )
            } else if (e._tag !== "RateLimited") {
              stats.errors++
            }
          })
        )
      )
      // #region attempt
      return Effect.suspend(() => {
        let tries = 0
        const hedged = Concurrent.hedge(
          Effect.suspend(() => {
            if (tries++ === 0) return timed
            if (!warm) stats.hedges++
            return rates.withPermit(exchange.name, timed)
          }),
          { delay: config.hedgeAfter, attempts: 2 }
        )
        return perExchange.withPermit(
          exchange.name,
          global.withPermit(rates.withPermit(exchange.name, hedged))
        )
      }).pipe(
        // #endregion attempt
        Effect.catchTag("BackendError", (e) => {
          if (!warm) stats.errors++
          limitsLost(e.detail)
          return Effect.fail(new LimiterUnavailable({ detail: e.message }))
        })
      )
    }

    const fetch = (
      exchange: Exchange,
      symbol: string,
      round: number
    ): Effect.Effect<Price, FetchError> =>
      Effect.gen(function*() {
        let attempts = 0
        const price = yield* Effect.suspend(() => {
          if (++attempts > 1) stats.retries++
          return attempt(exchange, symbol)
        }).pipe(
          // honours Retry-After exactly; never sleeps past the deadline of the
          // caller
          Retry.retry({
            maxAttempts: 4,
            base: "100 millis",
            maxDelay: "1 second"
          })
        )
        return {
          id: `${round}:${exchange.name}:${symbol}`,
          round,
          exchange: exchange.name,
          symbol,
          price,
          at: Date.now(),
          attempts
        }
      })

    const round = (n: number, timeline?: Timeline.Timeline) =>
      TaskGroup.scoped((group) =>
        Effect.forEach(config.symbols, (symbol) =>
          Effect.forEach(exchangeNames, (name) =>
            group.spawn(
              fetch(exchanges[name], symbol, n).pipe(Effect.tap(options.emit)),
              { name: `${name} ${symbol}` }
            ), { discard: true }), { discard: true }), {
        mode: "supervise",
        name: `round ${n}`,
        concurrency: config.concurrency * 4,
        ...(timeline === undefined ? {} : { timeline })
      }).pipe(Effect.orDie)

    /**
     * Before the first round, against the mock exchange: two requests per
     * exchange down the whole path (limits, hedging, deadline, HTTP), which the
     * mock answers without counting them. A cold process (code not compiled
     * yet, no connection open) sends its first requests a hundred or more
     * milliseconds after their rate permits were granted, bunched with later
     * ones, and on a busy machine that is more than the limits' margin: the
     * exchange would count a breach.
     */
    const warmUp = Effect.forEach(
      exchangeNames,
      (name) =>
        Effect.ignore(Effect.repeatN(attempt(exchanges[name], "BTC", true), 1)),
      { concurrency: "unbounded", discard: true }
    ).pipe(Effect.timeout(config.timeout), Effect.ignore)

    return { fetch, round, warmUp } satisfies Fetcher
  })
