/**
 * The three exchanges' public ticker endpoints: how to ask for a price, how to read the answer, and
 * what can go wrong with it. The same adapters serve the embedded mock exchange and, with
 * `--source live`, the real APIs.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import { Retry } from "@taskscope/core"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

export type ExchangeName = "binance" | "coinbase" | "kraken"

export const exchangeNames: ReadonlyArray<ExchangeName> = ["binance", "coinbase", "kraken"]

export interface Exchange {
  readonly name: ExchangeName
  readonly rateLimit: number // requests per second it advertises (the mock enforces it)
  readonly liveBase: string // the live API's base URL
  readonly path: (base: string) => string // path and query of the ticker request for a base asset in USD(T)
  readonly parse: (body: unknown, base: string) => Either.Either<number, MalformedResponse>
}

export class MalformedResponse extends Data.TaggedError("MalformedResponse")<{
  readonly exchange: ExchangeName
  readonly detail: string
}> {
  override get message() {
    return `${this.exchange} sends malformed replies: ${this.detail}`
  }
}

/** A 429: the exchange asked every caller to wait; `retryAfter` (which `Retry.retry` reads) is cut to `maxPause`. */
export class RateLimited extends Data.TaggedError("RateLimited")<{
  readonly exchange: ExchangeName
  readonly asked: Duration.Duration
  readonly retryAfter: Duration.Duration
}> {}

export class HttpStatus
  extends Data.TaggedError("HttpStatus")<{ readonly exchange: ExchangeName; readonly status: number }>
{
  override get message() {
    return `${this.exchange} answers HTTP ${this.status}`
  }
}

export class Unreachable extends Data.TaggedError("Unreachable")<{
  readonly exchange: ExchangeName
  readonly url: string
  readonly detail: string
}> {
  override get message() {
    return `${this.exchange} unreachable at ${this.url}: ${this.detail}`
  }
}

/** What can go wrong with an answer. */
export type Failure = RateLimited | HttpStatus | Unreachable | MalformedResponse

/** One line: a multi-line detail joined, cut to `max` characters. */
export const oneLine = (text: string, max = 120): string => {
  const line = text.split("\n").map((l) => l.trim()).filter((l) => l !== "").join(" ")
  return line.length <= max ? line : line.slice(0, max - 1) + "…"
}

const transportErrors: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host not found"
}

/** One request for the price of `base` on `exchange` at `baseUrl`, and its answer read. */
export const request = (
  client: HttpClient.HttpClient,
  baseUrl: string,
  exchange: Exchange,
  base: string,
  maxPause: Duration.Duration
) =>
  Effect.gen(function*() {
    const response = yield* Effect.mapError(client.get(`${baseUrl}${exchange.path(base)}`), (e) => {
      // the reason, without the method and URL the client repeats
      const cause = e.cause as { code?: string; message?: string; cause?: { code?: string; message?: string } }
      const inner = cause?.cause ?? cause
      const detail = transportErrors[inner?.code ?? ""] ?? oneLine(inner?.message ?? e.message, 80)
      return new Unreachable({ exchange: exchange.name, url: baseUrl, detail })
    })
    if (response.status === 429) {
      // seconds or an HTTP date; 1 s when missing or unreadable
      const header = Retry.parseRetryAfter(response.headers["retry-after"] ?? "", yield* Clock.currentTimeMillis)
      const asked = Option.getOrElse(header, () => Duration.seconds(1))
      return yield* new RateLimited({ exchange: exchange.name, asked, retryAfter: Duration.min(asked, maxPause) })
    }
    if (response.status >= 400) return yield* new HttpStatus({ exchange: exchange.name, status: response.status })
    const body = yield* Effect.mapError(
      response.json,
      () => new MalformedResponse({ exchange: exchange.name, detail: "the body is not JSON" })
    )
    return yield* exchange.parse(body, base)
  })

/** A price: a decimal string, more than zero (an exchange that quotes 0 is not telling a price). */
const decimal = Schema.String.pipe(
  Schema.pattern(/^\d+(\.\d+)?$/),
  Schema.filter((s) => Number(s) > 0, {
    message: (issue) => `a price must be more than zero, got ${JSON.stringify(issue.actual)}`
  })
)

/** Reads a body with `schema`; the first issue, on one line: `price: a price must be more than zero, got "0.00"`. */
const reader = <A, I, B>(exchange: ExchangeName, schema: Schema.Schema<A, I>, price: (a: A) => B) => (body: unknown) =>
  Either.mapBoth(Schema.decodeUnknownEither(schema)(body), {
    onLeft: (e) => {
      const [issue] = ParseResult.ArrayFormatter.formatErrorSync(e)
      const detail = issue === undefined ? "unexpected body" : `${issue.path.join(".") || "body"}: ${issue.message}`
      return new MalformedResponse({ exchange, detail })
    },
    onRight: price
  })

/** Kraken's own names for a few assets. */
const krakenAsset = (base: string) => (base === "BTC" ? "XBT" : base === "DOGE" ? "XDG" : base)

export const binance: Exchange = {
  name: "binance",
  rateLimit: 20,
  liveBase: "https://api.binance.com",
  path: (base) => `/api/v3/ticker/price?symbol=${base}USDT`,
  parse: reader("binance", Schema.Struct({ symbol: Schema.String, price: decimal }), (t) => Number(t.price))
}

export const coinbase: Exchange = {
  name: "coinbase",
  rateLimit: 10,
  liveBase: "https://api.coinbase.com",
  path: (base) => `/v2/prices/${base}-USD/spot`,
  parse: reader("coinbase", Schema.Struct({ data: Schema.Struct({ amount: decimal }) }), (t) => Number(t.data.amount))
}

const KrakenTicker = Schema.Struct({
  error: Schema.Array(Schema.String),
  result: Schema.Record({ key: Schema.String, value: Schema.Struct({ c: Schema.Tuple(decimal, Schema.String) }) })
})

export const kraken: Exchange = {
  name: "kraken",
  rateLimit: 5,
  liveBase: "https://api.kraken.com",
  path: (base) => `/0/public/Ticker?pair=${krakenAsset(base)}USD`,
  parse: (body) =>
    Either.flatMap(reader("kraken", KrakenTicker, (t) => t)(body), (t) => {
      const first = Object.values(t.result)[0]
      return t.error.length > 0 || first === undefined
        ? Either.left(new MalformedResponse({ exchange: "kraken", detail: t.error.join("; ") || "empty result" }))
        : Either.right(Number(first.c[0]))
    })
}

export const exchanges: Record<ExchangeName, Exchange> = { binance, coinbase, kraken }

export const defaultSymbols = ["BTC", "ETH", "SOL", "XRP", "ADA", "DOGE", "DOT", "LTC", "LINK", "AVAX", "ATOM", "XLM"]

/** The body each exchange sends for a price (the mock uses these; the fixtures record the real ones). */
export const render = (exchange: ExchangeName, base: string, price: number): unknown => {
  const p = price.toFixed(["DOGE", "XLM", "ADA", "XRP"].includes(base) ? 5 : 2)
  switch (exchange) {
    case "binance":
      return { symbol: `${base}USDT`, price: p }
    case "coinbase":
      return { data: { base, currency: "USD", amount: p } }
    case "kraken":
      return { error: [], result: { [`X${krakenAsset(base)}ZUSD`]: { a: [p, "1", "1.000"], c: [p, "0.00100000"] } } }
  }
}
