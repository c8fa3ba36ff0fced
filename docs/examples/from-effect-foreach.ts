// #region example
import { Effect } from "effect"

const fetchPrice = (symbol: string) =>
  symbol === "DOGE"
    ? Effect.fail(`${symbol}: 503`).pipe(Effect.delay("2 seconds"))
    : Effect.succeed(42).pipe(Effect.delay("1 second"))

// Every outcome, not just the first failure: each effect turned into an
// Either, then read back by position.
const program = Effect.forEach(
  ["BTC", "ETH", "DOGE"],
  (symbol) => Effect.either(fetchPrice(symbol)),
  { concurrency: 2 }
).pipe(
  Effect.map((results) => results.map((r) => r._tag))
)

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → ["Right", "Right", "Left"]
// #endregion example

export { program }
