import { Concurrent } from "@taskscope/core"
import { Effect } from "effect"

const lookup = (id: number) => id === 3 ? Effect.fail(`user ${id} not found`) : Effect.succeed(`user ${id}`)

// gather: results in order, fail fast. settle: every outcome (asyncio's return_exceptions=True).
export const program = Effect.gen(function*() {
  const users = yield* Concurrent.gather([1, 2].map(lookup))
  const outcomes = yield* Concurrent.settle([1, 2, 3].map(lookup))
  return { users, outcomes: outcomes.map((r) => r._tag) }
})

export const expected = { users: ["user 1", "user 2"], outcomes: ["Succeeded", "Succeeded", "Failed"] }
