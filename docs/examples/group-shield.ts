// #region example
import { TaskGroup } from "@taskscope/core"
import { Effect } from "effect"

const log: Array<string> = []

const saveDraft = Effect.sleep("2 seconds").pipe(
  Effect.andThen(() => log.push("draft saved"))
)

// asyncio's shield: the request handler may give up after 500 ms, but the
// save goes on as a child of the group — which still waits for it, so it is
// never orphaned. (Deadline.shield is Trio's kind: the caller would wait.)
const program = TaskGroup.scoped((group) =>
  group.shield(saveDraft).pipe(
    Effect.timeoutTo({
      duration: "500 millis",
      onTimeout: () => "responded 202 at 500 ms",
      onSuccess: () => "responded 200"
    }),
    Effect.tap((response) => log.push(response))
  )
).pipe(Effect.as(log))

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → ["responded 202 at 500 ms", "draft saved"]
// #endregion example

export { program }
