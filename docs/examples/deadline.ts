// #region example
import { Deadline, TaskGroup } from "@taskscope/core"
import { Duration, Effect, Option } from "effect"

const budgets: Array<string> = []

// Any code below a deadline can read the budget left, e.g. to pass it on
// to a server as its own timeout.
const callServer = Effect.gen(function*() {
  const budget = yield* Deadline.remaining
  budgets.push(Option.match(budget, {
    onNone: () => "unbounded",
    onSome: Duration.format
  }))
  yield* Effect.sleep("10 seconds") // a slow server
})

const program = Effect.gen(function*() {
  // The deadline reaches the group's child: at 2 s the child is interrupted,
  // its cleanup runs, and the caller gets a typed TimeoutError.
  const timedOut = yield* TaskGroup.scoped((group) => group.spawn(callServer))
    .pipe(
      Deadline.within("2 seconds"),
      Effect.as("finished"),
      Effect.catchTag(
        "TimeoutError",
        (e) => Effect.succeed(`timed out after ${Duration.format(e.elapsed)}`)
      )
    )
  // Trio's move_on_after: None instead of an error.
  const movedOn = yield* Effect.sleep("5 seconds").pipe(
    Deadline.moveOnAfter("1 second")
  )
  return { timedOut, budgets, movedOn: Option.isNone(movedOn) }
})

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → { timedOut: "timed out after 2s", budgets: ["2s"], movedOn: true }
// #endregion example

export { program }
