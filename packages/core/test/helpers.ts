import { Orphans } from "@taskscope/core"
import { Cause, Effect, Fiber, TestClock } from "effect"
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

/**
 * Runs `effect` and checks that it died with an `IllegalArgumentException` (a bad literal argument)
 * whose message matches `pattern`; returns the message.
 */
export const dies = <A, E, R>(effect: Effect.Effect<A, E, R>, pattern: RegExp) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(effect)
    if (exit._tag === "Success") return yield* Effect.dieMessage(`expected a defect matching ${pattern}, got a success`)
    const defects = Array.from(Cause.defects(exit.cause))
    const defect = defects[0]
    if (!Cause.isIllegalArgumentException(defect)) {
      return yield* Effect.dieMessage(`expected an IllegalArgumentException, got ${Cause.pretty(exit.cause)}`)
    }
    if (!pattern.test(defect.message)) {
      return yield* Effect.dieMessage(`expected a message matching ${pattern}, got ${defect.message}`)
    }
    return defect.message
  })
