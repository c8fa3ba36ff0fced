import { assert, describe, expect, it } from "@effect/vitest"
import { Concurrent, Orphans, TaskGroup } from "@taskscope/core"
import { Cause, Chunk, Effect, Exit, Fiber, Option, Ref, Stream, TestClock } from "effect"
import { defectMessage, exitAfter, now, runFor } from "./helpers.js"

const after = <A>(ms: number, value: A) => Effect.sleep(ms).pipe(Effect.as(value))
const failAfter = (ms: number, error: string) => Effect.sleep(ms).pipe(Effect.zipRight(Effect.fail(error)))

describe("Concurrent.gather", () => {
  it.effect("returns results in input order, running concurrently", () =>
    Effect.gen(function*() {
      const fiber = yield* runFor(
        Concurrent.gather([after(300, "a"), after(100, "b"), after(200, "c")]).pipe(Effect.zip(now)),
        "300 millis"
      )
      expect(yield* Fiber.join(fiber)).toStrictEqual([["a", "b", "c"], 300])
    }))

  it.effect("fails fast with the first error and cancels the others, whose cleanup has run", () =>
    Effect.gen(function*() {
      const probe = Orphans.makeProbe()
      const exit = yield* exitAfter(
        Concurrent.gather([
          probe.guard("slow", after(1000, 1)),
          failAfter(100, "boom"),
          probe.guard("never", Effect.never)
        ]),
        "100 millis"
      )
      expect(exit).toStrictEqual(Exit.fail("boom"))
      yield* probe.verify
      assert.strictEqual((yield* probe.counts).size, 2)
    }))

  it.effect("respects concurrency", () =>
    Effect.gen(function*() {
      const fiber = yield* runFor(
        Concurrent.gather(Array.from({ length: 6 }, (_, i) => after(100, i)), { concurrency: 2 }).pipe(Effect.zip(now)),
        "300 millis"
      )
      expect(yield* Fiber.join(fiber)).toStrictEqual([[0, 1, 2, 3, 4, 5], 300])
    }))

  it.effect("a bad concurrency is a programmer error (a defect naming it)", () =>
    Effect.gen(function*() {
      const message = yield* defectMessage(Concurrent.gather([Effect.void], { concurrency: 0 }))
      assert.match(
        message,
        /^Concurrent.gather: concurrency: Expected a positive integer, Infinity or "unbounded", actual 0/
      )
    }))

  it.effect("a cancelled child cancels the gather, as in asyncio", () =>
    Effect.gen(function*() {
      const exit = yield* exitAfter(Concurrent.gather([after(10, 1), Effect.interrupt]), "10 millis")
      assert.isTrue(Exit.isInterrupted(exit))
    }))
})

describe("Concurrent.settle", () => {
  it.effect("returns every outcome as a TaskResult, in input order", () =>
    Effect.gen(function*() {
      const fiber = yield* runFor(
        Concurrent.settle([
          after(100, "ok"),
          failAfter(50, "bad"),
          Effect.dieMessage("defect"),
          Effect.never.pipe(Effect.timeout(200)),
          Effect.interrupt
        ], { names: (i) => `job-${i}` }),
        "200 millis"
      )
      const results = yield* Fiber.join(fiber)
      expect(results.map((r) => [r.name, r._tag, r.endedAt])).toStrictEqual([
        ["job-0", "Succeeded", 100],
        ["job-1", "Failed", 50],
        ["job-2", "Failed", 0],
        ["job-3", "TimedOut", 200],
        ["job-4", "Cancelled", 0]
      ])
      const failed = results[1]
      assert.isTrue(failed._tag === "Failed" && Option.getOrNull(failed.error) === "bad")
    }))
})

describe("Concurrent.asCompleted", () => {
  it.effect("emits values in completion order", () =>
    Effect.gen(function*() {
      const fiber = yield* runFor(
        Stream.runCollect(Concurrent.asCompleted([after(300, "slow"), after(100, "fast"), after(200, "mid")])),
        "300 millis"
      )
      expect(Chunk.toReadonlyArray(yield* Fiber.join(fiber))).toStrictEqual(["fast", "mid", "slow"])
    }))

  it.effect("ends with the first error", () =>
    Effect.gen(function*() {
      const exit = yield* exitAfter(
        Stream.runCollect(Concurrent.asCompleted([after(300, "slow"), failAfter(100, "boom")])),
        "100 millis"
      )
      expect(exit).toStrictEqual(Exit.fail("boom"))
    }))
})

describe("Concurrent.wait", () => {
  const scenario = (returnWhen: Concurrent.ReturnWhen, timeout?: number) =>
    TaskGroup.scoped((group) =>
      Effect.gen(function*() {
        const a = yield* group.spawn(after(100, "a"), { name: "a" })
        const b = yield* group.spawn(failAfter(200, "b"), { name: "b" })
        const c = yield* group.spawn(after(300, "c"), { name: "c" })
        const { done, pending } = yield* Concurrent.wait(
          [a, b, c],
          timeout === undefined ? { returnWhen } : { returnWhen, timeout }
        )
        const at = yield* now
        const pendingStates = yield* Effect.forEach(pending, (t) => t.state)
        yield* Effect.forEach(pending, (t) => t.cancel)
        return { done: done.map((t) => t.name), pending: pending.map((t) => t.name), at, pendingStates }
      }), { mode: "supervise" })

  it.effect("firstCompleted", () =>
    Effect.gen(function*() {
      const r = yield* Fiber.join(yield* runFor(scenario("firstCompleted"), "300 millis"))
      expect(r).toStrictEqual({ done: ["a"], pending: ["b", "c"], at: 100, pendingStates: ["running", "running"] })
    }))

  it.effect("firstError", () =>
    Effect.gen(function*() {
      const r = yield* Fiber.join(yield* runFor(scenario("firstError"), "300 millis"))
      expect(r).toStrictEqual({ done: ["a", "b"], pending: ["c"], at: 200, pendingStates: ["running"] })
    }))

  it.effect("allCompleted", () =>
    Effect.gen(function*() {
      const r = yield* Fiber.join(yield* runFor(scenario("allCompleted"), "300 millis"))
      expect(r).toStrictEqual({ done: ["a", "b", "c"], pending: [], at: 300, pendingStates: [] })
    }))

  it.effect("timeout returns early without cancelling", () =>
    Effect.gen(function*() {
      const r = yield* Fiber.join(yield* runFor(scenario("allCompleted", 150), "300 millis"))
      expect(r).toStrictEqual({ done: ["a"], pending: ["b", "c"], at: 150, pendingStates: ["running", "running"] })
    }))
})

describe("Concurrent.firstSuccess", () => {
  it.effect("returns the first success; losers are cancelled", () =>
    Effect.gen(function*() {
      const probe = Orphans.makeProbe()
      const fiber = yield* runFor(
        Concurrent.firstSuccess([probe.guard("slow", after(300, "slow")), failAfter(50, "x"), after(100, "fast")]).pipe(
          Effect.zip(now)
        ),
        "100 millis"
      )
      expect(yield* Fiber.join(fiber)).toStrictEqual(["fast", 100])
      yield* probe.verify
    }))

  it.effect("fails with every failure when all fail; with NoSuchElementException when empty", () =>
    Effect.gen(function*() {
      const exit = yield* exitAfter(Concurrent.firstSuccess([failAfter(10, "a"), failAfter(20, "b")]), "20 millis")
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) expect(Array.from(Cause.failures(exit.cause)).sort()).toStrictEqual(["a", "b"])
      const empty = yield* Effect.flip(Concurrent.firstSuccess(new Array<Effect.Effect<void>>()))
      assert.isTrue(Cause.isNoSuchElementException(empty))
    }))
})

describe("Concurrent.hedge", () => {
  const request = (latencies: Array<number>, log: Ref.Ref<Array<string>>) => {
    let attempt = 0
    return Effect.suspend(() => {
      const i = attempt++
      return Effect.gen(function*() {
        yield* Ref.update(log, (l) => [...l, `start ${i} @${0}`])
        yield* Effect.sleep(latencies[i])
        return i
      }).pipe(Effect.onInterrupt(() => Ref.update(log, (l) => [...l, `cancel ${i}`])))
    })
  }

  it.effect("does not start a backup when the first attempt is fast", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<Array<string>>([])
      const fiber = yield* runFor(
        Concurrent.hedge(request([50, 10], log), { delay: 100 }).pipe(Effect.zip(now)),
        "50 millis"
      )
      expect(yield* Fiber.join(fiber)).toStrictEqual([0, 50])
      expect(yield* Ref.get(log)).toStrictEqual(["start 0 @0"])
    }))

  it.effect("starts a backup after the delay and keeps the first success", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<Array<string>>([])
      const fiber = yield* runFor(
        Concurrent.hedge(request([1000, 50], log), { delay: 100 }).pipe(Effect.zip(now)),
        "150 millis"
      )
      expect(yield* Fiber.join(fiber)).toStrictEqual([1, 150])
      expect(yield* Ref.get(log)).toStrictEqual(["start 0 @0", "start 1 @0", "cancel 0"])
    }))

  it.effect("a failed attempt starts the next one at once", () =>
    Effect.gen(function*() {
      let attempt = 0
      const flaky = Effect.suspend(() => attempt++ === 0 ? failAfter(10, "first failed") : after(20, "second"))
      const fiber = yield* runFor(
        Concurrent.hedge(flaky, { delay: 1000, attempts: 3 }).pipe(Effect.zip(now)),
        "30 millis"
      )
      expect(yield* Fiber.join(fiber)).toStrictEqual(["second", 30])
    }))

  it.effect("a function is given each attempt's number, when that attempt starts", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<Array<string>>([])
      // the first attempt hangs, the first backup fails at 150 ms (starting the next at once), the
      // second backup answers
      const attempt = (n: number) =>
        Effect.zipRight(
          Effect.flatMap(now, (at) => Ref.update(log, (l) => [...l, `attempt ${n} @${at}`])),
          n === 1 ? Effect.never : n === 2 ? failAfter(50, "backup failed") : after(10, `answer of ${n}`)
        )
      const fiber = yield* runFor(
        Concurrent.hedge(attempt, { delay: 100, attempts: 4 }).pipe(Effect.zip(now)),
        "160 millis"
      )
      expect(yield* Fiber.join(fiber)).toStrictEqual(["answer of 3", 160])
      expect(yield* Ref.get(log)).toStrictEqual(["attempt 1 @0", "attempt 2 @100", "attempt 3 @150"])
    }))

  it.effect("an attempt that never starts is never made: the function is not called for it", () =>
    Effect.gen(function*() {
      const made: Array<number> = []
      const attempt = (n: number) => {
        made.push(n)
        return after(30, n)
      }
      const fiber = yield* runFor(Concurrent.hedge(attempt, { delay: 100, attempts: 3 }), "30 millis")
      assert.strictEqual(yield* Fiber.join(fiber), 1)
      expect(made).toStrictEqual([1])
    }))

  it.effect("rejects a bad delay or attempts", () =>
    Effect.gen(function*() {
      const bad = yield* defectMessage(Concurrent.hedge(Effect.void, { delay: "soon" as "1 second" }))
      assert.match(bad, /^Concurrent.hedge: delay: Expected a finite, non-negative duration/)
      const zero = yield* defectMessage(Concurrent.hedge(Effect.void, { delay: 10, attempts: 0 }))
      assert.match(zero, /attempts/)
      yield* TestClock.adjust(0)
    }))
})
