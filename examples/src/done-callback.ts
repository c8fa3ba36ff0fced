/**
 * add_done_callback: a function called when a task ends, whatever the outcome.
 *
 * ```python
 * import asyncio, time
 *
 * def report(task):
 *     at = f"[{time.perf_counter() - start:4.1f}s]"
 *     if task.cancelled():
 *         print(f"{at} {task.get_name()} was cancelled")
 *     elif task.exception() is not None:
 *         print(f"{at} {task.get_name()} failed: {task.exception()}")
 *     else:
 *         print(f"{at} {task.get_name()} returned {task.result()}")
 *
 * async def job(seconds, fails=False):
 *     await asyncio.sleep(seconds)
 *     if fails:
 *         raise ValueError("bad row 17")
 *     return seconds * 10
 *
 * async def main():
 *     tasks = [
 *         asyncio.create_task(job(1), name="resize"),
 *         asyncio.create_task(job(2, fails=True), name="import"),
 *         asyncio.create_task(job(5), name="backup"),
 *     ]
 *     for task in tasks:
 *         task.add_done_callback(report)
 *     await asyncio.sleep(3)
 *     tasks[2].cancel()
 *     await asyncio.gather(*tasks, return_exceptions=True)
 *
 * start = time.perf_counter()
 * asyncio.run(main())
 * ```
 *
 * `Task.onDone` hands the callback the task's outcome as a `TaskResult` (Succeeded, Failed,
 * TimedOut, Cancelled). The group runs in `supervise` mode, so the failing import does not cancel
 * its siblings (in the default `failFast` mode it would, as in an asyncio `TaskGroup`).
 */
import { Task, TaskGroup, TaskResult } from "@taskscope/core"
import { Data, Effect, Option, Runtime } from "effect"
import { stopwatch } from "./shared/stopwatch.js"

class ImportError extends Data.TaggedError("ImportError")<{ readonly message: string }> {}

const job = (seconds: number, fails = false) =>
  Effect.gen(function*() {
    yield* Effect.sleep(`${seconds} seconds`)
    if (fails) return yield* new ImportError({ message: "bad row 17" })
    return seconds * 10
  })

export const main = Effect.gen(function*() {
  const print = yield* stopwatch
  // a done callback is a plain function, as in asyncio: it runs the print on this runtime
  const runSync = Runtime.runSync(yield* Effect.runtime<never>())
  const report = (result: TaskResult.TaskResult<number, ImportError>) =>
    runSync(print(
      TaskResult.isSucceeded(result)
        ? `${result.name} returned ${result.value}`
        : TaskResult.isFailed(result)
        ? `${result.name} failed: ${Option.match(result.error, { onNone: () => "a defect", onSome: (e) => e.message })}`
        : `${result.name} was cancelled`
    ))
  yield* TaskGroup.scoped((group) =>
    Effect.gen(function*() {
      const tasks = [
        yield* group.spawn(job(1), { name: "resize" }),
        yield* group.spawn(job(2, true), { name: "import" }),
        yield* group.spawn(job(5), { name: "backup" })
      ]
      for (const task of tasks) yield* Task.onDone(task, report)
      yield* Effect.sleep("3 seconds")
      yield* tasks[2]!.cancel
    }), { mode: "supervise" })
})
