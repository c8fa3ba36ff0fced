// #region example
import { Deadline, TaskGroup } from "@taskscope/core"
import { Effect } from "effect"

const fetchPrice = (symbol: string) =>
  Effect.succeed(`${symbol} 42`).pipe(Effect.delay("1 second"))

// Two requests at once, both within 2 s: the deadline reaches
// the children, the first failure cancels the other, and every
// error that can happen is in the type (hover `program`).
const program = TaskGroup.scoped((group) =>
  Effect.gen(function*() {
    const btc = yield* group.spawn(fetchPrice("BTC"))
    const eth = yield* group.spawn(fetchPrice("ETH"))
    return [yield* btc.join, yield* eth.join]
  })
).pipe(Deadline.within("2 seconds"))

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → ["BTC 42", "ETH 42"]
// #endregion example

export { program }
