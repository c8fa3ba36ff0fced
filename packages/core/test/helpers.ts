import { type Orphans, Testing } from "@taskscope/core"
import { Cause, Effect, Fiber, TestClock } from "effect"
import type { Duration } from "effect"

/**
 * Runs `effect` and fails the test if any fiber it started is still alive when it returns
 * (the "no orphans" invariant); otherwise returns the effect's own result.
 */
export const noOrphans = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E | Orphans.OrphanedFibersError, R> => Testing.noOrphans(effect)

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

/** Runs `effect`, which must die with an IllegalArgumentException (a programmer error), and returns its message. */
export const defectMessage = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.exit(effect), (exit) => {
    const defect = exit._tag === "Failure" ? Cause.squash(exit.cause) : undefined
    return Cause.isIllegalArgumentException(defect)
      ? Effect.succeed(defect.message)
      : Effect.dieMessage(`expected an IllegalArgumentException, got ${String(defect ?? "a success")}`)
  })

/** Runs `effect`, which must die with an IllegalArgumentException whose message matches `pattern`. */
export const dies = <A, E, R>(effect: Effect.Effect<A, E, R>, pattern: RegExp) =>
  Effect.flatMap(defectMessage(effect), (message) =>
    pattern.test(message)
      ? Effect.succeed(message)
      : Effect.dieMessage(`expected a message matching ${pattern}, got ${message}`))
