import { Orphans, TaskGroup } from "@taskscope/core"
import { Effect, Fiber, TestClock } from "effect"

// Virtual time and the no-orphans check: a test of a 10-minute timeout runs in microseconds.
export const program = Effect.gen(function*() {
  const probe = Orphans.makeProbe()
  const fiber = yield* Effect.fork(Orphans.check(
    TaskGroup.scoped((group) => group.spawn(probe.guard("poller", Effect.never))).pipe(Effect.timeout("10 minutes"))
  ))
  yield* TestClock.adjust("10 minutes")
  const exit = yield* Fiber.join(fiber) // fails with OrphanedFibersError if a fiber outlived the group
  yield* probe.verify // fails with FinalizerCountError unless "poller" was finalized exactly once
  return exit._tag
})

export const expected = "Failure"

/** This example drives the TestClock itself. */
export const selfTimed = true
