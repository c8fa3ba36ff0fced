import { assert, describe, expect, it } from "@effect/vitest"
import { Registry, TaskGroup } from "@taskscope/core"
import { Effect, Fiber, TestClock } from "effect"

describe("Registry: the live tasks of the process, as data", () => {
  it.effect("running and queued children with their group paths and ages; a closed group is gone", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(TaskGroup.scoped((outer) =>
        outer.spawn(
          TaskGroup.scoped(
            (inner) =>
              Effect.forEach(["a", "b", "c"], (name) => inner.spawn(Effect.never, { name }), { discard: true }),
            {
              name: "pollers",
              concurrency: 2
            }
          ),
          { name: "poll" }
        ), { name: "app" }))
      yield* TestClock.adjust(1500)
      const mine = (yield* Registry.snapshot).filter((t) => t.group.startsWith("app"))
      expect(mine.map((t) => [t.group, t.name, t.state, t.forMillis])).toStrictEqual([
        ["app", "poll", "running", 1500],
        ["app/poll/pollers", "a", "running", 1500],
        ["app/poll/pollers", "b", "running", 1500],
        ["app/poll/pollers", "c", "queued", undefined]
      ])
      yield* Fiber.interrupt(fiber)
      assert.strictEqual((yield* Registry.snapshot).filter((t) => t.group.startsWith("app")).length, 0)
    }))
})
