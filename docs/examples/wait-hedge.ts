// #region example
import { Concurrent, TaskGroup } from "@taskscope/core"
import { Effect } from "effect"

// asyncio.wait(return_when=FIRST_COMPLETED): which tasks are done and which
// are pending. Nothing is cancelled; here we cancel the rest ourselves.
const waited = TaskGroup.scoped((group) =>
  Effect.gen(function*() {
    const fast = yield* group.spawn(Effect.sleep("100 millis"), {
      name: "fast"
    })
    const slow = yield* group.spawn(Effect.sleep("5 seconds"), {
      name: "slow"
    })
    const { done, pending } = yield* Concurrent.wait([fast, slow], {
      returnWhen: "firstCompleted"
    })
    yield* Effect.forEach(pending, (task) => task.cancel)
    return {
      done: done.map((t) => t.name),
      pending: pending.map((t) => t.name)
    }
  })
)

// A hedged request: if the first attempt has not answered after 100 ms, a
// backup starts; the first success wins and the other is cancelled.
let calls = 0
const request = Effect.suspend(() => {
  const attempt = ++calls
  return Effect.succeed(`answer from attempt ${attempt}`).pipe(
    Effect.delay(attempt === 1 ? "1 second" : "50 millis")
  )
})
const hedged = Concurrent.hedge(request, { delay: "100 millis" })

const program = Effect.all({ waited, hedged })

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → {
//     waited: { done: ["fast"], pending: ["slow"] },
//     hedged: "answer from attempt 2"
//   }
// #endregion example

export { program }
