// #region example
import { Concurrent } from "@taskscope/core"
import { Duration, Effect } from "effect"

const fetchPrice = (symbol: string) =>
  symbol === "DOGE"
    ? Effect.fail(`${symbol}: 503`).pipe(Effect.delay("2 seconds"))
    : Effect.succeed(42).pipe(Effect.delay("1 second"))

// Every outcome as a TaskResult: named, timed, with the typed error or the
// value (asyncio's gather(return_exceptions=True)).
const program = Concurrent.settle(
  ["BTC", "ETH", "DOGE"].map(fetchPrice),
  { concurrency: 2, names: (i) => ["BTC", "ETH", "DOGE"][i] }
).pipe(
  Effect.map((results) =>
    results.map((r) => `${r.name}: ${r._tag} in ${Duration.format(r.duration)}`)
  )
)

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → ["BTC: Succeeded in 1s", "ETH: Succeeded in 1s", "DOGE: Failed in 2s"]
// #endregion example

export { program }
