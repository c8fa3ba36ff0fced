/**
 * The fetcher: a polling round is a TaskGroup with one task per symbol and
 * exchange; each price goes through the exchange's limits and a global one, a
 * hedge, a deadline and retries. What happens is counted in Metrics.
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
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import type { Config } from "./config.js"
import type { Exchange, Failure } from "./exchanges.js"
import { exchangeNames, exchanges, request } from "./exchanges.js"
import type { Alerts } from "./ui.js"

export interface Price {
  readonly id: string
  readonly round: number
  readonly exchange: Exchange["name"]
  readonly symbol: string
  readonly price: number
  readonly at: number
  readonly attempts: number
}

const counter = (name: string) => Metric.counter(`price_fetcher_${name}`)

/** Requests sent and how they ended; a retry or a hedge counts once sent. */
export const metrics = {
  requests: counter("requests"),
  retries: counter("retries"),
  hedges: counter("hedges"),
  rateLimited: counter("429s"),
  timeouts: counter("timeouts"),
  errors: counter("errors"),
  /** Prices given up on after their retries. */
  failed: counter("failed")
}

export const make = (options: {
  readonly config: Config
  readonly baseUrl: (exchange: Exchange) => string
  readonly alerts: Alerts
}) =>
  Effect.gen(function*() {
    const { alerts, baseUrl, config } = options
    const client = yield* HttpClient.HttpClient
    // this process's own cap on requests in flight
    const global = yield* Limiter.semaphore(config.concurrency, {
      name: "global"
    })
    // each exchange's limits come from the Limiters service: in memory, or
    // shared by every fetcher on Redis. A few requests at once per exchange
    // (so that none hogs the global slots), and its advertised rate with a
    // 20% margin: the exchange counts arrivals, and a busy process sends late.
    const limiters = yield* Limiter.Limiters
    const perExchange = yield* limiters.keyed(
      "concurrency",
      (_: Exchange["name"]) => ({ concurrency: 3 })
    )
    const rates = yield* limiters.keyed("rate", (name: Exchange["name"]) => ({
      rate: {
        limit: exchanges[name].rateLimit,
        interval: "1200 millis",
        algorithm: "slidingWindow" as const
      }
    }))

    /** Counts how a request failed; a problem is told when it lasts. */
    const failed = (
      name: Exchange["name"],
      e: Failure | Deadline.TimeoutError
    ) =>
      Effect.gen(function*() {
        if (e._tag === "TimeoutError") {
          yield* Metric.increment(metrics.timeouts)
          const after = Duration.format(config.timeout)
          const message = `not answering: requests time out after ${after}`
          return yield* alerts.failed(name, e._tag, `${name} ${message}`, 3)
        }
        if (e._tag !== "RateLimited") {
          yield* Metric.increment(metrics.errors)
          // 5xx, which a healthy exchange also sends now and then: told later
          const after = e._tag === "HttpStatus" ? 5 : 3
          return yield* alerts.failed(name, e._tag, e.message, after)
        }
        // every caller of the exchange (on Redis: every fetcher) waits the
        // pause out; one longer than --max-pause is cut to it
        yield* Metric.increment(metrics.rateLimited)
        yield* Effect.ignore(rates.pause(name, e.retryAfter))
        const asked = `${Math.round(Duration.toSeconds(e.asked))}s`
        const cut = `pausing ${Duration.format(config.maxPause)} (--max-pause)`
        yield* Duration.greaterThan(e.asked, config.maxPause)
          ? alerts.notice(`${name} asked to pause for ${asked}; ${cut}`)
          : alerts.failed(
            name,
            e._tag,
            `${name} keeps asking to slow down ` +
              `(429, Retry-After ${asked})`,
            5
          )
      })

    // #region pipeline
    /** One request: counted as it goes out, bounded by its deadline. */
    const get = (exchange: Exchange, symbol: string, kind: Kind) =>
      Effect.gen(function*() {
        yield* Metric.increment(metrics.requests)
        if (kind !== "first") yield* Metric.increment(metrics[kind])
        const url = baseUrl(exchange)
        return yield* request(client, url, exchange, symbol, config.maxPause)
      }).pipe(
        Deadline.within(config.timeout),
        Effect.tapBoth({
          onFailure: (e) => failed(exchange.name, e),
          onSuccess: () => alerts.answered(exchange.name)
        })
      )

    /**
     * A price: per-exchange permit → global permit → rate → hedge → deadline
     * → retry.
     */
    const fetchPrice = (exchange: Exchange, symbol: string, round: number) =>
      Retry.retry(
        (attempt) =>
          perExchange.withPermit(
            exchange.name,
            global.withPermit(rates.withPermit(
              exchange.name,
              Concurrent.hedge((hedge) =>
                hedge === 1
                  ? get(exchange, symbol, attempt === 1 ? "first" : "retries")
                  // a backup is a request of its own: it takes a rate permit
                  : rates.withPermit(
                    exchange.name,
                    get(exchange, symbol, "hedges")
                  ), {
                delay: config.hedgeAfter
              })
            ))
          ).pipe(Effect.map((price) => ({ price, attempts: attempt }))),
        // waits out a Retry-After exactly, otherwise backs off with jitter
        { maxAttempts: 4, base: "100 millis", maxDelay: "1 second" }
      ).pipe(Effect.zipWith(Clock.currentTimeMillis, (found, at): Price => ({
        id: `${round}:${exchange.name}:${symbol}`,
        round,
        exchange: exchange.name,
        symbol,
        at,
        ...found
      })))
    // #endregion pipeline

    /** A polling round: every symbol on every exchange, each price emitted. */
    const round = (
      n: number,
      emit: (price: Price) => Effect.Effect<void>,
      timeline: Timeline.Timeline
    ) =>
      TaskGroup.scoped((group) =>
        Effect.forEach(config.symbols, (symbol) =>
          Effect.forEach(exchangeNames, (name) =>
            group.spawn(
              fetchPrice(exchanges[name], symbol, n).pipe(
                Effect.tapError(() =>
                  Metric.increment(metrics.failed)
                ),
                Effect.flatMap(emit)
              ),
              { name: `${name} ${symbol}` }
            ), { discard: true }), { discard: true }), {
        mode: "supervise",
        name: `round ${n}`,
        concurrency: config.concurrency * 4,
        timeline
      }).pipe(Effect.orDie)

    return { fetchPrice, round }
  })

type Kind = "first" | "retries" | "hedges"
