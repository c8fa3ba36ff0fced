/**
 * A rate-limited fetcher: 3 requests in flight, 2 started per second.
 *
 * Seven requests at once, but at most 3 in flight and 2 started per second (asyncio.Semaphore plus a
 * rate limiter such as aiolimiter's AsyncLimiter).
 *
 * ```python
 * import asyncio, time
 * from aiolimiter import AsyncLimiter
 *
 * async def fetch(i, in_flight, per_second):
 *     async with in_flight, per_second:
 *         print(f"[{time.perf_counter() - start:4.1f}s] GET /items/{i}")
 *         await asyncio.sleep(1.5)          # the server takes its time
 *         return i
 *
 * async def main():
 *     in_flight = asyncio.Semaphore(3)
 *     per_second = AsyncLimiter(2, 1)       # 2 per 1 s
 *     items = await asyncio.gather(*(fetch(i, in_flight, per_second) for i in range(7)))
 *     print(f"[{time.perf_counter() - start:4.1f}s] fetched {len(items)} items")
 *
 * start = time.perf_counter()
 * asyncio.run(main())
 * ```
 *
 * One `Limiter` holds both limits; the sliding window is exact (never more than 2 starts in any
 * 1-second window), and the waiters are served in order. aiolimiter is a leaky bucket, so its
 * timings differ slightly.
 */
import { Limiter } from "@taskscope/core"
import { Effect } from "effect"
import { stopwatch } from "./shared/stopwatch.js"

export const main = Effect.gen(function*() {
  const print = yield* stopwatch
  const api = yield* Limiter.make({
    name: "api",
    concurrency: 3,
    rate: { limit: 2, interval: "1 second", algorithm: "slidingWindow" }
  })
  const fetch = (i: number) =>
    api.withPermit(
      print(`GET /items/${i}`).pipe(
        Effect.zipRight(Effect.sleep("1500 millis")), // the server takes its time
        Effect.as(i)
      )
    )
  const items = yield* Effect.forEach([0, 1, 2, 3, 4, 5, 6], fetch, { concurrency: "unbounded" })
  yield* print(`fetched ${items.length} items`)
})
