import { assert, describe, expect, it } from "@effect/vitest"
import { Deadline, Orphans, TaskGroup } from "@taskscope/core"
import { Cause, Duration, Effect, Exit, Fiber, Option, Ref, Runtime, TestClock } from "effect"
import { defectMessage, exitAfter, now, runFor } from "./helpers.js"

const remainingMillis = Effect.map(Deadline.remaining, Option.map(Duration.toMillis))

const timeoutOf = <A, E>(exit: Exit.Exit<A, E>): Deadline.TimeoutError | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const error = Cause.squash(exit.cause)
  return error instanceof Deadline.TimeoutError ? error : undefined
}

describe("Deadline.within", () => {
  it.effect("a fast body returns its value", () =>
    Effect.gen(function*() {
      const exit = yield* exitAfter(
        Effect.succeed("v").pipe(Effect.delay(500), Deadline.within("1 second")),
        "500 millis"
      )
      expect(exit).toStrictEqual(Exit.succeed("v"))
    }))

  it.effect("a slow body is interrupted, its finalizers run, and the caller gets a TimeoutError", () =>
    Effect.gen(function*() {
      const probe = Orphans.makeProbe()
      const fiber = yield* runFor(
        probe.guard("body", Effect.sleep(5000)).pipe(Deadline.within("1 second"), Effect.either, Effect.zip(now)),
        "1 second"
      )
      const [result, at] = yield* Fiber.join(fiber)
      assert.strictEqual(at, 1000)
      assert.isTrue(result._tag === "Left" && result.left._tag === "TimeoutError")
      if (result._tag === "Left" && result.left._tag === "TimeoutError") {
        assert.strictEqual(result.left.deadline, 1000)
        assert.strictEqual(Duration.toMillis(result.left.elapsed), 1000)
        assert.match(result.left.message, /Deadline exceeded: the operation was stopped after 1s/)
      }
      yield* probe.verify
    }))

  it.effect("the effect's own error comes out unchanged when it fails first", () =>
    Effect.gen(function*() {
      const exit = yield* exitAfter(
        Effect.fail("own").pipe(Effect.delay(100), Deadline.within("1 second")),
        "100 millis"
      )
      expect(exit).toStrictEqual(Exit.fail("own"))
    }))

  it.effect("zero or negative durations time out at the first yield", () =>
    Effect.gen(function*() {
      for (const d of [0, -5]) {
        const noYield = yield* exitAfter(Effect.succeed("sync").pipe(Deadline.within(d)), 0)
        expect(noYield).toStrictEqual(Exit.succeed("sync"))
        const yields = yield* exitAfter(Effect.sleep(10).pipe(Deadline.within(d)), 0)
        assert.isDefined(timeoutOf(yields))
      }
    }))

  it.effect("NaN or garbage is a programmer error; Infinity is no deadline", () =>
    Effect.gen(function*() {
      for (const d of [Number.NaN, -Infinity, "soon" as Duration.DurationInput]) {
        const message = yield* defectMessage(Deadline.within(Effect.void, d))
        assert.match(message, /^Deadline.within: Expected a duration/)
      }
      for (const d of [Infinity, Duration.infinity]) {
        expect(yield* exitAfter(Effect.succeed(1).pipe(Deadline.within(d)), 0)).toStrictEqual(Exit.succeed(1))
      }
    }))

  it.effect("cleanup that fails: that failure comes first, the TimeoutError beside it", () =>
    Effect.gen(function*() {
      const exit = yield* exitAfter(
        Effect.never.pipe(Effect.ensuring(Effect.die("flush failed")), Deadline.within("1 second")),
        "1 second"
      )
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        expect(Array.from(Cause.defects(exit.cause))).toStrictEqual(["flush failed"])
        expect(Array.from(Cause.failures(exit.cause)).map((e) => e._tag)).toStrictEqual(["TimeoutError"])
      }
    }))

  it.effect("cleanup that takes time delays the TimeoutError until it is done", () =>
    Effect.gen(function*() {
      const fiber = yield* runFor(
        Effect.never.pipe(
          Effect.ensuring(Effect.sleep(300)),
          Deadline.within("1 second"),
          Effect.either,
          Effect.zip(now)
        ),
        "1299 millis"
      )
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust(1)
      const [result, at] = yield* Fiber.join(fiber)
      assert.strictEqual(at, 1300)
      assert.isTrue(
        result._tag === "Left" && Duration.toMillis((result.left as Deadline.TimeoutError).elapsed) === 1300
      )
    }))

  it.effect("nested: a shorter inner deadline reports in the inner scope", () =>
    Effect.gen(function*() {
      const fiber = yield* runFor(
        Effect.sleep(5000).pipe(
          Deadline.within("1 second"),
          Effect.catchTag("TimeoutError", () => Effect.succeed("inner caught")),
          Deadline.within("3 seconds")
        ),
        "1 second"
      )
      assert.strictEqual(yield* Fiber.join(fiber), "inner caught")
    }))

  it.effect("nested: an inner deadline can never extend an outer one; the outer scope reports", () =>
    Effect.gen(function*() {
      for (const inner of ["10 seconds", "2 seconds"] as const) {
        const start = yield* now
        const seen = yield* Ref.make<Option.Option<number>>(Option.none())
        const fiber = yield* runFor(
          remainingMillis.pipe(
            Effect.flatMap((r) => Ref.set(seen, r)),
            Effect.zipRight(Effect.sleep(5000)),
            Deadline.within(inner),
            Effect.catchTag("TimeoutError", () => Effect.succeed("inner caught")),
            Deadline.within("2 seconds"),
            Effect.either,
            Effect.zip(now)
          ),
          "2 seconds"
        )
        const [result, at] = yield* Fiber.join(fiber)
        assert.strictEqual(at - start, 2000)
        assert.isTrue(result._tag === "Left" && result.left._tag === "TimeoutError", `inner ${inner}`)
        expect(yield* Ref.get(seen)).toStrictEqual(Option.some(2000))
      }
    }))

  it.effect("remaining decreases as virtual time passes, and is none when unbounded", () =>
    Effect.gen(function*() {
      expect(yield* remainingMillis).toStrictEqual(Option.none())
      const fiber = yield* Effect.fork(
        Effect.gen(function*() {
          const a = yield* remainingMillis
          yield* Effect.sleep(1500)
          const b = yield* remainingMillis
          return [a, b, yield* Deadline.current]
        }).pipe(Deadline.within("4 seconds"))
      )
      yield* TestClock.adjust(1500)
      expect(yield* Fiber.join(fiber)).toStrictEqual([Option.some(4000), Option.some(2500), Option.some(4000)])
    }))

  it.effect("propagates into TaskGroup children, grandchildren and plain forks, which are stopped with cleanup", () =>
    Effect.gen(function*() {
      const probe = Orphans.makeProbe()
      const seen = yield* Ref.make<Array<Option.Option<number>>>([])
      const record = Effect.flatMap(remainingMillis, (r) => Ref.update(seen, (s) => [...s, r]))
      const fiber = yield* runFor(
        TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            yield* Effect.sleep(100)
            yield* group.spawn(
              probe.guard(
                "child",
                Effect.gen(function*() {
                  yield* record
                  yield* group.spawn(probe.guard("grandchild", Effect.zipRight(record, Effect.never)))
                  yield* Effect.fork(Effect.zipRight(record, Effect.never))
                  yield* Effect.sleep(100)
                  yield* TaskGroup.scoped((inner) =>
                    inner.spawn(probe.guard("nested", Effect.zipRight(record, Effect.never)))
                  )
                })
              )
            )
          })
        ).pipe(Deadline.within("1 second"), Effect.either, Effect.zip(now)),
        "1 second"
      )
      const [result, at] = yield* Fiber.join(fiber)
      assert.isTrue(result._tag === "Left" && result.left._tag === "TimeoutError")
      assert.strictEqual(at, 1000)
      expect(yield* Ref.get(seen)).toStrictEqual([
        Option.some(900),
        Option.some(900),
        Option.some(900),
        Option.some(800)
      ])
      yield* probe.verify
    }))
})

describe("Deadline.moveOnAfter", () => {
  it.effect("returns none when its own deadline passes, some otherwise", () =>
    Effect.gen(function*() {
      const slow = yield* exitAfter(Effect.sleep(5000).pipe(Effect.as(1), Deadline.moveOnAfter("1 second")), "1 second")
      expect(slow).toStrictEqual(Exit.succeed(Option.none()))
      const fast = yield* exitAfter(Effect.succeed(2).pipe(Deadline.moveOnAfter("1 second")), 0)
      expect(fast).toStrictEqual(Exit.succeed(Option.some(2)))
    }))

  it.effect("an outer deadline still fails as the outer scope", () =>
    Effect.gen(function*() {
      const exit = yield* exitAfter(
        Effect.sleep(5000).pipe(Deadline.moveOnAfter("3 seconds"), Deadline.within("1 second")),
        "1 second"
      )
      assert.isDefined(timeoutOf(exit))
    }))
})

describe("Deadline.at", () => {
  it.effect("takes an absolute instant", () =>
    Effect.gen(function*() {
      const exit = yield* exitAfter(Effect.sleep(5000).pipe(Deadline.at(new Date(750))), "750 millis")
      assert.strictEqual(timeoutOf(exit)?.deadline, 750)
      const bad = yield* defectMessage(Deadline.at(Effect.void, new Date(Number.NaN)))
      assert.match(bad, /^Deadline.at: Expected an instant/)
    }))
})

describe("Deadline.shield", () => {
  it.effect("cleanup runs to completion past the deadline and past interruption", () =>
    Effect.gen(function*() {
      const flushed = yield* Ref.make(false)
      const fiber = yield* runFor(
        Effect.never.pipe(
          Effect.ensuring(Deadline.shield(Effect.sleep(2000).pipe(Effect.zipRight(Ref.set(flushed, true))))),
          Deadline.within("1 second"),
          Effect.either,
          Effect.zip(now)
        ),
        "3 seconds"
      )
      const [result, at] = yield* Fiber.join(fiber)
      assert.isTrue(result._tag === "Left")
      assert.strictEqual(at, 3000)
      assert.isTrue(yield* Ref.get(flushed))
    }))

  it.effect("its own bound applies, and is not shortened by the outer deadline", () =>
    Effect.gen(function*() {
      const seen = yield* Ref.make<Option.Option<number>>(Option.none())
      const fiber = yield* runFor(
        Deadline.shield(
          remainingMillis.pipe(Effect.flatMap((r) => Ref.set(seen, r)), Effect.zipRight(Effect.sleep(10_000))),
          { timeout: "5 seconds" }
        ).pipe(
          Effect.catchTag("TimeoutError", (e) => Effect.succeed(`shield's own bound: ${e.deadline}`)),
          Deadline.within("1 second"),
          Effect.either,
          Effect.zip(now)
        ),
        "5 seconds"
      )
      const [result, at] = yield* Fiber.join(fiber)
      expect(yield* Ref.get(seen)).toStrictEqual(Option.some(5000))
      assert.strictEqual(at, 5000)
      // the shielded work ran to its own bound; then the outer deadline, long passed, is reported
      assert.isTrue(result._tag === "Left" && result.left._tag === "TimeoutError" && result.left.deadline === 1000)
    }))
})

describe("Deadline.unsafeRuntimeAt", () => {
  it.effect("effects run on it see the deadline, inner deadlines never outlive it, and end() lifts it", () =>
    Effect.gen(function*() {
      const base = yield* Effect.runtime<never>()
      const { end, runtime } = Deadline.unsafeRuntimeAt(base, 1_000)
      const run = Runtime.runSync(runtime)
      expect(run(Deadline.current)).toStrictEqual(Option.some(1_000))
      // an inner deadline that is later is bounded by it; an earlier one wins
      const later = Runtime.runFork(runtime)(Deadline.within(remainingMillis, "5 seconds"))
      const earlier = Runtime.runFork(runtime)(Deadline.within(remainingMillis, "200 millis"))
      expect(yield* Fiber.join(later)).toStrictEqual(Option.some(1_000))
      expect(yield* Fiber.join(earlier)).toStrictEqual(Option.some(200))
      // the deadline does not fire on its own: work on it runs past the instant
      const past = Runtime.runFork(runtime)(Effect.as(Effect.sleep("2 seconds"), "ran past"))
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual(yield* Fiber.join(past), "ran past")
      end()
      expect(run(Deadline.current)).toStrictEqual(Option.none())
      // the runtime it came from never saw it
      expect(Runtime.runSync(base)(Deadline.current)).toStrictEqual(Option.none())
    }))
})
