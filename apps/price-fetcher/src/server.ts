/**
 * The embedded mock exchange: one HTTP server on a free loopback port that imitates the public ticker
 * endpoints of Binance, Coinbase and Kraken under `/binance`, `/coinbase` and `/kraken`, with latency,
 * jitter and injected faults (429 + Retry-After, 5xx, hangs, malformed bodies, dropped connections).
 *
 * It is the referee: it enforces each exchange's advertised rate limit and counts, per exchange, the
 * requests, the most in any one-second window, `breaches` of the limit, and requests that arrived
 * during a Retry-After pause it had sent (`duringPause`). A pause starts only when its 429 has been
 * handed to the client's connection, and a request whose client goes away stops there.
 *
 * Its clock is its event loop: when this process was frozen (an overloaded machine, a long GC), the
 * requests it reads during the freeze and just after it may have arrived any time since the freeze
 * began, or — embedded in the fetcher's process — have been sent late, their permits granted before
 * it. They count from the freeze's start and are not judged (`lateReads`).
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Shutdown } from "@taskscope/core"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Record from "effect/Record"
import type * as Scope from "effect/Scope"
import { createServer, get } from "node:http"
import { defaultSymbols, type ExchangeName, exchangeNames, exchanges, render } from "./exchanges.js"
import * as Ui from "./ui.js"

/** The mock exchange could not listen (e.g. `port 8080 is in use`). */
export class ServeError extends Data.TaggedError("ServeError")<{ readonly message: string }> {}

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

/** Where the default symbols' prices start (others start anywhere from 10 to 110). */
const basePrices = new Map(
  defaultSymbols.map((s, i) => [s, [64e3, 3100, 145, 0.52, 0.45, 0.12, 6.8, 82, 14, 28, 7.9, 0.11][i]])
)

/**
 * The ticker's period; the delay that counts as a freeze (a shorter one is within the client's 200 ms
 * margin); how long after a freeze a request may still be one that waited in it (the same 200 ms).
 */
const TICK_MS = 10
const FREEZE_MS = 80
const SETTLE_MS = 200

/** After a 429 is delivered, requests on their way before the client could know are not judged for 200 ms. */
const PAUSE_GRACE_MS = 200

const counters = (limit: number) => ({
  ...{ requests: 0, served: 0, maxPerSecond: 0, limit, breaches: 0, duringPause: 0, injected429: 0 },
  ...{ injected5xx: 0, malformed: 0, hangs: 0, dropped: 0, lateReads: 0 }
})

export type ExchangeCounters = ReturnType<typeof counters>

export type MockExchange = Effect.Effect.Success<ReturnType<typeof start>>

export const start = (
  options: {
    readonly faults: "none" | "light" | "heavy"
    readonly seed: number
    readonly port?: number // 0 (the default): a free one
    readonly limits?: Partial<Record<ExchangeName, number>> // requests per second, instead of the advertised ones
  }
): Effect.Effect<
  { readonly url: string; readonly counters: Record<ExchangeName, ExchangeCounters> },
  ServeError,
  Scope.Scope
> =>
  Effect.gen(function*() {
    const random = prng(options.seed)
    const p = profile[options.faults]
    const prices = new Map<string, number>()
    const all = Record.fromEntries(
      exchangeNames.map((n) => [n, counters(options.limits?.[n] ?? exchanges[n].rateLimit)])
    )
    // per exchange: the arrivals of the last second, and the Retry-After pause it sent last
    const arrivals = Record.fromEntries(exchangeNames.map((n) => [n, new Array<number>()]))
    const pauses = Record.fromEntries(exchangeNames.map((n) => [n, { from: 0, until: 0 }]))

    const priceOf = (exchange: ExchangeName, base: string) => {
      const last = prices.get(base) ?? basePrices.get(base) ?? 10 + random() * 100
      const next = last * (1 + (random() - 0.5) * 0.002)
      prices.set(base, next)
      // each exchange quotes a little apart, so the spread is never zero
      const skew = exchange === "binance" ? 1 : exchange === "coinbase" ? 1.0004 : 0.9997
      return next * skew
    }

    // the asset asked for: what stands where the exchange's path puts it (Kraken's own names undone)
    const baseOf = (exchange: ExchangeName, path: string) => {
      const [before, after] = exchanges[exchange].path("\0").split("\0")
      const base = path.startsWith(before) && path.endsWith(after)
        ? path.slice(before.length, -after.length || undefined)
        : ""
      return /^[A-Z0-9]{2,10}$/.test(base)
        ? ({ XBT: "BTC", XDG: "DOGE" } as Record<string, string>)[base] ?? base
        : undefined
    }

    // a ticker notices the freezes of this process; one that starts just after the last continues it
    const clock = yield* Effect.clock
    const now = () => clock.unsafeCurrentTimeMillis()
    let lastTick = now()
    let freeze = { start: 0, end: 0 }
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(
      Effect.sleep(TICK_MS),
      Effect.sync(() => {
        const at = now()
        if (at - lastTick > TICK_MS + FREEZE_MS) {
          freeze = { start: lastTick - freeze.end <= SETTLE_MS ? freeze.start : lastTick + TICK_MS, end: at }
        }
        lastTick = at
      })
    )))
    /** The earliest a request read at `at` can have arrived (or, sent from this process, been granted). */
    const earliestArrival = (at: number) => {
      const unseen = at - lastTick > TICK_MS + FREEZE_MS ? lastTick + TICK_MS : at // in a freeze not seen yet
      return unseen - freeze.end <= SETTLE_MS ? freeze.start : unseen // in, or just after, the last one
    }

    const handler = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const exchange = request.url.split("/")[1] as ExchangeName
      if (!exchangeNames.includes(exchange)) return HttpServerResponse.text("not found", { status: 404 })
      if (request.headers["x-warm-up"] !== undefined) return HttpServerResponse.unsafeJson(render(exchange, "BTC", 1))
      const c = all[exchange]
      const at = now()
      c.requests++
      const recent = arrivals[exchange]
      while (recent.length > 0 && recent[0] <= at - 1000) recent.shift()
      const arrived = earliestArrival(at)
      if (arrived < at) {
        // read in or just after a freeze: counted from its start, not judged
        c.lateReads++
        const at = recent.findIndex((t) => t > arrived)
        recent.splice(at === -1 ? recent.length : at, 0, arrived)
      } else {
        recent.push(at)
        c.maxPerSecond = Math.max(c.maxPerSecond, recent.length)
        const pause = pauses[exchange]
        if (at >= pause.from && at < pause.until) c.duringPause++
        if (recent.length > c.limit) {
          c.breaches++
          return HttpServerResponse.text("rate limit exceeded", { status: 429, headers: { "retry-after": "1" } })
        }
      }
      const base = baseOf(exchange, request.url.slice(exchange.length + 1))
      if (base === undefined) return HttpServerResponse.text("bad symbol", { status: 400 })
      const roll = random()
      const slow = random() < p.pSlow && exchange === "coinbase"
      const latency = p.latency[0] + random() * (p.latency[1] - p.latency[0]) + (slow ? 400 + random() * 600 : 0)
      if (roll < p.pHang) {
        c.hangs++ // never answered: the client's deadline ends it, and the handler with its connection
        return yield* Effect.never
      }
      yield* Effect.sleep(latency)
      if (roll < p.pHang + p.p429) {
        c.injected429++
        // the pause starts when the 429 is written to the connection; never for a client that has gone away
        NodeHttpServerRequest.toServerResponse(request).once("finish", () => {
          const sent = now()
          pauses[exchange] = { from: sent + PAUSE_GRACE_MS, until: sent + 1000 }
        })
        return HttpServerResponse.text("slow down", { status: 429, headers: { "retry-after": "1" } })
      }
      if (roll < p.pHang + p.p429 + p.p5xx) {
        c.injected5xx++
        return HttpServerResponse.text("upstream error", { status: 503 })
      } else if (roll < p.pHang + p.p429 + p.p5xx + p.pMalformed) {
        c.malformed++
        return HttpServerResponse.text("{\"price\": ", { status: 200, contentType: "application/json" })
      } else if (roll < p.pHang + p.p429 + p.p5xx + p.pMalformed + p.pDrop) {
        c.dropped++ // the socket closes without an answer
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
        const message = cause?.code === "EADDRINUSE"
          ? `port ${port} is in use`
          : `cannot listen on port ${port}: ${cause?.message}`
        return new ServeError({ message })
      })
    )
    // the platform runs handlers uninterruptibly; this one may be stopped when its client goes away
    yield* HttpServer.serveEffect(Effect.interruptible(handler)).pipe(
      Effect.provideService(HttpServer.HttpServer, server)
    )
    const url = `http://127.0.0.1:${server.address._tag === "TcpAddress" ? server.address.port : port}`
    // a cold process (its code not compiled yet) is slow to answer, and to send: before it counts anything,
    // the exchange asks itself a few prices through the same HTTP stack, and does not count them
    yield* Effect.promise(() =>
      Promise.all([...exchangeNames, ...exchangeNames, ...exchangeNames].map((name) =>
        new Promise((done) =>
          get(`${url}/${name}${exchanges[name].path("BTC")}`, { headers: { "x-warm-up": "1" } }, (r) =>
            r.resume().on("end", done))
            .on("error", done)
        )
      ))
    )
    return { url, counters: all }
  })

/** `--serve-exchange`: only the mock exchange, for several fetchers to share, until Ctrl-C; then its counts. */
export const serve = (options: Parameters<typeof start>[0] & { readonly json: boolean }) =>
  Effect.scoped(Effect.gen(function*() {
    const shutdown = yield* Shutdown.Shutdown
    const write = Ui.stdout(() => Effect.runFork(shutdown.request("stdout closed", { grace: 0 })))
    const { counters, url } = yield* start(options)
    write(
      options.json
        ? `${JSON.stringify({ exchange: url })}\n`
        : `mock exchange at ${url} — run fetchers with --exchange ${url}\n`
    )
    yield* shutdown.requested
    write(`${options.json ? JSON.stringify({ server: counters }) : Ui.serverCounters(counters, Ui.columns())}\n`)
  }))
