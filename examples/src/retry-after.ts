/**
 * Retry with backoff that honours the server's retry_after.
 *
 * A 429 says how long to wait, and that wait is taken exactly instead of the backoff delay; a 503
 * gets the exponential backoff.
 *
 * ```python
 * import asyncio, time
 *
 * class RateLimited(Exception):
 *     def __init__(self, retry_after):
 *         self.retry_after = retry_after
 *
 * class ServerError(Exception):
 *     pass
 *
 * responses = iter([RateLimited(retry_after=3), ServerError("503"), ServerError("503"), "BTC 97,000"])
 *
 * async def call_api():
 *     print(f"[{time.perf_counter() - start:4.1f}s] GET /ticker")
 *     response = next(responses)
 *     if isinstance(response, Exception):
 *         raise response
 *     return response
 *
 * async def with_retry(call, attempts=5, base=0.5):
 *     for attempt in range(attempts):
 *         try:
 *             return await call()
 *         except RateLimited as e:
 *             await asyncio.sleep(e.retry_after)             # the server said when
 *         except ServerError:
 *             if attempt == attempts - 1:
 *                 raise
 *             await asyncio.sleep(base * 2 ** attempt)      # 0.5 s, 1 s, 2 s, ...
 *
 * async def main():
 *     price = await with_retry(call_api)
 *     print(f"[{time.perf_counter() - start:4.1f}s] {price}")
 *
 * start = time.perf_counter()
 * asyncio.run(main())
 * ```
 *
 * `Retry.retry` reads the wait from the error (a `retryAfter` field, or the `Retry.RetryAfter`
 * symbol) and uses it as is; other errors get the exponential backoff. Jitter is off here to keep
 * the timings exact; in production leave it on (the default, "full" jitter) so that many clients do
 * not retry in lockstep. Note that the backoff counts attempts, not errors of one kind: the 503s
 * are the 2nd and 3rd attempts, so they wait 1 s and 2 s, in the Python as here.
 */
import { Retry } from "@taskscope/core"
import { Data, Duration, Effect } from "effect"
import { stopwatch } from "./shared/stopwatch.js"

class RateLimited extends Data.TaggedError("RateLimited")<{ readonly retryAfter: Duration.Duration }> {}
class ServerError extends Data.TaggedError("ServerError")<{ readonly status: number }> {}

export const main = Effect.gen(function*() {
  const print = yield* stopwatch
  const responses: Array<RateLimited | ServerError | string> = [
    new RateLimited({ retryAfter: Duration.seconds(3) }),
    new ServerError({ status: 503 }),
    new ServerError({ status: 503 }),
    "BTC 97,000"
  ]
  const callApi = Effect.gen(function*() {
    yield* print("GET /ticker")
    const response = responses.shift()!
    return typeof response === "string" ? response : yield* response
  })
  const price = yield* callApi.pipe(Retry.retry({ maxAttempts: 5, base: "500 millis", jitter: "none" }))
  yield* print(price)
})
