import { assert, describe, expect, it } from "@effect/vitest"
import { Concurrent, Deadline, Task, TaskGroup, Testing } from "@taskscope/core"
import { Effect, Exit, Ref } from "effect"

describe("Testing.interruptEverywhere", () => {
  it.effect("a TaskGroup with children, cleanup and a bounded slot count holds at every suspension point", () =>
    Effect.gen(function*() {
      const report = yield* Testing.interruptEverywhere((probe) =>
        TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            for (const i of [1, 2, 3, 4]) {
              yield* group.spawn(probe.guard(`child ${i}`, Effect.sleep(i * 10)))
            }
            yield* group.spawn(probe.guard("forever", Effect.never))
            yield* probe.guard("body", Effect.sleep(15))
            // Trio's cancel: the forever child only ends because it is cancelled
            yield* Effect.sleep(100)
            yield* group.cancel
          }), { concurrency: 2 })
      )
      assert.isAbove(report.points, 10)
      assert.strictEqual(report.runs, report.points + 1)
    }))

  it.effect("nested deadlines, shields, waitFor and gather hold too", () =>
    Effect.gen(function*() {
      const report = yield* Testing.interruptEverywhere((probe) =>
        TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            const slow = yield* group.spawn(probe.guard("slow", Effect.sleep(100)))
            yield* Task.waitFor(slow, 50).pipe(Effect.ignore)
            yield* Concurrent.gather([probe.guard("a", Effect.sleep(10)), probe.guard("b", Effect.sleep(20))])
            yield* probe.guard("inner", Effect.sleep(30)).pipe(
              Deadline.within(20),
              Effect.ignore,
              Effect.ensuring(Deadline.shield(probe.guard("flush", Effect.sleep(5)))),
              Deadline.within(200)
            )
          })
        )
      )
      assert.isAbove(report.points, 10)
    }))

  it.effect("catches a program that leaves a fiber behind", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Testing.interruptEverywhere(() => Effect.zipRight(Effect.forkDaemon(Effect.never), Effect.sleep(10)))
      )
      assert.strictEqual(error._tag, "InterruptionPointError")
      assert.strictEqual(error.point, 0)
      assert.match(error.message, /fiber\(s\) started by the effect were still alive/)
    }))

  it.effect("catches a finalizer that does not run when the program is interrupted at the wrong moment", () =>
    Effect.gen(function*() {
      // the release is not guarded: interrupted between acquire and release, the permit is lost
      const error = yield* Effect.flip(
        Effect.flatMap(Ref.make(1), (permits) =>
          Testing.interruptEverywhere(
            () =>
              Effect.gen(function*() {
                yield* Ref.update(permits, (n) => n - 1)
                yield* Effect.sleep(10)
                yield* Ref.update(permits, (n) => n + 1)
              }),
            () =>
              Effect.flatMap(Ref.get(permits), (n) => n === 1 ? Effect.void : Effect.fail(`${n} permit(s) left of 1`))
          ))
      )
      assert.strictEqual(error._tag, "InterruptionPointError")
      assert.isAbove(error.point, 0)
      assert.match(error.message, /interrupted at suspension point \d+ of \d+: the invariant does not hold/)
      assert.match(error.message, /0 permit\(s\) left of 1/)
    }))

  it.effect("says so when the program never finishes", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Testing.interruptEverywhere(() => Effect.never))
      assert.match(error.message, /did not finish/)
    }))

  it.effect("the check sees every run's exit and where it was interrupted", () =>
    Effect.gen(function*() {
      const seen: Array<[number, boolean, boolean]> = []
      yield* Testing.interruptEverywhere(
        () => Effect.sleep(10),
        (exit, point) =>
          Effect.sync(() => {
            seen.push([point.point, point.interrupted, Exit.isInterrupted(exit)])
          })
      )
      expect(seen[0]).toStrictEqual([0, false, false])
      assert.isTrue(seen.slice(1).some(([, interrupted, isInterrupted]) => interrupted && isInterrupted))
    }))
})
