/**
 * Deadlines and retries on the TestClock: each test calls the Promise API from an Effect through
 * `toEffect`, so the calls run on the test's clock and `TestClock.adjust` drives them.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import {
  CancelledError,
  deadlineOf,
  gather,
  moveOnAfter,
  remaining,
  retry,
  SuppressedError,
  TaskGroup,
  TimeoutError,
  toEffect,
  withTimeout
} from "@taskscope/promise"
import { Effect, Exit, Fiber, TestClock } from "effect"
import { RateLimitError, tick, untilAborted } from "./helpers.js"

/** Lets promise callbacks run (a real turn of the event loop, no timer). */
const settle = Effect.promise(() => tick())

/** Forks the promise-returning `f` as an Effect on the test's clock. */
const start = <A>(f: (signal: AbortSignal) => Promise<A>) => Effect.fork(toEffect(f))

const isDone = <A, E>(fiber: Fiber.RuntimeFiber<A, E>) => Effect.map(fiber.poll, (o) => o._tag === "Some")

describe("withTimeout", () => {
  it.effect("aborts the function's signal with a TimeoutError when the time is up, then rejects with one", () =>
    Effect.gen(function*() {
      let reason: unknown
      const fiber = yield* start((signal) =>
        withTimeout(1_000, (inner) => untilAborted(inner).catch((e) => (reason = e, Promise.reject(e))), { signal })
      )
      yield* settle
      yield* TestClock.adjust(999)
      yield* settle
      assert.isFalse(yield* isDone(fiber))
      yield* TestClock.adjust(1)
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) ? (exit.cause as any).error : undefined
      assert.instanceOf(error, TimeoutError)
      assert.instanceOf(reason, TimeoutError)
    }))

  it.effect("waits for the function to stop before rejecting", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      let release!: () => void
      const fiber = yield* start((signal) =>
        withTimeout(100, async (inner) => {
          await untilAborted(inner).catch(() => log.push("aborted"))
          await new Promise<void>((resolve) => (release = resolve))
          log.push("cleaned up")
        }, { signal }).catch((e) => {
          log.push(`rejected: ${(e as Error).name}`)
        })
      )
      yield* settle
      yield* TestClock.adjust(100)
      yield* settle
      expect(log).toStrictEqual(["aborted"])
      release()
      yield* Fiber.join(fiber)
      expect(log).toStrictEqual(["aborted", "cleaned up", "rejected: TimeoutError"])
    }))

  it.effect("a failure of the cleanup is kept: a SuppressedError beside the TimeoutError", () =>
    Effect.gen(function*() {
      const cleanup = new Error("cleanup failed")
      const fiber = yield* start((signal) =>
        withTimeout(10, async (inner) => {
          await untilAborted(inner).catch(() => {})
          throw cleanup
        }, { signal }).catch((e) => e)
      )
      yield* settle
      yield* TestClock.adjust(10)
      const error = yield* Fiber.join(fiber)
      assert.instanceOf(error, SuppressedError)
      assert.strictEqual((error as SuppressedError).error, cleanup)
      assert.instanceOf((error as SuppressedError).suppressed, TimeoutError)
    }))

  it.effect("the function's own error comes out unchanged when it fails first", () =>
    Effect.gen(function*() {
      const thrown = new RateLimitError(1)
      const fiber = yield* start((signal) =>
        withTimeout(1_000, async () => {
          throw thrown
        }, { signal }).catch((e) => e)
      )
      assert.strictEqual(yield* Fiber.join(fiber), thrown)
    }))

  it.effect("an inner deadline never extends an outer one; remaining tells what is left", () =>
    Effect.gen(function*() {
      const seen: Array<number | undefined> = []
      const fiber = yield* start((signal) =>
        withTimeout(1_000, (outer) =>
          withTimeout(60_000, async (inner) => {
            seen.push(remaining(inner), deadlineOf(inner))
            return untilAborted(inner)
          }, { signal: outer }), { signal }).catch((e) => e)
      )
      yield* settle
      yield* TestClock.adjust(1_000)
      const error = yield* Fiber.join(fiber)
      assert.instanceOf(error, TimeoutError)
      expect(seen).toStrictEqual([1_000, 1_000])
    }))

  it.effect("a deadline reaches the children of a task group as their signals", () =>
    Effect.gen(function*() {
      const reasons: Array<unknown> = []
      const fiber = yield* start((signal) =>
        withTimeout(500, (outer) =>
          TaskGroup.run(async (group) => {
            for (let i = 0; i < 3; i++) {
              group.spawn(async (child) => {
                await untilAborted(child).catch((e) => reasons.push(e))
              })
            }
          }, { signal: outer }), { signal }).catch((e) => e)
      )
      yield* settle
      yield* TestClock.adjust(500)
      assert.instanceOf(yield* Fiber.join(fiber), TimeoutError)
      assert.strictEqual(reasons.length, 3)
      for (const reason of reasons) assert.instanceOf(reason, TimeoutError)
    }))

  it("rejects a duration that is not one, naming the function", async () => {
    const error = await withTimeout(Number.NaN, async () => 1).catch((e) => e)
    assert.instanceOf(error, TypeError)
    assert.match((error as Error).message, /^withTimeout: Expected a duration/)
  })
})

describe("moveOnAfter", () => {
  it.effect("resolves with undefined when its own deadline passes", () =>
    Effect.gen(function*() {
      const fiber = yield* start((signal) => moveOnAfter("1 second", (inner) => untilAborted(inner), { signal }))
      yield* settle
      yield* TestClock.adjust("1 second")
      assert.isUndefined(yield* Fiber.join(fiber))
    }))

  it.effect("resolves with the value when the function is in time", () =>
    Effect.gen(function*() {
      const fiber = yield* start((signal) => moveOnAfter(1_000, async () => "in time", { signal }))
      assert.strictEqual(yield* Fiber.join(fiber), "in time")
    }))
})

describe("retry", () => {
  it.effect("waits out a Retry-After in seconds exactly, not the backoff", () =>
    Effect.gen(function*() {
      const attempts: Array<number> = []
      const fiber = yield* start((signal) =>
        retry(async (_signal, attempt) => {
          attempts.push(attempt)
          if (attempt === 1) throw new RateLimitError(30) // retryAfter: 30 (seconds)
          return "ok"
        }, { signal, base: 10, maxAttempts: 3 })
      )
      yield* settle
      expect(attempts).toStrictEqual([1])
      yield* TestClock.adjust("29999 millis")
      yield* settle
      expect(attempts).toStrictEqual([1])
      yield* TestClock.adjust(1)
      assert.strictEqual(yield* Fiber.join(fiber), "ok")
      expect(attempts).toStrictEqual([1, 2])
    }))

  it.effect("honours a Retry-After header value as it comes (a string of seconds)", () =>
    Effect.gen(function*() {
      let calls = 0
      const fiber = yield* start((signal) =>
        retry(async () => {
          if (++calls === 1) throw Object.assign(new Error("429"), { retryAfter: "5" })
          return calls
        }, { signal })
      )
      yield* settle
      yield* TestClock.adjust(4_999)
      yield* settle
      assert.strictEqual(calls, 1)
      yield* TestClock.adjust(1)
      assert.strictEqual(yield* Fiber.join(fiber), 2)
    }))

  it.effect("rejects with the last error as thrown when the policy gives up", () =>
    Effect.gen(function*() {
      const errors = [new Error("1"), new Error("2"), new Error("3")]
      const fiber = yield* start((signal) =>
        retry(async (_s, attempt) => {
          throw errors[attempt - 1]
        }, { signal, maxAttempts: 3, base: 100, jitter: "none" }).catch((e) => e)
      )
      yield* settle
      yield* TestClock.adjust(100)
      yield* settle
      yield* TestClock.adjust(200)
      assert.strictEqual(yield* Fiber.join(fiber), errors[2])
    }))

  it.effect("never sleeps past the enclosing deadline: the last error comes out at once", () =>
    Effect.gen(function*() {
      const thrown = new RateLimitError(60)
      const fiber = yield* start((signal) =>
        withTimeout(10_000, (outer) =>
          retry(async () => {
            throw thrown
          }, { signal: outer }), { signal }).catch((e) => e)
      )
      // no clock adjustment: a 60 s Retry-After cannot fit in a 10 s deadline
      assert.strictEqual(yield* Fiber.join(fiber), thrown)
    }))

  it.effect("only retries what `while` accepts", () =>
    Effect.gen(function*() {
      let calls = 0
      const fatal = new TypeError("fatal")
      const fiber = yield* start((signal) =>
        retry(async () => {
          calls++
          throw fatal
        }, { signal, while: (e) => !(e instanceof TypeError) }).catch((e) => e)
      )
      assert.strictEqual(yield* Fiber.join(fiber), fatal)
      assert.strictEqual(calls, 1)
    }))

  it.effect("gives each attempt a fresh signal, and the caller's signal stops it all", () =>
    Effect.gen(function*() {
      const signals: Array<AbortSignal> = []
      let outcome: unknown
      const fiber = yield* start((signal) =>
        retry(async (attemptSignal) => {
          signals.push(attemptSignal)
          throw new Error("again")
        }, { signal, maxAttempts: Infinity, base: 1_000, jitter: "none" }).catch((e) => {
          outcome = e
          throw e
        })
      )
      yield* settle
      yield* TestClock.adjust(1_000)
      yield* settle
      assert.strictEqual(signals.length, 2)
      assert.notStrictEqual(signals[0], signals[1])
      // interrupting the test's fiber aborts the signal it gave: the retrying stops at once
      yield* Fiber.interrupt(fiber)
      assert.instanceOf(outcome, CancelledError)
      assert.strictEqual(signals.length, 2)
    }))
})

describe("nested calls inherit the deadline through the signal", () => {
  it.effect("gather under withTimeout: every function is aborted at the deadline", () =>
    Effect.gen(function*() {
      const fiber = yield* start((signal) =>
        withTimeout(100, (outer) =>
          gather([
            (inner) => untilAborted(inner),
            (inner) => untilAborted(inner)
          ], { signal: outer }), { signal }).catch((e) => e)
      )
      yield* settle
      yield* TestClock.adjust(100)
      assert.instanceOf(yield* Fiber.join(fiber), TimeoutError)
    }))
})
