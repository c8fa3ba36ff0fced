// #region example
import { Deadline } from "@taskscope/core"
import { Clock, Effect, Option } from "effect"

// A cancel scope you can hold (Trio's CancelScope, asyncio's Timeout): the
// body moves its own deadline when the server says "keep waiting", and the
// caller can ask afterwards whether the deadline stopped it.
const program = Effect.gen(function*() {
  let caught = false
  const result = yield* Deadline.scope((scope) =>
    Effect.gen(function*() {
      yield* Effect.sleep("1 second") // the server: "202, still working"
      const now = yield* Clock.currentTimeMillis
      yield* scope.reschedule(now + 3_000) // 3 s more from now
      yield* Effect.sleep("2 seconds")
      return "done"
    }).pipe(Effect.ensuring(
      Effect.flatMap(
        scope.cancelledCaught,
        (c) => Effect.sync(() => caught = c)
      )
    )), { timeout: "2 seconds" })
  return { result: Option.getOrNull(result), stoppedByDeadline: caught }
})

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → { result: "done", stoppedByDeadline: false }
// #endregion example

export { program }
