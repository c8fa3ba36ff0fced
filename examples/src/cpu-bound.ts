/**
 * run_in_executor: CPU-bound work on worker threads while the event loop stays free.
 *
 * Two Fibonacci numbers computed in parallel on worker threads (asyncio: a process pool) while a
 * heartbeat on the event loop keeps ticking.
 *
 * ```python
 * import asyncio, time
 * from concurrent.futures import ProcessPoolExecutor
 *
 * def fib(n):
 *     return n if n < 2 else fib(n - 1) + fib(n - 2)
 *
 * async def main():
 *     beats = 0
 *     async def heartbeat():
 *         nonlocal beats
 *         while True:
 *             await asyncio.sleep(0.05)
 *             beats += 1
 *     loop = asyncio.get_running_loop()
 *     beat = asyncio.create_task(heartbeat())
 *     with ProcessPoolExecutor(max_workers=2) as pool:
 *         results = await asyncio.gather(*(loop.run_in_executor(pool, fib, n) for n in (35, 36)))
 *     beat.cancel()
 *     print(f"fib(35), fib(36) = {results}; the event loop ticked {beats} times meanwhile")
 *
 * asyncio.run(main())
 * ```
 *
 * `Offload` runs the exported functions of a module (`examples/cpu.mjs`) on a pool of worker
 * threads; its scope ends the threads. Interrupting a call terminates the thread running it (a
 * process pool in Python cannot stop a running call at all). This is the one example that runs on
 * real time: worker threads are the point.
 */
import { Offload } from "@taskscope/platform-node"
import { Console, Effect, Fiber } from "effect"

export const main = Effect.gen(function*() {
  let beats = 0
  const heartbeat = yield* Effect.fork(
    Effect.forever(Effect.zipRight(Effect.sleep("50 millis"), Effect.sync(() => beats++)))
  )
  const pool = yield* Offload.make({ module: new URL("../cpu.mjs", import.meta.url), concurrency: 2 })
  const results = yield* Effect.all([pool.run<number>("fib", 35), pool.run<number>("fib", 36)], { concurrency: 2 })
  yield* Fiber.interrupt(heartbeat)
  yield* Console.log(`fib(35), fib(36) = [${results.join(", ")}]; the event loop ticked ${beats} times meanwhile`)
  return { results, beats }
}).pipe(Effect.scoped)
