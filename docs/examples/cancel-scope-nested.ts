// #region example
import { Deadline } from "@taskscope/core"
import { Effect, Option } from "effect"

// Trio's `with move_on_after(1): with move_on_after(5): ...`: both scopes
// are cancelled at 1 s — the outer one by its deadline, the inner one
// because it is inside — and the outer one, the outermost cancelled scope,
// catches. The inner one passes the cancellation on.
const program = Effect.gen(function*() {
  let inner: Deadline.CancelScope | undefined
  let outer: Deadline.CancelScope | undefined
  const result = yield* Deadline.scope((scope) => {
    outer = scope
    return Deadline.scope((s) => {
      inner = s
      return Effect.never
    }, { timeout: "5 seconds" })
  }, { timeout: "1 second" })
  return {
    result: Option.isNone(result) ? "none" : "some",
    outerCaught: yield* outer!.cancelledCaught,
    innerCaught: yield* inner!.cancelledCaught
  }
})

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → { result: "none", outerCaught: true, innerCaught: false }
// #endregion example

export { program }
