import { assert, describe, expect, it } from "@effect/vitest"
import { Deadline, Event, Limiter, Registry, TaskGroup, WorkQueue } from "@taskscope/core"
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
      const snapshot = yield* Registry.snapshot
      const mine = snapshot.tasks.filter((t) => t.group.startsWith("app"))
      expect(mine.map((t) => [t.group, t.name, t.state, t.forMillis])).toStrictEqual([
        ["app", "poll", "running", 1500],
        ["app/poll/pollers", "a", "running", 1500],
        ["app/poll/pollers", "b", "running", 1500],
        ["app/poll/pollers", "c", "queued", undefined]
      ])
      const groups = snapshot.groups.filter((g) => g.path.startsWith("app"))
      expect(groups.map((g) => [g.path, g.running, g.queued, g.concurrency])).toStrictEqual([
        ["app", 1, 0, null],
        ["app/poll/pollers", 2, 1, 2]
      ])
      const [app, pollers] = groups
      expect(pollers.parent).toStrictEqual({ group: app.id, task: mine[0].id })
      expect(mine[3].waiting).toMatchObject({ on: "group", reason: "queued for a slot of app/poll/pollers" })
      yield* Fiber.interrupt(fiber)
      assert.strictEqual((yield* Registry.snapshot).tasks.filter((t) => t.group.startsWith("app")).length, 0)
    }))

  it.effect("what each task waits on and why, its deadline and how long it has waited", () =>
    Effect.gen(function*() {
      const ready = yield* Event.make()
      const jobs = yield* WorkQueue.bounded<string>(1)
      const fiber = yield* Effect.fork(TaskGroup.scoped((group) =>
        Effect.gen(function*() {
          yield* group.spawn(ready.wait, { name: "waits for ready" })
          yield* group.spawn(jobs.take.pipe(Deadline.within("10 seconds")), { name: "consumer" })
          const child = yield* group.spawn(Effect.never, { name: "child" })
          yield* group.spawn(child.join, { name: "parent" })
          yield* group.spawn(Effect.sleep("1 hour"), { name: "sleeper" })
        }), { name: "waits" }))
      yield* TestClock.adjust(3000)
      const tasks = (yield* Registry.snapshot).tasks.filter((t) => t.group === "waits")
      const by = (name: string) => tasks.find((t) => t.name === name)!
      expect(by("waits for ready").waiting).toStrictEqual({
        on: "event",
        name: "event",
        reason: "waiting for event event to be set",
        forMillis: 3000
      })
      expect(by("consumer").waiting).toMatchObject({ on: "queue", reason: "waiting for an item from queue WorkQueue" })
      expect([by("consumer").deadline, by("consumer").remainingMillis]).toStrictEqual([10_000, 7000])
      expect(by("parent").waiting).toMatchObject({ on: "task", name: "child", reason: "waiting for task child to end" })
      expect([by("sleeper").waiting, by("sleeper").deadline]).toStrictEqual([undefined, undefined])
      yield* ready.set
      yield* TestClock.adjust(1)
      assert.isUndefined((yield* Registry.snapshot).tasks.find((t) => t.name === "waits for ready"))
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("a Limiter says why: the rate window, a permit in use, in line behind others, paused", () =>
    Effect.gen(function*() {
      const binance = yield* Limiter.make({ name: "binance", concurrency: 1, rate: { limit: 1, interval: "1 second" } })
      const fiber = yield* Effect.fork(
        TaskGroup.scoped(
          (group) =>
            Effect.forEach(["a", "b", "c"], (name) => group.spawn(binance.withPermit(Effect.never), { name }), {
              discard: true
            }),
          { name: "calls" }
        )
      )
      yield* TestClock.adjust(10)
      const reasons = () =>
        Effect.map(
          Registry.snapshot,
          (s) => s.tasks.filter((t) => t.group === "calls").map((t) => [t.name, t.waiting?.reason])
        )
      expect(yield* reasons()).toStrictEqual([
        ["a", undefined],
        ["b", "waiting for a permit of binance (1 of 1 in use)"],
        ["c", "waiting in line for binance (1 ahead)"]
      ])
      yield* binance.pause("3 seconds")
      expect((yield* reasons())[1]).toStrictEqual(["b", "waiting: binance is paused for 3 s more"])
      yield* Fiber.interrupt(fiber)
      const rate = yield* Limiter.make({ name: "kraken", rate: { limit: 1, interval: "1 second" } })
      const second = yield* Effect.fork(
        TaskGroup.scoped(
          (group) =>
            Effect.forEach(["x", "y"], (name) => group.spawn(rate.withPermit(Effect.never), { name }), {
              discard: true
            }),
          { name: "calls" }
        )
      )
      yield* TestClock.adjust(10)
      expect((yield* reasons())[1]).toStrictEqual(["y", "waiting for the rate window of kraken"])
      yield* Fiber.interrupt(second)
    }))
})
