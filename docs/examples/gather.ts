// #region example
import { Concurrent } from "@taskscope/core"
import { Effect } from "effect"

const lookup = (id: number) =>
  id === 3 ? Effect.fail(`user ${id} not found`) : Effect.succeed(`user ${id}`)

// gather: the values in input order; the first failure cancels the rest.
// settle: every outcome as a TaskResult (asyncio's return_exceptions=True).
const program = Effect.gen(function*() {
  const users = yield* Concurrent.gather([1, 2].map(lookup))
  const outcomes = yield* Concurrent.settle([1, 2, 3].map(lookup))
  return { users, outcomes: outcomes.map((r) => r._tag) }
})

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → {
//     users: ["user 1", "user 2"],
//     outcomes: ["Succeeded", "Succeeded", "Failed"]
//   }
// #endregion example

export { program }
