import { assert, describe, expect, it } from "@effect/vitest"
import { Concurrent, Deadline, Retry, TaskGroup } from "@taskscope/core"
import { Data, Duration, Effect, Exit, Fiber, Option, Random, Ref, TestClock } from "effect"
import { defectMessage, exitAfter, now, runFor } from "./helpers.js"

class Busy extends Data.TaggedError("Busy")<{ readonly n: number }> {}
class RateLimited extends Data.TaggedError("RateLimited")<{ readonly retryAfter: Duration.DurationInput }> {}

/** Fails `failures` times (recording the time of each attempt), then succeeds. */
const flaky = (
  failures: number,
  times: Ref.Ref<Array<number>>,
  error: (n: number) => unknown = (n) => new Busy({ n })
) =>
  Effect.gen(function*() {
    const attempts = yield* Ref.updateAndGet(times, (t) => [...t, -1])
    const n = attempts.length
    yield* Ref.update(times, (t) => [...t.slice(0, -1), 0])
    const at = yield* now
    yield* Ref.update(times, (t) => [...t.slice(0, -1), at])
    if (n <= failures) return yield* Effect.fail(error(n))
    return n
  })

describe("Retry.retry", () => {
  it.effect("retries with exponential backoff and counts attempts", () =>
    Effect.gen(function*() {
      const times = yield* Ref.make<Array<number>>([])
      const fiber = yield* runFor(
        flaky(2, times).pipe(Retry.retry({ base: 100, jitter: "none", maxAttempts: 5 })),
        "300 millis"
      )
      assert.strictEqual(yield* Fiber.join(fiber), 3)
      expect(yield* Ref.get(times)).toStrictEqual([0, 100, 300])
    }))

  it.effect("full jitter draws each delay uniformly from [0, delay] (a fixed Random)", () =>
    Effect.gen(function*() {
      const times = yield* Ref.make<Array<number>>([])
      const fiber = yield* runFor(
        flaky(2, times).pipe(Retry.retry({ base: 100, maxAttempts: 5 }), Effect.withRandom(Random.fixed([0.5, 0.25]))),
        "1 second"
      )
      yield* Fiber.join(fiber)
      // floor(0.5 * 101) = 50, then floor(0.25 * 201) = 50
      expect(yield* Ref.get(times)).toStrictEqual([0, 50, 100])
    }))

  it.effect("a function is given the attempt's number: 1, then 2, 3… for the retries", () =>
    Effect.gen(function*() {
      const seen: Array<number> = []
      const attempt = (n: number) =>
        Effect.suspend(() => {
          seen.push(n)
          return n < 3 ? Effect.fail(new Busy({ n })) : Effect.succeed(`done on attempt ${n}`)
        })
      const fiber = yield* runFor(Retry.retry(attempt, { base: 100, jitter: "none", maxAttempts: 5 }), "300 millis")
      assert.strictEqual(yield* Fiber.join(fiber), "done on attempt 3")
      expect(seen).toStrictEqual([1, 2, 3])
      // data-last, in a pipe: the same numbers
      const again: Array<number> = []
      const piped = yield* runFor(
        Retry.retry<Busy>({ base: 10, jitter: "none", maxAttempts: 2 })((n: number) =>
          Effect.suspend(() => {
            again.push(n)
            return Effect.fail(new Busy({ n }))
          })
        ),
        "10 millis"
      )
      expect(yield* Fiber.await(piped)).toStrictEqual(Exit.fail(new Busy({ n: 2 })))
      expect(again).toStrictEqual([1, 2])
    }))

  it.effect("gives up after maxAttempts with the last error", () =>
    Effect.gen(function*() {
      const times = yield* Ref.make<Array<number>>([])
      const exit = yield* exitAfter(
        flaky(10, times).pipe(Retry.retry({ base: 10, jitter: "none", maxAttempts: 3 })),
        "1 second"
      )
      expect(exit).toStrictEqual(Exit.fail(new Busy({ n: 3 })))
      assert.strictEqual((yield* Ref.get(times)).length, 3)
    }))

  it.effect("caps each delay at maxDelay", () =>
    Effect.gen(function*() {
      const times = yield* Ref.make<Array<number>>([])
      yield* exitAfter(
        flaky(4, times).pipe(Retry.retry({ base: 100, factor: 10, maxDelay: 250, jitter: "none", maxAttempts: 10 })),
        "2 seconds"
      )
      expect(yield* Ref.get(times)).toStrictEqual([0, 100, 350, 600, 850])
    }))

  it.effect("stops when the predicate rejects the error; does not retry defects", () =>
    Effect.gen(function*() {
      const times = yield* Ref.make<Array<number>>([])
      const exit = yield* exitAfter(
        flaky(5, times).pipe(Retry.retry({ base: 10, jitter: "none", while: (e) => (e as Busy).n < 2 })),
        "1 second"
      )
      expect(exit).toStrictEqual(Exit.fail(new Busy({ n: 2 })))
      let calls = 0
      const dies = yield* exitAfter(
        Effect.suspend(() => (calls++, Effect.die("bug"))).pipe(Retry.retry({ base: 1 })),
        "1 second"
      )
      assert.isTrue(Exit.isFailure(dies))
      assert.strictEqual(calls, 1)
    }))

  it.effect("stops after maxElapsed", () =>
    Effect.gen(function*() {
      const times = yield* Ref.make<Array<number>>([])
      yield* exitAfter(
        flaky(100, times).pipe(
          Retry.retry({ base: 100, factor: 1, jitter: "none", maxAttempts: Infinity, maxElapsed: 350 })
        ),
        "2 seconds"
      )
      expect(yield* Ref.get(times)).toStrictEqual([0, 100, 200, 300, 400])
    }))

  it.effect("waits out a Retry-After exactly, to the millisecond", () =>
    Effect.gen(function*() {
      const times = yield* Ref.make<Array<number>>([])
      const fiber = yield* runFor(
        flaky(2, times, (n) => new RateLimited({ retryAfter: n === 1 ? Duration.millis(1234) : "2 seconds" })).pipe(
          Retry.retry({ base: 10, jitter: "none", maxAttempts: 5 })
        ),
        "3234 millis"
      )
      assert.strictEqual(yield* Fiber.join(fiber), 3)
      expect(yield* Ref.get(times)).toStrictEqual([0, 1234, 3234])
      expect(Retry.retryAfterOf({ [Retry.RetryAfter]: Duration.seconds(3) })).toStrictEqual(
        Retry.retryAfterOf({ retryAfter: "3 seconds" })
      )
    }))

  it("reads Python's spelling, retry_after, as it reads retryAfter (seconds for a number)", () => {
    expect(Retry.retryAfterOf({ retry_after: 3 })).toStrictEqual(Option.some(Duration.seconds(3)))
    expect(Retry.retryAfterOf({ retry_after: "2 seconds" })).toStrictEqual(Option.some(Duration.seconds(2)))
    expect(Retry.retryAfterOf({ other: 3 })).toStrictEqual(Option.none())
  })

  it.effect("never sleeps past the deadline: the last error comes out when the next attempt cannot start in time", () =>
    Effect.gen(function*() {
      const times = yield* Ref.make<Array<number>>([])
      const fiber = yield* runFor(
        flaky(10, times).pipe(
          Retry.retry({ base: 400, jitter: "none", maxAttempts: 10 }),
          Deadline.within("1 second"),
          Effect.either,
          Effect.zip(now)
        ),
        "1 second"
      )
      const [result, at] = yield* Fiber.join(fiber)
      // attempts at 0 and 400; the next would start at 1200, after the deadline at 1000
      expect(yield* Ref.get(times)).toStrictEqual([0, 400])
      assert.strictEqual(at, 400)
      expect(result._tag === "Left" && result.left).toStrictEqual(new Busy({ n: 2 }))
    }))

  it.effect("attempts are visible in TaskResult, in unbounded and bounded groups", () =>
    Effect.gen(function*() {
      const a = yield* Ref.make<Array<number>>([])
      const b = yield* Ref.make<Array<number>>([])
      const c = yield* Ref.make<Array<number>>([])
      const policy = { base: 10, jitter: "none", maxAttempts: 5 } as const
      const results = yield* Fiber.join(
        yield* runFor(
          Concurrent.settle([
            flaky(2, a).pipe(Retry.retry(policy)),
            flaky(0, b).pipe(Retry.retry(policy)),
            flaky(10, c).pipe(Retry.retry(policy))
          ], { concurrency: 2 }),
          "1 second"
        )
      )
      expect(results.map((r) => [r._tag, r.attempts])).toStrictEqual([["Succeeded", 3], ["Succeeded", 1], [
        "Failed",
        5
      ]])
      const d = yield* Ref.make<Array<number>>([])
      const unbounded = yield* Fiber.join(
        yield* runFor(
          TaskGroup.scoped((group) =>
            Effect.flatMap(group.spawn(flaky(3, d).pipe(Retry.retry(policy))), (t) => t.result)
          ),
          "1 second"
        )
      )
      assert.strictEqual(unbounded.attempts, 4)
    }))

  it.effect("a malformed policy is a programmer error (a defect naming the field)", () =>
    Effect.gen(function*() {
      const error = yield* defectMessage(Effect.void.pipe(Retry.retry({ maxAttempts: 0 })))
      assert.match(error, /^Retry.retry: maxAttempts: Expected a positive integer or Infinity, actual 0/)
      const base = yield* defectMessage(Effect.void.pipe(Retry.retry({ base: -1 })))
      assert.match(base, /base/)
      yield* TestClock.adjust(0)
    }))
})
