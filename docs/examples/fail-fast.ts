import { TaskGroup } from "@taskscope/core"
import { Cause, Effect, Exit } from "effect"

class PaymentDeclined {
  readonly _tag = "PaymentDeclined"
}

const cleanup: Array<string> = []

// The first failure cancels the siblings (their finalizers run) and fails the group with that
// typed error; the error type of the whole is inferred from what was spawned.
export const program = TaskGroup.scoped((group) =>
  Effect.gen(function*() {
    yield* group.spawn(Effect.never.pipe(Effect.ensuring(Effect.sync(() => cleanup.push("email cancelled")))))
    yield* group.spawn(Effect.fail(new PaymentDeclined()).pipe(Effect.delay("1 second")))
    return "unreachable"
  })
).pipe(
  Effect.exit,
  Effect.map((exit) => ({
    failedWith: Exit.isFailure(exit) ? (Cause.squash(exit.cause) as PaymentDeclined)._tag : null,
    cleanup
  }))
)

export const expected = { failedWith: "PaymentDeclined", cleanup: ["email cancelled"] }
