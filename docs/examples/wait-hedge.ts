import { Concurrent, TaskGroup } from "@taskscope/core"
import { Effect } from "effect"

// asyncio.wait(return_when=FIRST_COMPLETED): what is done, what is pending — nothing is cancelled.
const waited = TaskGroup.scoped((group) =>
  Effect.gen(function*() {
    const fast = yield* group.spawn(Effect.sleep("100 millis"), { name: "fast" })
    const slow = yield* group.spawn(Effect.sleep("5 seconds"), { name: "slow" })
    const { done, pending } = yield* Concurrent.wait([fast, slow], { returnWhen: "firstCompleted" })
    yield* Effect.forEach(pending, (task) => task.cancel)
    return { done: done.map((t) => t.name), pending: pending.map((t) => t.name) }
  })
)

// A hedged request: a backup starts if the first has not answered after 100 ms; first success wins.
let calls = 0
const request = Effect.suspend(() =>
  Effect.succeed(`answer from attempt ${++calls}`).pipe(Effect.delay(calls === 1 ? 1000 : 50))
)
const hedged = Concurrent.hedge(request, { delay: "100 millis" })

export const program = Effect.all({ waited, hedged })

export const expected = { waited: { done: ["fast"], pending: ["slow"] }, hedged: "answer from attempt 2" }
