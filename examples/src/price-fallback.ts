/**
 * Prices from several sources, each with a timeout, falling back to the next.
 *
 * Ask the first exchange with a 1-second timeout; on a timeout or an error ask the next one. Every
 * symbol is fetched at once.
 *
 * ```python
 * import asyncio, time
 *
 * def log(line):
 *     print(f"[{time.perf_counter() - start:4.1f}s] {line}")
 *
 * class SourceError(Exception):
 *     pass
 *
 * async def binance(symbol):
 *     if symbol == "SOL":
 *         await asyncio.sleep(10)                  # hangs
 *     if symbol == "DOGE":
 *         await asyncio.sleep(0.1)
 *         raise SourceError("unknown symbol DOGE")
 *     await asyncio.sleep(0.2 if symbol == "BTC" else 0.3)
 *     return 97_000 if symbol == "BTC" else 3_400
 *
 * async def coinbase(symbol):
 *     await asyncio.sleep(0.3)
 *     if symbol == "DOGE":
 *         raise SourceError("503 Service Unavailable")
 *     return 180
 *
 * async def kraken(symbol):
 *     await asyncio.sleep(0.4)
 *     raise SourceError(f"unknown pair {symbol}USD")
 *
 * SOURCES = [("binance", binance), ("coinbase", coinbase), ("kraken", kraken)]
 *
 * async def price(symbol):
 *     for name, fetch in SOURCES:
 *         try:
 *             value = await asyncio.wait_for(fetch(symbol), timeout=1.0)
 *             log(f"{symbol}: {value} from {name}")
 *             return value
 *         except (asyncio.TimeoutError, SourceError) as e:
 *             log(f"{symbol}: {name} failed ({type(e).__name__}), trying the next source")
 *     raise SourceError(f"{symbol}: every source failed")
 *
 * async def main():
 *     symbols = ["BTC", "ETH", "SOL", "DOGE"]
 *     prices = await asyncio.gather(*(price(s) for s in symbols), return_exceptions=True)
 *     summary = [f"{s}: {'Failed' if isinstance(p, Exception) else p}" for s, p in zip(symbols, prices)]
 *     log(f"done: {', '.join(summary)}")
 *
 * start = time.perf_counter()
 * asyncio.run(main())
 * ```
 *
 * `Deadline.within` is `wait_for` with a typed `TimeoutError`; the fallback is an ordinary loop
 * over the sources; `Concurrent.settle` is `gather(return_exceptions=True)`. When answers from
 * several sources are equally good, `Concurrent.firstSuccess` (race them all) or `Concurrent.hedge`
 * (start the next one only if the first is slow) answer sooner.
 */
import { Concurrent, Deadline, TaskResult } from "@taskscope/core"
import { Data, Effect } from "effect"
import { stopwatch } from "./shared/stopwatch.js"

class SourceError extends Data.TaggedError("SourceError")<{ readonly message: string }> {}

const binance = (symbol: string) =>
  Effect.gen(function*() {
    if (symbol === "SOL") yield* Effect.sleep("10 seconds") // hangs
    if (symbol === "DOGE") {
      yield* Effect.sleep("100 millis")
      return yield* new SourceError({ message: "unknown symbol DOGE" })
    }
    yield* Effect.sleep(symbol === "BTC" ? "200 millis" : "300 millis")
    return symbol === "BTC" ? 97_000 : 3_400
  })

const coinbase = (symbol: string) =>
  Effect.gen(function*() {
    yield* Effect.sleep("300 millis")
    if (symbol === "DOGE") return yield* new SourceError({ message: "503 Service Unavailable" })
    return 180
  })

const kraken = (symbol: string) =>
  Effect.sleep("400 millis").pipe(Effect.zipRight(new SourceError({ message: `unknown pair ${symbol}USD` })))

const sources = [["binance", binance], ["coinbase", coinbase], ["kraken", kraken]] as const

export const main = Effect.gen(function*() {
  const print = yield* stopwatch
  const price = (symbol: string) =>
    Effect.gen(function*() {
      for (const [name, fetch] of sources) {
        const value = yield* Deadline.within(fetch(symbol), "1 second").pipe(
          Effect.catchTags({
            TimeoutError: () =>
              Effect.as(print(`${symbol}: ${name} failed (TimeoutError), trying the next source`), null),
            SourceError: () => Effect.as(print(`${symbol}: ${name} failed (SourceError), trying the next source`), null)
          })
        )
        if (value !== null) {
          yield* print(`${symbol}: ${value} from ${name}`)
          return value
        }
      }
      return yield* new SourceError({ message: `${symbol}: every source failed` })
    })
  const symbols = ["BTC", "ETH", "SOL", "DOGE"]
  const prices = yield* Concurrent.settle(symbols.map(price))
  const summary = prices.map((r, i) => `${symbols[i]}: ${TaskResult.isSucceeded(r) ? r.value : r._tag}`)
  yield* print(`done: ${summary.join(", ")}`)
})
