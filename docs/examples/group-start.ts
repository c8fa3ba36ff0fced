// #region example
import { Event, TaskGroup } from "@taskscope/core"
import { Effect } from "effect"

// Trio's nursery.start: spawn a child and wait until it says it is ready —
// here a server that binds its port first. The child keeps running in the
// group; if it fails before `ready`, `start` fails with its error.
const program = Effect.gen(function*() {
  const stop = yield* Event.make()
  const log: Array<string> = []
  const server = (ready: (port: number) => Effect.Effect<void>) =>
    Effect.gen(function*() {
      yield* Effect.sleep("300 millis") // binding the socket
      yield* ready(8080)
      yield* stop.wait // serving until told to stop
      log.push("server stopped")
    })
  yield* TaskGroup.scoped((group) =>
    Effect.gen(function*() {
      const port = yield* group.start(server, { name: "server" })
      log.push(`listening on ${port}`)
      yield* stop.set
    })
  )
  return log
})

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → ["listening on 8080", "server stopped"]
// #endregion example

export { program }
