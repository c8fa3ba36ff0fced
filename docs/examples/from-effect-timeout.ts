// #region example
import { Deadline } from "@taskscope/core"
import { Duration, Effect, Option } from "effect"

// The code that calls a server wants to tell it how long it may take.
const callServer = Effect.gen(function*() {
  const budget = yield* Deadline.remaining // none outside any Deadline
  yield* Effect.sleep("100 millis")
  return Option.match(budget, {
    onNone: () => "no budget known",
    onSome: (d) => `${Duration.toMillis(d)} ms left`
  })
})

const program = Effect.all({
  // Effect.timeout bounds the effect, but the code inside cannot see it
  withTimeout: callServer.pipe(Effect.timeout("2 seconds")),
  // Deadline.within bounds it too, and every child can read the budget
  withDeadline: callServer.pipe(Deadline.within("2 seconds"))
})

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → { withTimeout: "no budget known", withDeadline: "2000 ms left" }
// #endregion example

export { program }
