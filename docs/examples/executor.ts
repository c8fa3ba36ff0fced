// #region example
import { Executor } from "@taskscope/core"
import { Effect } from "effect"

// The async task executor as a service: priorities, retries, timeouts, and a
// drain report that hands back every task it never ran or had to interrupt.
const program = Effect.gen(function*() {
  const executor = yield* Executor.Executor
  const results = yield* executor.runAll([
    { name: "report", effect: Effect.succeed("report done") },
    {
      name: "flaky",
      effect: Effect.fail("503"),
      retry: { maxAttempts: 2, base: "100 millis" }
    },
    { name: "slow", effect: Effect.never, timeout: "1 second" }
  ])
  yield* executor.submit({ name: "long", effect: Effect.sleep("1 minute") })
  const drained = yield* executor.drain({ grace: "1 second" })
  return {
    results: results.map((r) => `${r.name}: ${r._tag} (${r.attempts})`),
    interrupted: drained.interrupted.map((u) => u.task.name),
    neverRan: drained.neverRan.map((u) => u.task.name)
  }
}).pipe(Effect.provide(Executor.layer({ concurrency: 3 })))

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → {
//     results: [
//       "report: Succeeded (1)",
//       "flaky: Failed (2)",
//       "slow: TimedOut (1)"
//     ],
//     interrupted: ["long"],
//     neverRan: []
//   }
// #endregion example

export { program }
