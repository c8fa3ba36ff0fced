/**
 * The fetcher: polling rounds over every (symbol, exchange) pair, each round a TaskGroup; requests
 * through per-exchange concurrency and rate limits (paused on Retry-After), a global concurrency
 * limit, a deadline per request, retries with backoff, and a hedged request where an exchange is
 * slow. Every fetched price goes through a WorkQueue to one consumer that appends it to the
 * JSON-lines file and updates the aggregate (the spread across exchanges per symbol).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { Concurrent, Deadline, Limiter, Retry, TaskGroup, type Timeline } from "@taskscope/core"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { Config } from "./config.js"
import { type Exchange, type ExchangeName, exchangeNames, exchanges, MalformedResponse } from "./exchanges.js"

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

export class ServerError
  extends Data.TaggedError("ServerError")<{ readonly exchange: ExchangeName; readonly status: number }>
{}

export class TransportError
  extends Data.TaggedError("TransportError")<{ readonly exchange: ExchangeName; readonly detail: string }>
{}

/** The shared limits (Redis) could not be reached: the request was not sent. */
export class LimiterUnavailable extends Data.TaggedError("LimiterUnavailable")<{ readonly detail: string }> {}

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
  fetched: 0
})

const parseRetryAfter = (value: string | undefined): Duration.Duration => {
  const seconds = Number(value)
  return Duration.millis(Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 1000)
}

export interface Fetcher {
  readonly fetch: (exchange: Exchange, symbol: string, round: number) => Effect.Effect<Price, FetchError>
  readonly round: (round: number, timeline?: Timeline.Timeline) => Effect.Effect<void>
}

export const make = (options: {
  readonly config: Config
  readonly baseUrl: (exchange: Exchange) => string
  readonly stats: Stats
  readonly emit: (price: Price) => Effect.Effect<void>
}) =>
  Effect.gen(function*() {
    const { config, stats } = options
    const client = yield* HttpClient.HttpClient
    // this process's own cap on requests in flight
    const global = yield* Limiter.semaphore(config.concurrency, { name: "global" })
    // the exchange's limits come from the Limiters service: in memory, or shared by every fetcher on Redis
    const limiters = yield* Limiter.Limiters
    // per exchange: a few requests at once (so no exchange hogs the global slots)...
    const perExchange = yield* limiters.keyed("concurrency", (_: ExchangeName) => ({ concurrency: 3 }))
    // ...and its advertised rate, exactly, with a 20% margin: the exchange counts arrivals, and a busy event loop can delay a send
    const rates = yield* limiters.keyed("rate", (name: ExchangeName) => ({
      rate: { limit: exchanges[name].rateLimit, interval: "1200 millis", algorithm: "slidingWindow" as const }
    }))

    const send = (exchange: Exchange, symbol: string): Effect.Effect<number, FetchError> =>
      Effect.gen(function*() {
        stats.requests++
        stats.inFlight++
        const response = yield* client.get(`${options.baseUrl(exchange)}${exchange.path(symbol)}`).pipe(
          Effect.mapError((e) => new TransportError({ exchange: exchange.name, detail: e.message })),
          Effect.ensuring(Effect.sync(() => stats.inFlight--))
        )
        if (response.status === 429) {
          stats.rateLimited++
          const retryAfter = parseRetryAfter(response.headers["retry-after"])
          // every caller of this exchange waits the penalty out
          yield* rates.pause(exchange.name, retryAfter).pipe(
            Effect.catchTag("BackendError", (e) => Effect.logWarning(`could not share the pause: ${e.message}`))
          )
          return yield* new RateLimited({ exchange: exchange.name, retryAfter })
        }
        if (response.status >= 500) return yield* new ServerError({ exchange: exchange.name, status: response.status })
        const body = yield* response.json.pipe(
          Effect.mapError(() => new MalformedResponse({ exchange: exchange.name, detail: "the body is not JSON" }))
        )
        return yield* Either.match(exchange.parse(body, symbol), { onLeft: Effect.fail, onRight: Effect.succeed })
      })

    /**
     * One attempt: a per-exchange slot, a global slot, then a rate token, then the request under its
     * deadline. If the answer is slow, a hedged backup request (with a rate token of its own) starts
     * after `hedgeAfter`; the first success wins and the other is cancelled.
     */
    const attempt = (exchange: Exchange, symbol: string): Effect.Effect<number, FetchError> => {
      const timed = Deadline.within(send(exchange, symbol), config.timeout).pipe(
        Effect.tapError((e) =>
          Effect.sync(() => {
            if (e._tag === "TimeoutError") stats.timeouts++
            else if (e._tag !== "RateLimited") stats.errors++
          })
        )
      )
      return Effect.suspend(() => {
        let tries = 0
        const hedged = Concurrent.hedge(
          Effect.suspend(() => {
            if (tries++ === 0) return timed
            stats.hedges++
            return rates.withPermit(exchange.name, timed)
          }),
          { delay: config.hedgeAfter, attempts: 2 }
        )
        return perExchange.withPermit(exchange.name, global.withPermit(rates.withPermit(exchange.name, hedged)))
      }).pipe(
        Effect.catchTag("BackendError", (e) => {
          stats.errors++
          return Effect.fail(new LimiterUnavailable({ detail: e.message }))
        })
      )
    }

    const fetch = (exchange: Exchange, symbol: string, round: number): Effect.Effect<Price, FetchError> =>
      Effect.gen(function*() {
        let attempts = 0
        const price = yield* Effect.suspend(() => {
          if (++attempts > 1) stats.retries++
          return attempt(exchange, symbol)
        }).pipe(
          // honours Retry-After exactly; never sleeps past the deadline of the caller
          Retry.retry({ maxAttempts: 4, base: "100 millis", maxDelay: "1 second" })
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

    return { fetch, round } satisfies Fetcher
  })
