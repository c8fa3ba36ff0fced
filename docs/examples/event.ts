import { Event, TaskGroup } from "@taskscope/core"
import { Effect } from "effect"

// asyncio.Event: workers wait until initialisation is done.
export const program = Effect.gen(function*() {
  const ready = yield* Event.make()
  const log: Array<string> = []
  yield* TaskGroup.scoped((group) =>
    Effect.gen(function*() {
      yield* group.spawn(ready.wait.pipe(Effect.zipRight(Effect.sync(() => log.push("worker started")))))
      yield* Effect.sleep("1 second")
      log.push("initialised")
      yield* ready.set
    })
  )
  return log
})

export const expected = ["initialised", "worker started"]
