/**
 * The async task executor: a semaphore, a timeout per attempt, retries with backoff.
 *
 * A semaphore caps how many tasks run at once, each attempt has a timeout, failed or timed-out
 * attempts are retried with backoff, and every outcome is reported.
 *
 * ```python
 * import asyncio, time
 *
 * def log(line):
 *     print(f"[{time.perf_counter() - start:4.1f}s] {line}")
 *
 * class TaskExecutor:
 *     def __init__(self, concurrency=2, timeout=2.0, attempts=3, base=0.5):
 *         self.semaphore = asyncio.Semaphore(concurrency)
 *         self.timeout, self.attempts, self.base = timeout, attempts, base
 *
 *     async def run(self, name, job):
 *         async with self.semaphore:
 *             for attempt in range(1, self.attempts + 1):
 *                 try:
 *                     return await asyncio.wait_for(job(attempt), self.timeout)
 *                 except (asyncio.TimeoutError, ConnectionError):
 *                     if attempt == self.attempts:
 *                         raise
 *                     await asyncio.sleep(self.base * 2 ** (attempt - 1))
 *
 * def job(name, seconds, failures=0):
 *     async def attempt(n):
 *         log(f"{name}: attempt {n} started")
 *         await asyncio.sleep(seconds)
 *         if n <= failures:
 *             raise ConnectionError("connection reset")
 *         return f"{name} done"
 *     return attempt
 *
 * async def main():
 *     executor = TaskExecutor()
 *     jobs = {
 *         "thumbnails": job("thumbnails", 1),
 *         "invoices": job("invoices", 0.4, failures=1),
 *         "export": job("export", 5),                # longer than the timeout, every time
 *         "emails": job("emails", 1),
 *     }
 *     results = await asyncio.gather(*(executor.run(n, j) for n, j in jobs.items()),
 *                                    return_exceptions=True)
 *     for name, result in zip(jobs, results):
 *         log(f"{name}: {result if isinstance(result, str) else type(result).__name__}")
 *
 * start = time.perf_counter()
 * asyncio.run(main())
 * ```
 *
 * The `Executor` service does the class's work: `concurrency`, a `timeout` per attempt and a
 * `retry` policy per task, and `runAll` settles a batch like `gather(return_exceptions=True)`,
 * each outcome a `TaskResult`, which also counts the attempts (printed here beside the outcome; a
 * timed-out task is `TimedOut` where Python has a `TimeoutError`). As with the `async with` around the
 * retry loop above, a task keeps its slot while it waits to retry. Jitter is off to keep the
 * timings exact.
 */
import { Executor, TaskResult } from "@taskscope/core"
import { Data, Effect, Option } from "effect"
import { stopwatch } from "./shared/stopwatch.js"

class ConnectionError extends Data.TaggedError("ConnectionError")<{ readonly message: string }> {}

export const main = Effect.gen(function*() {
  const print = yield* stopwatch
  const job = (name: string, seconds: number, failures = 0) => {
    let attempt = 0
    return Effect.gen(function*() {
      const n = ++attempt
      yield* print(`${name}: attempt ${n} started`)
      yield* Effect.sleep(`${seconds} seconds`)
      if (n <= failures) return yield* new ConnectionError({ message: "connection reset" })
      return `${name} done`
    })
  }
  const executor = yield* Executor.make({ concurrency: 2 })
  const policy = { timeout: "2 seconds", retry: { maxAttempts: 3, base: "500 millis", jitter: "none" } } as const
  const results = yield* executor.runAll([
    { name: "thumbnails", effect: job("thumbnails", 1), ...policy },
    { name: "invoices", effect: job("invoices", 0.4, 1), ...policy },
    { name: "export", effect: job("export", 5), ...policy }, // longer than the timeout, every time
    { name: "emails", effect: job("emails", 1), ...policy }
  ])
  for (const result of results) {
    const outcome = TaskResult.isSucceeded(result)
      ? result.value
      : TaskResult.isFailed(result)
      ? Option.match(result.error, { onNone: () => "a defect", onSome: (e) => e._tag })
      : result._tag // TimedOut, Cancelled
    yield* print(`${result.name}: ${outcome} (attempts: ${result.attempts})`)
  }
}).pipe(Effect.scoped)
