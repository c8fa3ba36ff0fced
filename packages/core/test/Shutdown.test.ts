import { assert, describe, expect, it } from "@effect/vitest"
import { Deadline, Executor, Shutdown } from "@taskscope/core"
import { Duration, Effect, Fiber, Option, TestClock } from "effect"
import { now } from "./helpers.js"

describe("Shutdown: one deadline, fixed by the first request", () => {
  it.effect("the first request fixes request time + grace on the Clock; later requests do not move it", () =>
    Effect.gen(function*() {
      const shutdown = yield* Shutdown.make({ grace: "5 seconds" })
      expect(yield* shutdown.deadline).toStrictEqual(Option.none())
      expect(yield* shutdown.remaining).toStrictEqual(Option.none())
      yield* TestClock.adjust(1000)
      yield* shutdown.request("SIGTERM")
      yield* TestClock.adjust(2000)
      yield* shutdown.request("SIGINT")
      expect(yield* shutdown.deadline).toStrictEqual(Option.some(6000))
      expect(yield* shutdown.remaining).toStrictEqual(Option.some(Duration.millis(3000)))
      assert.strictEqual(yield* shutdown.requested, "SIGTERM")
      yield* TestClock.adjust(10_000)
      expect(yield* shutdown.remaining).toStrictEqual(Option.some(Duration.zero))
    }))

  it.effect("a request may ask for less time than the grace, never more", () =>
    Effect.gen(function*() {
      const a = yield* Shutdown.make({ grace: "5 seconds" })
      yield* a.request("stdout closed", { grace: 0 })
      expect(yield* a.deadline).toStrictEqual(Option.some(0))
      const b = yield* Shutdown.make({ grace: "5 seconds" })
      yield* b.request("late", { grace: "1 hour" })
      expect(yield* b.deadline).toStrictEqual(Option.some(5000))
    }))

  it.effect("the drain phase ends at the deadline, counted from the request, not from run", () =>
    Effect.gen(function*() {
      const shutdown = yield* Shutdown.make({ grace: "5 seconds" })
      yield* shutdown.register("drain", "forever", Effect.never)
      yield* shutdown.request("SIGINT")
      yield* TestClock.adjust(3000)
      const fiber = yield* Effect.fork(Effect.zip(shutdown.run(), now))
      yield* TestClock.adjust(2000)
      const [report, at] = yield* Fiber.join(fiber)
      assert.strictEqual(at, 5000)
      assert.isFalse(report.drainedInTime)
      expect(report.steps.map((s) => [s.phase, s.outcome])).toStrictEqual([["drain", "timedOut"]])
    }))

  it.effect("run without a request requests it ('shutdown') and fixes the deadline then", () =>
    Effect.gen(function*() {
      const shutdown = yield* Shutdown.make({ grace: "2 seconds" })
      yield* TestClock.adjust(500)
      yield* shutdown.register("drain", "work", Effect.flatMap(Deadline.remaining, (r) => Effect.log(r)))
      const report = yield* shutdown.run()
      assert.strictEqual(report.reason, "shutdown")
      expect(yield* shutdown.deadline).toStrictEqual(Option.some(2500))
    }))

  it.effect("a negative or infinite grace is a defect naming Shutdown.make", () =>
    Effect.gen(function*() {
      for (const grace of [-1, Infinity, "soon"] as const) {
        const exit = yield* Effect.exit(Shutdown.make({ grace: grace as Duration.DurationInput }))
        assert.isTrue(exit._tag === "Failure")
        assert.match(String(exit._tag === "Failure" ? exit.cause : ""), /Shutdown\.make/)
      }
    }))

  it.scoped("an Executor's drain inside a shutdown ends by the shutdown's deadline, whatever its own grace", () =>
    Effect.gen(function*() {
      const shutdown = yield* Shutdown.make({ grace: "2 seconds" })
      const executor = yield* Executor.make({ concurrency: 1 })
      yield* executor.submit({ name: "long", effect: Effect.sleep("1 hour") })
      yield* executor.submit({ name: "next", effect: Effect.void })
      yield* shutdown.request("SIGTERM")
      yield* TestClock.adjust(500)
      const fiber = yield* Effect.fork(
        Effect.zip(executor.drain({ grace: "10 seconds" }), now).pipe(
          Effect.provideService(Shutdown.Shutdown, shutdown)
        )
      )
      yield* TestClock.adjust(1500)
      const [report, at] = yield* Fiber.join(fiber)
      assert.strictEqual(at, 2000)
      assert.isFalse(report.completedInTime)
      expect([report.interrupted.map((u) => u.spec.name), report.neverRan.map((u) => u.spec.name)]).toStrictEqual([
        ["long"],
        ["next"]
      ])
    }))
})
