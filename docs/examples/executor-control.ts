// #region example
import { Executor } from "@taskscope/core"
import { Clock, Effect } from "effect"

// A crawler: two pages at once, one request per 100 ms to each host, the most
// urgent first. It starts paused, so every page is queued before any starts.
const program = Effect.gen(function*() {
  const executor = yield* Executor.make({
    concurrency: 2,
    keys: () => ({ rate: { limit: 1, interval: "100 millis" } }),
    autoStart: false
  })
  const started: Array<string> = []
  let t0 = 0
  const page = (name: string, host: string, priority = 0) => ({
    name,
    key: host,
    priority, // lower runs first (or `priority: "higherFirst"`, as p-queue)
    effect: Clock.currentTimeMillis.pipe(
      Effect.tap((t) => started.push(`${name} at ${t - t0} ms`)),
      Effect.zipRight(Effect.sleep("50 millis"))
    )
  })
  yield* executor.submit(page("a/1", "a.example"))
  yield* executor.submit(page("a/2", "a.example"))
  yield* executor.submit(page("b/1", "b.example"))
  yield* executor.submit(page("a/urgent", "a.example", -1))
  t0 = yield* Clock.currentTimeMillis
  yield* executor.resume
  yield* executor.onIdle // p-queue's onIdle: nothing queued or running
  const stats = yield* executor.stats
  return { started, done: stats.done }
}).pipe(Effect.scoped)

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → {
//     started: [
//       "a/urgent at 0 ms",
//       "b/1 at 0 ms",
//       "a/1 at 100 ms",
//       "a/2 at 200 ms"
//     ],
//     done: 4
//   }
// #endregion example

export { program }
