/**
 * Graceful shutdown on an Event: a signal stops the workers, they flush, the program ends.
 *
 * A signal sets an asyncio.Event; the workers notice at once (not at the end of their unit of
 * work), flush, and the program exits once all of them have stopped.
 *
 * ```python
 * import asyncio, signal, time
 *
 * def log(line):
 *     print(f"[{time.perf_counter() - start:4.1f}s] {line}")
 *
 * async def worker(name, unit, flush, stop):
 *     while not stop.is_set():
 *         log(f"{name}: working")
 *         try:
 *             await asyncio.wait_for(stop.wait(), timeout=unit)  # a unit of work, or the stop
 *         except asyncio.TimeoutError:
 *             pass
 *     log(f"{name}: flushing")
 *     await asyncio.sleep(flush)
 *     log(f"{name}: stopped")
 *
 * async def main():
 *     stop = asyncio.Event()
 *     loop = asyncio.get_running_loop()
 *     for sig in (signal.SIGINT, signal.SIGTERM):
 *         loop.add_signal_handler(sig, stop.set)
 *     async with asyncio.TaskGroup() as tg:
 *         tg.create_task(worker("fetcher", 1.0, 0.5, stop))
 *         tg.create_task(worker("writer", 0.8, 0.3, stop))
 *     log("all workers stopped")
 *
 * start = time.perf_counter()
 * asyncio.run(main())
 * ```
 *
 * `Deadline.moveOnAfter` is `wait_for` that returns `None` on timeout instead of raising. The
 * group's scope ends only when both workers have flushed. (`Shutdown` and `Runtime.runMain` make
 * this a phased shutdown with a grace budget; here it is the bare Event pattern.)
 */
import { Deadline, Event, TaskGroup } from "@taskscope/core"
import { type Duration, Effect, Runtime } from "effect"
import { stopwatch } from "./shared/stopwatch.js"

/** The workers, stopped by `stop`; the tests set it themselves at a chosen time. */
export const program = (stop: Event.Event) =>
  Effect.gen(function*() {
    const print = yield* stopwatch
    const worker = (name: string, unit: Duration.DurationInput, flush: Duration.DurationInput) =>
      Effect.gen(function*() {
        while (!(yield* stop.isSet)) {
          yield* print(`${name}: working`)
          yield* Deadline.moveOnAfter(stop.wait, unit) // a unit of work, or the stop
        }
        yield* print(`${name}: flushing`)
        yield* Effect.sleep(flush)
        yield* print(`${name}: stopped`)
      })
    yield* TaskGroup.scoped((group) =>
      Effect.gen(function*() {
        yield* group.spawn(worker("fetcher", "1 second", "500 millis"), { name: "fetcher" })
        yield* group.spawn(worker("writer", "800 millis", "300 millis"), { name: "writer" })
      })
    )
    yield* print("all workers stopped")
  })

/** SIGINT or SIGTERM sets the event (and, so that `pnpm example` ends on its own, so do 3.5 s). */
export const main = Effect.gen(function*() {
  const stop = yield* Event.make()
  const runtime = yield* Effect.runtime<never>()
  const setStop = () => Runtime.runFork(runtime)(stop.set)
  yield* Effect.acquireRelease(
    Effect.sync(() => {
      process.on("SIGINT", setStop)
      process.on("SIGTERM", setStop)
    }),
    () =>
      Effect.sync(() => {
        process.off("SIGINT", setStop)
        process.off("SIGTERM", setStop)
      })
  )
  yield* Effect.fork(Effect.zipRight(Effect.sleep("3500 millis"), stop.set))
  yield* program(stop)
}).pipe(Effect.scoped)
