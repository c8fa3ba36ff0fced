// #region example
import { assert, describe, it } from "@effect/vitest"
import { Orphans, TaskGroup } from "@taskscope/core"
import { Effect, Exit, Fiber, TestClock } from "effect"

// A poller that never ends, under a 10-minute timeout. On the TestClock the
// test takes microseconds, and it proves three things: the timeout fires,
// no fiber outlives the group, and the poller's cleanup runs exactly once.
describe("poller", () => {
  it.effect("stops at the timeout and leaves nothing behind", () =>
    Effect.gen(function*() {
      const probe = Orphans.makeProbe()
      const poller = probe.guard("poller", Effect.never)
      const fiber = yield* Effect.fork(
        Orphans.check( // fails with OrphanedFibersError if a fiber is left
          TaskGroup.scoped((group) => group.spawn(poller)).pipe(
            Effect.timeout("10 minutes")
          )
        )
      )
      yield* TestClock.adjust("10 minutes") // virtual time: no waiting
      // the program's own exit: it timed out
      const exit = yield* Fiber.join(fiber)
      assert.isTrue(Exit.isFailure(exit))
      yield* probe.verify // fails unless "poller" was finalized exactly once
    }))
})

// Run it: npx vitest run
// #endregion example
