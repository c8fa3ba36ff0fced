// #region example
import { remaining, retry, TimeoutError, withTimeout } from "@taskscope/promise"
import { setTimeout as sleep } from "node:timers/promises"

async function main() {
  let budget = 0
  let timedOut = false
  try {
    await withTimeout(50, async (signal) => {
      budget = remaining(signal) ?? 0 // e.g. to pass on to a server
      await sleep(60_000, undefined, { signal }) // aborted after 50 ms
    })
  } catch (error) {
    timedOut = error instanceof TimeoutError
  }
  // An enclosing deadline reaches what is given its signal: this retry
  // stops at once — a 60 s Retry-After cannot fit in 1 s.
  let gaveUp = ""
  try {
    await withTimeout(1_000, (signal) =>
      retry(async () => {
        throw Object.assign(new Error("429"), { retryAfter: 60 })
      }, { signal }))
  } catch (error) {
    gaveUp = (error as Error).message
  }
  return { timedOut, budgetOk: budget > 0 && budget <= 50, gaveUp }
}

// ---cut-start---
// dprint-ignore
export const run = () =>
// ---cut-end---
main().then(console.log)
// → { timedOut: true, budgetOk: true, gaveUp: "429" }
// #endregion example

import { Effect } from "effect"
export const program = Effect.promise(main)

/** Timers: the real clock (50 ms). */
export const runs = "live"
