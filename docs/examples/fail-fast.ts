// #region example
import { TaskGroup } from "@taskscope/core"
import { Data, Effect } from "effect"

class PaymentDeclined extends Data.TaggedError("PaymentDeclined")<{
  readonly reason: string
}> {}

const cleanup: Array<string> = []

const sendEmail = Effect.never.pipe(
  Effect.ensuring(Effect.sync(() => cleanup.push("email cancelled")))
)
const charge = new PaymentDeclined({ reason: "card expired" }).pipe(
  Effect.delay("1 second")
)

// The first failure cancels the siblings (their finalizers run) and fails
// the group with that typed error. Hover `checkout`: PaymentDeclined is in
// its error channel, inferred from what was spawned.
const checkout = TaskGroup.scoped((group) =>
  Effect.gen(function*() {
    yield* group.spawn(sendEmail)
    yield* group.spawn(charge)
    return "paid"
  })
)

const program = checkout.pipe(
  Effect.catchTag("PaymentDeclined", (e) => Effect.succeed(e.reason)),
  Effect.map((result) => ({ result, cleanup }))
)

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → { result: "card expired", cleanup: ["email cancelled"] }
// #endregion example

export { program }
