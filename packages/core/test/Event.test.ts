import { assert, describe, expect, it } from "@effect/vitest"
import { Event } from "@taskscope/core"
import { Effect, Fiber, Option, TestClock } from "effect"
import { now } from "./helpers.js"

describe("Event", () => {
  it.effect("set wakes every waiter; clear resets; isSet tells", () =>
    Effect.gen(function*() {
      const event = yield* Event.make()
      assert.isFalse(yield* event.isSet)
      const waiters = yield* Effect.forEach([1, 2], () => Effect.fork(event.wait.pipe(Effect.zipRight(now))))
      yield* TestClock.adjust(100)
      yield* event.set
      // a waiter woken by set wakes even if clear follows at once
      yield* event.clear
      expect(yield* Effect.forEach(waiters, Fiber.join)).toStrictEqual([100, 100])
      assert.isFalse(yield* event.isSet)
      const later = yield* Effect.fork(event.wait)
      yield* TestClock.adjust(100)
      assert.isTrue(Option.isNone(yield* Fiber.poll(later)))
      yield* event.set
      yield* Fiber.join(later)
      yield* event.wait
      assert.isTrue(yield* event.isSet)
    }))

  it.effect("waiting counts the fibers that wait; an interrupted waiter leaves the count", () =>
    Effect.gen(function*() {
      const event = yield* Event.make()
      assert.strictEqual(yield* event.waiting, 0)
      const waiters = yield* Effect.forEach([1, 2, 3], () => Effect.fork(event.wait))
      yield* TestClock.adjust(1)
      assert.strictEqual(yield* event.waiting, 3)
      yield* Fiber.interrupt(waiters[1]!)
      assert.strictEqual(yield* event.waiting, 2)
      yield* event.set
      assert.strictEqual(yield* event.waiting, 0)
      yield* Fiber.join(waiters[0]!)
      yield* Fiber.join(waiters[2]!)
      // a waiter on a set event never waits
      yield* event.wait
      assert.strictEqual(yield* event.waiting, 0)
      expect((yield* Event.make(true)).toJSON()).toStrictEqual({ _id: "Event", isSet: true, waiting: 0 })
    }))

  it.effect("an event made set lets waiters through at once; isEvent tells an event", () =>
    Effect.gen(function*() {
      const open = yield* Event.make(true)
      yield* open.wait
      assert.isTrue(Event.isEvent(open))
      assert.isFalse(Event.isEvent({ set: Effect.void }))
    }))
})
