/**
 * An adversarial review of the Executor, by tests: races, re-entrancy, odd functions, closing,
 * the clock. Where p-queue 9.3.5 should behave the same, the scenario runs on both and the logs
 * are compared (`same`); the documented differences are checked against their promises.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import {
  CancelledError,
  deadlineOf,
  Executor,
  limit,
  limitFunction,
  SuppressedError,
  TaskDroppedError,
  TaskGroup,
  TimeoutError,
  toEffect,
  withTimeout
} from "@taskscope/promise"
import { Effect, Fiber, TestClock } from "effect"
import pLimit, { limitFunction as pLimitFunction } from "p-limit"
import { vi } from "vitest"
import { deferred, rejection, stateOf, tick, ticks, unhandledRejections, untilAborted } from "./helpers.js"
import { implementations, type Make, type Queue, same } from "./pqueue.js"

/** Logs every event of `queue` into `log`. */
const record = (queue: Queue, log: Array<string>) => {
  for (const event of ["add", "active", "empty", "idle", "pendingZero", "next"] as const) {
    queue.on(event, () => log.push(`${event} size=${queue.size} pending=${queue.pending}`))
  }
  queue.on("completed", (value) => log.push(`completed ${String(value)}`))
  queue.on("error", (error) => log.push(`error ${String((error as Error)?.message ?? error)}`))
}

const settle = Effect.promise(() => tick())

describe("odd functions", () => {
  it("a function returning a thenable whose then throws: add rejects, the slot is freed", () =>
    same(async (make) => {
      const log: Array<unknown> = []
      const queue = make({ concurrency: 1 })
      let added: Promise<unknown> | undefined
      try {
        added = queue.add(() =>
          ({
            then() {
              throw new Error("bad thenable")
            }
          }) as unknown as PromiseLike<number>
        )
      } catch (error) {
        log.push(`add threw ${(error as Error).message}`)
      }
      if (added !== undefined) log.push(`rejected ${((await rejection(added)) as Error).message}`)
      await ticks(2)
      log.push(`pending=${queue.pending}`)
      const next = queue.add(async () => "next ran")
      log.push(await Promise.race([next, ticks(5).then(() => "next never ran")]))
      return log
    }))

  it("a thenable whose then throws, started later from the queue: add rejects, no uncaught exception", async () => {
    const uncaught: Array<unknown> = []
    const onUncaught = (error: unknown) => void uncaught.push(error)
    process.prependListener("uncaughtException", onUncaught)
    const queue = new Executor({ concurrency: 1 })
    let outcome: string
    try {
      const first = queue.add(async () => tick())
      const second = queue.add(() =>
        ({
          then() {
            throw new Error("bad thenable")
          }
        }) as unknown as PromiseLike<number>
      )
      await first
      outcome = await Promise.race([
        second.then(() => "fulfilled", (e) => `rejected ${(e as Error).message}`),
        ticks(5).then(() => "pending")
      ])
    } finally {
      await ticks(2)
      process.off("uncaughtException", onUncaught)
    }
    expect({ outcome, uncaught: uncaught.map((e) => (e as Error).message), pending: queue.pending }).toStrictEqual({
      outcome: "rejected bad thenable",
      uncaught: [],
      pending: 0
    })
  })

  it("a task with a timeout (on its fiber), or a TaskGroup child, returning an odd thenable: settles as await would", async () => {
    const queue = new Executor({ concurrency: 1 })
    const bad = () =>
      ({
        then() {
          throw new Error("bad thenable")
        }
      }) as unknown as PromiseLike<never>
    const error = await rejection(queue.add(bad, { timeout: 1_000 }))
    assert.strictEqual((error as Error).message, "bad thenable")
    assert.strictEqual(await queue.add(async () => "next", { timeout: 1_000 }), "next")
    const grouped = await rejection(TaskGroup.run(async (group) => {
      await group.spawn(bad)
    }))
    assert.strictEqual((grouped as Error).message, "bad thenable")
    // a thenable that resolves with a rejected promise failed, as `await` sees it
    const nested = () =>
      ({
        then(resolve: (value: unknown) => void) {
          const inner = Promise.reject(new Error("inner"))
          inner.catch(() => {})
          resolve(inner)
        }
      }) as unknown as PromiseLike<never>
    assert.strictEqual((await rejection(queue.add(nested, { timeout: 1_000 })) as Error).message, "inner")
    const child = await rejection(TaskGroup.run(async (group) => {
      await group.spawn(nested)
    }))
    assert.strictEqual((child as Error).message, "inner")
  })

  it("a thenable that calls back synchronously: the same events in the same order as p-queue", () =>
    same(async (make) => {
      const log: Array<string> = []
      const queue = make({ concurrency: 1 })
      record(queue, log)
      const value = await queue.add(() =>
        ({ then: (resolve: (v: number) => void) => resolve(7) }) as PromiseLike<number>
      )
      await ticks(2)
      // (add's promise settles two microtasks before p-queue's: see "add's promise settles …")
      log.push(`value ${value}`)
      return log
    }))

  it("a thenable that resolves with a rejected promise: it failed (error event, not completed)", () =>
    same(async (make) => {
      const log: Array<string> = []
      const queue = make({ concurrency: 1 })
      record(queue, log)
      const error = await rejection(queue.add(() =>
        ({
          then: (resolve: (v: unknown) => void) => resolve(Promise.reject(new Error("inner failed")))
        }) as PromiseLike<number>
      ))
      log.push(`rejected ${(error as Error).message}`)
      await ticks(2)
      return log
    }))

  it("a plain value, a sync throw, an async value: the same events as p-queue", () =>
    same(async (make) => {
      const log: Array<string> = []
      const queue = make({ concurrency: 2 })
      record(queue, log)
      const results = await Promise.allSettled([
        queue.add(() => 1),
        queue.add(() => {
          throw new Error("sync")
        }),
        queue.add(async () => 3),
        queue.add(() => undefined)
      ])
      log.push(results.map((r) => r.status).join(","))
      await ticks(2)
      return log
    }))

  it("a task with a timeout is called inside add, as p-queue calls it (and as a task without one is)", () =>
    same(async (make) => {
      const log: Array<string> = []
      const queue = make({ concurrency: 2 })
      void queue.add(() => void log.push("no timeout: called"))
      log.push("after add (no timeout)")
      void queue.add(() => void log.push("timeout: called"), { timeout: 1_000 })
      log.push("after add (timeout)")
      await queue.onIdle()
      return log
    }))

  it("tasks with a timeout that finish in time: the same events in the same order as p-queue", () =>
    same(async (make) => {
      const log: Array<string> = []
      const queue = make({ concurrency: 2 })
      record(queue, log)
      await Promise.allSettled([
        queue.add(() => "plain", { timeout: 1_000 }),
        queue.add(async () => "async", { timeout: 1_000 }),
        queue.add(async () => "no timeout"),
        queue.add(() => {
          throw new Error("sync throw")
        }, { timeout: 1_000 }),
        queue.add(async () => "last", { timeout: 1_000 })
      ])
      await ticks(3)
      return log
    }))
})

describe("abort races", () => {
  it("the caller's signal aborted during the function's synchronous part (no timeout): rejects with the reason", async () => {
    const queue = new Executor({ concurrency: 1 })
    const controller = new AbortController()
    const seen: Array<string> = []
    const task = queue.add(({ signal }) => {
      controller.abort("sync abort")
      seen.push(`own signal aborted=${signal.aborted}`)
      return untilAborted(signal)
    }, { signal: controller.signal })
    assert.strictEqual(await rejection(task), "sync abort")
    expect(seen).toStrictEqual(["own signal aborted=true"])
    await ticks(1)
    assert.strictEqual(queue.pending, 0)
    expect(queue.stats).toMatchObject({ submitted: 1, cancelled: 1, done: 1 })
  })

  it("the caller's signal aborted during the synchronous part of a task with a timeout: it stops at once, not at the timeout", async () => {
    const queue = new Executor({ concurrency: 1 })
    const controller = new AbortController()
    const task = queue.add(({ signal }) => {
      controller.abort("sync abort")
      return untilAborted(signal)
    }, { signal: controller.signal, timeout: 60_000 })
    // the function has stopped (its promise rejected with the abort): the task must end now
    assert.strictEqual(await stateOf(task), "rejected")
    assert.strictEqual(await rejection(task), "sync abort")
    assert.strictEqual(queue.pending, 0)
  })

  it("a function that aborts the caller's signal synchronously and then throws something else: SuppressedError, as for an async failure", async () => {
    const queue = new Executor()
    const controller = new AbortController()
    const broken = new Error("broke while stopping")
    const task = queue.add(() => {
      controller.abort("stop")
      throw broken
    }, { signal: controller.signal })
    const error = await rejection(task)
    assert.instanceOf(error, SuppressedError)
    assert.strictEqual((error as SuppressedError).error, broken)
    assert.strictEqual((error as SuppressedError).suppressed, "stop")
  })

  it("a caller's signal aborted right after add, for a task with a timeout: rejects with its reason", async () => {
    const queue = new Executor()
    const controller = new AbortController()
    const task = queue.add(({ signal }) => untilAborted(signal), { signal: controller.signal, timeout: 1_000 })
    controller.abort("user left")
    assert.strictEqual(await rejection(task), "user left")
  })

  it("a caller's signal aborted before a task with a timeout has reached its function: rejects with its reason", async () => {
    const queue = new Executor({ concurrency: 1 })
    const controller = new AbortController()
    const gate = deferred()
    const first = queue.add(() => gate.promise)
    const log: Array<string> = []
    const task = queue.add(({ signal }) => {
      log.push("called")
      return untilAborted(signal)
    }, { signal: controller.signal, timeout: 1_000 })
    gate.resolve()
    await first
    // the second task starts a microtask after the first ended; abort in between as well as after
    queueMicrotask(() => controller.abort("user left"))
    assert.strictEqual(await rejection(task), "user left")
  })

  it("aborted twice, and aborted after it settled: one outcome, no listener left", async () => {
    const queue = new Executor()
    const controller = new AbortController()
    const done = await queue.add(async () => "done", { signal: controller.signal })
    controller.abort("late")
    controller.abort("later")
    assert.strictEqual(done, "done")
    const other = new AbortController()
    const running = queue.add(({ signal }) => untilAborted(signal), { signal: other.signal })
    await tick()
    other.abort("first")
    other.abort("second")
    assert.strictEqual(await rejection(running), "first")
    expect(queue.stats).toMatchObject({ submitted: 2, succeeded: 1, cancelled: 1, done: 2, running: 0 })
  })

  it("one signal on many tasks, running and queued: running ones stop with the reason, queued ones are removed (p-queue's order of events)", () =>
    same(async (make) => {
      const log: Array<string> = []
      const queue = make({ concurrency: 2 })
      record(queue, log)
      const controller = new AbortController()
      const tasks = Array.from({ length: 5 }, (_, i) =>
        queue.add(({ signal }) =>
          new Promise((resolve, reject) => {
            // honours the signal it got (p-queue: the caller's; Executor: its own)
            signal!.addEventListener("abort", () => reject(signal!.reason))
            setTimeout(() => resolve(i), 10_000).unref()
          }), { signal: controller.signal }).catch((e) => `rejected ${String(e)}`))
      await tick()
      controller.abort("all")
      log.push(...((await Promise.all(tasks)) as Array<string>))
      await ticks(3)
      return log
    }))

  it("the caller's signal aborts a running task that ignores its signal: the slot is held until it settles", async () => {
    const queue = new Executor({ concurrency: 1 })
    const controller = new AbortController()
    const release = deferred()
    const task = queue.add(() => release.promise, { signal: controller.signal })
    const next = queue.add(async () => "next")
    await tick()
    controller.abort("go")
    await ticks(3)
    assert.strictEqual(await stateOf(task), "pending")
    assert.strictEqual(queue.pending, 1)
    assert.strictEqual(queue.size, 1)
    release.resolve()
    assert.strictEqual(await rejection(task), "go")
    assert.strictEqual(await next, "next")
  })

  it("a function that aborts the shared signal of the tasks behind it: they never run (p-queue's log)", () =>
    same(async (make) => {
      const log: Array<string> = []
      const queue = make({ concurrency: 2, autoStart: false })
      const controller = new AbortController()
      const results = [
        queue.add(async () => {
          controller.abort("enough")
          return "first"
        }),
        queue.add(async () => void log.push("second ran"), { signal: controller.signal }),
        queue.add(async () => void log.push("third ran"), { signal: controller.signal })
      ].map((p) => p.then(String, (e) => `rejected ${String(e)}`))
      queue.start()
      log.push(...(await Promise.all(results)))
      return log
    }))
})

describe("events and listeners", () => {
  it("the same listener with on and once: once removes only the once registration (EventEmitter3's rule)", () =>
    same(async (make) => {
      const queue = make({ concurrency: 1 })
      let calls = 0
      const listener = () => void calls++
      queue.on("completed", listener)
      queue.once("completed", listener)
      const log: Array<string> = []
      for (let i = 0; i < 3; i++) {
        await queue.add(async () => i)
        log.push(`after task ${i}: calls=${calls} listeners=${queue.listenerCount("completed")}`)
      }
      return log
    }))

  it("off removes every registration of a listener, as p-queue's EventEmitter3 does", () =>
    same(async (make) => {
      const queue = make()
      const listener = () => {}
      queue.on("next", listener)
      queue.on("next", listener)
      queue.off("next", listener)
      return [queue.listenerCount("next")]
    }))

  it("listeners that add tasks and clear the queue from inside events: the same log as p-queue", () =>
    same(async (make) => {
      const log: Array<string> = []
      const queue = make({ concurrency: 1 })
      let added = 0
      queue.on("completed", (value) => {
        log.push(`completed ${String(value)}`)
        if (added < 3) {
          added++
          void queue.add(async () => `from listener ${added}`).catch((e) => log.push(`rejected ${e.name}`))
        }
      })
      queue.on("active", () => {
        if (queue.size > 1) {
          log.push(`clear at size=${queue.size}`)
          queue.clear()
        }
      })
      void queue.add(async () => "a")
      void queue.add(async () => "b")
      await queue.onIdle()
      await ticks(5)
      log.push(`size=${queue.size} pending=${queue.pending}`)
      return log
    }))

  it("add's promise settles a turn after the task's bookkeeping (p-queue's state), sooner than p-queue's async add: the interleaving with later tasks differs (documented)", async () => {
    const logs: Array<Array<string>> = []
    for (const [, make] of implementations) {
      const log: Array<string> = []
      const queue = make({ concurrency: 1 })
      queue.on("completed", (value) => log.push(`completed ${String(value)}`))
      const all = ["a", "b", "c"].map((name) => queue.add(async () => name).then((v) => void log.push(`resolved ${v}`)))
      await Promise.all(all)
      logs.push(log)
    }
    expect(logs).toStrictEqual([
      ["completed a", "completed b", "resolved a", "resolved b", "completed c", "resolved c"],
      ["completed a", "resolved a", "completed b", "resolved b", "completed c", "resolved c"]
    ])
  })

  it("removeAllListeners while onIdle waits: onIdle is left waiting as in p-queue, but close() still resolves", async () => {
    const states: Array<string> = []
    for (const [, make] of implementations) {
      const queue = make({ concurrency: 1 })
      const gate = deferred()
      void queue.add(() => gate.promise)
      const idle = queue.onIdle()
      queue.removeAllListeners()
      gate.resolve()
      states.push(await stateOf(idle))
    }
    expect(states).toStrictEqual(["pending", "pending"])
    const queue = new Executor({ concurrency: 1 })
    const gate = deferred()
    void queue.add(() => gate.promise)
    void queue.onIdle()
    queue.removeAllListeners()
    const closing = queue.close()
    gate.resolve()
    expect(await closing).toStrictEqual({ completedInTime: true, neverRan: [], interrupted: [] })
  })

  it("an already-aborted signal: add rejects with the reason and emits what p-queue emits", () =>
    same(async (make) => {
      const log: Array<string> = []
      const queue = make({ concurrency: 1 })
      record(queue, log)
      const error = await rejection(queue.add(async () => "never", { signal: AbortSignal.abort("already") }))
      log.push(`rejected ${String(error)}`)
      await ticks(2)
      return log
    }))

  it("concurrency lowered while tasks run, then raised: the same starts as p-queue", () =>
    same(async (make) => {
      const log: Array<string> = []
      const queue = make({ concurrency: 3 })
      const gates = Array.from({ length: 6 }, () => deferred())
      const tasks = gates.map((gate, i) =>
        queue.add(async () => {
          log.push(`start ${i} pending=${queue.pending}`)
          await gate.promise
        })
      )
      await tick()
      queue.concurrency = 1
      gates[0].resolve()
      gates[1].resolve()
      await ticks(3)
      log.push(`lowered: pending=${queue.pending} size=${queue.size}`)
      gates[2].resolve()
      await ticks(3)
      log.push(`pending=${queue.pending} size=${queue.size}`)
      queue.concurrency = 4
      log.push(`raised: pending=${queue.pending} size=${queue.size}`)
      for (const gate of gates) gate.resolve()
      await Promise.all(tasks)
      return log
    }))

  it("setPriority on a running id and an unknown id throws a ReferenceError; on a queued one moves it", () =>
    same(async (make) => {
      const log: Array<string> = []
      const queue = make({ concurrency: 1 })
      const gate = deferred()
      void queue.add(() => gate.promise, { id: "running" })
      void queue.add(async () => void log.push("a"), { id: "a" })
      void queue.add(async () => void log.push("b"), { id: "b" })
      for (const id of ["running", "unknown"]) {
        try {
          queue.setPriority(id, 5)
        } catch (error) {
          log.push(`${id}: ${(error as Error).name}`)
        }
      }
      queue.setPriority("b", 1)
      queue.setPriority("a", 1)
      gate.resolve()
      await queue.onIdle()
      return log
    }))
})

describe("close", () => {
  it("a second close with a grace applies it (a second Ctrl-C forces), both resolve with the same report", async () => {
    const queue = new Executor({ concurrency: 1 })
    const task = queue.add(({ signal }) => untilAborted(signal), { id: "long" })
    await tick()
    const first = queue.close()
    const second = queue.close({ grace: 0 })
    await ticks(5)
    assert.strictEqual(await stateOf(second), "fulfilled")
    expect(await second).toStrictEqual({ completedInTime: false, neverRan: [], interrupted: ["long"] })
    expect(await first).toStrictEqual(await second)
    assert.instanceOf(await rejection(task), CancelledError)
  })

  it("close with a bad grace rejects with a message naming Executor.close, and leaves the executor open", async () => {
    const queue = new Executor()
    for (const grace of [-1, Number.NaN, "soon"]) {
      const error = await rejection(queue.close({ grace: grace as never }))
      assert.match(String((error as Error)?.message ?? error), /Executor\.close/)
    }
    assert.strictEqual(await queue.add(async () => "still open"), "still open")
    assert.isFalse(queue.stats.closed)
  })

  it("a listener that calls close() while close() resumes a paused executor: both resolve", async () => {
    const queue = new Executor({ concurrency: 1, autoStart: false })
    const inner: Array<Promise<unknown>> = []
    queue.once("active", () => void inner.push(queue.close()))
    const task = queue.add(async () => "ran")
    const outer = queue.close()
    assert.strictEqual(await task, "ran")
    await ticks(3)
    assert.strictEqual(await stateOf(outer), "fulfilled")
    assert.strictEqual(inner.length, 1)
    assert.strictEqual(await stateOf(inner[0]), "fulfilled")
  })

  it("clear() during close: the queued tasks are dropped, close resolves, no promise is left pending", async () => {
    const seen = await unhandledRejections(async () => {
      const queue = new Executor({ concurrency: 1 })
      const gate = deferred()
      const running = queue.add(() => gate.promise)
      const queued = [queue.add(async () => 1), queue.add(async () => 2)]
      const closing = queue.close()
      queue.clear()
      for (const q of queued) assert.instanceOf(await rejection(q), TaskDroppedError)
      assert.strictEqual(await stateOf(closing), "pending")
      gate.resolve()
      await running
      expect(await closing).toStrictEqual({ completedInTime: true, neverRan: [], interrupted: [] })
      expect(queue.stats).toMatchObject({ submitted: 3, succeeded: 1, dropped: 2, done: 3 })
    })
    expect(seen).toStrictEqual([])
  })

  it("grace 0 with tasks that ignore their signal for a while: close waits until they stopped, reports them", async () => {
    const queue = new Executor({ concurrency: 2 })
    const release = deferred()
    const log: Array<string> = []
    const stubborn = queue.add(async ({ signal }) => {
      await release.promise
      log.push(`stubborn stopped, aborted=${signal.aborted}`)
      return "a value after the abort"
    }, { id: "stubborn" })
    const polite = queue.add(({ signal }) => untilAborted(signal), { id: "polite" })
    const queued = queue.add(async () => "never", { id: "queued" })
    await tick()
    const closing = queue.close({ grace: 0 })
    await ticks(5)
    assert.strictEqual(await stateOf(closing), "pending")
    assert.instanceOf(await rejection(polite), CancelledError)
    assert.instanceOf(await rejection(queued), CancelledError)
    assert.strictEqual(queue.pending, 1)
    release.resolve()
    const report = await closing
    expect(report).toStrictEqual({
      completedInTime: false,
      neverRan: ["queued"],
      interrupted: ["stubborn", "polite"]
    })
    assert.instanceOf(await rejection(stubborn), CancelledError)
    expect(log).toStrictEqual(["stubborn stopped, aborted=true"])
    expect(queue.stats).toMatchObject({ submitted: 3, cancelled: 2, dropped: 1, done: 3, running: 0 })
  })

  it("close() twice without a grace: the same promise; add after close rejects with ExecutorClosedError", async () => {
    const queue = new Executor()
    const a = queue.close()
    const b = queue.close()
    assert.strictEqual(a, b)
    await a
    const error = await rejection(queue.add(async () => 1))
    assert.strictEqual((error as Error).name, "ExecutorClosedError")
  })

  it("a task with a timeout stopped by close's grace: rejects with CancelledError, counted cancelled", async () => {
    const queue = new Executor()
    const task = queue.add(({ signal }) => untilAborted(signal), { timeout: 60_000, id: "t" })
    await tick()
    const report = await queue.close({ grace: 0 })
    expect(report).toStrictEqual({ completedInTime: false, neverRan: [], interrupted: ["t"] })
    assert.instanceOf(await rejection(task), CancelledError)
    expect(queue.stats).toMatchObject({ cancelled: 1, timedOut: 0, done: 1 })
  })
})

describe("stats", () => {
  it("add up at every event: submitted = done + queued + running", async () => {
    const queue = new Executor({ concurrency: 2 })
    const broken: Array<string> = []
    const check = (event: string) => () => {
      const s = queue.stats
      if (s.submitted !== s.done + s.queued + s.running) {
        broken.push(`${event}: submitted=${s.submitted} done=${s.done} queued=${s.queued} running=${s.running}`)
      }
    }
    for (const event of ["add", "active", "completed", "error", "next", "empty", "idle"] as const) {
      queue.on(event, check(event))
    }
    await Promise.allSettled([
      queue.add(async () => 1),
      queue.add(async () => {
        throw new Error("x")
      }),
      queue.add(async () => 3)
    ])
    await queue.onIdle()
    expect(broken).toStrictEqual([])
  })

  it("a task whose thenable resolves with a rejected promise is not counted as a success", async () => {
    const queue = new Executor()
    const error = await rejection(
      queue.add(() =>
        ({ then: (resolve: (v: unknown) => void) => resolve(Promise.reject(new Error("inner"))) }) as PromiseLike<
          number
        >
      )
    )
    assert.strictEqual((error as Error).message, "inner")
    await ticks(2)
    expect(queue.stats).toMatchObject({ succeeded: 0, failed: 1 })
  })
})

describe("on the executor's clock (TestClock)", () => {
  /** An executor made while the test's Effect runs: it lives on the test's clock. */
  const make = (options?: Executor.Options) => Effect.sync(() => new Executor(options))
  const promise = <A>(f: () => Promise<A>) => Effect.promise(f)

  it.effect("close's grace runs on the test clock: nothing is cancelled before it has passed", () =>
    Effect.gen(function*() {
      const queue = yield* make({ concurrency: 1 })
      const task = queue.add(({ signal }) => untilAborted(signal), { id: "long" }).catch((e) => e)
      const closing = yield* Effect.fork(promise(() => queue.close({ grace: "10 seconds" })))
      yield* settle
      yield* TestClock.adjust("9999 millis")
      yield* settle
      assert.strictEqual(queue.pending, 1)
      yield* TestClock.adjust("1 millis")
      const report = yield* Fiber.join(closing)
      expect(report).toStrictEqual({ completedInTime: false, neverRan: [], interrupted: ["long"] })
      assert.instanceOf(yield* promise(() => task), CancelledError)
    }))

  it.effect("grace 0 on the test clock needs no adjust", () =>
    Effect.gen(function*() {
      const queue = yield* make()
      const task = queue.add(({ signal }) => untilAborted(signal), { id: "t" }).catch((e) => e)
      yield* settle
      const report = yield* promise(() => queue.close({ grace: 0 }))
      expect(report).toStrictEqual({ completedInTime: false, neverRan: [], interrupted: ["t"] })
      assert.instanceOf(yield* promise(() => task), CancelledError)
    }))

  it.effect("timeouts interleaved with tasks without one, under a rate: each ends at its time", () =>
    Effect.gen(function*() {
      const queue = yield* make({ concurrency: 2, intervalCap: 2, interval: 1_000 })
      const log: Array<string> = []
      const note = (name: string) => (r: unknown) =>
        void log.push(`${name}: ${r instanceof Error ? r.name : String(r)} at ${queue.stats.submitted}`)
      const gate = deferred()
      void queue.add(({ signal }) => untilAborted(signal), { timeout: 500, id: "t500" }).then(
        note("t500"),
        note("t500")
      )
      void queue.add(() => gate.promise.then(() => "free"), { id: "free" }).then(note("free"), note("free"))
      void queue.add(({ signal }) => untilAborted(signal), { timeout: 2_000, id: "t2000" }).then(
        note("t2000"),
        note("t2000")
      )
      void queue.add(async () => "last", { id: "last" }).then(note("last"), note("last"))
      yield* settle
      expect(queue.runningTasks.map((t) => t.id)).toStrictEqual(["t500", "free"])
      yield* TestClock.adjust(499)
      yield* settle
      expect(log).toStrictEqual([])
      yield* TestClock.adjust(1)
      yield* settle
      // t500 ended; the rate (2 per 1000) holds t2000 back until 1000
      expect(log).toStrictEqual(["t500: TimeoutError at 4"])
      expect(queue.runningTasks.map((t) => t.id)).toStrictEqual(["free"])
      yield* TestClock.adjust(500)
      yield* settle
      expect(queue.runningTasks.map((t) => t.id)).toStrictEqual(["free", "t2000"])
      gate.resolve()
      yield* settle
      yield* settle
      expect(log).toStrictEqual(["t500: TimeoutError at 4", "free: free at 4", "last: last at 4"])
      yield* TestClock.adjust(1_999)
      yield* settle
      assert.strictEqual(log.length, 3)
      yield* TestClock.adjust(1)
      yield* settle
      expect(log.slice(3)).toStrictEqual(["t2000: TimeoutError at 4"])
      expect(queue.stats).toMatchObject({ submitted: 4, succeeded: 2, timedOut: 2, done: 4, running: 0 })
    }))

  it.effect("runningTasks' timeoutRemaining follows the clock the timeout runs on", () =>
    Effect.gen(function*() {
      const queue = yield* make()
      void queue.add(({ signal }) => untilAborted(signal), { timeout: 5_000 }).catch(() => {})
      yield* settle
      yield* TestClock.adjust(4_000)
      yield* settle
      const [running] = queue.runningTasks
      assert.strictEqual(running.timeoutRemaining, 1_000)
      yield* TestClock.adjust(1_000)
    }))

  it.effect("stats.rateLimited on the test clock", () =>
    Effect.gen(function*() {
      const queue = yield* make({ intervalCap: 1, interval: 1_000 })
      const tasks = [queue.add(async () => 1), queue.add(async () => 2)]
      yield* settle
      assert.isTrue(queue.stats.rateLimited)
      yield* TestClock.adjust(1_000)
      yield* settle
      assert.isFalse(queue.stats.rateLimited)
      expect(yield* promise(() => Promise.all(tasks))).toStrictEqual([1, 2])
    }))
})

describe("an executor made inside a deadline", () => {
  it.effect("does not inherit its maker's deadline: a later task with a long timeout runs to its end", () =>
    Effect.gen(function*() {
      // e.g. made lazily by the first request handler, which ran under a 1 s deadline
      const queue = yield* toEffect((signal) => withTimeout(1_000, () => new Executor(), { signal }))
      yield* TestClock.adjust(5_000)
      const gate = deferred<string>()
      const fiber = yield* Effect.fork(toEffect(() => queue.add(() => gate.promise, { timeout: 60_000 })))
      yield* settle
      yield* TestClock.adjust(1_000)
      yield* settle
      gate.resolve("in time")
      assert.strictEqual(yield* Fiber.join(fiber), "in time")
    }))

  it("with real time: the maker's expired deadline does not time out later tasks", async () => {
    const queue = await withTimeout(20, () => new Executor())
    await new Promise((resolve) => setTimeout(resolve, 40))
    const value = await queue.add(async () => {
      await tick()
      return "ok"
    }, { timeout: 5_000 })
    assert.strictEqual(value, "ok")
    // a task without a timeout, whose function makes a Taskscope call with its signal
    const nested = await queue.add(({ signal }) =>
      withTimeout(5_000, async () => {
        await tick()
        return "nested ok"
      }, { signal })
    )
    assert.strictEqual(nested, "nested ok")
  })
})

describe("failures while stopping, with a timeout", () => {
  it("a timed-out task that throws something else while stopping: SuppressedError(error, TimeoutError)", async () => {
    const queue = new Executor()
    const broken = new Error("cleanup broke")
    const error = await rejection(queue.add(async ({ signal }) => {
      await untilAborted(signal).catch(() => {})
      throw broken
    }, { timeout: 5 }))
    assert.instanceOf(error, SuppressedError)
    assert.strictEqual((error as SuppressedError).error, broken)
    assert.instanceOf((error as SuppressedError).suppressed, TimeoutError)
  })

  it("a task with a timeout, cancelled by the caller's signal, that throws something else: SuppressedError(error, reason)", async () => {
    const queue = new Executor()
    const controller = new AbortController()
    const broken = new Error("cleanup broke")
    const task = queue.add(async ({ signal }) => {
      await untilAborted(signal).catch(() => {})
      throw broken
    }, { timeout: 60_000, signal: controller.signal })
    await tick()
    controller.abort("user left")
    const error = await rejection(task)
    assert.instanceOf(error, SuppressedError)
    assert.strictEqual((error as SuppressedError).error, broken)
    assert.strictEqual((error as SuppressedError).suppressed, "user left")
    expect(queue.stats).toMatchObject({ cancelled: 1, done: 1 })
  })

  it("a timed-out task that rejects with the abort reason (an AbortError): plain TimeoutError, counted timedOut", async () => {
    const queue = new Executor()
    const error = await rejection(
      queue.add(
        ({ signal }) =>
          new Promise((_, reject) =>
            signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")))
          ),
        { timeout: 5 }
      )
    )
    assert.instanceOf(error, TimeoutError)
    expect(queue.stats).toMatchObject({ timedOut: 1, failed: 0 })
  })
})

describe("scale", () => {
  it("100,000 tasks, concurrency 1, plain values and sync throws: no stack overflow, all settle", async () => {
    const queue = new Executor({ concurrency: 1 })
    const n = 100_000
    const results = await Promise.allSettled(
      Array.from({ length: n }, (_, i) =>
        queue.add(
          i % 2 === 0 ?
            () => i :
            () => {
              throw new Error(String(i))
            }
        ))
    )
    assert.strictEqual(results.filter((r) => r.status === "fulfilled").length, n / 2)
    expect(queue.stats).toMatchObject({ submitted: n, succeeded: n / 2, failed: n / 2, done: n, queued: 0, running: 0 })
  })

  // (removing each is O(queue length), as in p-queue: 100,000 take ~40 s here, ~22 s on p-queue)
  it("10,000 queued tasks on one signal, aborted at once: all reject with the reason, none runs", async () => {
    const queue = new Executor({ concurrency: 1 })
    const controller = new AbortController()
    const gate = deferred()
    void queue.add(() => gate.promise)
    let ran = 0
    const n = 10_000
    const tasks = Array.from({ length: n }, () => queue.add(async () => void ran++, { signal: controller.signal }))
    controller.abort("all")
    const results = await Promise.allSettled(tasks)
    assert.isTrue(results.every((r) => r.status === "rejected" && r.reason === "all"))
    assert.strictEqual(ran, 0)
    gate.resolve()
    await queue.onIdle()
    expect(queue.stats).toMatchObject({ submitted: n + 1, dropped: n, succeeded: 1, done: n + 1 })
  }, 60_000)

  it("20,000 tasks with a timeout interleaved with 20,000 without: all settle, stats add up", async () => {
    const queue = new Executor({ concurrency: 64 })
    const n = 20_000
    const tasks: Array<Promise<unknown>> = []
    for (let i = 0; i < n; i++) {
      tasks.push(queue.add(async () => i, { timeout: 60_000 }))
      tasks.push(queue.add(async () => i))
    }
    const values = await Promise.all(tasks)
    assert.strictEqual(values.length, 2 * n)
    await queue.onIdle()
    expect(queue.stats).toMatchObject({ submitted: 2 * n, succeeded: 2 * n, done: 2 * n, running: 0 })
  }, 60_000)

  it("memory returns: the entries of 50,000 finished tasks are collected", async () => {
    const v8 = await import("node:v8")
    const vm = await import("node:vm")
    v8.setFlagsFromString("--expose-gc")
    const gc = vm.runInNewContext("gc") as () => void
    const queue = new Executor({ concurrency: 8 })
    const payloads = new Set<WeakRef<object>>()
    const n = 50_000
    await Promise.all(Array.from({ length: n }, (_, i) =>
      queue.add(async () => {
        const payload = { i, big: new Array(16).fill(i) }
        payloads.add(new WeakRef(payload))
        return payload
      }, i % 2 === 0 ? { timeout: 60_000 } : undefined).then(() => undefined)))
    await ticks(3)
    gc()
    await ticks(3)
    gc()
    let alive = 0
    for (const ref of payloads) if (ref.deref() !== undefined) alive++
    assert.isBelow(alive, 100)
  }, 60_000)
})

describe("more parity with p-queue", () => {
  it("bad arguments to add and addAll reject (an async API), they do not throw", () =>
    same(async (make) => {
      const log: Array<string> = []
      const queue = make()
      const attempts: Array<() => Promise<unknown>> = [
        () => queue.add(async () => 1, null as never),
        () => queue.addAll(42 as never)
      ]
      for (const attempt of attempts) {
        try {
          log.push(`rejected ${((await rejection(attempt())) as Error).name}`)
        } catch (error) {
          log.push(`threw ${(error as Error).name}`)
        }
      }
      return log
    }))

  it("onEmpty resolves at the same moment as in p-queue (when a task ends and finds the queue empty)", () =>
    same(async (make) => {
      const log: Array<string> = []
      const queue = make({ concurrency: 1 })
      const gates = [deferred(), deferred()]
      void queue.add(() => gates[0].promise.then(() => void log.push("first ended")))
      void queue.add(() => gates[1].promise.then(() => void log.push("second ended")))
      void queue.onEmpty().then(() => log.push(`onEmpty: size=${queue.size} pending=${queue.pending}`))
      gates[0].resolve()
      await ticks(3)
      log.push("--- the last task has started")
      gates[1].resolve()
      await queue.onIdle()
      await ticks(2)
      return log
    }))

  it("a default timeout changed at run time applies to tasks added afterwards; a bad one rejects add", () =>
    same(async (make) => {
      const log: Array<string> = []
      const queue = make({ timeout: 1_000 })
      log.push(String(await queue.add(async () => "with 1000")))
      for (const bad of [0, -1, Number.NaN, "1000"]) {
        queue.timeout = bad as never
        let ran = false
        const added = queue.add(async () => {
          ran = true
          return "ran"
        }).then((v) => `resolved ${v}`, (e) => `rejected ${(e as Error).name}`)
        log.push(`${String(bad)}: ${await Promise.race([added, ticks(5).then(() => "pending")])}, ran=${ran}`)
      }
      queue.timeout = undefined as never
      log.push(String(await queue.add(async () => "without")))
      return log
    }))

  it("pause while tasks run, clear while paused, start: the same events as p-queue", () =>
    same(async (make) => {
      const log: Array<string> = []
      const queue = make({ concurrency: 1 })
      record(queue, log)
      const gate = deferred()
      void queue.add(() => gate.promise.then(() => "a"))
      const dropped = queue.add(async () => "b")
      dropped.catch(() => {})
      queue.pause()
      queue.clear()
      log.push("--- cleared")
      gate.resolve()
      await ticks(3)
      queue.start()
      void queue.add(async () => "c")
      await queue.onIdle()
      await ticks(2)
      return log
    }))
})

describe("more edges", () => {
  it("a signal option that is not an AbortSignal: add rejects with a TypeError naming Executor.add, nothing is queued", async () => {
    const queue = new Executor({ concurrency: 1, autoStart: false })
    let outcome: string
    try {
      outcome = `rejected ${String(await rejection(queue.add(async () => "ran", { signal: {} as AbortSignal })))}`
    } catch (error) {
      outcome = `threw ${String(error)}`
    }
    assert.match(outcome, /^rejected TypeError: Executor\.add/)
    expect(queue.stats).toMatchObject({ submitted: 0, queued: 0 })
  })

  it("close with a grace: fire-and-forget tasks it cancels while running cause no unhandled rejection (as those it drops)", async () => {
    const seen = await unhandledRejections(async () => {
      const queue = new Executor({ concurrency: 1 })
      void queue.add(({ signal }) => untilAborted(signal))
      void queue.add(async () => "queued")
      await tick()
      const report = await queue.close({ grace: 0 })
      expect(report).toStrictEqual({ completedInTime: false, neverRan: ["2"], interrupted: ["1"] })
    })
    expect(seen.map((e) => `${(e as Error).constructor.name}: ${(e as Error).message}`)).toStrictEqual([])
  })

  it.effect("a task's deadline reaches a Taskscope call given its signal (on the test clock)", () =>
    Effect.gen(function*() {
      const queue = yield* Effect.sync(() => new Executor())
      const seen: Array<unknown> = []
      const fiber = yield* Effect.fork(Effect.promise(() =>
        queue.add(({ signal }) => {
          seen.push(deadlineOf(signal))
          return withTimeout(10_000, (inner) => untilAborted(inner), { signal })
        }, { timeout: 1_000 }).catch((e) => e)
      ))
      yield* settle
      expect(seen).toStrictEqual([1_000])
      yield* TestClock.adjust(1_000)
      assert.instanceOf(yield* Fiber.join(fiber), TimeoutError)
    }))

  it("limit(): the call is active at once and its function is called a microtask later, as in p-limit 7", async () => {
    const logs: Array<Array<string>> = []
    for (const make of [pLimit, limit] as const) {
      const log: Array<string> = []
      const limited = make(2)
      const done = limited(async (x: number) => void log.push(`called with ${x}`), 1)
      log.push(`after the call: active ${limited.activeCount}, pending ${limited.pendingCount}`)
      await done
      logs.push(log)
    }
    expect(logs[1]).toStrictEqual(logs[0])
    expect(logs[0]).toStrictEqual(["after the call: active 1, pending 0", "called with 1"])
    assert.throws(() => limit({ concurrency: 2, rejectOnClear: "yes" as never }), /rejectOnClear/)
    assert.throws(() => limit("2" as never), /actual 2/)
  })

  it("limitFunction: the same calls, order and clearQueue as p-limit's", async () => {
    const logs: Array<Array<string>> = []
    for (const make of [pLimitFunction, limitFunction] as const) {
      const log: Array<string> = []
      const gate = deferred()
      const fetchOne = make(async (name: string, n: number) => {
        log.push(`start ${name}`)
        await gate.promise
        return `${name}${n}`
      }, { concurrency: 2, rejectOnClear: true })
      const calls = ["a", "b", "c", "d"].map((name, n) => fetchOne(name, n).then(String, (e) => `dropped (${e.name})`))
      await tick()
      fetchOne.clearQueue()
      gate.resolve()
      log.push(...(await Promise.all(calls)))
      logs.push(log)
    }
    // with rejectOnClear, both reject what clearQueue dropped with an AbortError
    expect(logs[0]).toStrictEqual(["start a", "start b", "a0", "b1", "dropped (AbortError)", "dropped (AbortError)"])
    expect(logs[1]).toStrictEqual(logs[0])
    assert.throws(() => limitFunction(42 as never, { concurrency: 1 }), /limitFunction: Expected a function, actual 42/)
  })

  it("isSaturated and isRateLimited, as p-queue has them", () =>
    same(async (make) => {
      const log: Array<string> = []
      const queue = make({ concurrency: 1 }) as Queue & { isSaturated: boolean }
      const gate = deferred()
      log.push(`empty: ${queue.isSaturated}`)
      const first = queue.add(() => gate.promise)
      log.push(`one running: ${queue.isSaturated}`)
      const second = queue.add(async () => 2)
      log.push(`one waiting: ${queue.isSaturated}`)
      gate.resolve()
      await Promise.all([first, second])
      log.push(`done: ${queue.isSaturated}`)
      return log
    }))

  it("limit(): a function returning a thenable whose then throws rejects, and the next call runs (as p-limit)", async () => {
    const outcomes: Array<Array<string>> = []
    for (const make of [pLimit, limit] as const) {
      const run = make(1) as ReturnType<typeof limit>
      const log: Array<string> = []
      let first: Promise<unknown> | undefined
      try {
        first = run(() =>
          ({
            then() {
              throw new Error("bad thenable")
            }
          }) as unknown as PromiseLike<number>
        )
      } catch (error) {
        log.push(`threw ${(error as Error).message}`)
      }
      if (first !== undefined) {
        log.push(await first.then(() => "fulfilled", (e) => `rejected ${(e as Error).message}`))
      }
      log.push(await Promise.race([run(async () => "next ran"), ticks(5).then(() => "next never ran")]))
      outcomes.push(log)
    }
    expect(outcomes[1]).toStrictEqual(outcomes[0])
  })
})

describe("the rate against p-queue's strict window (fake timers)", () => {
  it("intervalCap 2 per 100 ms, tasks of different lengths, one added later: the same start times", async () => {
    const scenario = async (make: Make) => {
      vi.useFakeTimers({ now: 0 })
      try {
        const log: Array<string> = []
        const queue = make({ intervalCap: 2, interval: 100, concurrency: 3, strict: true })
        const job = (name: string, ms: number) => () =>
          new Promise<void>((resolve) => {
            log.push(`${name} starts at ${Date.now()}`)
            setTimeout(resolve, ms)
          })
        const all = [job("a", 10), job("b", 150), job("c", 10), job("d", 10), job("e", 10)].map((j) => queue.add(j))
        await vi.advanceTimersByTimeAsync(120)
        all.push(queue.add(job("f", 10)))
        for (let i = 0; i < 10; i++) await vi.advanceTimersByTimeAsync(25)
        await Promise.all(all)
        log.push(`done at ${Date.now()} size=${queue.size} pending=${queue.pending}`)
        return log
      } finally {
        vi.useRealTimers()
      }
    }
    const ours = await scenario(implementations[1][1])
    expect(ours.slice(0, 4)).toStrictEqual(["a starts at 0", "b starts at 0", "c starts at 100", "d starts at 100"])
    await same(scenario)
  })
})

describe("waiters when close's grace drops the queue", () => {
  it.effect("onSizeLessThan resolves when the grace drops what waits for the rate window (nothing running)", () =>
    Effect.gen(function*() {
      const queue = yield* Effect.sync(() => new Executor({ intervalCap: 1, interval: 10_000 }))
      const tasks = [1, 2, 3].map((i) =>
        queue.add(async () => i).catch((e) => e instanceof CancelledError ? "cancelled" : String(e))
      )
      yield* settle
      expect(queue.stats).toMatchObject({ succeeded: 1, queued: 2, running: 0, rateLimited: true })
      const below = queue.onSizeLessThan(1)
      const report = yield* Effect.promise(() => queue.close({ grace: 0 }))
      expect(report).toStrictEqual({ completedInTime: false, neverRan: ["2", "3"], interrupted: [] })
      expect(yield* Effect.promise(() => Promise.all(tasks))).toStrictEqual([1, "cancelled", "cancelled"])
      assert.strictEqual(yield* Effect.promise(() => stateOf(below)), "fulfilled")
    }))
})
