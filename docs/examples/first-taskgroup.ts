// #region example
import { TaskGroup } from "@taskscope/core"
import { Effect } from "effect"

const fetchPrice = (symbol: string) =>
  Effect.succeed({ symbol, price: symbol.length * 100 }).pipe(
    Effect.delay("200 millis")
  )

// Like `async with asyncio.TaskGroup() as tg:` — the children run
// concurrently (at most 2 at once); if one fails, the others are cancelled,
// their cleanup runs, and the group fails with that error.
const program = TaskGroup.scoped((group) =>
  Effect.gen(function*() {
    const tasks = yield* Effect.forEach(
      ["BTC", "ETH", "SOL"],
      (symbol) => group.spawn(fetchPrice(symbol), { name: symbol })
    )
    return yield* Effect.forEach(tasks, (task) => task.join)
  }), { concurrency: 2 })

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → [
//     { symbol: "BTC", price: 300 },
//     { symbol: "ETH", price: 300 },
//     { symbol: "SOL", price: 300 }
//   ]
// #endregion example

export { program }
