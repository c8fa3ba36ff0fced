/**
 * create_task, done(), result() and cancel(): start work now, look at it later.
 *
 * ```python
 * import asyncio, time
 *
 * async def worker(name, seconds):
 *     print(f"[{time.perf_counter() - start:4.1f}s] {name} started")
 *     try:
 *         await asyncio.sleep(seconds)
 *     finally:
 *         print(f"[{time.perf_counter() - start:4.1f}s] {name} cleaned up")
 *     return seconds
 *
 * async def main():
 *     short = asyncio.create_task(worker("short", 1), name="short")
 *     long = asyncio.create_task(worker("long", 10), name="long")
 *     await asyncio.sleep(2)
 *     print(f"[{time.perf_counter() - start:4.1f}s] short done={short.done()} result={short.result()}")
 *     print(f"[{time.perf_counter() - start:4.1f}s] long done={long.done()}")
 *     long.cancel()
 *     try:
 *         await long
 *     except asyncio.CancelledError:
 *         print(f"[{time.perf_counter() - start:4.1f}s] long cancelled={long.cancelled()}")
 *
 * start = time.perf_counter()
 * asyncio.run(main())
 * ```
 *
 * A `TaskGroup` owns the tasks (asyncio's tasks belong to the loop and can outlive `main`; a
 * group's never outlive its scope). `poll` is `done()` + `result()` in one: `None` while running,
 * then the task's `Exit`. `cancel` waits until the task's cleanup has run, so "cleaned up" comes
 * before the line after it.
 */
import { TaskGroup } from "@taskscope/core"
import { Effect, Exit, Option } from "effect"
import { stopwatch } from "./shared/stopwatch.js"

export const main = Effect.gen(function*() {
  const print = yield* stopwatch
  const worker = (name: string, seconds: number) =>
    print(`${name} started`).pipe(
      Effect.zipRight(Effect.sleep(`${seconds} seconds`)),
      Effect.ensuring(print(`${name} cleaned up`)),
      Effect.as(seconds)
    )
  yield* TaskGroup.scoped((group) =>
    Effect.gen(function*() {
      const short = yield* group.spawn(worker("short", 1), { name: "short" })
      const long = yield* group.spawn(worker("long", 10), { name: "long" })
      yield* Effect.sleep("2 seconds")
      const shortExit = yield* short.poll
      const result = Option.match(shortExit, {
        onNone: () => "pending",
        onSome: Exit.match({ onSuccess: String, onFailure: () => "failed" })
      })
      yield* print(`short done=${Option.isSome(shortExit)} result=${result}`)
      yield* print(`long done=${Option.isSome(yield* long.poll)}`)
      yield* long.cancel
      yield* print(`long cancelled=${(yield* long.state) === "cancelled"}`)
    })
  )
})
