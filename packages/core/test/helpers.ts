import { Orphans } from "@taskscope/core"
import { Effect, Fiber, TestClock } from "effect"
import type { Duration } from "effect"

/**
 * Runs `effect` and fails the test if any fiber it started is still alive when it returns
 * (the "no orphans" invariant); otherwise returns the effect's own result.
 */
export const noOrphans = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E | Orphans.OrphanedFibersError, R> => Effect.flatten(Orphans.check(effect))

/** Forks `effect` (checked for orphans), advances the TestClock by `by`, and returns the fiber. */
export const runFor = <A, E>(effect: Effect.Effect<A, E>, by: Duration.DurationInput) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(noOrphans(effect))
    yield* TestClock.adjust(by)
    return fiber
  })

/** Forks `effect`, advances the clock by `by`, and returns its exit (which must be complete). */
export const exitAfter = <A, E>(effect: Effect.Effect<A, E>, by: Duration.DurationInput) =>
  Effect.gen(function*() {
    const fiber = yield* runFor(effect, by)
    const exit = yield* Fiber.poll(fiber)
    if (exit._tag === "None") return yield* Effect.dieMessage(`still running after ${String(by)}`)
    return exit.value
  })

export const now = Effect.clockWith((clock) => clock.currentTimeMillis)
