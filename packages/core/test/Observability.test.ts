import { assert, describe, expect, it } from "@effect/vitest"
import { Deadline, Progress, Shutdown, TaskGroup, Timeline } from "@taskscope/core"
import { Chunk, Duration, Effect, Fiber, Stream, TestClock } from "effect"
import { runFor } from "./helpers.js"

describe("Timeline", () => {
  it.effect("a task that timed out is recorded as timedOut (the one status vocabulary), not failed", () =>
    Effect.gen(function*() {
      const timeline = yield* Timeline.make()
      yield* Fiber.join(
        yield* runFor(
          TaskGroup.scoped((group) =>
            Effect.all([
              group.spawn(Deadline.within(Effect.sleep(500), "100 millis"), { name: "slow" }),
              group.spawn(Effect.fail("x"), { name: "broken" })
            ]), { timeline, mode: "supervise" }),
          "1 second"
        )
      )
      const entries = yield* timeline.entries
      assert.strictEqual(entries.find((e) => e.name === "slow")?.outcome, "timedOut")
      assert.strictEqual(entries.find((e) => e.name === "broken")?.outcome, "failed")
      assert.match(Timeline.toAscii(entries, { width: 20 }), /slow +│t+ */)
    }))

  it.effect("records a bounded group: 10 tasks, 5 at a time, in two batches", () =>
    Effect.gen(function*() {
      const timeline = yield* Timeline.make()
      yield* Fiber.join(
        yield* runFor(
          TaskGroup.scoped((group) =>
            Effect.forEach(
              Array.from({ length: 10 }, (_, i) => i),
              (i) => group.spawn(i === 7 ? Effect.fail("x") : Effect.sleep(100), { name: `task ${i}` })
            ), { concurrency: 5, timeline, name: "batch", mode: "supervise" }),
          "200 millis"
        )
      )
      const entries = yield* timeline.entries
      assert.strictEqual(entries.length, 10)
      const starts = entries.map((e) => e.startedAt).sort((a, b) => a - b)
      expect(starts).toStrictEqual([0, 0, 0, 0, 0, 100, 100, 100, 100, 100])
      assert.strictEqual(entries.find((e) => e.name === "task 7")?.outcome, "failed")
      const ascii = Timeline.toAscii(entries, { width: 20 })
      assert.strictEqual(ascii.split("\n").length, 12)
      assert.match(ascii, /task 0 +│██████████ {10}│ 100 ms/)
      assert.match(ascii, /task 9 +│ {10}██████████│ 100 ms/)
      const svg = Timeline.toSvg(entries)
      assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
      assert.strictEqual((svg.match(/<rect /g) ?? []).length, 10)
      // labels and axis follow the page's text colour (dark mode), bars keep their outcome colour
      assert.include(svg.slice(0, svg.indexOf(">")), `fill="currentColor"`)
      assert.notMatch(svg, /<(text|line)[^>]* (fill|stroke)="#/)
      const trace = Timeline.toChromeTrace(entries)
      const complete = trace.traceEvents.filter((e) => e.ph === "X")
      assert.strictEqual(complete.length, 10)
      expect(trace.traceEvents[0]).toStrictEqual({
        name: "thread_name",
        ph: "M",
        pid: 1,
        tid: 1,
        args: { name: "batch" }
      })
      assert.strictEqual(complete[9].ts, 100_000)
      assert.strictEqual(complete[9].dur, 100_000)
    }))
})

describe("Progress", () => {
  it.effect("rolls n of m up a tree of groups, as a value and a Stream", () =>
    Effect.gen(function*() {
      const progress = yield* Progress.make("crawl")
      const seen = yield* Effect.fork(Stream.runCollect(Stream.take(progress.changes, 30)))
      const fiber = yield* runFor(
        TaskGroup.scoped((outer) =>
          Effect.gen(function*() {
            yield* outer.spawn(Effect.sleep(100))
            const sub = yield* progress.child("pages")
            yield* outer.spawn(
              TaskGroup.scoped((inner) => Effect.forEach([1, 2, 3], (i) => inner.spawn(Effect.sleep(i * 100))), {
                progress: sub
              })
            )
            yield* Effect.sleep(150)
            return yield* progress.snapshot
          }), { progress }),
        "300 millis"
      )
      const mid = yield* Fiber.join(fiber)
      assert.strictEqual(Progress.format(mid), "crawl: 2 of 5 done (40%)")
      expect(mid.children.map((c) => [c.name, c.done, c.total])).toStrictEqual([["pages", 1, 3]])
      const end = yield* progress.snapshot
      expect([end.done, end.total]).toStrictEqual([5, 5])
      yield* Fiber.interrupt(seen)
    }))
})

describe("Shutdown", () => {
  it.effect("runs the phases in order; drain is bounded by the budget; flush still runs", () =>
    Effect.gen(function*() {
      const shutdown = yield* Shutdown.make({ grace: "1 second" })
      const order: Array<string> = []
      const step = (name: string, ms = 0) => Effect.sync(() => order.push(name)).pipe(Effect.zipRight(Effect.sleep(ms)))
      yield* shutdown.register("report", "summary", step("report"))
      yield* shutdown.register("flush", "file", step("flush", 500))
      yield* shutdown.register("drain", "executor", step("drain:executor", 5000))
      yield* shutdown.register("drain", "queue", step("drain:queue", 200))
      yield* shutdown.register("stopIntake", "poller", step("stop"))
      yield* shutdown.register("interrupt", "groups", Effect.fail("already gone"))
      const waiter = yield* Effect.fork(shutdown.requested)
      yield* shutdown.request("SIGTERM")
      assert.strictEqual(yield* Fiber.join(waiter), "SIGTERM")
      assert.isTrue(yield* shutdown.isRequested)
      const fiber = yield* Effect.fork(shutdown.run())
      yield* TestClock.adjust(1500)
      const report = yield* Fiber.join(fiber)
      expect(order).toStrictEqual(["stop", "drain:executor", "drain:queue", "flush", "report"])
      assert.strictEqual(report.reason, "SIGTERM")
      expect(report.steps.map((s) => [s.phase, s.name, s.outcome, Duration.toMillis(s.duration)])).toStrictEqual([
        ["stopIntake", "poller", "done", 0],
        ["drain", "executor", "timedOut", 1000],
        ["drain", "queue", "done", 200],
        ["interrupt", "groups", "failed", 0],
        ["flush", "file", "done", 500],
        ["report", "summary", "done", 0]
      ])
      assert.isFalse(report.drainedInTime)
      assert.strictEqual(Duration.toMillis(report.elapsed), 1500)
      assert.strictEqual(yield* shutdown.run(), report)
      assert.strictEqual(Chunk.size(Chunk.empty()), 0)
    }))
})
