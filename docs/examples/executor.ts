import { Executor } from "@taskscope/core"
import { Effect } from "effect"

// The async task executor as a service: priorities, key limits, retries, timeouts, and a drain
// report that hands back every task it never ran.
export const program = Effect.gen(function*() {
  const executor = yield* Executor.Executor
  const results = yield* executor.runAll([
    { name: "report", effect: Effect.succeed("report done") },
    { name: "flaky", effect: Effect.fail("503"), retry: { maxAttempts: 2, base: "100 millis" } },
    { name: "slow", effect: Effect.never, timeout: "1 second" }
  ])
  yield* executor.submit({ name: "long", effect: Effect.sleep("1 minute") })
  yield* executor.submit({ name: "queued", effect: Effect.void, priority: 10 })
  const drained = yield* executor.drain({ grace: "1 second" })
  return {
    results: results.map((r) => `${r.name}: ${r._tag} after ${r.attempts} attempt(s)`),
    interrupted: drained.interrupted.map((u) => u.task.name),
    neverRan: drained.neverRan.map((u) => u.task.name)
  }
}).pipe(Effect.provide(Executor.layer({ concurrency: 3 })))

export const expected = {
  results: [
    "report: Succeeded after 1 attempt(s)",
    "flaky: Failed after 2 attempt(s)",
    "slow: TimedOut after 1 attempt(s)"
  ],
  interrupted: ["long"],
  neverRan: []
}
