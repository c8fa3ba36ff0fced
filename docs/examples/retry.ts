import { Retry } from "@taskscope/core"
import { Data, Duration, Effect } from "effect"

class RateLimited extends Data.TaggedError("RateLimited")<{ readonly retryAfter: Duration.Duration }> {}

let calls = 0
const startedAt: Array<number> = []
const api = Effect.gen(function*() {
  startedAt.push(yield* Effect.clockWith((c) => c.currentTimeMillis))
  calls++
  if (calls === 1) return yield* new RateLimited({ retryAfter: Duration.millis(1500) }) // waited out exactly
  if (calls === 2) return yield* Effect.fail("503")
  return "ok"
})

export const program = api.pipe(
  Retry.retry({ maxAttempts: 5, base: "100 millis", jitter: "none" }),
  Effect.map((result) => ({ result, startedAt }))
)

export const expected = { result: "ok", startedAt: [0, 1500, 1700] }
