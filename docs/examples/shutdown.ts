import { Shutdown } from "@taskscope/core"
import { Effect } from "effect"

// Phased graceful shutdown: register work per phase; `run` goes through them in order.
export const program = Effect.gen(function*() {
  const shutdown = yield* Shutdown.Shutdown
  yield* shutdown.register("stopIntake", "http server", Effect.log("no new requests"))
  yield* shutdown.register("drain", "requests in flight", Effect.sleep("200 millis"))
  yield* shutdown.register("flush", "log file", Effect.log("fsync"))
  yield* shutdown.request("SIGTERM")
  const report = yield* shutdown.run()
  return report.steps.map((s) => `${s.phase}/${s.name}: ${s.outcome}`)
}).pipe(Effect.provide(Shutdown.layer({ grace: "5 seconds" })))

export const expected = ["stopIntake/http server: done", "drain/requests in flight: done", "flush/log file: done"]
