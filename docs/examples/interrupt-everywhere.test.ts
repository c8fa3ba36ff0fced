// #region example
import { assert, describe, it } from "@effect/vitest"
import { Limiter, TaskGroup, Testing } from "@taskscope/core"
import { Effect, Ref } from "effect"

// Three jobs share two permits of a semaphore. Wherever the program is
// interrupted — before a permit is granted, right after, during the work, in
// the middle of cleanup — no fiber may be left behind, every job's cleanup
// must run exactly once, and both permits must come back.
describe("jobs under a semaphore", () => {
  it.effect("lose no permit, wherever they are interrupted", () =>
    Effect.gen(function*() {
      const semaphore = yield* Limiter.semaphore(2)
      const report = yield* Testing.interruptEverywhere(
        (probe) =>
          TaskGroup.scoped((group) =>
            Effect.forEach([1, 2, 3], (job) => {
              const work = semaphore.withPermit(Effect.sleep(10))
              return group.spawn(probe.guard(`job ${job}`, work))
            })
          ),
        () =>
          Effect.flatMap(semaphore.stats, (stats) =>
            stats.available === 2
              ? Effect.void
              : Effect.fail(`${2 - stats.available} permit(s) lost`))
      )
      // one run without interruption, then one run per suspension point
      assert.isAbove(report.points, 5)
      assert.strictEqual(report.runs, report.points + 1)
    }))

  it.effect("a hand-made lock that forgets its release is caught", () =>
    Effect.gen(function*() {
      const permits = yield* Ref.make(1)
      const unsafe = Effect.gen(function*() {
        yield* Ref.update(permits, (n) => n - 1) // acquire
        yield* Effect.sleep(10) // interrupted here, the release never runs
        yield* Ref.update(permits, (n) => n + 1) // release
      })
      const error = yield* Effect.flip(
        Testing.interruptEverywhere(
          () => unsafe,
          () =>
            Effect.flatMap(
              Ref.get(permits),
              (n) =>
                n === 1 ? Effect.void : Effect.fail(`${n} permit(s) left of 1`)
            )
        )
      )
      assert.match(error.message, /interrupted at suspension point \d+ of \d+/)
      assert.match(error.message, /the invariant does not hold/)
    }))
})

// Run it: npx vitest run
// #endregion example
