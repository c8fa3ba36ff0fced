/**
 * gather(return_exceptions=True): run everything, keep every outcome.
 *
 * ```python
 * import asyncio, time
 *
 * async def fetch(url, seconds, fails=False):
 *     await asyncio.sleep(seconds)
 *     if fails:
 *         raise ConnectionError(f"{url}: connection reset")
 *     return f"{url}: 200 OK"
 *
 * async def main():
 *     start = time.perf_counter()
 *     results = await asyncio.gather(
 *         fetch("/users", 1),
 *         fetch("/orders", 2, fails=True),
 *         fetch("/stock", 3),
 *         return_exceptions=True,
 *     )
 *     for result in results:  # a value, or the exception as a value
 *         line = result if isinstance(result, str) else f"{type(result).__name__}: {result}"
 *         print(f"[{time.perf_counter() - start:4.1f}s] {line}")
 *
 * asyncio.run(main())
 * ```
 *
 * `Concurrent.settle` returns each outcome as a `TaskResult` (Succeeded, Failed, TimedOut or
 * Cancelled) in the order given; `Concurrent.gather` is the fail-fast `gather` (no
 * return_exceptions): the first failure cancels the rest.
 */
import { Concurrent, TaskResult } from "@taskscope/core"
import { Data, Effect, Option } from "effect"
import { stopwatch } from "./shared/stopwatch.js"

class ConnectionError extends Data.TaggedError("ConnectionError")<{ readonly message: string }> {}

const fetch = (url: string, seconds: number, fails = false) =>
  Effect.gen(function*() {
    yield* Effect.sleep(`${seconds} seconds`)
    if (fails) return yield* new ConnectionError({ message: `${url}: connection reset` })
    return `${url}: 200 OK`
  })

export const main = Effect.gen(function*() {
  const print = yield* stopwatch
  const results = yield* Concurrent.settle([fetch("/users", 1), fetch("/orders", 2, true), fetch("/stock", 3)])
  for (const result of results) {
    // a value, or the error as a value: Python's `return_exceptions=True`
    yield* print(
      TaskResult.isSucceeded(result)
        ? result.value
        : TaskResult.isFailed(result)
        ? Option.match(result.error, { onNone: () => "a defect", onSome: (e) => `${e._tag}: ${e.message}` })
        : result._tag
    )
  }
})
