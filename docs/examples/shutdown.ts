// #region example
import { Shutdown } from "@taskscope/core"
import { Effect } from "effect"

// Phased graceful shutdown: register work per phase; `run` goes through
// the phases in order and reports each step.
const program = Effect.gen(function*() {
  const shutdown = yield* Shutdown.Shutdown
  yield* shutdown.register("stopIntake", "http server", Effect.void)
  yield* shutdown.register("drain", "requests", Effect.sleep("200 millis"))
  yield* shutdown.register("flush", "log file", Effect.void)
  yield* shutdown.request("SIGTERM")
  const report = yield* shutdown.run()
  return report.steps.map((s) => `${s.phase}/${s.name}: ${s.outcome}`)
}).pipe(Effect.provide(Shutdown.layer({ grace: "5 seconds" })))

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → [
//     "stopIntake/http server: done",
//     "drain/requests: done",
//     "flush/log file: done"
//   ]
// #endregion example

export { program }
