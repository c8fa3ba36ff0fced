// #region example
import { retry } from "@taskscope/promise"

// What a 429 says: come back in `retryAfter` seconds (here 0.05 s).
class RateLimited extends Error {
  constructor(readonly retryAfter: number) {
    super("429 Too Many Requests")
  }
}

let calls = 0
const fetchPrice = async (signal: AbortSignal) => {
  calls++
  if (signal.aborted) throw signal.reason
  if (calls < 3) throw new RateLimited(0.05)
  return 42
}

async function main() {
  const started = Date.now()
  // the backoff would wait 10 s; the server's Retry-After is honoured
  const price = await retry(fetchPrice, { maxAttempts: 5, base: 10_000 })
  const waited = Date.now() - started
  return { price, calls, honoured: waited >= 90 && waited < 10_000 }
}

// ---cut-start---
// dprint-ignore
export const run = () =>
// ---cut-end---
main().then(console.log)
// → { price: 42, calls: 3, honoured: true }
// #endregion example

import { Effect } from "effect"
export const program = Effect.promise(main)

/** Timers: the real clock (two waits of 50 ms). */
export const runs = "live"
