// #region example
import { Concurrent } from "@taskscope/core"
import { Effect } from "effect"

const log: Array<string> = []

const mirror = (name: string, ms: number, ok = true) =>
  (ok ? Effect.succeed(name) : Effect.fail(`${name} is down`)).pipe(
    Effect.delay(ms),
    Effect.onInterrupt(() => Effect.sync(() => log.push(`${name} cancelled`)))
  )

// The first success wins; the losers are cancelled, and their cleanup has
// run when firstSuccess returns. A failure does not end the race: it fails
// only if every mirror fails, with all the errors in the Cause.
const program = Concurrent.firstSuccess([
  mirror("eu", 80, false),
  mirror("us", 120),
  mirror("asia", 300)
]).pipe(Effect.map((winner) => ({ winner, log })))

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → { winner: "us", log: ["asia cancelled"] }
// #endregion example

export { program }
