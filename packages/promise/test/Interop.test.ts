import { assert, describe, expect, it } from "@effect/vitest"
import {
  CancelledError,
  Executor,
  hedge,
  runPromise,
  TaskGroup,
  TimeoutError,
  toEffect,
  withDeadline
} from "@taskscope/promise"
import { Data, Effect, Exit, Fiber, TestClock } from "effect"
import { rejection, tick, ticks, untilAborted } from "./helpers.js"

class NotFound extends Data.TaggedError("NotFound")<{ readonly id: number }> {}

const settle = Effect.promise(() => tick())

describe("toEffect", () => {
  it.effect("interrupting the Effect aborts the function's signal and waits for its cleanup", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const fiber = yield* Effect.fork(toEffect(async (signal) => {
        try {
          await untilAborted(signal)
        } finally {
          await ticks(2)
          log.push(`cleaned up (${(signal.reason as Error).name})`)
        }
      }))
      yield* settle
      yield* Fiber.interrupt(fiber)
      expect(log).toStrictEqual(["cleaned up (AbortError)"])
    }))

  it.effect("what the function throws is the Effect's failure, as thrown", () =>
    Effect.gen(function*() {
      const thrown = new RangeError("bad")
      const exit = yield* Effect.exit(toEffect(async () => {
        throw thrown
      }))
      expect(exit).toStrictEqual(Exit.fail(thrown))
    }))
})

describe("runPromise", () => {
  it("rejects with a typed failure as it was failed, never a FiberFailure", async () => {
    const error = await rejection(runPromise(Effect.fail(new NotFound({ id: 7 }))))
    assert.instanceOf(error, NotFound)
    assert.strictEqual((error as NotFound).id, 7)
  })

  it("a defect is thrown as it was; a FiberFailure from a nested Effect.runPromise is unwrapped", async () => {
    const defect = new TypeError("bug")
    assert.strictEqual(await rejection(runPromise(Effect.die(defect))), defect)
    const nested = await rejection(TaskGroup.run((group) => {
      group.spawn(() => Effect.runPromise(Effect.fail(new NotFound({ id: 1 }))))
    }))
    assert.instanceOf(nested, NotFound)
  })

  it("aborting the signal interrupts it; it rejects with the reason", async () => {
    const controller = new AbortController()
    const run = runPromise(Effect.never, { signal: controller.signal })
    await tick()
    controller.abort("stop")
    assert.strictEqual(await rejection(run), "stop")
  })

  it("an interruption with no signal rejects with CancelledError", async () => {
    assert.instanceOf(await rejection(runPromise(Effect.interrupt)), CancelledError)
  })
})

describe("TaskGroup.run: the body fails", () => {
  it("a body that throws cancels the children and rejects with its error after their cleanup", async () => {
    const log: Array<string> = []
    const thrown = new Error("body failed")
    const error = await rejection(TaskGroup.run(async (group) => {
      group.spawn(async (signal) => {
        await untilAborted(signal).catch(() => {})
        await tick()
        log.push("child stopped")
      })
      await tick()
      throw thrown
    }))
    assert.strictEqual(error, thrown)
    expect(log).toStrictEqual(["child stopped"])
  })
})

describe("on the TestClock", () => {
  it.effect("hedge starts a backup after the delay and keeps the first success", () =>
    Effect.gen(function*() {
      const calls: Array<number> = []
      const aborted: Array<number> = []
      const fiber = yield* Effect.fork(toEffect((signal) => {
        let n = 0
        return hedge(async (attempt) => {
          const me = ++n
          calls.push(me)
          if (me === 1) {
            await untilAborted(attempt).catch(() => aborted.push(me))
            return "first"
          }
          return "backup"
        }, { delay: 100, attempts: 2, signal })
      }))
      yield* settle
      expect(calls).toStrictEqual([1])
      yield* TestClock.adjust(100)
      assert.strictEqual(yield* Fiber.join(fiber), "backup")
      expect(calls).toStrictEqual([1, 2])
      expect(aborted).toStrictEqual([1])
    }))

  it.effect("withDeadline: an absolute instant", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        toEffect((signal) => withDeadline(Date.now() + 0, (inner) => untilAborted(inner), { signal }).catch((e) => e))
      )
      // the test clock starts at 0: an instant of "now" on the real clock is far in its future
      yield* settle
      assert.isTrue((yield* fiber.poll)._tag === "None")
      yield* Fiber.interrupt(fiber)
      const at = yield* Effect.fork(
        toEffect((signal) => withDeadline(500, (inner) => untilAborted(inner), { signal }).catch((e) => e))
      )
      yield* settle
      yield* TestClock.adjust(500)
      assert.instanceOf(yield* Fiber.join(at), TimeoutError)
    }))

  it.effect("the Executor's intervalCap is an exact sliding window; its timeout runs on the test's clock", () =>
    Effect.gen(function*() {
      const starts: Array<number> = []
      const fiber = yield* Effect.fork(toEffect(async () => {
        // made while the test's Effect runs: it lives on the test's clock
        const queue = new Executor({ intervalCap: 2, interval: 1_000 })
        const tasks = [0, 1, 2, 3, 4].map((i) => queue.add(async () => void starts.push(i)))
        const slow = queue.add(({ signal }) => untilAborted(signal), { timeout: 5_000 }).catch((e) => e)
        await Promise.all(tasks)
        return slow
      }))
      yield* settle
      expect(starts).toStrictEqual([0, 1])
      yield* TestClock.adjust(999)
      yield* settle
      expect(starts).toStrictEqual([0, 1])
      yield* TestClock.adjust(1)
      yield* settle
      expect(starts).toStrictEqual([0, 1, 2, 3])
      yield* TestClock.adjust(1_000)
      yield* settle
      expect(starts).toStrictEqual([0, 1, 2, 3, 4])
      yield* TestClock.adjust(5_000)
      assert.instanceOf(yield* Fiber.join(fiber), TimeoutError)
    }))
})
