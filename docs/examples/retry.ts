// #region example
import { Retry } from "@taskscope/core"
import { Clock, Data, Duration, Effect } from "effect"

class RateLimited extends Data.TaggedError("RateLimited")<{
  readonly retryAfter: Duration.Duration
}> {}

let calls = 0
const startedAt: Array<number> = []

// A flaky API: first a 429 with Retry-After 1.5 s, then a 503, then "ok".
const api = Effect.gen(function*() {
  startedAt.push(yield* Clock.currentTimeMillis)
  calls++
  if (calls === 1) {
    return yield* new RateLimited({ retryAfter: Duration.millis(1500) })
  }
  if (calls === 2) return yield* Effect.fail("503" as const)
  return "ok"
})

// The Retry-After is waited out exactly; the 503 gets the backoff of a
// second retry, 100 ms × 2 (no jitter here, so that the times are exact).
const program = api.pipe(
  Retry.retry({ maxAttempts: 5, base: "100 millis", jitter: "none" }),
  Effect.map((result) => ({ result, startedAt }))
)

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → { result: "ok", startedAt: [0, 1500, 1700] }
// #endregion example

export { program }
