/**
 * The three exchanges' public ticker endpoints: how to ask for a price and how to read the answer.
 * The same adapters serve the embedded mock exchange and, with `--source live`, the real APIs.
 */
import * as Data from "effect/Data"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

export type ExchangeName = "binance" | "coinbase" | "kraken"

export const exchangeNames: ReadonlyArray<ExchangeName> = ["binance", "coinbase", "kraken"]

export interface Exchange {
  readonly name: ExchangeName
  /** Requests per second the exchange advertises (the mock enforces it). */
  readonly rateLimit: number
  /** The live API's base URL. */
  readonly liveBase: string
  /** Path and query of the ticker request for a base asset quoted in USD(T). */
  readonly path: (base: string) => string
  /** Reads the price out of a response body. */
  readonly parse: (body: unknown, base: string) => Either.Either<number, MalformedResponse>
}

export class MalformedResponse extends Data.TaggedError("MalformedResponse")<{
  readonly exchange: ExchangeName
  readonly detail: string
}> {
  override get message() {
    return `${this.exchange}: malformed response: ${this.detail}`
  }
}

/** A price: a decimal string, more than zero (an exchange that quotes 0 is not telling a price). */
const decimal = Schema.String.pipe(
  Schema.pattern(/^\d+(\.\d+)?$/),
  Schema.filter((s) => Number(s) > 0, {
    message: (issue) => `a price must be more than zero, got ${JSON.stringify(issue.actual)}`
  })
)

const BinanceTicker = Schema.Struct({ symbol: Schema.String, price: decimal })
const CoinbaseSpot = Schema.Struct({
  data: Schema.Struct({ base: Schema.String, currency: Schema.String, amount: decimal })
})
const KrakenTicker = Schema.Struct({
  error: Schema.Array(Schema.String),
  result: Schema.Record({ key: Schema.String, value: Schema.Struct({ c: Schema.Tuple(decimal, Schema.String) }) })
})

const decodeWith = <A, I>(exchange: ExchangeName, schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknownEither(schema)
  return (body: unknown) =>
    Either.mapLeft(
      decode(body),
      (e) => {
        // the first issue, on one line: `price: a price must be more than zero, got "0.00"`
        const [issue] = ParseResult.ArrayFormatter.formatErrorSync(e)
        const path = issue === undefined ? "" : issue.path.map(String).join(".")
        return new MalformedResponse({
          exchange,
          detail: issue === undefined ? "unexpected body" : `${path === "" ? "body" : path}: ${issue.message}`
        })
      }
    )
}

/** Kraken's own names for a few assets. */
const krakenAsset = (base: string) => (base === "BTC" ? "XBT" : base === "DOGE" ? "XDG" : base)

export const binance: Exchange = {
  name: "binance",
  rateLimit: 20,
  liveBase: "https://api.binance.com",
  path: (base) => `/api/v3/ticker/price?symbol=${base}USDT`,
  parse: (body) => Either.map(decodeWith("binance", BinanceTicker)(body), (t) => Number(t.price))
}

export const coinbase: Exchange = {
  name: "coinbase",
  rateLimit: 10,
  liveBase: "https://api.coinbase.com",
  path: (base) => `/v2/prices/${base}-USD/spot`,
  parse: (body) => Either.map(decodeWith("coinbase", CoinbaseSpot)(body), (t) => Number(t.data.amount))
}

export const kraken: Exchange = {
  name: "kraken",
  rateLimit: 5,
  liveBase: "https://api.kraken.com",
  path: (base) => `/0/public/Ticker?pair=${krakenAsset(base)}USD`,
  parse: (body) =>
    Either.flatMap(decodeWith("kraken", KrakenTicker)(body), (t) => {
      if (t.error.length > 0) {
        return Either.left(new MalformedResponse({ exchange: "kraken", detail: t.error.join("; ") }))
      }
      const first = Object.values(t.result)[0]
      return first === undefined
        ? Either.left(new MalformedResponse({ exchange: "kraken", detail: "empty result" }))
        : Either.right(Number(first.c[0]))
    })
}

export const exchanges: Record<ExchangeName, Exchange> = { binance, coinbase, kraken }

export const defaultSymbols = ["BTC", "ETH", "SOL", "XRP", "ADA", "DOGE", "DOT", "LTC", "LINK", "AVAX", "ATOM", "XLM"]

/** The body each exchange sends for a price (the mock uses these; the fixtures record the real ones). */
export const render = (exchange: ExchangeName, base: string, price: number): unknown => {
  const p = price.toFixed(base === "DOGE" || base === "XLM" || base === "ADA" || base === "XRP" ? 5 : 2)
  switch (exchange) {
    case "binance":
      return { symbol: `${base}USDT`, price: p }
    case "coinbase":
      return { data: { base, currency: "USD", amount: p } }
    case "kraken":
      return {
        error: [],
        result: {
          [`X${krakenAsset(base)}ZUSD`]: {
            a: [p, "1", "1.000"],
            b: [p, "1", "1.000"],
            c: [p, "0.00100000"],
            v: ["100.0", "200.0"],
            p: [p, p],
            t: [100, 200],
            l: [p, p],
            h: [p, p],
            o: p
          }
        }
      }
  }
}
