// #region example
import { Shutdown } from "@taskscope/core"
import { Runtime } from "@taskscope/platform-node"
import { Effect } from "effect"

// A service that runs until it is asked to stop. Ctrl-C (SIGINT) or SIGTERM
// requests a shutdown: the program finishes its work within the grace
// period and the process exits 0. If it does not, it is interrupted (its
// finalizers run); a second Ctrl-C exits at once with 130.
const program = Effect.gen(function*() {
  const shutdown = yield* Shutdown.Shutdown
  yield* Effect.sync(() => console.log("serving; Ctrl-C to stop"))
  yield* shutdown.requested
  yield* Effect.sync(() => console.log("draining the requests in flight"))
  yield* Effect.sleep("200 millis")
  yield* Effect.sync(() => console.log("done"))
})

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Runtime.runMain(program, { grace: "5 seconds" })
// Output:
// serving; Ctrl-C to stop
// draining the requests in flight
// done
// #endregion example

/** A process of its own, stopped with a real SIGINT. */
export const runs = "subprocess"
export const signal = { after: "Ctrl-C to stop", send: "SIGINT" }
