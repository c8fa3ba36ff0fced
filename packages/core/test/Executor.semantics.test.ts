// Issue 15: the Executor with p-queue's and Bottleneck's semantics, and the bugs of the old one.
import { assert, describe, expect, it } from "@effect/vitest"
import { Concurrent, Executor, Orphans, TaskGroup } from "@taskscope/core"
import { Chunk, Effect, Either, Exit, Fiber, Layer, Option, Stream, TestClock } from "effect"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { now } from "./helpers.js"

/** A 100 ms job that records when it started. */
const timed = (name: string, starts: Array<string>, ms = 100, extra: Partial<Executor.TaskSpec<void>> = {}) =>
  ({
    name,
    effect: Effect.flatMap(now, (t) => Effect.sync(() => starts.push(`${name}@${t}`))).pipe(
      Effect.zipRight(Effect.sleep(ms))
    ),
    ...extra
  }) satisfies Executor.TaskSpec<void>

describe("the old Executor's bugs, each a regression test", () => {
  it.effect("closing the executor's scope never waits longer than its grace, even for a task that runs forever", () =>
    Effect.gen(function*() {
      const probe = Orphans.makeProbe()
      const fiber = yield* Effect.fork(
        Effect.scoped(Effect.gen(function*() {
          const executor = yield* Executor.make({ grace: "1 second" })
          yield* executor.submit({ name: "forever", effect: probe.guard("forever", Effect.never) })
        })).pipe(Effect.zipRight(now))
      )
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.poll(fiber)).toStrictEqual(Option.some(Exit.succeed(1000)))
      yield* probe.verify
      // the same for the Layer
      const start = yield* now
      const layer = yield* Effect.fork(
        Effect.flatMap(Executor.Executor, (executor) => executor.submit({ name: "forever", effect: Effect.never }))
          .pipe(
            Effect.provide(Executor.layer({ grace: 500 })),
            Effect.zipRight(now)
          )
      )
      yield* TestClock.adjust(500)
      expect(yield* Fiber.poll(layer)).toStrictEqual(Option.some(Exit.succeed(start + 500)))
    }))

  it.effect("a failFast group with a bounded slot count starts no queued child after a sibling failed (p-map)", () =>
    Effect.gen(function*() {
      const started: Array<string> = []
      const child = (name: string) =>
        Effect.sync(() => started.push(name)).pipe(
          Effect.zipRight(Effect.sleep(10)),
          Effect.zipRight(name === "a" ? Effect.fail("boom") : Effect.void)
        )
      // a fails after b and c are queued: neither may start
      const group = yield* Effect.fork(Effect.exit(
        TaskGroup.scoped((g) => Effect.forEach(["a", "b", "c"], (n) => g.spawn(child(n))), { concurrency: 1 })
      ))
      yield* TestClock.adjust(100)
      expect(yield* Fiber.join(group)).toStrictEqual(Exit.fail("boom"))
      expect(started).toStrictEqual(["a"])
      started.length = 0
      const gathered = yield* Effect.fork(
        Effect.exit(Concurrent.gather(["a", "b", "c"].map(child), { concurrency: 1 }))
      )
      yield* TestClock.adjust(100)
      expect(yield* Fiber.join(gathered)).toStrictEqual(Exit.fail("boom"))
      expect(started).toStrictEqual(["a"])
    }))

  it.scoped("a task takes its key's permit before a global slot (Bottleneck chains: 300 ms, not 400)", () =>
    Effect.gen(function*() {
      const executor = yield* Executor.make({
        concurrency: 2,
        keys: (key) => ({ concurrency: key === "A" ? 1 : 2 })
      })
      const starts: Array<string> = []
      const specs = ["A1", "A2", "A3", "B1", "B2", "B3"].map((name) => timed(name, starts, 100, { key: name[0] }))
      const fiber = yield* Effect.fork(Effect.zipRight(executor.runAll(specs), now))
      yield* TestClock.adjust(300)
      expect(yield* Fiber.poll(fiber)).toStrictEqual(Option.some(Exit.succeed(300)))
      expect(starts.sort()).toStrictEqual(["A1@0", "A2@100", "A3@200", "B1@0", "B2@100", "B3@200"])
    }))

  it.scoped("priority holds among tasks waiting on a key's rate", () =>
    Effect.gen(function*() {
      const executor = yield* Executor.make({
        concurrency: 10,
        keys: () => ({ rate: { limit: 1, interval: 100 } })
      })
      const starts: Array<string> = []
      const fiber = yield* Effect.fork(executor.runAll([
        timed("first", starts, 1, { key: "k" }),
        timed("low", starts, 1, { key: "k", priority: 5 }),
        timed("high", starts, 1, { key: "k", priority: 1 })
      ]))
      yield* TestClock.adjust(300)
      yield* Fiber.join(fiber)
      expect(starts).toStrictEqual(["first@0", "high@100", "low@200"])
    }))

  it.scoped("a task's timeout starts when the task starts, not while it waits for its key's rate", () =>
    Effect.gen(function*() {
      const executor = yield* Executor.make({
        concurrency: 10,
        keys: () => ({ rate: { limit: 1, interval: "1 second" } }),
        defaults: { timeout: 500 }
      })
      const starts: Array<string> = []
      const fiber = yield* Effect.fork(
        executor.runAll([timed("t1", starts, 100, { key: "k" }), timed("t2", starts, 100, { key: "k" })])
      )
      yield* TestClock.adjust("2 seconds")
      const results = yield* Fiber.join(fiber)
      expect(results.map((r) => r._tag)).toStrictEqual(["Succeeded", "Succeeded"])
      expect(starts).toStrictEqual(["t1@0", "t2@1000"])
    }))

  it.effect(
    "a long-lived executor stays flat: 1,000,000 tasks, a tenth failing, heap after GC within 10%",
    () =>
      Effect.gen(function*() {
        setFlagsFromString("--expose-gc")
        const gc = runInNewContext("gc") as () => void
        const heap = () => {
          gc()
          gc()
          return process.memoryUsage().heapUsed
        }
        const batch = (executor: Executor.Executor, from: number, n: number) =>
          Effect.flatMap(
            Effect.forEach(
              Array.from({ length: n }, (_, i) => from + i),
              (i) => executor.submit({ name: "t", effect: i % 10 === 0 ? Effect.fail("bad") : Effect.void }),
              { discard: true }
            ),
            // then a turn of the event loop: a million tasks without one held this worker for ~10 s under load, so
            // that vitest's reports to the main process could time out (issue 28)
            () =>
              Effect.zipRight(executor.onIdle, Effect.promise(() => new Promise((resolve) => setImmediate(resolve))))
          )
        yield* Effect.scoped(Effect.gen(function*() {
          const executor = yield* Executor.make({ concurrency: 64, queueCapacity: Infinity })
          yield* batch(executor, 0, 20_000)
          const before = heap()
          for (let i = 0; i < 50; i++) yield* batch(executor, i * 20_000, 20_000)
          const after = heap()
          const stats = yield* executor.stats
          expect([stats.succeeded, stats.failed]).toStrictEqual([918_000, 102_000])
          assert.isBelow((after - before) / before, 0.1, `heap grew from ${before} to ${after} bytes`)
        }))
      }),
    { timeout: 120_000 }
  )

  it.live("a task handle kept after the task ended keeps nothing its run needed: not the spec, not the fiber", () =>
    Effect.gen(function*() {
      setFlagsFromString("--expose-gc")
      const gc = runInNewContext("gc") as () => void
      // what the spec's effect and the child's fiber hold: reachable from the handle only through the run
      const payloads: Array<WeakRef<object>> = []
      const make = () => {
        const payload = { bytes: new Uint8Array(1 << 16) }
        payloads.push(new WeakRef(payload))
        return Effect.sync(() => payload.bytes.length)
      }
      const kept = yield* Effect.scoped(Effect.gen(function*() {
        const executor = yield* Executor.make({ concurrency: 2 })
        const tasks = [
          yield* executor.submit({ name: "a", effect: make() }),
          yield* executor.submit({ name: "b", effect: make() })
        ]
        for (const task of tasks) expect(yield* task.join).toStrictEqual(1 << 16)
        return tasks
      }))
      const fromGroup = yield* TaskGroup.scoped((group) => group.spawn(Effect.suspend(() => make())))
      const children = yield* TaskGroup.scoped(
        (group) => Effect.forEach([1, 2, 3], () => group.spawn(make()), { concurrency: 1 }),
        { concurrency: 1 }
      )
      // a turn of the event loop: the fibers' last callbacks run
      yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      gc()
      gc()
      expect(payloads.map((ref) => ref.deref() === undefined)).toStrictEqual([true, true, true, true, true, true])
      // the handles are still held, and still answer
      expect([kept.length, children?.length, fromGroup === undefined]).toStrictEqual([2, 3, false])
      for (const task of [...kept, ...(children ?? [])]) expect(yield* task.state).toStrictEqual("succeeded")
    }))
})

describe("what a p-queue / Bottleneck user expects", () => {
  it.scoped("autoStart: false and pause/resume: nothing starts while paused; running tasks go on", () =>
    Effect.gen(function*() {
      const executor = yield* Executor.make({ autoStart: false, concurrency: 1 })
      const starts: Array<string> = []
      const fiber = yield* Effect.fork(executor.runAll([timed("a", starts), timed("b", starts)]))
      yield* TestClock.adjust(100)
      expect(starts).toStrictEqual([])
      assert.isTrue((yield* executor.stats).paused)
      yield* executor.resume
      yield* TestClock.adjust(50)
      yield* executor.pause
      yield* TestClock.adjust(200)
      expect(starts, "a ran to its end, b did not start").toStrictEqual(["a@100"])
      yield* executor.resume
      yield* TestClock.adjust(100)
      yield* Fiber.join(fiber)
      expect(starts).toStrictEqual(["a@100", "b@350"])
    }))

  it.scoped("clear drops the queued tasks, keeps the running ones; waiters get TaskDroppedError", () =>
    Effect.gen(function*() {
      const executor = yield* Executor.make({ concurrency: 1 })
      const starts: Array<string> = []
      const running = yield* executor.submit(timed("running", starts))
      const queued = yield* executor.submit(timed("queued", starts))
      yield* TestClock.adjust(10)
      const dropped = yield* executor.clear
      expect(dropped.map((t) => t.name)).toStrictEqual(["queued"])
      const error = yield* Effect.flip(queued.join)
      assert.isTrue(error._tag === "TaskDroppedError" && error.reason === "cleared")
      yield* TestClock.adjust(90)
      expect(yield* running.state).toStrictEqual("succeeded")
      const stats = yield* executor.stats
      expect([stats.succeeded, stats.dropped, stats.done, stats.queued]).toStrictEqual([1, 1, 2, 0])
    }))

  it.scoped("onEmpty, onSizeLessThan and onIdle wait for what they say", () =>
    Effect.gen(function*() {
      const executor = yield* Executor.make({ concurrency: 1 })
      const starts: Array<string> = []
      yield* Effect.forEach(["a", "b", "c"], (n) => executor.submit(timed(n, starts)))
      const empty = yield* Effect.fork(Effect.zipRight(executor.onEmpty, now))
      const lessThan2 = yield* Effect.fork(Effect.zipRight(executor.onSizeLessThan(2), now))
      const idle = yield* Effect.fork(Effect.zipRight(executor.onIdle, now))
      yield* TestClock.adjust(300)
      expect([yield* Fiber.join(lessThan2), yield* Fiber.join(empty), yield* Fiber.join(idle)]).toStrictEqual([
        100,
        200,
        300
      ])
    }))

  // found in review: the drop of a swap woke them, and published Empty (and Idle), though the
  // queue never shrank
  for (const overflow of ["dropOldest", "overflowPriority"] as const) {
    it.scoped(`a swap (${overflow}: a queued task dropped for a new one) wakes no onEmpty, onSizeLessThan or onIdle waiter`, () =>
      Effect.gen(function*() {
        const executor = yield* Executor.make({ concurrency: 1, queueCapacity: 1, overflow, autoStart: false })
        yield* executor.submit({ name: "a", effect: Effect.void, priority: 5 })
        const empty = yield* Effect.fork(executor.onEmpty)
        const less = yield* Effect.fork(executor.onSizeLessThan(1))
        const idle = yield* Effect.fork(executor.onIdle)
        const events = yield* Effect.fork(
          Stream.runCollect(
            Stream.take(Stream.filter(executor.events, (e) => e._tag === "Empty" || e._tag === "Idle"), 2)
          )
        )
        for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
        const b = yield* executor.submit({ name: "b", effect: Effect.void, priority: 1 })
        for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
        expect([yield* Fiber.poll(empty), yield* Fiber.poll(less), yield* Fiber.poll(idle), yield* Fiber.poll(events)])
          .toStrictEqual([Option.none(), Option.none(), Option.none(), Option.none()])
        assert.strictEqual((yield* executor.stats).queued, 1)
        yield* executor.resume
        yield* b.join
        yield* Fiber.join(empty)
        yield* Fiber.join(less)
        yield* Fiber.join(idle)
        expect(Chunk.toReadonlyArray(yield* Fiber.join(events)).map((e) => e._tag)).toStrictEqual(["Empty", "Idle"])
      }))
  }

  // found in review: the queue full of another key's tasks put a task that could start at once
  // through the overflow policy (Bottleneck counts a job as overflowing only when it cannot run now)
  for (const overflow of ["dropNewest", "dropOldest", "overflowPriority", "dropAll", "reject", "block"] as const) {
    it.scoped(`a full queue of one busy key: a task of a free key starts at once (${overflow})`, () =>
      Effect.gen(function*() {
        const executor = yield* Executor.make({
          concurrency: 4,
          queueCapacity: 1,
          overflow,
          grace: 0,
          keys: () => ({ concurrency: 1 })
        })
        yield* executor.submit({ name: "k1", key: "k", effect: Effect.never })
        const k2 = yield* executor.submit({ name: "k2", key: "k", effect: Effect.void })
        const j = yield* executor.submit({ name: "j", key: "j", effect: Effect.succeed("ran") })
        expect(yield* j.join).toStrictEqual("ran")
        expect(yield* k2.state).toStrictEqual("queued")
        // and a task that would wait still meets the policy
        const k3 = yield* Effect.either(executor.trySubmit({ name: "k3", key: "k", effect: Effect.void }))
        if (overflow === "block" || overflow === "reject") {
          expect(k3).toStrictEqual(Either.right(Option.none()))
        } else {
          assert.isTrue(Either.isRight(k3) && Option.isSome(k3.right))
          assert.strictEqual((yield* executor.stats).dropped, overflow === "dropAll" ? 2 : 1)
        }
      }))
  }

  it.scoped("dropAll: one shed publishes one Empty, after every drop", () =>
    Effect.gen(function*() {
      const executor = yield* Executor.make({ concurrency: 1, queueCapacity: 2, overflow: "dropAll", grace: 0 })
      yield* executor.submit({ name: "running", effect: Effect.never })
      const seen: Array<string> = []
      yield* Effect.forkScoped(Stream.runForEach(executor.events, (e) =>
        Effect.sync(() =>
          seen.push("task" in e ? `${e._tag}:${e.task.name}` : e._tag)
        )))
      for (let i = 0; i < 5; i++) {
        yield* Effect.yieldNow()
      }
      for (const name of ["a", "b", "c"]) {
        yield* executor.submit({ name, effect: Effect.void })
      }
      for (let i = 0; i < 5; i++) {
        yield* Effect.yieldNow()
      }
      expect(seen).toStrictEqual([
        "Queued:a",
        "Queued:b",
        "Cancelled:a",
        "Cancelled:b",
        "Queued:c",
        "Cancelled:c",
        "Empty"
      ])
    }))

  it.scoped("a global rate (intervalCap/interval) that respects priority, and minTime between starts", () =>
    Effect.gen(function*() {
      const limited = yield* Executor.make({ concurrency: 10, rate: { limit: 1, interval: 100 } })
      const starts: Array<string> = []
      // the first starts at once (as in p-queue); the others wait for the rate, best priority first
      const a = yield* Effect.fork(limited.runAll([
        timed("first", starts, 1, { priority: 5 }),
        timed("c", starts, 1, { priority: 3 }),
        timed("a", starts, 1, { priority: 5 }),
        timed("b", starts, 1, { priority: 1 })
      ]))
      yield* TestClock.adjust(400)
      yield* Fiber.join(a)
      expect(starts).toStrictEqual(["first@0", "b@100", "c@200", "a@300"])
      const spaced = yield* Executor.make({ concurrency: 10, minTime: 50 })
      const more: Array<string> = []
      const b = yield* Effect.fork(spaced.runAll(["x", "y", "z"].map((n) => timed(n, more, 1))))
      yield* TestClock.adjust(200)
      yield* Fiber.join(b)
      expect(more).toStrictEqual(["x@400", "y@450", "z@500"])
    }))

  it.scoped("update changes concurrency, the rate and the default timeout while running", () =>
    Effect.gen(function*() {
      const executor = yield* Executor.make({ concurrency: 1 })
      const starts: Array<string> = []
      const fiber = yield* Effect.fork(executor.runAll(["a", "b", "c", "d"].map((n) => timed(n, starts))))
      yield* TestClock.adjust(10)
      yield* executor.update({ concurrency: 3 })
      yield* TestClock.adjust(89)
      expect(starts).toStrictEqual(["a@0", "b@10", "c@10"])
      // d starts at 100, when a ends: with the new default timeout
      yield* executor.update({ timeout: 50 })
      yield* TestClock.adjust(201)
      const results = yield* Fiber.join(fiber)
      expect(results.map((r) => r._tag)).toStrictEqual(["Succeeded", "Succeeded", "Succeeded", "TimedOut"])
      assert.strictEqual((yield* executor.stats).concurrency, 3)
    }))

  it.scoped("setPriority and remove act on a queued task by id; status tells where a task is", () =>
    Effect.gen(function*() {
      const executor = yield* Executor.make({ concurrency: 1 })
      const starts: Array<string> = []
      const a = yield* executor.submit(timed("a", starts))
      const b = yield* executor.submit(timed("b", starts))
      const c = yield* executor.submit(timed("c", starts))
      const d = yield* executor.submit(timed("d", starts))
      assert.isTrue(yield* executor.setPriority(d.id, -1))
      assert.isTrue(yield* executor.remove(b.id))
      assert.isFalse(yield* executor.remove(b.id))
      yield* TestClock.adjust(1)
      expect(yield* Effect.forEach([a, b, c, d], (t) => executor.status(t.id))).toStrictEqual([
        Option.some("running"),
        // removed before it started: cancelled (its Cancelled event says it was dropped, and why)
        Option.some("cancelled"),
        Option.some("queued"),
        Option.some("queued")
      ])
      expect((yield* executor.runningTasks).map((t) => t.name)).toStrictEqual(["a"])
      yield* TestClock.adjust(300)
      expect(starts).toStrictEqual(["a@0", "d@100", "c@200"])
      expect(yield* executor.status(c.id)).toStrictEqual(Option.some("succeeded"))
    }))

  it.scoped("priority order: lower first by default, p-queue's higher first on request", () =>
    Effect.gen(function*() {
      const executor = yield* Executor.make({ concurrency: 1, priority: "higherFirst" })
      const starts: Array<string> = []
      const fiber = yield* Effect.fork(executor.runAll([
        timed("busy", starts, 1),
        timed("p1", starts, 1, { priority: 1 }),
        timed("p5", starts, 1, { priority: 5 }),
        timed("p3", starts, 1, { priority: 3 })
      ]))
      yield* TestClock.adjust(10)
      yield* Fiber.join(fiber)
      expect(starts.map((s) => s.split("@")[0])).toStrictEqual(["busy", "p5", "p3", "p1"])
    }))

  it.scoped("overflow policies: reject, dropOldest, dropNewest, and trySubmit never waits", () =>
    Effect.gen(function*() {
      const make = (overflow: Executor.Config["overflow"]) =>
        Executor.make({ concurrency: 1, queueCapacity: 1, ...(overflow === undefined ? {} : { overflow }) })
      const starts: Array<string> = []
      const rejecting = yield* make("reject")
      yield* rejecting.submit(timed("running", starts))
      yield* TestClock.adjust(1)
      yield* rejecting.submit(timed("queued", starts))
      const full = yield* Effect.flip(rejecting.submit(timed("third", starts)))
      assert.strictEqual(full._tag, "ExecutorFullError")

      const dropOldest = yield* make("dropOldest")
      yield* dropOldest.submit(timed("running", starts))
      yield* TestClock.adjust(1)
      const old = yield* dropOldest.submit(timed("old", starts))
      yield* dropOldest.submit(timed("new", starts))
      const oldError = yield* Effect.flip(old.join)
      assert.isTrue(oldError._tag === "TaskDroppedError" && oldError.reason === "overflow")

      const dropNewest = yield* make("dropNewest")
      yield* dropNewest.submit(timed("running", starts))
      yield* TestClock.adjust(1)
      yield* dropNewest.submit(timed("kept", starts))
      const fresh = yield* dropNewest.submit(timed("fresh", starts))
      const freshError = yield* Effect.flip(fresh.join)
      assert.isTrue(freshError._tag === "TaskDroppedError" && freshError.reason === "overflow")

      const blocking = yield* make(undefined)
      yield* blocking.submit(timed("running", starts))
      yield* TestClock.adjust(1)
      assert.isTrue(Option.isSome(yield* blocking.trySubmit(timed("queued", starts))))
      assert.isTrue(Option.isNone(yield* blocking.trySubmit(timed("no room", starts))))
      yield* TestClock.adjust(500)
    }))

  it.scoped("dropOldest drops the lowest priority's oldest task, not the oldest of all", () =>
    Effect.gen(function*() {
      const executor = yield* Executor.make({ concurrency: 1, queueCapacity: 3, overflow: "dropOldest" })
      const starts: Array<string> = []
      yield* executor.submit(timed("running", starts))
      yield* TestClock.adjust(1)
      const urgent = yield* executor.submit(timed("urgent", starts, 100, { priority: 0 }))
      const lowOld = yield* executor.submit(timed("low old", starts, 100, { priority: 5 }))
      const lowNew = yield* executor.submit(timed("low new", starts, 100, { priority: 5 }))
      yield* executor.submit(timed("extra", starts, 100, { priority: 1 }))
      const dropped = yield* Effect.flip(lowOld.join)
      assert.isTrue(dropped._tag === "TaskDroppedError" && dropped.reason === "overflow")
      yield* TestClock.adjust(1000)
      expect(Exit.isSuccess(yield* urgent.await)).toStrictEqual(true)
      expect(Exit.isSuccess(yield* lowNew.await)).toStrictEqual(true)
      expect(starts.map((s) => s.split("@")[0])).toStrictEqual(["running", "urgent", "extra", "low new"])
    }))

  it.scoped("job ids: a duplicate is refused while the first is queued or running, free again once it ended", () =>
    Effect.gen(function*() {
      const executor = yield* Executor.make({ concurrency: 1 })
      const starts: Array<string> = []
      yield* executor.submit(timed("first", starts, 100, { id: "job-1" }))
      yield* executor.submit(timed("second", starts, 100, { id: "job-2" }))
      yield* TestClock.adjust(1)
      const running = yield* Effect.flip(executor.submit(timed("again", starts, 100, { id: "job-1" })))
      assert.strictEqual(running._tag, "DuplicateTaskIdError")
      assert.include(running.message, `"job-1"`)
      const queued = yield* Effect.flip(executor.trySubmit(timed("again", starts, 100, { id: "job-2" })))
      assert.strictEqual(queued._tag, "DuplicateTaskIdError")
      yield* TestClock.adjust(100)
      // job-1 ended: its id is free
      const again = yield* executor.submit(timed("again", starts, 100, { id: "job-1" }))
      yield* TestClock.adjust(300)
      assert.isTrue(Exit.isSuccess(yield* again.await))
      expect(starts.map((s) => s.split("@")[0])).toStrictEqual(["first", "second", "again"])
    }))

  it.scoped("overflowPriority: a full queue makes room only for a task of a better priority", () =>
    Effect.gen(function*() {
      const executor = yield* Executor.make({ concurrency: 1, queueCapacity: 2, overflow: "overflowPriority" })
      const starts: Array<string> = []
      yield* executor.submit(timed("running", starts))
      yield* TestClock.adjust(1)
      const low = yield* executor.submit(timed("low", starts, 100, { priority: 5 }))
      yield* executor.submit(timed("mid", starts, 100, { priority: 3 }))
      // not better than the worst queued (5): the new task is dropped
      const same = yield* executor.submit(timed("same", starts, 100, { priority: 5 }))
      const sameError = yield* Effect.flip(same.join)
      assert.isTrue(sameError._tag === "TaskDroppedError" && sameError.reason === "overflow")
      // better: the worst queued makes room
      yield* executor.submit(timed("urgent", starts, 100, { priority: 0 }))
      const lowError = yield* Effect.flip(low.join)
      assert.isTrue(lowError._tag === "TaskDroppedError" && lowError.reason === "overflow")
      yield* TestClock.adjust(1000)
      expect(starts.map((s) => s.split("@")[0])).toStrictEqual(["running", "urgent", "mid"])
    }))

  it.scoped("reservoir: starts take from it, a refresh sets it again; Depleted is published", () =>
    Effect.gen(function*() {
      const executor = yield* Executor.make({
        concurrency: 10,
        reservoir: { initial: 2, refreshInterval: "1 second", refreshAmount: 2 }
      })
      const events = yield* Effect.fork(
        Stream.runCollect(Stream.take(Stream.filter(executor.events, (e) => e._tag === "Depleted"), 2))
      )
      // the subscription is in place before the first submit
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
      const starts: Array<string> = []
      for (const name of ["a", "b", "c", "d", "e"]) yield* executor.submit(timed(name, starts, 10))
      yield* TestClock.adjust(1)
      expect(starts).toStrictEqual(["a@0", "b@0"])
      yield* TestClock.adjust(999)
      expect(starts).toStrictEqual(["a@0", "b@0", "c@1000", "d@1000"])
      yield* TestClock.adjust(1000)
      expect(starts.slice(4)).toStrictEqual(["e@2000"])
      yield* TestClock.adjust(10)
      const depleted = Chunk.toReadonlyArray(yield* Fiber.join(events))
      // b took the last one when nothing else was queued yet (each submit starts at once); d with e waiting
      expect(depleted.map((e) => e._tag === "Depleted" ? [e.at, e.empty] : [])).toStrictEqual([[0, true], [
        1000,
        false
      ]])
    }))

  it.effect("a bad reservoir is an InvalidOptionsError naming it", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.scoped(Executor.make({ reservoir: { initial: -1 } })))
      assert.strictEqual(error._tag, "InvalidOptionsError")
      assert.include(error.message, "reservoir")
    }))

  it.effect("a bad penalty or overflow is an InvalidOptionsError naming it", () =>
    Effect.gen(function*() {
      const penalty = yield* Effect.flip(Effect.scoped(Executor.make({ overflow: "dropAll", penalty: -5 })))
      assert.strictEqual(penalty._tag, "InvalidOptionsError")
      assert.include(penalty.message, "penalty")
      const overflow = yield* Effect.flip(Effect.scoped(Executor.make({ overflow: "BLOCK" as "dropAll" })))
      assert.strictEqual(overflow._tag, "InvalidOptionsError")
      // every literal of the union, not only the first
      assert.include(
        overflow.message,
        `Expected "block" | "reject" | "dropOldest" | "dropNewest" | "overflowPriority" | "dropAll", actual "BLOCK"`
      )
    }))

  it.scoped("rate-limited state and events", () =>
    Effect.gen(function*() {
      const executor = yield* Executor.make({
        concurrency: 10,
        rate: { limit: 1, interval: 100 },
        keys: () => ({ rate: { limit: 1, interval: 1000 } })
      })
      const events = yield* Effect.fork(
        Stream.runCollect(Stream.take(Stream.filter(executor.events, (e) => e._tag === "RateLimited"), 2))
      )
      yield* Effect.yieldNow()
      const starts: Array<string> = []
      yield* executor.submit(timed("a", starts, 1))
      yield* executor.submit(timed("b", starts, 1))
      yield* executor.submit(timed("k1", starts, 1, { key: "k" }))
      yield* executor.submit(timed("k2", starts, 1, { key: "k" }))
      yield* TestClock.adjust(1)
      assert.isTrue((yield* executor.stats).rateLimited)
      yield* TestClock.adjust(2000)
      const limited = Chunk.toReadonlyArray(yield* Fiber.join(events))
      expect(limited.map((e) => e._tag === "RateLimited" ? e.key ?? "global" : "")).toStrictEqual(["global", "k"])
      assert.isFalse((yield* executor.stats).rateLimited)
    }))

  it.effect("layers compose: a bad key limit is a clear defect of that task, not a hang", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        Effect.flatMap(Executor.Executor, (executor) => executor.run({ name: "t", key: "k", effect: Effect.void }))
          .pipe(
            Effect.provide(Layer.fresh(Executor.layer({ keys: () => ({ concurrency: 0 }) })))
          )
      )
      assert.isTrue(Exit.isFailure(exit))
    }))
})
