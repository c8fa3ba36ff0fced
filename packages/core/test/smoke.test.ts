import { assert, describe, it } from "@effect/vitest"
import { Effect, TestClock, Fiber } from "effect"
import { TaskGroup } from "@taskscope/core"

describe("smoke", () => {
  it.effect("spawn and join", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(TaskGroup.scoped((group) =>
        Effect.gen(function*() {
          const a = yield* group.spawn(Effect.succeed(1).pipe(Effect.delay("1 second")))
          const b = yield* group.spawn(Effect.succeed(2).pipe(Effect.delay("2 seconds")))
          return (yield* a.join) + (yield* b.join)
        })
      ))
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual(yield* Fiber.join(fiber), 3)
    }))
})
