/**
 * asyncio.as_completed: results in the order they finish.
 *
 * Three downloads started together; each result is handled as soon as it arrives.
 *
 * ```python
 * import asyncio, time
 *
 * async def download(name, seconds):
 *     await asyncio.sleep(seconds)
 *     return name
 *
 * async def main():
 *     start = time.perf_counter()
 *     downloads = [download("big.iso", 3), download("small.txt", 1), download("mid.zip", 2)]
 *     for next_done in asyncio.as_completed(downloads):
 *         name = await next_done
 *         print(f"[{time.perf_counter() - start:4.1f}s] {name} downloaded")
 *     print(f"[{time.perf_counter() - start:4.1f}s] all downloaded")
 *
 * asyncio.run(main())
 * ```
 */
import { Concurrent } from "@taskscope/core"
import { Effect, Stream } from "effect"
import { stopwatch } from "./shared/stopwatch.js"

const download = (name: string, seconds: number) => Effect.succeed(name).pipe(Effect.delay(`${seconds} seconds`))

export const main = Effect.gen(function*() {
  const print = yield* stopwatch
  const downloads = [download("big.iso", 3), download("small.txt", 1), download("mid.zip", 2)]
  // a Stream of the results, each emitted as soon as its download finishes
  yield* Concurrent.asCompleted(downloads).pipe(Stream.runForEach((name) => print(`${name} downloaded`)))
  yield* print("all downloaded")
})
