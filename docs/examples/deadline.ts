import { Deadline, TaskGroup } from "@taskscope/core"
import { Duration, Effect, Option } from "effect"

// A deadline propagates into every fiber below; any code can read the budget left.
const callServer = Deadline.remaining.pipe(
  Effect.map(Option.map(Duration.toMillis)),
  Effect.zipLeft(Effect.sleep("10 seconds"))
)

export const program = Effect.gen(function*() {
  const timedOut = yield* TaskGroup.scoped((group) => group.spawn(callServer)).pipe(
    Deadline.within("2 seconds"),
    Effect.catchTag("TimeoutError", (e) => Effect.succeed(`timed out after ${Duration.toMillis(e.elapsed)} ms`))
  )
  const movedOn = yield* Effect.sleep("5 seconds").pipe(Deadline.moveOnAfter("1 second"))
  const budget = yield* Deadline.remaining.pipe(Deadline.within("3 seconds"))
  return { timedOut, movedOn: Option.isNone(movedOn), budget: Option.map(budget, Duration.toMillis) }
})

export const expected = { timedOut: "timed out after 2000 ms", movedOn: true, budget: Option.some(3000) }
