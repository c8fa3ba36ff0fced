/**
 * The Executor against p-queue: each scenario runs on p-queue itself and on the Executor, and the
 * two logs must be equal — what a p-queue user sees after changing the import. The documented
 * differences (timeouts that cancel, `clear` that settles, signals on every task) have tests of
 * their own below.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import {
  CancelledError,
  Executor,
  gather,
  semaphore,
  SuppressedError,
  TaskDroppedError,
  TimeoutError
} from "@taskscope/promise"
import { Duration } from "effect"
import { deferred, rejection, stateOf, tick, ticks, unhandledRejections, untilAborted } from "./helpers.js"
import { implementations, type Make, same } from "./pqueue.js"

/** p-queue's README "advanced example", on the given queue. */
const advancedExample = async (make: Make): Promise<Array<string>> => {
  {
    const log: Array<string> = []
    const queue = make({ concurrency: 1 })
    const done: Array<Promise<void>> = []
    done.push((async () => {
      await queue.add(async () => "🦄")
      log.push("5. Resolved")
    })())
    log.push("1. Added 🦄")
    done.push((async () => {
      await queue.add(async () => "🐴")
      log.push("6. Resolved")
    })())
    log.push("2. Added 🐴")
    done.push((async () => {
      await queue.onEmpty()
      log.push("7. Queue is empty")
    })())
    log.push(`3. Queue size: ${queue.size}`)
    log.push(`4. Pending promises: ${queue.pending}`)
    await Promise.all(done)
    await ticks(3)
    log.push(`8. Pending promises: ${queue.pending}`)
    const last = (async () => {
      await queue.add(async () => "🐙")
      log.push("11. Resolved")
    })()
    log.push("9. Added 🐙")
    log.push(`10. Pending promises: ${queue.pending}`)
    await queue.onIdle()
    log.push("12. All work is done")
    await last
    return log
  }
}

describe("Executor behaves as p-queue", () => {
  it("the README's advanced example, line for line", async () => {
    const reference = await advancedExample(implementations[0][1])
    expect(reference).toStrictEqual([
      "1. Added 🦄",
      "2. Added 🐴",
      "3. Queue size: 1",
      "4. Pending promises: 1",
      "5. Resolved",
      "6. Resolved",
      "7. Queue is empty",
      "8. Pending promises: 0",
      "9. Added 🐙",
      "10. Pending promises: 1",
      "11. Resolved",
      "12. All work is done"
    ])
    expect(await advancedExample(implementations[1][1])).toStrictEqual(reference)
  })

  it("higher priority runs first, FIFO among equals", () =>
    same(async (make) => {
      const order: Array<string> = []
      const queue = make({ concurrency: 1 })
      const job = (name: string) => async () => {
        order.push(name)
        await tick()
      }
      const all = [
        queue.add(job("first")), // starts at once
        queue.add(job("low"), { priority: -1 }),
        queue.add(job("normal-1")),
        queue.add(job("high"), { priority: 5 }),
        queue.add(job("normal-2"))
      ]
      await Promise.all(all)
      return order
    }))

  it("setPriority: the README's 🦀 runs second, then last", () =>
    same(async (make) => {
      const runs: Array<Array<string>> = []
      for (const [initial, moved] of [[0, 2], [1, -1]] as const) {
        const order: Array<string> = []
        const queue = make({ concurrency: 1 })
        const job = (name: string) => async () => void order.push(name)
        queue.add(job("🦄1"), { priority: 1 })
        queue.add(job("🦀"), { priority: initial, id: "🦀" })
        queue.add(job("🦄2"), { priority: 1 })
        queue.add(job("🦄3"), { priority: initial === 0 ? 1 : 0 })
        queue.setPriority("🦀", moved)
        await queue.onIdle()
        runs.push(order)
      }
      return runs
    }))

  it("setPriority of an id that is not queued throws a ReferenceError; a bad priority a TypeError", () =>
    same(async (make) => {
      const queue = make({ concurrency: 1 })
      queue.add(async () => tick(), { id: "running" })
      queue.add(async () => {}, { id: "queued" })
      const errors: Array<string> = []
      for (const [id, priority] of [["running", 1], ["nope", 1], ["queued", Number.NaN]] as const) {
        try {
          queue.setPriority(id, priority)
        } catch (error) {
          errors.push((error as Error).constructor.name)
        }
      }
      await queue.onIdle()
      return errors
    }))

  it("pause, start and autoStart: false", () =>
    same(async (make) => {
      const log: Array<string> = []
      const queue = make({ concurrency: 2, autoStart: false })
      for (let i = 0; i < 3; i++) queue.add(async () => void log.push(`ran ${i}`))
      await ticks(2)
      log.push(`paused=${queue.isPaused} size=${queue.size} pending=${queue.pending}`)
      queue.start()
      await queue.onIdle()
      queue.pause()
      queue.add(async () => void log.push("ran 3"))
      await ticks(2)
      log.push(`paused=${queue.isPaused} size=${queue.size}`)
      queue.start()
      await queue.onIdle()
      log.push(`paused=${queue.isPaused}`)
      return log
    }))

  it("concurrency can be raised while tasks wait", () =>
    same(async (make) => {
      const log: Array<string> = []
      const queue = make({ concurrency: 1 })
      const gate = deferred()
      for (let i = 0; i < 4; i++) queue.add(() => gate.promise)
      log.push(`before: pending=${queue.pending} size=${queue.size}`)
      queue.concurrency = 3
      await ticks(2)
      log.push(`after: pending=${queue.pending} size=${queue.size} concurrency=${queue.concurrency}`)
      gate.resolve()
      await queue.onIdle()
      try {
        queue.concurrency = 0
      } catch (error) {
        log.push((error as Error).constructor.name)
      }
      return log
    }))

  it("onSizeLessThan resolves once fewer tasks wait", () =>
    same(async (make) => {
      const log: Array<string> = []
      const queue = make({ concurrency: 1 })
      for (let i = 0; i < 5; i++) queue.add(async () => void log.push(`task ${i}`))
      await queue.onSizeLessThan(2)
      const below = queue.size < 2
      await queue.onIdle()
      return [below, ...log]
    }))

  it("a signal aborted while the task is queued removes it; add rejects with the reason", () =>
    same(async (make) => {
      const log: Array<string> = []
      const queue = make({ concurrency: 1 })
      const controller = new AbortController()
      const gate = deferred()
      queue.add(() => gate.promise)
      const aborted = queue.add(async () => void log.push("never"), { signal: controller.signal })
      log.push(`size=${queue.size}`)
      controller.abort(new Error("not needed"))
      log.push(`rejected: ${((await rejection(aborted)) as Error).message}`)
      log.push(`size=${queue.size}`)
      gate.resolve()
      await queue.onIdle()
      const already = queue.add(async () => 1, { signal: AbortSignal.abort("too late") })
      log.push(`rejected: ${String(await rejection(already))}`)
      return log
    }))

  it("addAll resolves with the values in order; sync functions and throws are handled", () =>
    same(async (make) => {
      const queue = make({ concurrency: 2 })
      const values = await queue.addAll([async () => 1, () => 2, async () => 3])
      const thrown = await rejection(queue.add(() => {
        throw new RangeError("sync throw")
      }))
      return [values, (thrown as Error).name, (thrown as Error).message]
    }))

  it("sizeBy counts queued tasks by priority", () =>
    same(async (make) => {
      const queue = make({ concurrency: 1 })
      const gate = deferred()
      queue.add(() => gate.promise)
      queue.add(async () => "🦄", { priority: 1 })
      queue.add(async () => "🦄", { priority: 0 })
      queue.add(async () => "🦄", { priority: 1 })
      const counts = [queue.sizeBy({ priority: 1 }), queue.sizeBy({ priority: 0 }), queue.size]
      gate.resolve()
      await queue.onIdle()
      return counts
    }))

  it("runningTasks lists ids and priorities of running tasks", () =>
    same(async (make) => {
      const queue = make({ concurrency: 2 })
      const gate = deferred()
      queue.add(() => gate.promise, { id: "user-123" })
      queue.add(() => gate.promise, { id: "posts-456", priority: 1 })
      queue.add(() => gate.promise, { id: "waiting" })
      const running = queue.runningTasks.map((t) => `${t.id}:${t.priority}`)
      gate.resolve()
      await queue.onIdle()
      return running
    }))

  it("a timeout rejects with a TimeoutError (a function that honours its signal stops)", () =>
    same(async (make) => {
      const queue = make({ concurrency: 1, timeout: 20 })
      const error = await rejection(queue.add(({ signal }) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(resolve, 5_000)
          signal?.addEventListener("abort", () => {
            clearTimeout(timer)
            reject(signal.reason)
          })
        })
      ))
      const quick = await queue.add(async () => "in time")
      return [(error as Error).name, quick, queue.timeout]
    }))

  it("rejects bad options as p-queue does", () =>
    same(async (make) => {
      const errors: Array<string> = []
      for (
        const options of [{ concurrency: 0 }, { timeout: -1 }, { intervalCap: 0 }, { interval: -5 }, {
          interval: Infinity
        }]
      ) {
        try {
          make(options)
          errors.push("accepted")
        } catch (error) {
          errors.push((error as Error).constructor.name)
        }
      }
      return errors
    }))
})

describe("Executor events", () => {
  it("add, active, completed, error, empty, idle, pendingZero, next: the same events at the same moments", async () => {
    const scenario = async (make: Make) => {
      const log: Array<string> = []
      const queue = make({ concurrency: 2 })
      for (const event of ["add", "active", "empty", "idle", "pendingZero", "next"] as const) {
        queue.on(event, () => log.push(`${event} size=${queue.size} pending=${queue.pending}`))
      }
      queue.on("completed", (value) => log.push(`completed ${String(value)}`))
      queue.on("error", (error) => log.push(`error ${(error as Error).message}`))
      const gate = deferred()
      const jobs = [
        queue.add(async () => {
          await gate.promise
          return "a"
        }),
        queue.add(async () => {
          await gate.promise
          throw new Error("b failed")
        }).catch(() => {}),
        queue.add(async () => "c"),
        queue.add(() => {
          throw new Error("d threw")
        }).catch(() => {})
      ]
      log.push("--- added")
      gate.resolve()
      await Promise.all(jobs)
      await queue.onIdle()
      await ticks(2)
      return log
    }
    const reference = await scenario(implementations[0][1])
    expect(reference).toStrictEqual([
      "add size=1 pending=0",
      "active size=0 pending=1",
      "add size=1 pending=1",
      "active size=0 pending=2",
      "add size=1 pending=2",
      "add size=2 pending=2",
      "--- added",
      // a and b end together; c and d take their slots a microtask later
      "completed a",
      "error b failed",
      "active size=1 pending=2",
      "next size=1 pending=2",
      // d throws as it is called: its error comes before its own "active"
      "error d threw",
      "active size=0 pending=2",
      "next size=0 pending=2",
      "completed c",
      "empty size=0 pending=1",
      "next size=0 pending=1",
      "pendingZero size=0 pending=0",
      "empty size=0 pending=0",
      "idle size=0 pending=0",
      "next size=0 pending=0"
    ])
    expect(await scenario(implementations[1][1])).toStrictEqual(reference)
  })
})

describe("Executor, where it differs from p-queue on purpose", () => {
  it("a timeout aborts the task's signal and waits for it: the slot is held until it has stopped", async () => {
    const queue = new Executor({ concurrency: 1, timeout: 10 })
    const log: Array<string> = []
    const release = deferred()
    const first = queue.add(async ({ signal }) => {
      await untilAborted(signal).catch((e) => log.push(`aborted: ${(e as Error).name}`))
      await release.promise
      log.push("first stopped")
    })
    const second = queue.add(async () => void log.push("second ran"))
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(log).toStrictEqual(["aborted: TimeoutError"])
    assert.strictEqual(await stateOf(first), "pending")
    assert.strictEqual(queue.pending, 1)
    release.resolve()
    assert.instanceOf(await rejection(first), TimeoutError)
    await second
    expect(log).toStrictEqual(["aborted: TimeoutError", "first stopped", "second ran"])
  })

  it("clear() settles the dropped tasks' promises with TaskDroppedError, with no unhandled rejection", async () => {
    const dropped: Array<Promise<unknown>> = []
    const seen = await unhandledRejections(async () => {
      const queue = new Executor({ concurrency: 1 })
      const gate = deferred()
      const running = queue.add(() => gate.promise)
      for (let i = 0; i < 3; i++) dropped.push(queue.add(async () => i))
      assert.strictEqual(queue.size, 3)
      queue.clear()
      assert.strictEqual(queue.size, 0)
      gate.resolve()
      await running
      await queue.onIdle()
    })
    expect(seen).toStrictEqual([])
    for (const promise of dropped) assert.instanceOf(await rejection(promise), TaskDroppedError)
  })

  it("a task's options are a plain object with an own `signal`: spread, keys, JSON, `in`, inspect; read-only; extras kept", async () => {
    const { inspect } = await import("node:util")
    const queue = new Executor()
    const seen = await queue.add((options) => {
      const spread = { ...options }
      const json = JSON.stringify(Object.keys(options))
      const extra = options as unknown as Record<string, unknown>
      extra.mine = 1
      let assigned = "kept"
      try {
        ;(options as { signal: unknown }).signal = undefined
      } catch (error) {
        assigned = (error as Error).name
      }
      return {
        keys: Object.keys(spread),
        spreadSignal: spread.signal === options.signal && spread.signal instanceof AbortSignal,
        json,
        has: "signal" in options && Object.hasOwn(options, "signal"),
        plain: Object.getPrototypeOf(options) === Object.prototype,
        inspected: inspect(options).startsWith("{ signal: AbortSignal"),
        assigned,
        stillSignal: options.signal instanceof AbortSignal,
        extras: [extra.mine, Object.keys(options)]
      }
    })
    expect(seen).toStrictEqual({
      keys: ["signal"],
      spreadSignal: true,
      json: "[\"signal\"]",
      has: true,
      plain: true,
      inspected: true,
      assigned: "TypeError",
      stillSignal: true,
      extras: [1, ["signal", "mine"]]
    })
    // p-queue hands `{ signal }` too: the same keys
    const reference = await implementations[0][1]().add((options) => Object.keys(options))
    expect(reference).toStrictEqual(["signal"])
  })

  it("a running task gets its own signal; the caller's signal aborts it with its reason, then add rejects", async () => {
    const queue = new Executor()
    const controller = new AbortController()
    const log: Array<string> = []
    const task = queue.add(async ({ signal }) => {
      await untilAborted(signal).catch((e) => log.push(`aborted: ${String(e)}`))
      await tick()
      log.push("cleaned up")
    }, { signal: controller.signal })
    await tick()
    assert.strictEqual(queue.pending, 1)
    controller.abort("user left")
    assert.strictEqual(await rejection(task), "user left")
    expect(log).toStrictEqual(["aborted: user left", "cleaned up"])
    assert.strictEqual(queue.pending, 0)
  })

  it("errors come back as thrown: instanceof and fields intact", async () => {
    class RateLimited extends Error {
      constructor(readonly retryAfter: number) {
        super("429")
      }
    }
    const queue = new Executor({ concurrency: 2 })
    const error = await rejection(queue.add(async () => {
      throw new RateLimited(7)
    }))
    assert.instanceOf(error, RateLimited)
    assert.strictEqual((error as RateLimited).retryAfter, 7)
  })

  it("close() waits for every task, then refuses more; await using does the same", async () => {
    const log: Array<string> = []
    {
      await using queue = new Executor({ concurrency: 1 })
      for (let i = 0; i < 3; i++) {
        queue.add(async () => {
          await tick()
          log.push(`task ${i}`)
        })
      }
    }
    expect(log).toStrictEqual(["task 0", "task 1", "task 2"])
    const queue = new Executor()
    const report = await queue.close()
    expect(report).toStrictEqual({ completedInTime: true, neverRan: [], interrupted: [] })
    assert.match(String(await rejection(queue.add(async () => 1))), /ExecutorClosedError|draining or closed/)
  })

  it("close with a grace cancels what is left and reports it; no promise is left pending", async () => {
    const queue = new Executor({ concurrency: 1 })
    const running = queue.add(({ signal }) => untilAborted(signal), { id: "long" })
    const queued = queue.add(async () => "never", { id: "queued" })
    await tick()
    const report = await queue.close({ grace: 0 })
    expect(report).toStrictEqual({ completedInTime: false, neverRan: ["queued"], interrupted: ["long"] })
    assert.instanceOf(await rejection(running), CancelledError)
    assert.instanceOf(await rejection(queued), CancelledError)
  })

  it("a task that fails while it is being stopped: add rejects with a SuppressedError holding both", async () => {
    const queue = new Executor()
    const controller = new AbortController()
    const broken = new Error("cleanup broke")
    const task = queue.add(async ({ signal }) => {
      await untilAborted(signal).catch(() => {})
      throw broken
    }, { signal: controller.signal })
    await tick()
    controller.abort("user left")
    const error = await rejection(task)
    assert.instanceOf(error, SuppressedError)
    assert.strictEqual((error as SuppressedError).error, broken)
    assert.strictEqual((error as SuppressedError).suppressed, "user left")
    assert.strictEqual(queue.pending, 0)
  })

  it("stats classify by the core's one rule: a task that rejects with a TimeoutError of its own is timedOut", async () => {
    const queue = new Executor()
    const results = await Promise.allSettled([
      queue.add(() => Promise.reject(new TimeoutError({ deadline: 0, elapsed: Duration.millis(5) }))),
      queue.add(() => Promise.reject(new Error("boom"))),
      queue.add(() => "ok")
    ])
    expect(results.map((r) => r.status)).toStrictEqual(["rejected", "rejected", "fulfilled"])
    expect(queue.stats).toMatchObject({ succeeded: 1, failed: 1, timedOut: 1, cancelled: 0, done: 3 })
  })

  it("stats count every outcome; close resumes a paused executor and drains it", async () => {
    const queue = new Executor({ concurrency: 2 })
    const controller = new AbortController()
    // the abort comes once the fourth task runs, while the fifth still waits: a microtask after it starts,
    // so before the third task's 5 ms timeout can free a slot for the fifth (with a fixed event-loop
    // turn, a loaded machine let the timeout come first and the fifth run)
    let fourthStarted = () => {}
    const started = new Promise<void>((resolve) => (fourthStarted = resolve))
    const results = await Promise.allSettled([
      queue.add(async () => "ok"),
      queue.add(async () => {
        throw new Error("no")
      }),
      queue.add(({ signal }) => untilAborted(signal), { timeout: 5 }),
      queue.add(({ signal }) => {
        fourthStarted()
        return untilAborted(signal)
      }, { signal: controller.signal }),
      queue.add(async () => "queued, then aborted", { signal: controller.signal }),
      (async () => {
        await started
        controller.abort("stop")
      })()
    ])
    expect(results.map((r) => r.status)).toStrictEqual([
      "fulfilled",
      "rejected",
      "rejected",
      "rejected",
      "rejected",
      "fulfilled"
    ])
    const stats = queue.stats
    expect(stats).toMatchObject({
      submitted: 5,
      succeeded: 1,
      failed: 1,
      timedOut: 1,
      // the one aborted while queued is cancelled, and counted as dropped too
      cancelled: 2,
      dropped: 1,
      done: 5,
      queued: 0,
      running: 0,
      closed: false
    })
    assert.isAtLeast(stats.p99, stats.p50)

    queue.pause()
    const later = queue.add(async () => "after the pause")
    assert.strictEqual(queue.size, 1)
    const report = await queue.close()
    expect(report).toStrictEqual({ completedInTime: true, neverRan: [], interrupted: [] })
    assert.strictEqual(await later, "after the pause")
    assert.isTrue(queue.stats.closed)
  })

  it("a listener that throws does not break the executor", async () => {
    const queue = new Executor()
    const uncaught: Array<unknown> = []
    const onUncaught = (error: unknown) => uncaught.push(error)
    process.prependListener("uncaughtException", onUncaught)
    try {
      queue.on("completed", () => {
        throw new Error("listener bug")
      })
      assert.strictEqual(await queue.add(async () => 42), 42)
      await ticks(2)
    } finally {
      process.off("uncaughtException", onUncaught)
    }
    assert.strictEqual(uncaught.length, 1)
  })
})

// found in review: a bad argument that the core checks reached promise callers as Effect's
// IllegalArgumentException; a JavaScript caller gets a TypeError, as from the Executor's own checks
describe("a bad argument is a TypeError wherever it is checked", () => {
  const cases: ReadonlyArray<readonly [string, () => unknown]> = [
    ["Executor.close({ grace: \"abc\" })", () => new Executor().close({ grace: "abc" as never })],
    ["Executor.close({ grace: -1 })", () => new Executor().close({ grace: -1 })],
    ["semaphore(-1)", () => semaphore(-1)],
    ["gather(…, { concurrency: 0 })", () => gather([async () => 1], { concurrency: 0 })]
  ]
  for (const [name, call] of cases) {
    it(name, async () => {
      const error = await (async () => call())().then(() => undefined, (e: unknown) => e)
      assert.instanceOf(error, TypeError)
      assert.match((error as TypeError).message, /Expected/)
    })
  }
})
