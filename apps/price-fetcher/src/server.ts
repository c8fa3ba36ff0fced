/**
 * The embedded mock exchange: one HTTP server on a free loopback port that imitates the public
 * ticker endpoints of Binance, Coinbase and Kraken under `/binance`, `/coinbase` and `/kraken`,
 * with latency, jitter and injected faults (429 + Retry-After, 5xx, hangs, malformed bodies,
 * dropped connections).
 * It enforces each exchange's advertised rate limit and keeps counters: requests, the most in any
 * one-second window, breaches of the limit, and requests that arrived during a Retry-After pause.
 *
 * A Retry-After pause starts only when its 429 has been handed to the client's connection (a 429
 * for a client that has gone away asks nothing of anyone), and a request whose client goes away
 * stops there: a hang is a request that is never answered, not a late 429.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { createServer } from "node:http"
import type { Faults } from "./config.js"
import { type ExchangeName, exchangeNames, exchanges, render } from "./exchanges.js"

export interface ExchangeCounters {
  requests: number
  served: number
  maxPerSecond: number
  limit: number
  /** Requests beyond the advertised limit in some one-second window (answered 429). */
  breaches: number
  /** Requests that arrived while a Retry-After the server had sent was still running. */
  duringPause: number
  injected429: number
  injected5xx: number
  malformed: number
  hangs: number
  /** Connections closed without an answer. */
  dropped: number
  /**
   * Requests read late because this process was frozen: they may have arrived any time during the
   * freeze, so they are not judged (not as breaches, not as ignoring a Retry-After).
   */
  lateReads: number
}

/** The mock exchange could not listen (e.g. `port 8080 is in use`). */
export class ServeError extends Data.TaggedError("ServeError")<{ readonly detail: string }> {
  override get message() {
    return this.detail
  }
}

export interface MockExchange {
  readonly url: string
  readonly counters: Record<ExchangeName, ExchangeCounters>
}

/** A small seeded PRNG (mulberry32): the same seed, the same faults. */
const prng = (seed: number) => () => {
  seed |= 0
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const profile = {
  none: { latency: [2, 10], p429: 0, p5xx: 0, pMalformed: 0, pHang: 0, pDrop: 0, pSlow: 0 },
  light: { latency: [5, 40], p429: 0.01, p5xx: 0.03, pMalformed: 0.01, pHang: 0.005, pDrop: 0.01, pSlow: 0.05 },
  heavy: { latency: [10, 80], p429: 0.04, p5xx: 0.08, pMalformed: 0.03, pHang: 0.02, pDrop: 0.03, pSlow: 0.12 }
} as const

const basePrices: Record<string, number> = {
  BTC: 64_000,
  ETH: 3_100,
  SOL: 145,
  XRP: 0.52,
  ADA: 0.45,
  DOGE: 0.12,
  DOT: 6.8,
  LTC: 82,
  LINK: 14,
  AVAX: 28,
  ATOM: 7.9,
  XLM: 0.11
}

/**
 * The freeze ticker's period, and the delay that counts as a freeze of this process (requests read
 * after a shorter one are judged: the client's 200 ms margin covers it).
 */
const TICK_MS = 10
const FREEZE_MS = 80

/**
 * After a 429 has been delivered, how long requests are not counted as ignoring its Retry-After:
 * they were sent before the client could know (the 429 must reach it, and with shared limits, the
 * pause must reach Redis before the other processes see it). The same allowance the client's rate
 * limits keep for requests on their way (200 ms: a 1.2 s window for a limit the exchange counts per
 * second).
 */
const PAUSE_GRACE_MS = 200

export const start = (
  options: {
    readonly faults: Faults
    readonly seed: number
    /** 0 (the default) for a free port. */
    readonly port?: number
    /** Override the advertised limits (requests per second), e.g. for a test. */
    readonly limits?: Partial<Record<ExchangeName, number>>
  }
): Effect.Effect<MockExchange, ServeError, Scope.Scope> =>
  Effect.gen(function*() {
    const random = prng(options.seed)
    const p = profile[options.faults]
    const prices = new Map<string, number>()
    const counters = Object.fromEntries(exchangeNames.map((name) => [
      name,
      {
        requests: 0,
        served: 0,
        maxPerSecond: 0,
        limit: options.limits?.[name] ?? exchanges[name].rateLimit,
        breaches: 0,
        duringPause: 0,
        injected429: 0,
        injected5xx: 0,
        malformed: 0,
        hangs: 0,
        dropped: 0,
        lateReads: 0
      } satisfies ExchangeCounters
    ])) as Record<ExchangeName, ExchangeCounters>
    const arrivals = Object.fromEntries(exchangeNames.map((n) => [n, [] as Array<number>])) as Record<
      ExchangeName,
      Array<number>
    >
    const pauses = Object.fromEntries(exchangeNames.map((n) => [n, { from: 0, until: 0 }])) as Record<
      ExchangeName,
      { from: number; until: number }
    >

    const priceOf = (exchange: ExchangeName, base: string) => {
      const last = prices.get(base) ?? basePrices[base] ?? 10 + random() * 100
      const next = last * (1 + (random() - 0.5) * 0.002)
      prices.set(base, next)
      // each exchange quotes a little apart, so the spread is never zero
      const skew = exchange === "binance" ? 1 : exchange === "coinbase" ? 1.0004 : 0.9997
      return next * skew
    }

    const baseOf = (exchange: ExchangeName, url: URL): string | undefined => {
      switch (exchange) {
        case "binance":
          return url.searchParams.get("symbol")?.replace(/USDT$/, "")
        case "coinbase":
          return /\/v2\/prices\/([A-Z0-9]+)-USD\/spot$/.exec(url.pathname)?.[1]
        case "kraken": {
          const pair = url.searchParams.get("pair")?.replace(/USD$/, "")
          return pair === "XBT" ? "BTC" : pair === "XDG" ? "DOGE" : pair
        }
      }
    }

    // The exchange's clock is its event loop: when this process is frozen (an overloaded machine, a
    // long GC), requests wait in the socket and are read late, all at once. A ticker notices freezes.
    let lastTick = Date.now()
    let freeze = { start: 0, end: 0 }
    const ticker = setInterval(() => {
      const now = Date.now()
      if (now - lastTick > TICK_MS + FREEZE_MS) freeze = { start: lastTick + TICK_MS, end: now }
      lastTick = now
    }, TICK_MS)
    ticker.unref()
    yield* Effect.addFinalizer(() => Effect.sync(() => clearInterval(ticker)))
    /** The earliest a request read at `now` can have arrived. */
    const earliestArrival = (now: number) =>
      now - lastTick > TICK_MS + FREEZE_MS
        ? lastTick + TICK_MS // in a freeze the ticker has not seen yet
        : now - freeze.end <= TICK_MS
        ? freeze.start // just after one
        : now

    const handler = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const url = new URL(request.url, "http://mock")
      const exchange = url.pathname.split("/")[1] as ExchangeName
      if (!exchangeNames.includes(exchange)) return HttpServerResponse.text("not found", { status: 404 })
      url.pathname = url.pathname.slice(exchange.length + 1)
      // a client warming up (its connections and code paths, before its first round): answered, not counted
      if (request.headers["x-warm-up"] !== undefined) {
        const base = baseOf(exchange, url) ?? "BTC"
        return HttpServerResponse.unsafeJson(render(exchange, base, basePrices[base] ?? 1))
      }
      const c = counters[exchange]
      const now = Date.now()
      c.requests++
      const recent = arrivals[exchange]
      while (recent.length > 0 && recent[0] <= now - 1000) recent.shift()
      const arrived = earliestArrival(now)
      if (arrived < now) {
        // read late, after this process was frozen: it may have arrived any time since the freeze
        // began. Counted from then, and not judged: the exchange cannot know it broke a rule.
        c.lateReads++
        const at = recent.findIndex((t) => t > arrived)
        recent.splice(at === -1 ? recent.length : at, 0, arrived)
      } else {
        recent.push(now)
        c.maxPerSecond = Math.max(c.maxPerSecond, recent.length)
        const pause = pauses[exchange]
        if (now >= pause.from && now < pause.until) c.duringPause++
        if (recent.length > c.limit) {
          c.breaches++
          return HttpServerResponse.text("rate limit exceeded", { status: 429, headers: { "retry-after": "1" } })
        }
      }
      const base = baseOf(exchange, url)
      if (base === undefined) return HttpServerResponse.text("bad symbol", { status: 400 })
      const roll = random()
      const slow = random() < p.pSlow && exchange === "coinbase"
      const latency = p.latency[0] + random() * (p.latency[1] - p.latency[0]) + (slow ? 400 + random() * 600 : 0)
      // #region faults
      if (roll < p.pHang) {
        // never answered: the client's deadline ends it (the platform interrupts this handler when the
        // connection closes)
        c.hangs++
        return yield* Effect.never
      }
      yield* Effect.sleep(latency)
      if (roll < p.pHang + p.p429) {
        c.injected429++
        // the pause starts when the 429 has been written to the connection, not before, and never
        // for a client that has gone away
        NodeHttpServerRequest.toServerResponse(request).once("finish", () => {
          const sent = Date.now()
          pauses[exchange] = { from: sent + PAUSE_GRACE_MS, until: sent + 1000 }
        })
        return HttpServerResponse.text("slow down", { status: 429, headers: { "retry-after": "1" } })
      }
      // #endregion faults
      if (roll < p.pHang + p.p429 + p.p5xx) {
        c.injected5xx++
        return HttpServerResponse.text("upstream error", { status: 503 })
      }
      if (roll < p.pHang + p.p429 + p.p5xx + p.pMalformed) {
        c.malformed++
        return HttpServerResponse.text("{\"price\": ", { status: 200, contentType: "application/json" })
      }
      if (roll < p.pHang + p.p429 + p.p5xx + p.pMalformed + p.pDrop) {
        c.dropped++
        // a dropped connection: the socket closes without a response
        NodeHttpServerRequest.toIncomingMessage(request).socket.destroy()
        return yield* Effect.interrupt
      }
      c.served++
      return HttpServerResponse.unsafeJson(render(exchange, base, priceOf(exchange, base)))
    })

    const port = options.port ?? 0
    const server = yield* NodeHttpServer.make(() => createServer(), { port, host: "127.0.0.1" }).pipe(
      Effect.mapError((e) => {
        const cause = e.cause as NodeJS.ErrnoException | undefined
        return new ServeError({
          detail: cause?.code === "EADDRINUSE"
            ? `port ${port} is in use`
            : cause?.code === "EACCES"
            ? `port ${port} needs privileges`
            : `cannot listen on port ${port}: ${cause?.message ?? String(e.cause)}`
        })
      })
    )
    // the platform runs handlers uninterruptibly; this one may be stopped when its client goes away
    yield* HttpServer.serveEffect(Effect.interruptible(handler)).pipe(
      Effect.provideService(HttpServer.HttpServer, server)
    )
    const address = server.address
    return { url: `http://127.0.0.1:${address._tag === "TcpAddress" ? address.port : port}`, counters }
  })
