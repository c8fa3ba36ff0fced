// #region example
import { Event, TaskGroup } from "@taskscope/core"
import { Effect } from "effect"

// asyncio.Event: workers wait until initialisation is done.
const program = Effect.gen(function*() {
  const ready = yield* Event.make()
  const log: Array<string> = []
  yield* TaskGroup.scoped((group) =>
    Effect.gen(function*() {
      yield* group.spawn(
        ready.wait.pipe(Effect.andThen(() => log.push("worker started")))
      )
      yield* Effect.sleep("1 second")
      log.push("initialised")
      yield* ready.set
    })
  )
  return log
})

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → ["initialised", "worker started"]
// #endregion example

export { program }
