/* eslint-disable @typescript-eslint/ban-ts-comment, @typescript-eslint/no-unused-vars, no-restricted-syntax -- p-queue's tests below, as they are (their `assert` is node:assert, on plain values) */
// @ts-nocheck -- the bodies below are p-queue's, typed for its own tsconfig (no exactOptionalPropertyTypes: `{concurrency: undefined}`)
/**
 * p-queue's own tests, the files under test/ that `node --test test/*.ts` runs in p-queue 9.3.5,
 * ported as they are: basic.ts, advanced.ts and strict.ts (at 03b8156), rate-limit.ts (89a10bb),
 * validation.ts (78f28cb), debug.ts (9c0a1cc) and priority-queue.ts (87077d0) — of the copies the
 * index stores, the latest of each: they test only APIs 9.3.5 has (its `strict`, `runningTasks`'
 * `timeoutRemaining`, its PriorityQueue's consumed prefix), and the older copies lack tests of them.
 * Only the imports and the runner change: node:test's `test` is vitest's `it`, once per
 * implementation; `assert` stays node:assert (strict, or loose for the two files that import it so);
 * delay, p-defer, time-span and random-int come from ./upstream.ts; `TimeoutError` is each
 * implementation's own (p-queue's re-exports p-timeout's). Real time, as upstream; the tests run five
 * at a time (describe.concurrent), about 35 s for the file; the slowest, 'update concurrency', 5 s.
 * Each test gets two more tries on either implementation: upstream runs them one at a time on an
 * idle machine, and here one of the Executor's failed 1 run in 4 ('rate-limit works with
 * pause/start', a 100 ms margin) with the other tests of the file running beside it.
 * Recorded: 177 tests; p-queue passes 176 (not 'pending promises with abortions counted fast
 * enough', below); the Executor passes 164, fails that one too, differs on purpose in 5 (`ours`:
 * it.fails, each with its reason) and skips 6 PriorityQueue tests and one that would hang.
 */
import { it } from "@effect/vitest"
import { Executor, TimeoutError as OurTimeoutError } from "@taskscope/promise"
import EventEmitter from "eventemitter3"
import looseAssert from "node:assert"
import strictAssert from "node:assert/strict"
import RealPQueue, { PriorityQueue as RealPriorityQueue, TimeoutError as RealTimeoutError } from "p-queue"
import { afterAll, beforeAll, describe } from "vitest"
import { delay, pDefer, randomInt, rejectionTracker, timeSpan } from "./upstream.js"

/**
 * Where the Executor is expected to differ from p-queue, on purpose (the differences table of
 * docs/guide/from-async-await.md): test title → [how, why]. `fails`: the test runs and must fail;
 * `skip`: it cannot run on the Executor at all, or would hang until vitest's timeout.
 */
const ours: Record<string, readonly ["skip" | "fails", string]> = {
  ".add() - change timeout in between": [
    "fails",
    "a timeout aborts the signal and rejects once the function stopped: this one ignores its signal, runs on and pushes 🐌"
  ],
  "should pass AbortSignal instance to job": [
    "fails",
    "the task gets the Executor's own signal, which follows the one given to add"
  ],
  "aborting multiple jobs at the same time": [
    "skip",
    "your signal rejects once the function stopped: these never stop (new Promise(() => {}) ignores its signal), so the test would hang"
  ],
  "strict mode throws error with interval=0": [
    "fails",
    "the TypeError's message names the function: 'Executor: The `strict` option requires …'"
  ],
  "strict mode throws error with intervalCap: Infinity": [
    "fails",
    "the TypeError's message names the function: 'Executor: The `strict` option requires …'"
  ],
  "improved timeout error includes queue state": [
    "fails",
    "the timeout's TimeoutError is Taskscope's, 'Deadline exceeded …', without p-queue's queue state"
  ],
  "PriorityQueue ignores dequeued items in queue operations": [
    "skip",
    "p-queue's own PriorityQueue class (its default queueClass): the Executor exports none"
  ],
  "PriorityQueue inserts high-priority items correctly after partial dequeue": [
    "skip",
    "p-queue's own PriorityQueue class (its default queueClass): the Executor exports none"
  ],
  "PriorityQueue removes the live duplicate id after partial dequeue": [
    "skip",
    "p-queue's own PriorityQueue class (its default queueClass): the Executor exports none"
  ],
  "PriorityQueue removes by run after partial dequeue": [
    "skip",
    "p-queue's own PriorityQueue class (its default queueClass): the Executor exports none"
  ],
  "PriorityQueue stays ordered after cursor compaction": [
    "skip",
    "p-queue's own PriorityQueue class (its default queueClass): the Executor exports none"
  ],
  "PriorityQueue setPriority works when only one live item remains": [
    "skip",
    "p-queue's own PriorityQueue class (its default queueClass): the Executor exports none"
  ]
}

/** Tests of the stored file that p-queue 9.3.5 itself fails (so does the Executor): title → why. */
const upstream: Record<string, string> = {
  "pending promises with abortions counted fast enough":
    "expects the 4th task to start within 200 ms while both slots hold 1 s tasks"
}

const implementations = [
  ["p-queue", RealPQueue, RealTimeoutError, RealPriorityQueue],
  ["Executor", Executor, OurTimeoutError, undefined]
] as const

const rejections = rejectionTracker()
beforeAll(rejections.install)
afterAll(rejections.check)

describe.concurrent.each(implementations)("p-queue's tests on %s", (name, PQueue, TimeoutError, PriorityQueue) => {
  const titles = new Set<string>()
  const test = (title, body) => {
    titles.add(title)
    const mark = name === "Executor" ? ours[title] : undefined
    if (title in upstream) it.fails(`${title} (fails on p-queue 9.3.5 too: ${upstream[title]})`, body)
    // real time with p-queue's margins (often 10%), five at a time beside other files: a test gets
    // two more tries (on either implementation alike); one that is wrong fails all three
    else if (mark === undefined) it(title, { retry: 2 }, body)
    else if (mark[0] === "skip") it.skip(`${title} (${mark[1]})`, body)
    else it.fails(`${title} (${mark[1]})`, body)
  }

  describe("test/basic.ts", () => {
    const assert = strictAssert

    const fixture = Symbol("fixture")

    test(".add()", async () => {
      const queue = new PQueue()
      const promise = queue.add(async () => fixture)
      assert.equal(queue.size, 0)
      assert.equal(queue.pending, 1)
      assert.equal(await promise, fixture)
    })

    test(".add() - limited concurrency", async () => {
      const queue = new PQueue({ concurrency: 2 })
      const promise = queue.add(async () => fixture)
      const promise2 = queue.add(async () => {
        await delay(100)
        return fixture
      })
      const promise3 = queue.add(async () => fixture)
      assert.equal(queue.size, 1)
      assert.equal(queue.pending, 2)
      assert.equal(await promise, fixture)
      assert.equal(await promise2, fixture)
      assert.equal(await promise3, fixture)
    })

    test(".add() - concurrency: 1", async () => {
      const input = [
        [10, 300],
        [20, 200],
        [30, 100]
      ]

      const end = timeSpan()
      const queue = new PQueue({ concurrency: 1 })

      const mapper = async ([value, ms]: ReadonlyArray<number>) =>
        queue.add(async () => {
          await delay(ms!)
          return value!
        })

      // (upstream, for xo) eslint-disable-next-line unicorn/no-array-callback-reference
      assert.deepEqual(await Promise.all(input.map(mapper)), [10, 20, 30])
      const duration = end() as number
      assert.ok(duration >= 590 && duration <= 650, `Expected duration to be between 590-650ms, got ${duration}ms`)
    })

    test(".add() - concurrency: 5", async () => {
      const concurrency = 5
      const queue = new PQueue({ concurrency })
      let running = 0

      const input = Array.from({ length: 100 }).fill(0).map(async () =>
        queue.add(async () => {
          running++
          assert.ok(running <= concurrency)
          assert.ok(queue.pending <= concurrency)
          await delay(randomInt(30, 200))
          running--
        })
      )

      await Promise.all(input)
    })

    test(".add() - update concurrency", async () => {
      let concurrency = 5
      const queue = new PQueue({ concurrency })
      let running = 0

      const input = Array.from({ length: 100 }).fill(0).map(async (_value, index) =>
        queue.add(async () => {
          running++

          assert.ok(running <= concurrency)
          assert.ok(queue.pending <= concurrency)

          await delay(randomInt(30, 200))
          running--

          if (index % 30 === 0) {
            queue.concurrency = --concurrency
            assert.equal(queue.concurrency, concurrency)
          }
        })
      )

      await Promise.all(input)
    })

    test(".add() - priority", async () => {
      const result: Array<number> = []
      const queue = new PQueue({ concurrency: 1 })
      queue.add(async () => result.push(1), { priority: 1 })
      queue.add(async () => result.push(0), { priority: 0 })
      queue.add(async () => result.push(1), { priority: 1 })
      queue.add(async () => result.push(2), { priority: 1 })
      queue.add(async () => result.push(3), { priority: 2 })
      queue.add(async () => result.push(0), { priority: -1 })
      await queue.onEmpty()
      assert.deepEqual(result, [1, 3, 1, 2, 0, 0])
    })

    test(".sizeBy() - priority", async () => {
      const queue = new PQueue()
      queue.pause()
      queue.add(async () => 0, { priority: 1 })
      queue.add(async () => 0, { priority: 0 })
      queue.add(async () => 0, { priority: 1 })
      assert.equal(queue.sizeBy({ priority: 1 }), 2)
      assert.equal(queue.sizeBy({ priority: 0 }), 1)
      queue.clear()
      await queue.onEmpty()
      assert.equal(queue.sizeBy({ priority: 1 }), 0)
      assert.equal(queue.sizeBy({ priority: 0 }), 0)
    })

    test(".add() - priority defaults to 0 when undefined", async () => {
      const result: Array<string> = []
      const queue = new PQueue({ concurrency: 1 })
      queue.add(async () => result.push("first"), { priority: undefined })
      queue.add(async () => result.push("second"), { priority: undefined })
      queue.add(async () => result.push("priority"), { priority: 1 })
      queue.add(async () => result.push("third"), { priority: undefined })
      await queue.onEmpty()
      assert.deepEqual(result, ["first", "priority", "second", "third"])
    })

    test(".add() - timeout always throws", async () => {
      const queue = new PQueue({ timeout: 300 })
      const errors: Array<unknown> = []

      // Task that will timeout
      await assert.rejects(
        queue.add(async () => {
          await delay(400)
          return "🐌"
        }),
        TimeoutError,
        "Task exceeding timeout should throw TimeoutError"
      )

      // Task that completes within timeout
      const result = await queue.add(async () => {
        await delay(200)
        return "🦆"
      })

      assert.equal(result, "🦆", "Task within timeout should complete normally")

      // Test with very short timeout
      await assert.rejects(
        queue.add(async () => delay(100), { timeout: 10 }),
        TimeoutError,
        "Short timeout should throw"
      )

      await queue.onIdle()
    })

    test(".add() - timeout behavior", async () => {
      const queue = new PQueue({ timeout: 300 })

      // Test multiple timeouts
      await assert.rejects(
        queue.add(async () => {
          await delay(400)
          return "🐌"
        }),
        TimeoutError
      )

      // Task that completes
      const result = await queue.add(async () => {
        await delay(200)
        return "🦆"
      })
      assert.equal(result, "🦆")

      // Test timeout override
      const longResult = await queue.add(async () => {
        await delay(400)
        return "🐢"
      }, { timeout: 500 })
      assert.equal(longResult, "🐢", "Task should complete with extended timeout")

      await queue.onIdle()
    })

    test(".add() - change timeout in between", async () => {
      const result: Array<string> = []
      const initialTimeout = 50
      const newTimeout = 200
      const queue = new PQueue({ timeout: initialTimeout, concurrency: 2 })

      // This task will timeout with initial timeout of 50ms
      await assert.rejects(
        queue.add(async () => {
          const { timeout } = queue
          assert.equal(timeout, initialTimeout)
          await delay(300)
          result.push("🐌")
        }),
        TimeoutError
      )

      queue.timeout = newTimeout

      // This task will complete within the new timeout of 200ms
      await queue.add(async () => {
        const { timeout } = queue
        assert.equal(timeout, newTimeout)
        await delay(100)
        result.push("🐅")
      })

      await queue.onIdle()
      assert.deepEqual(result, ["🐅"])
    })

    test(".onEmpty()", async () => {
      const queue = new PQueue({ concurrency: 1 })

      queue.add(async () => 0)
      queue.add(async () => 0)
      assert.equal(queue.size, 1)
      assert.equal(queue.pending, 1)
      await queue.onEmpty()
      assert.equal(queue.size, 0)

      queue.add(async () => 0)
      queue.add(async () => 0)
      assert.equal(queue.size, 1)
      assert.equal(queue.pending, 1)
      await queue.onEmpty()
      assert.equal(queue.size, 0)

      // Test an empty queue
      await queue.onEmpty()
      assert.equal(queue.size, 0)
    })

    test(".onIdle()", async () => {
      const queue = new PQueue({ concurrency: 2 })

      queue.add(async () => delay(100))
      queue.add(async () => delay(100))
      queue.add(async () => delay(100))
      assert.equal(queue.size, 1)
      assert.equal(queue.pending, 2)
      await queue.onIdle()
      assert.equal(queue.size, 0)
      assert.equal(queue.pending, 0)

      queue.add(async () => delay(100))
      queue.add(async () => delay(100))
      queue.add(async () => delay(100))
      assert.equal(queue.size, 1)
      assert.equal(queue.pending, 2)
      await queue.onIdle()
      assert.equal(queue.size, 0)
      assert.equal(queue.pending, 0)
    })

    test(".onSizeLessThan()", async () => {
      const queue = new PQueue({ concurrency: 1 })

      queue.add(async () => delay(100))
      queue.add(async () => delay(100))
      queue.add(async () => delay(100))
      queue.add(async () => delay(100))
      queue.add(async () => delay(100))

      await queue.onSizeLessThan(4)
      assert.equal(queue.size, 3)
      assert.equal(queue.pending, 1)

      await queue.onSizeLessThan(2)
      assert.equal(queue.size, 1)
      assert.equal(queue.pending, 1)

      await queue.onSizeLessThan(10)
      assert.equal(queue.size, 1)
      assert.equal(queue.pending, 1)

      await queue.onSizeLessThan(1)
      assert.equal(queue.size, 0)
      assert.equal(queue.pending, 1)
    })

    test(".onSizeLessThan() resolves after clear()", async () => {
      const queue = new PQueue({ autoStart: false })

      queue.add(async () => delay(50))
      queue.add(async () => delay(50))

      assert.equal(queue.size, 2)
      assert.equal(queue.pending, 0)

      const sizePromise = queue.onSizeLessThan(1)

      queue.clear()

      await Promise.race([
        sizePromise,
        (async () => {
          await delay(200)
          throw new Error("clear() should resolve onSizeLessThan() waiters")
        })()
      ])

      assert.equal(queue.size, 0)
      assert.equal(queue.pending, 0)
    })

    test(".onIdle() - no pending", async () => {
      const queue = new PQueue()
      assert.equal(queue.size, 0)
      assert.equal(queue.pending, 0)

      // (upstream, for xo) eslint-disable-next-line @typescript-eslint/no-confusing-void-expression
      assert.equal(await queue.onIdle(), undefined)
    })

    test(".onPendingZero() - resolves immediately when pending === 0", async () => {
      const queue = new PQueue()
      assert.equal(queue.pending, 0)
      // (upstream, for xo) eslint-disable-next-line @typescript-eslint/no-confusing-void-expression
      assert.equal(await queue.onPendingZero(), undefined)
    })

    test(".onPendingZero() - waits for running tasks to finish", async () => {
      const queue = new PQueue({ concurrency: 2 })

      queue.add(async () => delay(100))
      queue.add(async () => delay(100))
      queue.add(async () => delay(100))
      queue.add(async () => delay(100))

      assert.equal(queue.size, 2)
      assert.equal(queue.pending, 2)

      await queue.onPendingZero()
      assert.equal(queue.pending, 0)
      // Queue may still have items
      assert.equal(queue.size, 0)
    })

    test(".onPendingZero() - works while paused with queued items", async () => {
      const queue = new PQueue({ concurrency: 2 })

      queue.add(async () => delay(50))
      queue.add(async () => delay(50))
      queue.add(async () => delay(50))
      queue.add(async () => delay(50))

      assert.equal(queue.size, 2)
      assert.equal(queue.pending, 2)

      queue.pause()

      // `.onPendingZero()` should still resolve when running tasks finish
      await queue.onPendingZero()
      assert.equal(queue.pending, 0)
      // Queued items remain since queue is paused
      assert.equal(queue.size, 2)
    })

    test(".onPendingZero() - multiple concurrent waiters all resolve", async () => {
      const queue = new PQueue({ concurrency: 1 })

      queue.add(async () => delay(50))

      const promise1 = queue.onPendingZero()
      const promise2 = queue.onPendingZero()
      const promise3 = queue.onPendingZero()

      await Promise.all([promise1, promise2, promise3])
      assert.equal(queue.pending, 0)
    })

    test(".onPendingZero() - resolves even if tasks throw errors", async () => {
      const queue = new PQueue({ concurrency: 2 })

      // Add task that will throw error and handle it
      const errorTask = (async () => {
        try {
          await queue.add(async () => {
            await delay(50)
            throw new Error("Task failed")
          })
        } catch {
          // Expected error - ignore
        }
      })()

      queue.add(async () => delay(50))

      assert.equal(queue.pending, 2)

      await queue.onPendingZero()
      assert.equal(queue.pending, 0)

      // Ensure error task completes
      await errorTask
    })

    test(".onPendingZero() - works after clear()", async () => {
      const queue = new PQueue({ concurrency: 1 })

      queue.add(async () => delay(50))
      queue.add(async () => delay(50))
      queue.add(async () => delay(50))

      assert.equal(queue.pending, 1)
      assert.equal(queue.size, 2)

      // Clear removes queued items but not running ones
      queue.clear()
      assert.equal(queue.pending, 1)
      assert.equal(queue.size, 0)

      await queue.onPendingZero()
      assert.equal(queue.pending, 0)
    })

    test(".onPendingZero() - integration with pause/start", async () => {
      const queue = new PQueue({ concurrency: 2 })
      const results: Array<number> = []

      queue.add(async () => {
        await delay(100)
        results.push(1)
      })
      queue.add(async () => {
        await delay(100)
        results.push(2)
      })
      queue.add(async () => {
        await delay(50)
        results.push(3)
      })

      assert.equal(queue.pending, 2)
      assert.equal(queue.size, 1)

      queue.pause()
      await queue.onPendingZero()

      // First 2 tasks should be done
      assert.deepEqual(results, [1, 2])
      assert.equal(queue.pending, 0)
      assert.equal(queue.size, 1)

      queue.start()
      await queue.onIdle()

      assert.deepEqual(results, [1, 2, 3])
    })

    test(".onPendingZero() - adding tasks while waiting", async () => {
      const queue = new PQueue({ concurrency: 2 })

      queue.add(async () => delay(100))
      queue.add(async () => delay(100))

      const pendingZeroPromise = queue.onPendingZero()

      // Add more tasks while waiting - they should not block onPendingZero
      queue.add(async () => delay(50))
      queue.add(async () => delay(50))

      assert.equal(queue.size, 2)

      await pendingZeroPromise
      assert.equal(queue.pending, 0)
      // New tasks should have started
      assert.equal(queue.size, 0)
    })

    test(".onPendingZero() - rapid sequential calls", async () => {
      const queue = new PQueue({ concurrency: 1 })

      queue.add(async () => delay(50))

      const promise1 = queue.onPendingZero()
      await promise1

      // Immediate second call should resolve immediately
      const startTime = Date.now()
      await queue.onPendingZero()
      const elapsed = Date.now() - startTime

      assert.ok(elapsed < 10, "Should resolve immediately when pending is 0")
    })

    test(".onPendingZero() - high concurrency", async () => {
      const queue = new PQueue({ concurrency: 100 })
      const taskCount = 200

      for (let index = 0; index < taskCount; index++) {
        queue.add(async () => delay(10))
      }

      assert.equal(queue.pending, 100)
      assert.equal(queue.size, 100)

      queue.pause()

      await queue.onPendingZero()
      assert.equal(queue.pending, 0)
      assert.equal(queue.size, 100)
    })

    test(".onPendingZero() - starts with empty queue", async () => {
      const queue = new PQueue({ concurrency: 2 })

      // Should resolve immediately when queue starts empty
      await queue.onPendingZero()
      assert.equal(queue.pending, 0)

      // Add tasks and immediately call `.onPendingZero()`
      queue.add(async () => delay(50))
      queue.add(async () => delay(50))

      const pendingZeroPromise = queue.onPendingZero()
      assert.equal(queue.pending, 2)

      await pendingZeroPromise
      assert.equal(queue.pending, 0)
    })

    test(".onPendingZero() - works with onEmpty and onIdle", async () => {
      const queue = new PQueue({ concurrency: 2 })
      const events: Array<string> = []

      queue.add(async () => delay(50))
      queue.add(async () => delay(50))
      queue.add(async () => delay(50))
      queue.add(async () => delay(50))

      queue.pause()

      const onEmptyPromise = (async () => {
        await queue.onEmpty()
        events.push("empty")
      })()

      const onPendingZeroPromise = (async () => {
        await queue.onPendingZero()
        events.push("pendingZero")
      })()

      const onIdlePromise = (async () => {
        await queue.onIdle()
        events.push("idle")
      })()

      // Wait for running tasks to finish
      await onPendingZeroPromise

      // `pendingZero`` should fire first since queue is paused
      assert.deepEqual(events, ["pendingZero"])

      queue.start()
      await Promise.all([onEmptyPromise, onIdlePromise])

      // Empty fires when queue is empty, idle when all done
      assert.deepEqual(events, ["pendingZero", "empty", "idle"])
    })

    test(".clear()", () => {
      const queue = new PQueue({ concurrency: 2 })
      queue.add(async () => delay(20_000))
      queue.add(async () => delay(20_000))
      queue.add(async () => delay(20_000))
      queue.add(async () => delay(20_000))
      queue.add(async () => delay(20_000))
      queue.add(async () => delay(20_000))
      assert.equal(queue.size, 4)
      assert.equal(queue.pending, 2)
      queue.clear()
      assert.equal(queue.size, 0)
    })

    test(".clear() resolves onEmpty() and onIdle() waiters", async () => {
      const queue = new PQueue({ autoStart: false })

      queue.add(async () => delay(50))
      queue.add(async () => delay(50))

      const onEmptyPromise = queue.onEmpty()
      const onIdlePromise = queue.onIdle()

      queue.clear()

      await Promise.race([
        Promise.all([onEmptyPromise, onIdlePromise]),
        (async () => {
          await delay(200)
          throw new Error("clear() should resolve onEmpty() and onIdle() waiters")
        })()
      ])

      assert.equal(queue.size, 0)
      assert.equal(queue.pending, 0)
    })

    test(".clear() with running tasks emits empty but not idle", async () => {
      const queue = new PQueue({ concurrency: 1 })
      const events: Array<string> = []

      queue.on("empty", () => events.push("empty"))
      queue.on("idle", () => events.push("idle"))

      // Start a long-running task
      const taskPromise = queue.add(async () => {
        await delay(100)
        return "done"
      })

      // Add more tasks to the queue
      queue.add(async () => delay(50))
      queue.add(async () => delay(50))

      await delay(10) // Let first task start

      assert.equal(queue.pending, 1)
      assert.equal(queue.size, 2)

      // Clear while task is running
      queue.clear()

      assert.equal(queue.size, 0)
      assert.equal(queue.pending, 1) // Still running

      // Should have emitted 'empty' but not 'idle' yet
      assert.ok(events.includes("empty"), "Should emit empty")
      assert.ok(!events.includes("idle"), "Should not emit idle while tasks are running")

      // Wait for running task to complete
      await taskPromise

      // Now idle should be emitted
      assert.ok(events.includes("idle"), "Should emit idle after running task completes")
    })

    test(".addAll()", async () => {
      const queue = new PQueue()
      const fn = async (): Promise<symbol> => fixture
      const functions = [fn, fn]
      const promise = queue.addAll(functions)
      assert.equal(queue.size, 0)
      assert.equal(queue.pending, 2)
      assert.deepEqual(await promise, [fixture, fixture])
    })

    test(".addAll() assigns unique IDs to each task", async () => {
      const queue = new PQueue({ concurrency: 1 })
      const ids: Array<string | undefined> = []

      // Capture IDs by using setPriority which throws if ID doesn't exist
      const fn1 = async () => {
        ids.push("task1")
      }

      const fn2 = async () => {
        ids.push("task2")
      }

      const fn3 = async () => {
        ids.push("task3")
      }

      // Pass shared options - each task should still get a unique ID
      await queue.addAll([fn1, fn2, fn3], { priority: 1 })

      assert.equal(ids.length, 3)
    })

    test(".addAll() with options does not mutate the options object", async () => {
      const queue = new PQueue({ concurrency: 1 })
      const options = { priority: 5 }

      await queue.addAll([async () => "a", async () => "b"], options)

      // The original options object should not have an 'id' property added
      assert.equal("id" in options, false)
    })

    test("enforce number in options.concurrency", () => {
      assert.throws(
        () => {
          new PQueue({ concurrency: 0 })
        },
        { constructor: TypeError }
      )

      assert.throws(
        () => {
          new PQueue({ concurrency: undefined })
        },
        { constructor: TypeError }
      )

      assert.doesNotThrow(() => {
        new PQueue({ concurrency: 1 })
      })

      assert.doesNotThrow(() => {
        new PQueue({ concurrency: 10 })
      })

      assert.doesNotThrow(() => {
        new PQueue({ concurrency: Number.POSITIVE_INFINITY })
      })
    })

    test("enforce number in queue.concurrency", () => {
      assert.throws(
        () => {
          ;(new PQueue()).concurrency = 0
        },
        { constructor: TypeError }
      )

      assert.throws(
        () => {
          // @ts-expect-error Testing
          ;(new PQueue()).concurrency = undefined
        },
        { constructor: TypeError }
      )

      assert.doesNotThrow(() => {
        ;(new PQueue()).concurrency = 1
      })

      assert.doesNotThrow(() => {
        ;(new PQueue()).concurrency = 10
      })

      assert.doesNotThrow(() => {
        ;(new PQueue()).concurrency = Number.POSITIVE_INFINITY
      })
    })

    test("enforce number in options.intervalCap", () => {
      assert.throws(
        () => {
          new PQueue({ intervalCap: 0 })
        },
        { constructor: TypeError }
      )

      assert.throws(
        () => {
          new PQueue({ intervalCap: undefined })
        },
        { constructor: TypeError }
      )

      assert.doesNotThrow(() => {
        new PQueue({ intervalCap: 1 })
      })

      assert.doesNotThrow(() => {
        new PQueue({ intervalCap: 10 })
      })

      assert.doesNotThrow(() => {
        new PQueue({ intervalCap: Number.POSITIVE_INFINITY })
      })
    })

    test("enforce finite in options.interval", () => {
      assert.throws(
        () => {
          new PQueue({ interval: -1 })
        },
        { constructor: TypeError }
      )

      assert.throws(
        () => {
          new PQueue({ interval: undefined })
        },
        { constructor: TypeError }
      )

      assert.throws(() => {
        new PQueue({ interval: Number.POSITIVE_INFINITY })
      })

      assert.doesNotThrow(() => {
        new PQueue({ interval: 0 })
      })

      assert.doesNotThrow(() => {
        new PQueue({ interval: 10 })
      })

      assert.throws(() => {
        new PQueue({ interval: Number.POSITIVE_INFINITY })
      })
    })

    test("autoStart: false", () => {
      const queue = new PQueue({ concurrency: 2, autoStart: false })

      queue.add(async () => delay(20_000))
      queue.add(async () => delay(20_000))
      queue.add(async () => delay(20_000))
      queue.add(async () => delay(20_000))
      assert.equal(queue.size, 4)
      assert.equal(queue.pending, 0)
      assert.equal(queue.isPaused, true)

      queue.start()
      assert.equal(queue.size, 2)
      assert.equal(queue.pending, 2)
      assert.equal(queue.isPaused, false)

      queue.clear()
      assert.equal(queue.size, 0)
    })

    test(".start() - return this", async () => {
      const queue = new PQueue({ concurrency: 2, autoStart: false })

      queue.add(async () => delay(100))
      queue.add(async () => delay(100))
      queue.add(async () => delay(100))
      assert.equal(queue.size, 3)
      assert.equal(queue.pending, 0)
      await queue.start().onIdle()
      assert.equal(queue.size, 0)
      assert.equal(queue.pending, 0)
    })

    test(".start() - not paused", () => {
      const queue = new PQueue()

      assert.ok(!queue.isPaused)

      queue.start()

      assert.ok(!queue.isPaused)
    })

    test(".pause()", () => {
      const queue = new PQueue({ concurrency: 2 })

      queue.pause()
      queue.add(async () => delay(20_000))
      queue.add(async () => delay(20_000))
      queue.add(async () => delay(20_000))
      queue.add(async () => delay(20_000))
      queue.add(async () => delay(20_000))
      assert.equal(queue.size, 5)
      assert.equal(queue.pending, 0)
      assert.equal(queue.isPaused, true)

      queue.start()
      assert.equal(queue.size, 3)
      assert.equal(queue.pending, 2)
      assert.equal(queue.isPaused, false)

      queue.add(async () => delay(20_000))
      queue.pause()
      assert.equal(queue.size, 4)
      assert.equal(queue.pending, 2)
      assert.equal(queue.isPaused, true)

      queue.start()
      assert.equal(queue.size, 4)
      assert.equal(queue.pending, 2)
      assert.equal(queue.isPaused, false)

      queue.clear()
      assert.equal(queue.size, 0)
    })

    test(".add() sync/async mixed tasks", async () => {
      const queue = new PQueue({ concurrency: 1 })
      queue.add(() => "sync 1")
      queue.add(async () => delay(1000))
      queue.add(() => "sync 2")
      queue.add(() => fixture)
      assert.equal(queue.size, 3)
      assert.equal(queue.pending, 1)
      await queue.onIdle()
      assert.equal(queue.size, 0)
      assert.equal(queue.pending, 0)
    })

    test(".add() - handle task throwing error", async () => {
      const queue = new PQueue({ concurrency: 1 })

      // Add multiple tasks before any complete
      const task1 = queue.add(() => "sync 1")
      const task2 = queue.add(() => {
        throw new Error("broken")
      })
      const task3 = queue.add(() => "sync 2")

      // Wait for first task to complete
      await task1

      // Second task should reject
      await assert.rejects(task2, { message: "broken" })

      // Third task should still complete
      await task3

      await queue.onIdle()
    })

    test(".add() - handle task promise failure", async () => {
      const queue = new PQueue({ concurrency: 1 })

      await assert.rejects(
        queue.add(async () => {
          throw new Error("broken")
        }),
        { message: "broken" }
      )

      queue.add(() => "task #1")

      assert.equal(queue.pending, 1)

      await queue.onIdle()

      assert.equal(queue.pending, 0)
    })

    test(".addAll() sync/async mixed tasks", async () => {
      const queue = new PQueue()

      const functions: Array<() => string | Promise<void> | Promise<unknown>> = [
        () => "sync 1",
        async () => delay(2000),
        () => "sync 2",
        async () => fixture
      ]

      const promise = queue.addAll(functions)

      assert.equal(queue.size, 0)
      assert.equal(queue.pending, 4)
      assert.deepEqual(await promise, ["sync 1", undefined, "sync 2", fixture])
    })

    test("should resolve empty when size is zero", async () => {
      const queue = new PQueue({ concurrency: 1, autoStart: false })

      // It should take 1 seconds to resolve all tasks
      for (let index = 0; index < 100; index++) {
        queue.add(async () => delay(10))
      }

      ;(async () => {
        await queue.onEmpty()
        assert.equal(queue.size, 0)
      })()

      queue.start()

      // Pause at 0.5 second
      setTimeout(
        async () => {
          queue.pause()
          await delay(10)
          queue.start()
        },
        500
      )

      await queue.onIdle()
    })

    test(".add() - throttled", async () => {
      const result: Array<number> = []
      const queue = new PQueue({
        intervalCap: 1,
        interval: 500,
        autoStart: false
      })
      queue.add(async () => result.push(1))
      queue.start()
      await delay(250)
      queue.add(async () => result.push(2))
      assert.deepEqual(result, [1])
      await delay(300)
      assert.deepEqual(result, [1, 2])
    })

    test(".add() - throttled, carryoverIntervalCount false", async () => {
      const result: Array<number> = []

      const queue = new PQueue({
        intervalCap: 1,
        carryoverIntervalCount: false,
        interval: 500,
        autoStart: false
      })

      const values = [0, 1]
      for (const value of values) {
        queue.add(async () => {
          await delay(600)
          result.push(value)
        })
      }

      queue.start()
      ;(async () => {
        await delay(550)
        assert.equal(queue.pending, 2)
        assert.deepEqual(result, [])
      })()
      ;(async () => {
        await delay(650)
        assert.equal(queue.pending, 1)
        assert.deepEqual(result, [0])
      })()

      await delay(1250)
      assert.deepEqual(result, values)
    })

    test(".add() - throttled, carryoverIntervalCount true", async () => {
      const result: Array<number> = []

      const queue = new PQueue({
        carryoverIntervalCount: true,
        intervalCap: 1,
        interval: 500,
        autoStart: false
      })

      const values = [0, 1]
      for (const value of values) {
        queue.add(async () => {
          await delay(600)
          result.push(value)
        })
      }

      queue.start()
      ;(async () => {
        await delay(100)
        assert.deepEqual(result, [])
        assert.equal(queue.pending, 1)
      })()
      ;(async () => {
        await delay(550)
        assert.deepEqual(result, [])
        assert.equal(queue.pending, 1)
      })()
      ;(async () => {
        await delay(650)
        assert.deepEqual(result, [0])
        assert.equal(queue.pending, 0)
      })()
      ;(async () => {
        await delay(1550)
        assert.deepEqual(result, [0])
      })()

      await delay(1650)
      assert.deepEqual(result, values)
    })

    test(".add() - throttled 10, concurrency 5", async () => {
      const result: Array<number> = []

      const queue = new PQueue({
        concurrency: 5,
        intervalCap: 10,
        interval: 1000,
        autoStart: false
      })

      const firstValue = [...Array.from({ length: 5 }).keys()]
      const secondValue = [...Array.from({ length: 10 }).keys()]
      const thirdValue = [...Array.from({ length: 13 }).keys()]

      for (const value of thirdValue) {
        queue.add(async () => {
          await delay(300)
          result.push(value)
        })
      }

      queue.start()

      assert.deepEqual(result, [])
      ;(async () => {
        await delay(400)
        assert.deepEqual(result, firstValue)
        assert.equal(queue.pending, 5)
      })()
      ;(async () => {
        await delay(700)
        assert.deepEqual(result, secondValue)
      })()
      ;(async () => {
        await delay(1200)
        assert.equal(queue.pending, 3)
        assert.deepEqual(result, secondValue)
      })()

      await delay(1400)
      assert.deepEqual(result, thirdValue)
    })

    test(".add() - throttled finish and resume", async () => {
      const result: Array<number> = []

      const queue = new PQueue({
        concurrency: 1,
        intervalCap: 2,
        interval: 2000,
        autoStart: false
      })

      const values = [0, 1]
      const firstValue = [0, 1]
      const secondValue = [0, 1, 2]

      for (const value of values) {
        queue.add(async () => {
          await delay(100)
          result.push(value)
        })
      }

      queue.start()
      ;(async () => {
        await delay(1000)
        assert.deepEqual(result, firstValue)

        queue.add(async () => {
          await delay(100)
          result.push(2)
        })
      })()
      ;(async () => {
        await delay(1500)
        assert.deepEqual(result, firstValue)
      })()

      await delay(2200)
      assert.deepEqual(result, secondValue)
    })

    test("pause should work when throttled", async () => {
      const result: Array<number> = []

      const queue = new PQueue({
        concurrency: 2,
        intervalCap: 2,
        interval: 1000,
        autoStart: false
      })

      const values = [0, 1, 2, 3]
      const firstValue = [0, 1]
      const secondValue = [0, 1, 2, 3]

      for (const value of values) {
        queue.add(async () => {
          await delay(100)
          result.push(value)
        })
      }

      queue.start()
      ;(async () => {
        await delay(300)
        assert.deepEqual(result, firstValue)
      })()
      ;(async () => {
        await delay(600)
        queue.pause()
      })()
      ;(async () => {
        await delay(1400)
        assert.deepEqual(result, firstValue)
      })()
      ;(async () => {
        await delay(1500)
        queue.start()
      })()
      ;(async () => {
        await delay(2200)
        assert.deepEqual(result, secondValue)
      })()

      await delay(2500)
    })

    test(".onError() - rejects when task errors", async () => {
      const queue = new PQueue({ concurrency: 1 })

      queue.add(async () => delay(50))

      // Set up onError listener first
      const errorPromise = queue.onError()

      // Add task that will fail
      const task = queue.add(async () => {
        throw new Error("Task failed")
      })

      await assert.rejects(
        errorPromise,
        { message: "Task failed" }
      )

      // Clean up unhandled rejection
      await Promise.allSettled([task])
    })

    test(".onError() - captures first error in queue", async () => {
      const queue = new PQueue({ concurrency: 2 })

      // Set up onError listener first
      const errorPromise = queue.onError()

      // Add tasks
      const task1 = queue.add(async () => {
        await delay(100)
        throw new Error("First error")
      })

      const task2 = queue.add(async () => {
        await delay(200)
        throw new Error("Second error")
      })

      // Set up cleanup
      const cleanup = Promise.allSettled([task1, task2])

      // Wait for onError to reject with first error
      await assert.rejects(
        errorPromise,
        { message: "First error" },
        "Should reject with first error"
      )

      // Ensure all tasks completed
      await cleanup
    })

    test(".onError() - works with Promise.race pattern", async () => {
      const queue = new PQueue({ concurrency: 2 })

      queue.add(async () => delay(50))
      queue.add(async () => delay(100))

      const racePromise = Promise.race([
        queue.onError(),
        queue.onIdle()
      ])

      const task = queue.add(async () => {
        throw new Error("Failed task")
      })
      queue.add(async () => delay(150))

      // Stop processing on first error
      try {
        await racePromise
        assert.fail("Should have thrown error")
      } catch (error) {
        assert.equal((error as Error).message, "Failed task")
        queue.pause() // Stop processing remaining tasks
      }

      // Clean up unhandled rejection
      await Promise.allSettled([task])

      assert.equal(queue.isPaused, true)
    })

    test(".onError() - multiple listeners", async () => {
      const queue = new PQueue({ concurrency: 1 })

      queue.add(async () => delay(50))

      const error1 = queue.onError()
      const error2 = queue.onError()

      const task = queue.add(async () => {
        throw new Error("Task error")
      })

      await assert.rejects(error1, { message: "Task error" })
      await assert.rejects(error2, { message: "Task error" })

      // Clean up unhandled rejection
      await Promise.allSettled([task])
    })

    test(".onError() - works when called before adding tasks", async () => {
      const queue = new PQueue({ concurrency: 1 })

      // Call onError() before adding any tasks
      const errorPromise = queue.onError()

      // Add a task that errors
      const task = queue.add(async () => {
        throw new Error("Early error")
      })

      await Promise.allSettled([task])

      await assert.rejects(
        errorPromise,
        { message: "Early error" }
      )
    })
  })

  describe("test/advanced.ts", () => {
    const assert = strictAssert

    test("clear interval on pause", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 1
      })

      queue.add(() => {
        queue.pause()
      })

      queue.add(() => "task #1")

      await delay(300)

      assert.equal(queue.size, 1)
    })

    test("should be an event emitter", () => {
      const queue = new PQueue()
      assert.ok(queue instanceof EventEmitter)
    })

    test("should emit active event per item", async () => {
      const items = [0, 1, 2, 3, 4]
      const queue = new PQueue()

      let eventCount = 0
      queue.on("active", () => {
        eventCount++
      })

      for (const item of items) {
        queue.add(() => item)
      }

      await queue.onIdle()

      assert.equal(eventCount, items.length)
    })

    test("should emit idle event when idle", async () => {
      const queue = new PQueue({ concurrency: 1 })

      let timesCalled = 0
      queue.on("idle", () => {
        timesCalled++
      })

      const job1 = queue.add(async () => delay(100))
      const job2 = queue.add(async () => delay(100))

      assert.equal(queue.pending, 1)
      assert.equal(queue.size, 1)
      assert.equal(timesCalled, 0)

      await job1

      assert.equal(queue.pending, 1)
      assert.equal(queue.size, 0)
      assert.equal(timesCalled, 0)

      await job2

      assert.equal(queue.pending, 0)
      assert.equal(queue.size, 0)
      assert.equal(timesCalled, 1)

      const job3 = queue.add(async () => delay(100))

      assert.equal(queue.pending, 1)
      assert.equal(queue.size, 0)
      assert.equal(timesCalled, 1)

      await job3
      assert.equal(queue.pending, 0)
      assert.equal(queue.size, 0)
      assert.equal(timesCalled, 2)
    })

    test("should emit empty event when empty", async () => {
      const queue = new PQueue({ concurrency: 1 })

      let timesCalled = 0
      queue.on("empty", () => {
        timesCalled++
      })

      const { resolve: resolveJob1, promise: job1Promise } = pDefer()
      const { resolve: resolveJob2, promise: job2Promise } = pDefer()

      const job1 = queue.add(async () => job1Promise)
      const job2 = queue.add(async () => job2Promise)
      assert.equal(queue.size, 1)
      assert.equal(queue.pending, 1)
      assert.equal(timesCalled, 0)

      resolveJob1()
      await job1

      assert.equal(queue.size, 0)
      assert.equal(queue.pending, 1)
      assert.equal(timesCalled, 0)

      resolveJob2()
      await job2

      assert.equal(queue.size, 0)
      assert.equal(queue.pending, 0)
      assert.equal(timesCalled, 1)
    })

    test("should emit add event when adding task", async () => {
      const queue = new PQueue({ concurrency: 1 })

      let timesCalled = 0
      queue.on("add", () => {
        timesCalled++
      })

      const job1 = queue.add(async () => delay(100))

      assert.equal(queue.pending, 1)
      assert.equal(queue.size, 0)
      assert.equal(timesCalled, 1)

      const job2 = queue.add(async () => delay(100))

      assert.equal(queue.pending, 1)
      assert.equal(queue.size, 1)
      assert.equal(timesCalled, 2)

      await job1

      assert.equal(queue.pending, 1)
      assert.equal(queue.size, 0)
      assert.equal(timesCalled, 2)

      await job2

      assert.equal(queue.pending, 0)
      assert.equal(queue.size, 0)
      assert.equal(timesCalled, 2)

      const job3 = queue.add(async () => delay(100))

      assert.equal(queue.pending, 1)
      assert.equal(queue.size, 0)
      assert.equal(timesCalled, 3)

      await job3
      assert.equal(queue.pending, 0)
      assert.equal(queue.size, 0)
      assert.equal(timesCalled, 3)
    })

    test("should emit next event when completing task", async () => {
      const queue = new PQueue({ concurrency: 1 })

      let timesCalled = 0
      queue.on("next", () => {
        timesCalled++
      })

      const job1 = queue.add(async () => delay(100))

      assert.equal(queue.pending, 1)
      assert.equal(queue.size, 0)
      assert.equal(timesCalled, 0)

      const job2 = queue.add(async () => delay(100))

      assert.equal(queue.pending, 1)
      assert.equal(queue.size, 1)
      assert.equal(timesCalled, 0)

      await job1

      assert.equal(queue.pending, 1)
      assert.equal(queue.size, 0)
      assert.equal(timesCalled, 1)

      await job2

      assert.equal(queue.pending, 0)
      assert.equal(queue.size, 0)
      assert.equal(timesCalled, 2)

      const job3 = queue.add(async () => delay(100))

      assert.equal(queue.pending, 1)
      assert.equal(queue.size, 0)
      assert.equal(timesCalled, 2)

      await job3
      assert.equal(queue.pending, 0)
      assert.equal(queue.size, 0)
      assert.equal(timesCalled, 3)
    })

    test("should emit completed / error events", async () => {
      const queue = new PQueue({ concurrency: 1 })

      let errorEvents = 0
      let completedEvents = 0
      queue.on("error", () => {
        errorEvents++
      })
      queue.on("completed", () => {
        completedEvents++
      })

      const job1 = queue.add(async () => delay(100))

      assert.equal(queue.pending, 1)
      assert.equal(queue.size, 0)
      assert.equal(errorEvents, 0)
      assert.equal(completedEvents, 0)

      const job2 = queue.add(async () => {
        await delay(1)
        throw new Error("failure")
      })

      assert.equal(queue.pending, 1)
      assert.equal(queue.size, 1)
      assert.equal(errorEvents, 0)
      assert.equal(completedEvents, 0)

      await job1

      assert.equal(queue.pending, 1)
      assert.equal(queue.size, 0)
      assert.equal(errorEvents, 0)
      assert.equal(completedEvents, 1)

      await assert.rejects(job2)

      assert.equal(queue.pending, 0)
      assert.equal(queue.size, 0)
      assert.equal(errorEvents, 1)
      assert.equal(completedEvents, 1)

      const job3 = queue.add(async () => delay(100))

      assert.equal(queue.pending, 1)
      assert.equal(queue.size, 0)
      assert.equal(errorEvents, 1)
      assert.equal(completedEvents, 1)

      await job3
      assert.equal(queue.pending, 0)
      assert.equal(queue.size, 0)
      assert.equal(errorEvents, 1)
      assert.equal(completedEvents, 2)
    })

    test("should verify timeout overrides passed to add", async () => {
      const queue = new PQueue({ timeout: 200 })

      await assert.rejects(queue.add(async () => {
        await delay(400)
      }))

      await queue.add(async () => {
        await delay(400)
      }, { timeout: 600 })

      await queue.add(async () => {
        await delay(100)
      })

      await assert.rejects(queue.add(async () => {
        await delay(100)
      }, { timeout: 50 }))

      await queue.onIdle()
    })

    test("should skip an aborted job", async () => {
      const queue = new PQueue()
      const controller = new AbortController()

      controller.abort()
      // (upstream, for xo) eslint-disable-next-line @typescript-eslint/no-empty-function
      await assert.rejects(queue.add(() => {}, { signal: controller.signal }))
    })

    test("should pass AbortSignal instance to job", async () => {
      const queue = new PQueue()
      const controller = new AbortController()

      await queue.add(async ({ signal }) => {
        assert.equal(controller.signal, signal!)
      }, { signal: controller.signal })
    })

    test("aborted jobs do not use interval cap", async () => {
      const queue = new PQueue({
        concurrency: 1,
        interval: 100,
        intervalCap: 1
      })

      const controller = new AbortController()

      for (let index = 0; index < 5; index++) {
        // (upstream, for xo) eslint-disable-next-line promise/prefer-await-to-then, @typescript-eslint/no-empty-function
        queue.add(() => {}, { signal: controller.signal }).catch(() => {})
      }

      queue.add(() => {}) // (upstream, for xo) eslint-disable-line @typescript-eslint/no-empty-function

      controller.abort()
      await delay(150)
      assert.equal(queue.size, 0)
    })

    test("aborting multiple jobs at the same time", async () => {
      const queue = new PQueue({ concurrency: 1 })

      const controller1 = new AbortController()
      const controller2 = new AbortController()

      const task1 = queue.add(async () => new Promise(() => {}), { signal: controller1.signal }) // (upstream, for xo) eslint-disable-line @typescript-eslint/no-empty-function
      const task2 = queue.add(async () => new Promise(() => {}), { signal: controller2.signal }) // (upstream, for xo) eslint-disable-line @typescript-eslint/no-empty-function

      setTimeout(() => {
        controller1.abort()
        controller2.abort()
      }, 0)

      await assert.rejects(task1)
      await assert.rejects(task2)
      assert.equal(queue.size, 0)
      assert.equal(queue.pending, 0)
    })

    test("abort listener is removed when job is completed", async () => {
      const queue = new PQueue()

      // Track addEventListener/removeEventListener calls
      let listenerCount = 0
      const controller = new AbortController()
      const originalAddEventListener = controller.signal.addEventListener.bind(controller.signal)
      const originalRemoveEventListener = controller.signal.removeEventListener.bind(controller.signal)

      controller.signal.addEventListener = function(type, listener, options) {
        if (type === "abort") {
          listenerCount++
        }

        originalAddEventListener(type, listener, options)
      }

      controller.signal.removeEventListener = function(type, listener) {
        if (type === "abort") {
          listenerCount--
        }

        originalRemoveEventListener(type, listener)
      }

      // Add operations and verify listeners are cleaned up
      for (let index = 0; index < 5; index++) {
        await queue.add(async () => delay(10), { signal: controller.signal }) // (upstream, for xo) eslint-disable-line no-await-in-loop
        assert.equal(listenerCount, 0, `Listener ${index + 1} was not cleaned up`)
      }

      assert.equal(queue.size, 0)
      assert.equal(queue.pending, 0)
    })

    test("pending promises counted fast enough", async () => {
      const queue = new PQueue({ autoStart: false, concurrency: 2 })

      let hasThirdRun = false

      queue.add(async () => delay(1000))
      queue.add(async () => delay(1000))
      queue.add(async () => {
        hasThirdRun = true
      })

      queue.start()

      await delay(100)

      assert.ok(!hasThirdRun)
    })

    test("pending promises with abortions counted fast enough", async () => {
      const queue = new PQueue({ autoStart: false, concurrency: 2 })

      const controller = new AbortController()

      let hasThirdRun = false

      queue.add(async () => delay(1000))
      queue.add(async () => delay(1000))
      const abortedPromise = queue.add(async () => delay(1000), { signal: controller.signal })
      queue.add(async () => {
        hasThirdRun = true
      })

      controller.abort()
      queue.start()

      await delay(100)

      assert.ok(!hasThirdRun)
      await assert.rejects(abortedPromise)

      await delay(100)

      assert.ok(hasThirdRun)
    })

    test("intervalCap", async () => {
      const queue = new PQueue({
        interval: 1000,
        intervalCap: 2
      })

      let hasThirdRun = false

      queue.add(async () => "🧜♂️")
      queue.add(async () => "🧜♂️")
      queue.add(async () => {
        hasThirdRun = true
      })

      await delay(100)

      assert.ok(!hasThirdRun)

      await delay(1500)

      assert.ok(hasThirdRun)
    })

    test("consumed interval is remembered between idle states", async () => {
      const queue = new PQueue({
        interval: 1000,
        intervalCap: 2
      })

      await queue.add(async () => "🧜♂️")

      await delay(300)

      let hasThirdRun = false

      queue.add(async () => {
        await delay(200)
        return "🧜♂️"
      })
      queue.add(async () => {
        hasThirdRun = true
      })

      await delay(50)

      assert.ok(!hasThirdRun)

      await delay(1500)

      assert.ok(hasThirdRun)
    })

    test("consumed interval is updated on time, even between idle states", async () => {
      const queue = new PQueue({
        interval: 1000,
        intervalCap: 2
      })

      await queue.addAll([
        async () => {
          await delay(500)
          return "🧜♂️"
        },
        async () => {
          await delay(500)
          return "🧜♂️"
        }
      ])

      await delay(600)

      let hasThirdRun = false

      queue.add(async () => {
        hasThirdRun = true
      })

      await delay(50)

      assert.ok(hasThirdRun)
    })

    test(".setPriority() - execute a promise before planned", async () => {
      const result: Array<string> = []
      const queue = new PQueue({ concurrency: 1 })
      queue.add(async () => {
        await delay(400)
        result.push("🐌")
      }, { id: "🐌" })
      queue.add(async () => {
        await delay(400)
        result.push("🦆")
      }, { id: "🦆" })
      queue.add(async () => {
        await delay(400)
        result.push("🐢")
      }, { id: "🐢" })
      queue.setPriority("🐢", 1)
      await queue.onIdle()
      assert.deepEqual(result, ["🐌", "🐢", "🦆"])
    })

    test("interval should be maintained when using await between adds (issue #182)", async () => {
      const queue = new PQueue({
        intervalCap: 1,
        interval: 100
      })

      const timestamps: Array<number> = []

      // Add first 3 tasks without await
      queue.add(() => {
        timestamps.push(Date.now())
        return "task1"
      })
      queue.add(() => {
        timestamps.push(Date.now())
        return "task2"
      })
      queue.add(() => {
        timestamps.push(Date.now())
        return "task3"
      })

      // Add task 4 with await
      await queue.add(() => {
        timestamps.push(Date.now())
        return "task4"
      })

      // Add task 5 with await - this should still respect interval
      await queue.add(() => {
        timestamps.push(Date.now())
        return "task5"
      })

      // Add task 6 with await
      await queue.add(() => {
        timestamps.push(Date.now())
        return "task6"
      })

      // Check intervals between tasks
      for (let index = 1; index < timestamps.length; index++) {
        const interval = timestamps[index] - timestamps[index - 1]
        // Allow 10ms tolerance for timing
        assert.ok(interval >= 90, `Interval between task ${index} and ${index + 1} was ${interval}ms, expected >= 90ms`)
      }
    })

    test("interval maintained when queue becomes empty multiple times", async () => {
      const queue = new PQueue({
        intervalCap: 1,
        interval: 100
      })

      const timestamps: Array<number> = []

      // First batch
      await queue.add(() => {
        timestamps.push(Date.now())
        return "task1"
      })
      await queue.add(() => {
        timestamps.push(Date.now())
        return "task2"
      })

      // Queue is empty, wait a bit
      await delay(50)

      // Second batch - should still respect interval from task 2
      await queue.add(() => {
        timestamps.push(Date.now())
        return "task3"
      })
      await queue.add(() => {
        timestamps.push(Date.now())
        return "task4"
      })

      // Check all intervals
      for (let index = 1; index < timestamps.length; index++) {
        const interval = timestamps[index] - timestamps[index - 1]
        assert.ok(interval >= 90, `Interval between task ${index} and ${index + 1} was ${interval}ms, expected >= 90ms`)
      }
    })

    test("interval reset after long idle period", async () => {
      const queue = new PQueue({
        intervalCap: 1,
        interval: 100
      })

      const timestamps: Array<number> = []

      // Run first task
      await queue.add(() => {
        timestamps.push(Date.now())
        return "task1"
      })

      // Wait much longer than interval
      await delay(250)

      // This task should run immediately since enough time has passed
      await queue.add(() => {
        timestamps.push(Date.now())
        return "task2"
      })

      // But this one should wait for interval
      await queue.add(() => {
        timestamps.push(Date.now())
        return "task3"
      })

      const interval1to2 = timestamps[1] - timestamps[0]
      const interval2to3 = timestamps[2] - timestamps[1]

      assert.ok(interval1to2 >= 240, `Task 2 ran after ${interval1to2}ms, expected >= 240ms`)
      assert.ok(interval2to3 >= 90, `Task 3 should respect interval: ${interval2to3}ms`)
    })

    test("interval with carryoverIntervalCount after queue empty", async () => {
      const queue = new PQueue({
        intervalCap: 1,
        interval: 100,
        carryoverIntervalCount: true
      })

      const timestamps: Array<number> = []

      // Run first task
      await queue.add(() => {
        timestamps.push(Date.now())
        return "task1"
      })

      // Queue becomes empty
      assert.equal(queue.size, 0)
      assert.equal(queue.pending, 0)

      // Add new task - should respect interval
      await queue.add(() => {
        timestamps.push(Date.now())
        return "task2"
      })

      const interval = timestamps[1] - timestamps[0]
      assert.ok(interval >= 90, `Interval was ${interval}ms, expected >= 90ms`)
    })

    test(".setPriority() - execute a promise after planned", async () => {
      const result: Array<string> = []
      const queue = new PQueue({ concurrency: 1 })
      queue.add(async () => {
        await delay(400)
        result.push("🐌")
      }, { id: "🐌" })
      queue.add(async () => {
        await delay(400)
        result.push("🦆")
      }, { id: "🦆" })
      queue.add(async () => {
        await delay(400)
        result.push("🦆")
      }, { id: "🦆" })
      queue.add(async () => {
        await delay(400)
        result.push("🐢")
      }, { id: "🐢" })
      queue.add(async () => {
        await delay(400)
        result.push("🦆")
      }, { id: "🦆" })
      queue.add(async () => {
        await delay(400)
        result.push("🦆")
      }, { id: "🦆" })
      queue.setPriority("🐢", -1)
      await queue.onIdle()
      assert.deepEqual(result, ["🐌", "🦆", "🦆", "🦆", "🦆", "🐢"])
    })

    test(".setPriority() - execute a promise before planned - concurrency 2", async () => {
      const result: Array<string> = []
      const queue = new PQueue({ concurrency: 2 })
      queue.add(async () => {
        await delay(400)
        result.push("🐌")
      }, { id: "🐌" })
      queue.add(async () => {
        await delay(400)
        result.push("🦆")
      }, { id: "🦆" })
      queue.add(async () => {
        await delay(400)
        result.push("🐢")
      }, { id: "🐢" })
      queue.add(async () => {
        await delay(400)
        result.push("⚡️")
      }, { id: "⚡️" })
      queue.setPriority("⚡️", 1)
      await queue.onIdle()
      assert.deepEqual(result, ["🐌", "🦆", "⚡️", "🐢"])
    })

    test(".setPriority() - execute a promise before planned - concurrency 3", async () => {
      const result: Array<string> = []
      const queue = new PQueue({ concurrency: 3 })
      queue.add(async () => {
        await delay(400)
        result.push("🐌")
      }, { id: "🐌" })
      queue.add(async () => {
        await delay(400)
        result.push("🦆")
      }, { id: "🦆" })
      queue.add(async () => {
        await delay(400)
        result.push("🐢")
      }, { id: "🐢" })
      queue.add(async () => {
        await delay(400)
        result.push("⚡️")
      }, { id: "⚡️" })
      queue.add(async () => {
        await delay(400)
        result.push("🦀")
      }, { id: "🦀" })
      queue.setPriority("🦀", 1)
      await queue.onIdle()
      assert.deepEqual(result, ["🐌", "🦆", "🐢", "🦀", "⚡️"])
    })

    test(".setPriority() - execute a multiple promise before planned, with variable priority", async () => {
      const result: Array<string> = []
      const queue = new PQueue({ concurrency: 2 })
      queue.add(async () => {
        await delay(400)
        result.push("🐌")
      }, { id: "🐌" })
      queue.add(async () => {
        await delay(400)
        result.push("🦆")
      }, { id: "🦆" })
      queue.add(async () => {
        await delay(400)
        result.push("🐢")
      }, { id: "🐢" })
      queue.add(async () => {
        await delay(400)
        result.push("⚡️")
      }, { id: "⚡️" })
      queue.add(async () => {
        await delay(400)
        result.push("🦀")
      }, { id: "🦀" })
      queue.setPriority("⚡️", 1)
      queue.setPriority("🦀", 2)
      await queue.onIdle()
      assert.deepEqual(result, ["🐌", "🦆", "🦀", "⚡️", "🐢"])
    })

    test(".setPriority() - execute a promise before planned - concurrency 3 and unspecified `id`", async () => {
      const result: Array<string> = []
      const queue = new PQueue({ concurrency: 3 })
      queue.add(async () => {
        await delay(400)
        result.push("🐌")
      })
      queue.add(async () => {
        await delay(400)
        result.push("🦆")
      })
      queue.add(async () => {
        await delay(400)
        result.push("🐢")
      })
      queue.add(async () => {
        await delay(400)
        result.push("⚡️")
      })
      queue.add(async () => {
        await delay(400)
        result.push("🦀")
      })
      queue.setPriority("5", 1)
      await queue.onIdle()
      assert.deepEqual(result, ["🐌", "🦆", "🐢", "🦀", "⚡️"])
    })

    test("process exits cleanly after interval tasks complete", async () => {
      const queue = new PQueue({
        concurrency: 100,
        intervalCap: 500,
        interval: 60 * 1000
      })

      // Execute tasks that complete quickly with long interval
      const tasks = []
      for (let index = 0; index < 4; index++) {
        tasks.push(queue.add(() => `result-${index}`))
      }

      await Promise.all(tasks)
      await queue.onIdle()

      // Test that no timers are hanging by checking process can exit naturally
      // This ensures both intervalId and timeoutId are cleared when idle
      assert.ok(true)
    })

    test("intervalCap should be respected with high concurrency (issue #126)", async () => {
      const queue = new PQueue({
        concurrency: 5000,
        intervalCap: 1000,
        interval: 1000,
        carryoverIntervalCount: true
      })

      const results: Array<number> = []
      const startTime = Date.now()

      // Add 5000 tasks that complete immediately
      const promises = []
      for (let index = 0; index < 5000; index++) {
        promises.push(queue.add(async () => {
          results.push(Date.now() - startTime)
        }))
      }

      await Promise.all(promises)

      // Check that no more than intervalCap tasks started in the first interval
      const firstInterval = results.filter((timestamp) => timestamp < 1000)
      assert.ok(firstInterval.length <= 1000, `Expected ≤1000 tasks in first interval, got ${firstInterval.length}`)

      // Check that tasks actually completed (basic sanity check)
      assert.equal(results.length, 5000, "All tasks should complete")
    })

    test("isRateLimited property", async () => {
      const queue = new PQueue({
        interval: 1000,
        intervalCap: 2
      })

      // Initially not rate limited
      assert.equal(queue.isRateLimited, false)

      // Add 2 tasks to hit the cap
      queue.add(async () => delay(50))
      queue.add(async () => delay(50))

      // Should be rate limited after 2 tasks start
      await delay(10)
      assert.equal(queue.isRateLimited, false) // No tasks in queue yet

      // Add a third task that will be queued
      queue.add(async () => delay(50))
      await delay(10)
      assert.equal(queue.isRateLimited, true) // Now rate limited with queued task

      // Wait for interval to reset
      await delay(1100)
      assert.equal(queue.isRateLimited, false)
    })

    test("rate-limit event emission", async () => {
      const queue = new PQueue({
        interval: 1000,
        intervalCap: 2
      })

      const events: Array<string> = []
      queue.on("rateLimit", () => events.push("rateLimit"))
      queue.on("rateLimitCleared", () => events.push("rateLimitCleared"))

      // Add tasks to trigger rate limiting
      queue.add(async () => delay(50))
      queue.add(async () => delay(50))
      queue.add(async () => delay(50)) // This one should cause rate limiting

      await delay(100)
      assert.deepEqual(events, ["rateLimit"])

      // Wait for interval to reset
      await delay(1100)
      assert.deepEqual(events, ["rateLimit", "rateLimitCleared"])
    })

    test("onRateLimit() promise helper", async () => {
      const queue = new PQueue({
        interval: 1000,
        intervalCap: 1
      })

      // Should resolve immediately when already rate limited
      queue.add(async () => delay(50))
      queue.add(async () => delay(50)) // Queued, causing rate limit
      await delay(10)

      const startTime = Date.now()
      await queue.onRateLimit()
      const elapsed = Date.now() - startTime
      assert.ok(elapsed < 50, "Should resolve immediately when already rate limited")

      // Should wait when not rate limited
      const newQueue = new PQueue({
        interval: 1000,
        intervalCap: 1
      })

      const rateLimitPromise = newQueue.onRateLimit()
      newQueue.add(async () => delay(50))
      newQueue.add(async () => delay(50)) // This should trigger rate limit

      await rateLimitPromise // Should resolve when rate limit is hit
    })

    test("onRateLimitCleared() promise helper", async () => {
      const queue = new PQueue({
        interval: 500,
        intervalCap: 1
      })

      // Should resolve immediately when not rate limited
      const startTime = Date.now()
      await queue.onRateLimitCleared()
      const elapsed = Date.now() - startTime
      assert.ok(elapsed < 50, "Should resolve immediately when not rate limited")

      // Should wait when rate limited
      queue.add(async () => delay(50))
      queue.add(async () => delay(50)) // Queued, causing rate limit
      await delay(10)

      const clearPromise = queue.onRateLimitCleared()
      await clearPromise // Should resolve when rate limit clears after interval
    })

    test("rate-limit works with pause/start", async () => {
      const queue = new PQueue({
        interval: 1000,
        intervalCap: 1
      })

      const events: Array<string> = []
      queue.on("rateLimit", () => events.push("rateLimit"))
      queue.on("rateLimitCleared", () => events.push("rateLimitCleared"))

      queue.add(async () => delay(50))
      queue.add(async () => delay(50)) // Queued
      await delay(10)

      // Should be rate limited
      assert.equal(queue.isRateLimited, true)
      assert.deepEqual(events, ["rateLimit"])

      // Pause queue - should still be rate limited
      queue.pause()
      assert.equal(queue.isRateLimited, true)
      assert.equal(queue.isPaused, true)

      // Wait for interval to reset
      await delay(1100)
      assert.equal(queue.isRateLimited, false) // Rate limit cleared even when paused
      assert.equal(queue.isPaused, true)
      assert.deepEqual(events, ["rateLimit", "rateLimitCleared"])

      queue.start()
      await queue.onIdle()
    })

    test("rate-limit with high concurrency", async () => {
      const queue = new PQueue({
        concurrency: 10,
        interval: 500,
        intervalCap: 3
      })

      const events: Array<string> = []
      queue.on("rateLimit", () => events.push("rateLimit"))
      queue.on("rateLimitCleared", () => events.push("rateLimitCleared"))

      // Add many tasks quickly
      for (let index = 0; index < 10; index++) {
        queue.add(async () => delay(50))
      }

      await delay(100)
      assert.ok(events.length > 0)
      assert.equal(events[0], "rateLimit")

      // Wait for all tasks to complete and rate limit to clear
      await queue.onIdle()
      // Should have multiple rate-limit events (one per interval) and one rate-limit-cleared at the end
      assert.ok(events.length >= 2)
      assert.equal(events.at(-1), "rateLimitCleared")
    })

    test("rate-limit with queue.clear() while rate-limited", async () => {
      const queue = new PQueue({
        interval: 1000,
        intervalCap: 1
      })

      const events: Array<string> = []
      queue.on("rateLimit", () => events.push("rateLimit"))
      queue.on("rateLimitCleared", () => events.push("rateLimitCleared"))

      queue.add(async () => delay(50))
      queue.add(async () => delay(50))
      queue.add(async () => delay(50))

      await delay(10)
      assert.equal(queue.isRateLimited, true)
      assert.equal(events.length, 1)
      assert.equal(events[0], "rateLimit")

      // Clear the queue while rate-limited
      queue.clear()

      // Should no longer be rate-limited since queue is empty
      assert.equal(queue.isRateLimited, false)
      assert.equal(queue.size, 0)

      // Should emit rate-limit-cleared since we transitioned
      assert.equal(events.length, 2)
      assert.equal(events[1], "rateLimitCleared")

      await queue.onIdle()
    })

    test("rate-limit events fire only once per transition", async () => {
      const queue = new PQueue({
        interval: 500,
        intervalCap: 2
      })

      const events: Array<string> = []
      let rateLimitCount = 0
      let clearCount = 0

      queue.on("rateLimit", () => {
        rateLimitCount++
        events.push(`rate-limit-${rateLimitCount}`)
      })

      queue.on("rateLimitCleared", () => {
        clearCount++
        events.push(`cleared-${clearCount}`)
      })

      // Add tasks to trigger rate limit
      queue.add(async () => delay(50))
      queue.add(async () => delay(50))
      queue.add(async () => delay(50))
      queue.add(async () => delay(50))
      queue.add(async () => delay(50))

      await delay(100)
      // Should have exactly one rate-limit event
      assert.equal(rateLimitCount, 1)

      await queue.onIdle()
      // Should have exactly one clear event
      assert.equal(clearCount, 1)
    })

    test("rate-limit with interval boundary conditions", async () => {
      const queue = new PQueue({
        interval: 1000,
        intervalCap: 2
      })

      const events: Array<string> = []
      queue.on("rateLimit", () => events.push("rateLimit"))

      // Add exactly intervalCap tasks
      queue.add(async () => delay(50))
      queue.add(async () => delay(50))

      await delay(10)
      // Should not be rate-limited with exactly intervalCap tasks
      assert.equal(queue.isRateLimited, false)
      assert.equal(events.length, 0)

      // Add one more to exceed cap
      queue.add(async () => delay(50))

      await delay(10)
      // Now should be rate-limited
      assert.equal(queue.isRateLimited, true)
      assert.equal(events.length, 1)

      await queue.onIdle()
    })

    test("should not cause stack overflow with many aborted tasks", async () => {
      const queue = new PQueue({ concurrency: 1 })
      const controller = new AbortController()

      // Add many tasks exactly like in issue #217
      const taskCount = 10_000
      const promises: Array<Promise<any>> = []

      for (let index = 0; index < taskCount; index++) {
        // (upstream, for xo) eslint-disable-next-line promise/prefer-await-to-then
        const promise = queue.add(() => 1 + 1, { signal: controller.signal }).catch(() => {
          // Expected abort error
        })

        promises.push(promise)
      }

      // Abort all tasks immediately
      controller.abort()

      // This should not cause a stack overflow
      await Promise.all(promises)
      await queue.onIdle()

      // Verify queue state
      assert.equal(queue.pending, 0)
      assert.equal(queue.size, 0)
    })

    test("rate-limit with carryoverIntervalCount behavior", async () => {
      const queue = new PQueue({
        interval: 1000,
        intervalCap: 2,
        carryoverIntervalCount: true,
        concurrency: 2 // Allow 2 concurrent tasks
      })

      const events: Array<string> = []
      queue.on("rateLimit", () => events.push("rateLimit"))
      queue.on("rateLimitCleared", () => events.push("rateLimitCleared"))

      // Add enough tasks to exceed intervalCap and have items in queue
      queue.add(async () => delay(100)) // Long task to ensure queue builds up
      queue.add(async () => delay(100)) // Long task to ensure queue builds up
      queue.add(async () => delay(50)) // This should be queued
      queue.add(async () => delay(50)) // This should be queued

      await delay(10)
      // Should be rate-limited because intervalCount >= intervalCap (2) and queue.size > 0
      assert.equal(queue.isRateLimited, true)
      assert.equal(events.length, 1)
      assert.equal(events[0], "rateLimit")

      // Wait for all tasks to complete
      await queue.onIdle()

      // Should have rate-limit-cleared event
      assert.equal(queue.isRateLimited, false)
      assert.equal(events.length, 2)
      assert.equal(events[1], "rateLimitCleared")
    })

    test("rate-limit with aborted tasks", async () => {
      const queue = new PQueue({
        interval: 1000,
        intervalCap: 2
      })

      const events: Array<string> = []
      queue.on("rateLimit", () => events.push("rateLimit"))
      queue.on("rateLimitCleared", () => events.push("rateLimitCleared"))

      const controller = new AbortController()

      // Add tasks - some will be aborted
      queue.add(async () => delay(50))
      queue.add(async () => delay(50))
      // (upstream, for xo) eslint-disable-next-line promise/prefer-await-to-then, @typescript-eslint/no-empty-function
      queue.add(async () => delay(50), { signal: controller.signal }).catch(() => {}) // Will be aborted
      // (upstream, for xo) eslint-disable-next-line promise/prefer-await-to-then, @typescript-eslint/no-empty-function
      queue.add(async () => delay(50), { signal: controller.signal }).catch(() => {}) // Will be aborted
      queue.add(async () => delay(50)) // Normal task

      await delay(10)
      // Should be rate-limited due to queue size > 0 and intervalCount >= intervalCap
      assert.equal(queue.isRateLimited, true)
      assert.equal(events.length, 1)
      assert.equal(events[0], "rateLimit")

      // Abort some tasks
      controller.abort()

      // Rate-limit state should still be accurate despite aborted tasks
      await delay(10)
      assert.equal(queue.isRateLimited, true) // Still rate-limited due to remaining task

      // Wait for all tasks to complete
      await queue.onIdle()

      // Should properly transition to not rate-limited
      assert.equal(queue.isRateLimited, false)
      assert.equal(events.length, 2)
      assert.equal(events[1], "rateLimitCleared")
    })

    test("rate-limit with error-throwing tasks", async () => {
      const queue = new PQueue({
        interval: 1000,
        intervalCap: 2
      })

      const events: Array<string> = []
      const errors: Array<any> = []
      queue.on("rateLimit", () => events.push("rateLimit"))
      queue.on("rateLimitCleared", () => events.push("rateLimitCleared"))
      queue.on("error", (error) => errors.push(error))

      // Add tasks - some will throw errors
      queue.add(async () => delay(50))

      // Add error task and handle it
      const errorTask = (async () => {
        try {
          await queue.add(async () => {
            await delay(50)
            throw new Error("Task failed")
          })
        } catch {
          // Expected error - ignore
        }
      })()

      queue.add(async () => delay(50)) // This should still execute despite previous error

      await delay(10)
      // Should be rate-limited
      assert.equal(queue.isRateLimited, true)
      assert.equal(events.length, 1)
      assert.equal(events[0], "rateLimit")

      // Wait for all tasks to complete (including error ones)
      await Promise.all([queue.onIdle(), errorTask])

      // Should have received error event
      assert.equal(errors.length, 1)
      assert.equal(errors[0].message, "Task failed")

      // Rate-limit state should still be accurate despite task errors
      assert.equal(queue.isRateLimited, false)
      assert.equal(events.length, 2)
      assert.equal(events[1], "rateLimitCleared")
    })

    test("rate-limit state remains stable within intervals", async () => {
      const queue = new PQueue({
        interval: 200, // Shorter interval for faster test
        intervalCap: 2,
        concurrency: 2
      })

      const stateChanges: Array<boolean> = []
      let previousState = queue.isRateLimited

      // Monitor state changes
      const monitorState = () => {
        const currentState = queue.isRateLimited
        if (currentState !== previousState) {
          stateChanges.push(currentState)
          previousState = currentState
        }
      }

      // Add tasks rapidly to trigger rate limiting
      for (let index = 0; index < 8; index++) {
        queue.add(async () => {
          await delay(5)
          monitorState() // Check state during task execution
        })
        monitorState() // Check state after adding task
      }

      // Monitor state frequently during execution
      const interval = setInterval(monitorState, 2)

      await queue.onIdle()
      clearInterval(interval)

      // Before our fix, this would have been 8+ rapid changes (true/false/true/false...)
      // With our fix, should be at most 3 logical transitions (false -> true -> false)
      assert.ok(
        stateChanges.length <= 3,
        `Too many state changes (flickering): ${stateChanges.length}, changes: ${JSON.stringify(stateChanges)}`
      )

      // Should have been rate-limited at some point
      assert.ok(stateChanges.includes(true), "Should have been rate-limited")

      // Should end in non-rate-limited state
      assert.equal(queue.isRateLimited, false)
    })

    test("rate-limit microtask batching - multiple events in same tick", async () => {
      const queue = new PQueue({
        interval: 1000,
        intervalCap: 2
      })

      const events: Array<string> = []
      queue.on("rateLimit", () => events.push("rateLimit"))
      queue.on("rateLimitCleared", () => events.push("cleared"))

      // Add multiple tasks in rapid succession
      queue.add(async () => delay(10))
      queue.add(async () => delay(10))
      queue.add(async () => delay(10))
      queue.add(async () => delay(10))

      // Let microtask queue flush
      await delay(0)

      // Should trigger rate limit once despite multiple adds
      assert.equal(queue.isRateLimited, true)
      assert.equal(events.filter((event) => event === "rateLimit").length, 1, "Should only emit rate-limit once")

      await queue.onIdle()
    })

    test("rate-limit clear() racing with scheduled update", async () => {
      const queue = new PQueue({
        interval: 1000,
        intervalCap: 1
      })

      const events: Array<string> = []
      queue.on("rateLimit", () => events.push("rateLimit"))
      queue.on("rateLimitCleared", () => events.push("rateLimitCleared"))

      // Add tasks to trigger rate limit
      queue.add(async () => delay(50))
      queue.add(async () => delay(50))

      // Clear immediately (before microtask fires)
      queue.clear()

      // State should be cleared immediately
      assert.equal(queue.isRateLimited, false, "Should not be rate-limited immediately after clear")
      assert.equal(queue.size, 0, "Queue should be empty after clear")

      // Add new task immediately after clear
      queue.add(async () => delay(10))

      await queue.onIdle()

      // Should have handled the race condition gracefully
      assert.ok(
        events.filter((event) => event === "rateLimit").length <= 1,
        "Should not have duplicate rate-limit events"
      )
    })

    test("rate-limit with dynamic concurrency changes", async () => {
      const queue = new PQueue({
        concurrency: 1,
        interval: 500,
        intervalCap: 2
      })

      const events: Array<string> = []
      queue.on("rateLimit", () => events.push("rateLimit"))
      queue.on("rateLimitCleared", () => events.push("rateLimitCleared"))

      // Add tasks
      for (let i = 0; i < 5; i++) {
        queue.add(async () => delay(50))
      }

      await delay(150) // Let first two tasks start
      assert.equal(queue.isRateLimited, true, "Should be rate-limited with intervalCap=2")

      // Increase concurrency while rate-limited
      queue.concurrency = 5

      // Should still respect interval cap despite higher concurrency
      assert.equal(queue.isRateLimited, true, "Should still be rate-limited after concurrency increase")

      // Wait for all tasks to complete
      await queue.onIdle()
      assert.equal(queue.isRateLimited, false)
      assert.ok(events.includes("rateLimit"), "Should have emitted rate-limit event")
    })

    test("rate-limit with setPriority() while rate-limited", async () => {
      const queue = new PQueue({
        concurrency: 1,
        interval: 500,
        intervalCap: 1
      })

      const results: Array<string> = []
      const events: Array<string> = []
      queue.on("rateLimit", () => events.push("rateLimit"))
      queue.on("rateLimitCleared", () => events.push("rateLimitCleared"))

      // Add tasks with different priorities and IDs
      queue.add(async () => {
        results.push("first")
        return delay(10)
      })

      queue.add(async () => {
        results.push("low")
        return delay(10)
      }, { priority: 0, id: "low" })

      queue.add(async () => {
        results.push("high")
        return delay(10)
      }, { priority: 1, id: "high" })

      queue.add(async () => {
        results.push("medium")
        return delay(10)
      }, { priority: 0.5, id: "medium" })

      await delay(50) // Let first task start
      assert.equal(queue.isRateLimited, true)

      // Change priority of queued task while rate-limited
      queue.setPriority("low", 2)

      // Rate limit state should remain stable
      assert.equal(queue.isRateLimited, true, "Should remain rate-limited after priority change")

      await queue.onIdle()

      // First task executes first, then tasks by priority order
      assert.equal(results[0], "first")
      assert.equal(results[1], "low", "Low task with elevated priority should run second")
      assert.equal(results[2], "high")
      assert.equal(results[3], "medium")
    })

    test("rate-limit multiple concurrent onRateLimit() calls", async () => {
      const queue = new PQueue({
        interval: 500,
        intervalCap: 1
      })

      // Create multiple concurrent waiters before rate limit
      const promises = [
        queue.onRateLimit(),
        queue.onRateLimit(),
        queue.onRateLimit()
      ]

      // Trigger rate limit
      queue.add(async () => delay(50))
      queue.add(async () => delay(50))

      // All promises should resolve when rate limited
      const results = await Promise.allSettled(promises)
      assert.ok(results.every((r) => r.status === "fulfilled"), "All promises should resolve")
      assert.equal(queue.isRateLimited, true)

      await queue.onIdle()
    })

    test("rate-limit when all queued tasks are aborted", async () => {
      const queue = new PQueue({
        interval: 1000,
        intervalCap: 1
      })

      const events: Array<string> = []
      queue.on("rateLimit", () => events.push("rateLimit"))
      queue.on("rateLimitCleared", () => events.push("rateLimitCleared"))

      const controller = new AbortController()

      // Add one running task
      queue.add(async () => delay(50))

      // Add abortable queued tasks
      const abortable1 = queue.add(async () => delay(50), { signal: controller.signal })
      const abortable2 = queue.add(async () => delay(50), { signal: controller.signal })

      await delay(10)
      assert.equal(queue.isRateLimited, true)
      assert.equal(events[0], "rateLimit")

      // Abort all queued tasks
      controller.abort()

      await Promise.allSettled([abortable1, abortable2])

      await queue.onIdle()

      // Should clear rate limit when queue becomes empty due to aborts
      assert.equal(queue.isRateLimited, false)
      assert.equal(events[1], "rateLimitCleared")
    })
  })

  describe("test/rate-limit.ts", () => {
    const assert = looseAssert

    test("rate-limit rapid pause/start cycles", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 1,
        autoStart: false
      })

      const results: Array<number> = []
      const promises: Array<Promise<number>> = []

      // Add tasks
      for (let i = 0; i < 4; i++) {
        promises.push(queue.add(async () => {
          results.push(i)
          return i
        }))
      }

      // Rapid start/pause cycles
      const startPauseCycles = async () => {
        for (let cycle = 0; cycle < 3; cycle++) {
          queue.start()
          // (upstream, for xo) eslint-disable-next-line no-await-in-loop
          await delay(25) // Let one task run
          queue.pause()
          // (upstream, for xo) eslint-disable-next-line no-await-in-loop
          await delay(50) // Pause during interval
        }
      }

      await startPauseCycles()

      // Finally let everything run
      queue.start()
      await Promise.all(promises)

      // All tasks should complete despite rapid state changes
      assert.equal(results.length, 4)
    })

    test("rate-limit preserves the interval count for re-entrant task additions", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 2
      })

      const starts: Array<number> = []
      const addTask = (index: number): void => {
        queue.add(() => {
          starts.push(index)

          if (index < 4) {
            addTask(index + 1)
          }
        })
      }

      addTask(0)
      assert.deepEqual(starts, [0, 1])

      await queue.onIdle()
      assert.deepEqual(starts, [0, 1, 2, 3, 4])
    })

    test("rate-limit preserves the interval count for re-entrant active listeners", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 2
      })

      const starts: Array<number> = []
      let nextTask = 0
      queue.on("active", () => {
        if (nextTask < 5) {
          const taskIndex = nextTask++
          queue.add(() => {
            starts.push(taskIndex)
          })
        }
      })

      queue.add(() => {
        starts.push(-1)
      })
      assert.equal(starts.length, 2)

      await queue.onIdle()
      assert.equal(starts.length, 6)
    })

    test("rate-limit edge case with zero-interval", async () => {
      // Zero interval should effectively disable rate limiting
      const queue = new PQueue({
        interval: 0,
        intervalCap: 1
      })

      const startTime = Date.now()
      await Promise.all([
        queue.add(async () => delay(10)),
        queue.add(async () => delay(10)),
        queue.add(async () => delay(10))
      ])
      const elapsed = Date.now() - startTime

      // Should run concurrently, not rate-limited
      assert.ok(elapsed < 50, "Tasks should run without rate limiting")
    })

    test("rate-limit state consistency with sync microtask scheduling", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 1
      })

      const events: Array<string> = []
      queue.on("rateLimit", () => events.push("rateLimit"))
      queue.on("rateLimitCleared", () => events.push("rateLimitCleared"))

      // Schedule multiple tasks synchronously
      const promises = []
      for (let i = 0; i < 3; i++) {
        promises.push(queue.add(async () => {
          // Immediate microtask
          await Promise.resolve()
          return i
        }))
      }

      // Events should be consistent
      await delay(10)
      assert.equal(queue.isRateLimited, true)
      assert.equal(events[0], "rateLimit")

      await Promise.all(promises)
      assert.equal(queue.isRateLimited, false)
      assert.ok(events.includes("rateLimitCleared"))
    })

    test("rate-limit with queue manipulation during rate-limit event", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 1
      })

      let manipulated = false

      queue.on("rateLimit", () => {
        if (!manipulated) {
          manipulated = true
          // Try to manipulate queue during event
          queue.add(async () => "extra")
          queue.pause()
          queue.start()
        }
      })

      // Add tasks to trigger rate limit
      const results = await Promise.all([
        queue.add(async () => {
          await delay(10)
          return 1
        }),
        queue.add(async () => {
          await delay(10)
          return 2
        }),
        queue.add(async () => {
          await delay(10)
          return 3
        })
      ])

      // Queue should remain stable despite manipulation
      assert.ok(results.includes(1))
      assert.ok(results.includes(2))
      assert.ok(results.includes(3))
    })

    test("onRateLimit() with microtask race condition", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 1
      })

      const promises = []
      let rateLimitCalled = false

      // Race: onRateLimit vs task completion
      promises.push(queue.add(async () => {
        await delay(10)
        return "first"
      }))

      for (const promise of [queue.add(async () => "second")]) {
        promises.push(promise)
      }

      // Try to attach listener after tasks are queued
      await Promise.resolve() // Microtask delay
      const rateLimitPromise = (async () => {
        await queue.onRateLimit()
        rateLimitCalled = true
      })()

      await Promise.all([...promises, rateLimitPromise])
      assert.ok(rateLimitCalled, "onRateLimit should handle late attachment")
    })

    test("onRateLimitCleared() with microtask race condition", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 1
      })

      // Trigger rate limit
      queue.add(async () => delay(10))
      queue.add(async () => delay(10))

      await delay(20) // Let rate limit trigger

      // Wait for clear using the promise API
      const clearedPromise = queue.onRateLimitCleared()

      // Wait for clear
      await queue.onIdle()
      await delay(110) // Past interval

      // The promise should resolve when rate limit is cleared
      await clearedPromise
      assert.ok(true, "onRateLimitCleared should handle attachment during rate limit")
    })

    test("onRateLimit() called during state transition", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 1
      })

      const sequence: Array<string> = []

      queue.add(async () => {
        sequence.push("task1-start")
        await delay(10)
        sequence.push("task1-end")
      })

      const secondTask = queue.add(async () => {
        sequence.push("task2")
      })

      // Wait for rate limit to be triggered
      await queue.onRateLimit()
      sequence.push("rate-limit")

      // Wait for second task to complete
      await secondTask

      await queue.onIdle()

      // Verify sequence order
      assert.equal(sequence[0], "task1-start")
      assert.ok(sequence.includes("rate-limit"))
    })

    test("onRateLimit/onRateLimitCleared rapid transitions", async () => {
      const queue = new PQueue({
        interval: 50,
        intervalCap: 1
      })

      const events: Array<string> = []

      queue.on("rateLimit", () => events.push("limited"))
      queue.on("rateLimitCleared", () => events.push("cleared"))

      // Create rapid transitions
      const createTransitions = async () => {
        for (let i = 0; i < 3; i++) {
          queue.add(async () => delay(10))
          queue.add(async () => delay(10))
          // (upstream, for xo) eslint-disable-next-line no-await-in-loop
          await delay(60) // Wait for interval reset
          // (upstream, for xo) eslint-disable-next-line no-await-in-loop
          await queue.onIdle()
        }
      }

      await createTransitions()

      // Should have alternating events
      assert.ok(events.length >= 3, "Should have multiple rate limit events")
      assert.ok(events.includes("limited"))
      assert.ok(events.includes("cleared"))
    })

    test("onRateLimit() resolves when rate limit is triggered", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 1
      })

      // Add tasks to eventually trigger rate limit
      queue.add(async () => delay(10))

      let rateLimitResolved = false
      const rateLimitPromise = (async () => {
        await queue.onRateLimit()
        rateLimitResolved = true
      })()

      // Add another task which will trigger rate limit
      queue.add(async () => delay(10))

      // Give time for rate limit to be triggered
      await delay(20)

      // OnRateLimit should have resolved since we hit rate limit
      assert.ok(rateLimitResolved, "onRateLimit should resolve when rate limit is triggered")

      // Clean up
      await queue.onIdle()
    })
  })

  describe("test/strict.ts", () => {
    const assert = strictAssert

    const assertSlidingWindow = (
      executionTimes: Array<number>,
      interval: number,
      intervalCap: number,
      jitterMilliseconds = Math.min(25, Math.trunc(interval * 0.2))
    ) => {
      const minimumInterval = Math.max(0, interval - jitterMilliseconds)

      for (let index = intervalCap; index < executionTimes.length; index++) {
        const delta = executionTimes[index] - executionTimes[index - intervalCap]
        assert.ok(delta >= minimumInterval, `Task ${index} violated sliding window: ${delta}ms < ${minimumInterval}ms`)
      }
    }

    test("strict mode enforces sliding window rate limiting", async () => {
      const queue = new PQueue({
        interval: 1000,
        intervalCap: 2,
        strict: true
      })

      const executionTimes: Array<number> = []

      // Add 6 tasks
      const promises = []
      for (let i = 0; i < 6; i++) {
        promises.push(queue.add(async () => {
          executionTimes.push(Date.now())
        }))
      }

      await Promise.all(promises)

      // Verify sliding window constraint: no more than 2 tasks in any 1000ms window
      assertSlidingWindow(executionTimes, 1000, 2)
    })

    test("strict mode vs fixed window timing", async () => {
      // Test that strict mode and fixed window behave differently
      const interval = 500
      const intervalCap = 2

      // Fixed window
      const fixedQueue = new PQueue({
        interval,
        intervalCap,
        strict: false
      })

      const fixedTimes: Array<number> = []
      for (let i = 0; i < 4; i++) {
        fixedQueue.add(async () => {
          fixedTimes.push(Date.now())
        })
      }

      await fixedQueue.onIdle()

      // Strict mode
      const strictQueue = new PQueue({
        interval,
        intervalCap,
        strict: true
      })

      const strictTimes: Array<number> = []
      for (let i = 0; i < 4; i++) {
        strictQueue.add(async () => {
          strictTimes.push(Date.now())
        })
      }

      await strictQueue.onIdle()

      // Both should execute all tasks
      assert.equal(fixedTimes.length, 4)
      assert.equal(strictTimes.length, 4)

      // Verify strict mode respects sliding window
      const strictStart = strictTimes[0]
      const strictRelative = strictTimes.map((t) => t - strictStart)

      // In strict mode with intervalCap=2, interval=500:
      // - Tasks 0,1 execute immediately
      // - Task 2 must wait for oldest to age out (500ms)
      // - Task 3 must wait another interval
      assert.ok(strictRelative[0] < 50, "Task 0 should execute immediately")
      assert.ok(strictRelative[1] < 50, "Task 1 should execute immediately")
      assert.ok(strictRelative[2] >= 450 && strictRelative[2] < 650, "Task 2 should wait ~500ms")
      assert.ok(strictRelative[3] >= 450 && strictRelative[3] < 650, "Task 3 should wait ~500ms")
    })

    test("strict mode with large intervalCap", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 10,
        strict: true
      })

      const executionTimes: Array<number> = []

      // Add 30 tasks
      const promises = []
      for (let i = 0; i < 30; i++) {
        promises.push(queue.add(async () => {
          executionTimes.push(Date.now())
        }))
      }

      await Promise.all(promises)

      // Verify no more than 10 tasks in any 100ms window
      assertSlidingWindow(executionTimes, 100, 10)
    })

    test("strict mode clear() preserves ticks", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 2,
        strict: true
      })

      // Add and execute 2 tasks
      await queue.add(async () => undefined)
      await queue.add(async () => undefined)

      // Clear should preserve strict ticks
      queue.clear()

      // Should still be rate limited by the previous ticks
      const executionTimes: Array<number> = []
      const startTime = Date.now()

      await queue.add(async () => {
        executionTimes.push(Date.now() - startTime)
      })
      await queue.add(async () => {
        executionTimes.push(Date.now() - startTime)
      })

      // Both should wait for the sliding window to free up
      assert.ok(executionTimes[0] >= 80 && executionTimes[0] < 200, "First task after clear should be rate limited")
      assert.ok(executionTimes[1] >= 80 && executionTimes[1] < 200, "Second task after clear should be rate limited")
    })

    test("strict mode with concurrency limit", async () => {
      const queue = new PQueue({
        concurrency: 1,
        interval: 100,
        intervalCap: 3,
        strict: true
      })

      const executionTimes: Array<number> = []

      // Add 6 tasks
      const promises = []
      for (let i = 0; i < 6; i++) {
        promises.push(queue.add(async () => {
          executionTimes.push(Date.now())
          await delay(10)
        }))
      }

      await Promise.all(promises)

      // Should respect both concurrency and strict interval limits
      assert.equal(executionTimes.length, 6)

      // Verify sliding window
      assertSlidingWindow(executionTimes, 100, 3)
    })

    test("strict mode rate limit events", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 2,
        strict: true
      })

      const events: Array<string> = []

      queue.on("rateLimit", () => events.push("rateLimit"))
      queue.on("rateLimitCleared", () => events.push("rateLimitCleared"))

      // Add 4 tasks
      const promises = []
      for (let i = 0; i < 4; i++) {
        promises.push(queue.add(async () => delay(10)))
      }

      await Promise.all(promises)

      // Should have been rate limited and then cleared
      assert.ok(events.includes("rateLimit"), "Should emit rateLimit event")
      assert.ok(events.includes("rateLimitCleared"), "Should emit rateLimitCleared event")
    })

    test("strict mode isRateLimited property", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 2,
        strict: true
      })

      assert.equal(queue.isRateLimited, false, "Should not be rate limited initially")

      // Add 3 tasks to trigger rate limiting
      queue.add(async () => undefined)
      queue.add(async () => undefined)
      queue.add(async () => undefined)

      await delay(10)

      assert.equal(queue.isRateLimited, true, "Should be rate limited after exceeding cap")

      await queue.onIdle()

      assert.equal(queue.isRateLimited, false, "Should not be rate limited after queue is idle")
    })

    test("strict mode with pause/start", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 2,
        strict: true,
        autoStart: false
      })

      const executionTimes: Array<number> = []

      // Add tasks while paused
      for (let i = 0; i < 4; i++) {
        queue.add(async () => {
          executionTimes.push(Date.now())
        })
      }

      await delay(50)

      // Should not have executed yet
      assert.equal(executionTimes.length, 0)

      // Start the queue
      const startTime = Date.now()
      queue.start()

      await queue.onIdle()

      // All tasks should have executed
      assert.equal(executionTimes.length, 4)

      // Verify sliding window
      const relativeTimes = executionTimes.map((t) => t - startTime)
      assert.ok(relativeTimes[0] < 50, "First two tasks should execute immediately")
      assert.ok(relativeTimes[1] < 50)
      assert.ok(relativeTimes[2] >= 80, "Third task should wait for window")
      assert.ok(relativeTimes[3] >= 80, "Fourth task should wait for window")
    })

    test("strict mode throws error with interval=0", () => {
      assert.throws(
        () =>
          new PQueue({
            interval: 0,
            intervalCap: 5,
            strict: true
          }),
        {
          name: "TypeError",
          message: "The `strict` option requires a non-zero `interval`"
        }
      )
    })

    test("strict mode with priority", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 2,
        strict: true
      })

      const results: Array<number> = []

      // Add tasks with different priorities
      const promises = [
        queue.add(async () => results.push(1), { priority: 0 }),
        queue.add(async () => results.push(2), { priority: 0 }),
        queue.add(async () => results.push(3), { priority: 1 }), // Higher priority
        queue.add(async () => results.push(4), { priority: 0 })
      ]

      await Promise.all(promises)

      // Higher priority task should execute before lower priority ones
      // First 2 execute immediately, then task 3 (high priority) should execute before task 4
      assert.equal(results.length, 4)
      assert.ok(results.indexOf(3) < results.indexOf(4), "Higher priority task should execute first")
    })

    test("strict mode with onRateLimit()", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 2,
        strict: true
      })

      // Add tasks to trigger rate limit
      queue.add(async () => undefined)
      queue.add(async () => undefined)

      let rateLimitCalled = false
      const rateLimitPromise = (async () => {
        await queue.onRateLimit()
        rateLimitCalled = true
      })()

      // Add one more task to trigger rate limit
      queue.add(async () => undefined)

      await delay(20)

      assert.ok(rateLimitCalled, "onRateLimit() should resolve when rate limited")

      await queue.onIdle()
    })

    test("strict mode with carryoverIntervalCount", async () => {
      // Note: In strict mode, carryoverIntervalCount doesn't apply
      // because we track individual execution times, not pending counts
      const queue = new PQueue({
        interval: 100,
        intervalCap: 2,
        strict: true,
        carryoverIntervalCount: true
      })

      const executionTimes: Array<number> = []

      // Add 4 tasks
      for (let i = 0; i < 4; i++) {
        queue.add(async () => {
          executionTimes.push(Date.now())
        })
      }

      await queue.onIdle()

      // Verify sliding window is enforced regardless of carryoverIntervalCount
      assertSlidingWindow(executionTimes, 100, 2)
    })

    test("strict mode throws error with intervalCap: Infinity", () => {
      assert.throws(
        () =>
          new PQueue({
            interval: 1000,
            intervalCap: Number.POSITIVE_INFINITY,
            strict: true
          }),
        {
          name: "TypeError",
          message: "The `strict` option requires a finite `intervalCap`"
        }
      )
    })

    test("strict mode with AbortSignal", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 2,
        strict: true
      })

      const controller = new AbortController()
      const executionTimes: Array<number> = []

      // Add tasks, abort the third one
      queue.add(async () => {
        executionTimes.push(Date.now())
      })
      queue.add(async () => {
        executionTimes.push(Date.now())
      })

      const abortedPromise = queue.add(async () => {
        executionTimes.push(Date.now())
      }, { signal: controller.signal })

      queue.add(async () => {
        executionTimes.push(Date.now())
      })

      // Abort the third task before it can run
      controller.abort()

      await assert.rejects(abortedPromise)
      await queue.onIdle()

      // Should have executed 3 tasks (one was aborted)
      assert.equal(executionTimes.length, 3)
    })

    test("strict mode frees capacity when task aborts before start", async () => {
      const queue = new PQueue({
        interval: 200,
        intervalCap: 1,
        strict: true
      })

      const controller = new AbortController()
      controller.abort()

      const startTime = Date.now()

      await assert.rejects(queue.add(async () => undefined, { signal: controller.signal }))

      let startedAt = 0
      await queue.add(async () => {
        startedAt = Date.now() - startTime
      })

      assert.ok(startedAt < 120, `Task should start immediately when previous was aborted, started at ${startedAt}ms`)
    })

    test("strict mode ignores aborted tasks for sliding window", async () => {
      const queue = new PQueue({
        interval: 120,
        intervalCap: 2,
        strict: true
      })

      const abortControllers = [new AbortController(), new AbortController()]
      const abortPromises: Array<Promise<unknown>> = []
      for (const controller of abortControllers) {
        controller.abort()
        abortPromises.push(assert.rejects(queue.add(async () => undefined, { signal: controller.signal })))
      }

      await Promise.all(abortPromises)

      const startTime = Date.now()
      const executionTimes: Array<number> = []

      await queue.add(async () => {
        executionTimes.push(Date.now() - startTime)
      })

      await queue.add(async () => {
        executionTimes.push(Date.now() - startTime)
      })

      assert.equal(executionTimes.length, 2)
      assert.ok(executionTimes[0] < 60, `First task should start immediately, started at ${executionTimes[0]}ms`)
      assert.ok(executionTimes[1] < 60, `Second task should start immediately, started at ${executionTimes[1]}ms`)
    })

    test("strict mode aborted tasks do not trigger rateLimit event", async () => {
      const queue = new PQueue({
        interval: 200,
        intervalCap: 1,
        strict: true
      })

      let rateLimited = false
      queue.on("rateLimit", () => {
        rateLimited = true
      })

      const controller = new AbortController()
      controller.abort()

      await assert.rejects(queue.add(async () => undefined, { signal: controller.signal }))

      assert.equal(rateLimited, false, "Aborted task should not trigger rateLimit")
      assert.equal(queue.isRateLimited, false, "Queue should not be rate limited after aborted task")
    })

    test("strict mode after queue becomes idle", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 2,
        strict: true
      })

      const executionTimes: Array<number> = []

      // First batch
      await queue.add(async () => {
        executionTimes.push(Date.now())
      })
      await queue.add(async () => {
        executionTimes.push(Date.now())
      })

      // Wait for queue to become idle and ticks to expire
      await delay(150)

      // Second batch - should be able to execute immediately
      const startTime = Date.now()
      await queue.add(async () => {
        executionTimes.push(Date.now())
      })
      await queue.add(async () => {
        executionTimes.push(Date.now())
      })

      const elapsed = executionTimes[3] - startTime
      assert.ok(elapsed < 50, `Second batch should execute immediately after idle, took ${elapsed}ms`)
    })

    test("strict mode prevents boundary bursts", async () => {
      // This test verifies that strict mode prevents the boundary burst problem
      // that occurs with fixed window mode
      const queue = new PQueue({
        interval: 100,
        intervalCap: 2,
        strict: true
      })

      const executionTimes: Array<number> = []

      // Add 4 tasks
      for (let i = 0; i < 4; i++) {
        queue.add(async () => {
          executionTimes.push(Date.now())
        })
      }

      await queue.onIdle()

      // Verify that there's never more than 2 tasks in any 100ms window
      // by checking every possible window start point
      assertSlidingWindow(executionTimes, 100, 2)
    })

    test("strict mode with long-running tasks", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 2,
        strict: true,
        concurrency: 2
      })

      const startTimes: Array<number> = []
      const endTimes: Array<number> = []

      // Add tasks that take longer than the interval
      for (let i = 0; i < 4; i++) {
        queue.add(async () => {
          startTimes.push(Date.now())
          await delay(150) // Task takes longer than interval
          endTimes.push(Date.now())
        })
      }

      await queue.onIdle()

      // All tasks should have started
      assert.equal(startTimes.length, 4)

      // Verify sliding window constraint on start times
      assertSlidingWindow(startTimes, 100, 2)
    })

    test("strict mode isSaturated property", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 2,
        strict: true
      })

      assert.equal(queue.isSaturated, false, "Should not be saturated initially")

      // Add 3 tasks to saturate the queue
      queue.add(async () => delay(10))
      queue.add(async () => delay(10))
      queue.add(async () => delay(10))

      await delay(5)

      assert.equal(queue.isSaturated, true, "Should be saturated when rate limited with pending tasks")

      await queue.onIdle()

      assert.equal(queue.isSaturated, false, "Should not be saturated after idle")
    })

    test("strict mode multiple complete intervals", async () => {
      const queue = new PQueue({
        interval: 50,
        intervalCap: 3,
        strict: true
      })

      const executionTimes: Array<number> = []

      // Add 12 tasks - should span 4 intervals
      for (let i = 0; i < 12; i++) {
        queue.add(async () => {
          executionTimes.push(Date.now())
        })
      }

      await queue.onIdle()

      assert.equal(executionTimes.length, 12)

      // Verify each interval respects the cap
      const startTime = executionTimes[0]
      const relativeExecutionTimes = executionTimes.map((t) => t - startTime)

      // Group by approximate interval
      const intervals = [0, 50, 100, 150]
      for (const intervalStart of intervals) {
        const tasksInInterval = relativeExecutionTimes.filter((t) =>
          t >= intervalStart && t < intervalStart + 50
        ).length

        assert.ok(tasksInInterval <= 3, `Interval starting at ${intervalStart}ms has ${tasksInInterval} tasks`)
      }
    })

    test("strict mode precision timing", async () => {
      const queue = new PQueue({
        interval: 200,
        intervalCap: 2,
        strict: true
      })

      const startTime = Date.now()
      const executionTimes: Array<number> = []

      // Add 6 tasks
      for (let i = 0; i < 6; i++) {
        queue.add(async () => {
          executionTimes.push(Date.now() - startTime)
        })
      }

      await queue.onIdle()

      // Tasks 0-1: execute at ~0ms
      // Tasks 2-3: execute at ~200ms (after first two age out)
      // Tasks 4-5: execute at ~400ms (after next two age out)
      assert.ok(executionTimes[0] < 50)
      assert.ok(executionTimes[1] < 50)
      assert.ok(executionTimes[2] >= 180 && executionTimes[2] < 300)
      assert.ok(executionTimes[3] >= 180 && executionTimes[3] < 300)
      assert.ok(executionTimes[4] >= 380 && executionTimes[4] < 500)
      assert.ok(executionTimes[5] >= 380 && executionTimes[5] < 500)
    })

    test("strict mode with concurrency: Infinity", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 3,
        strict: true,
        concurrency: Number.POSITIVE_INFINITY
      })

      const executionTimes: Array<number> = []

      // Add 9 tasks - all should respect rate limit despite infinite concurrency
      for (let i = 0; i < 9; i++) {
        queue.add(async () => {
          executionTimes.push(Date.now())
          await delay(50) // Tasks overlap but rate limit should still apply
        })
      }

      await queue.onIdle()

      assert.equal(executionTimes.length, 9)

      // Verify sliding window constraint
      assertSlidingWindow(executionTimes, 100, 3)
    })

    test("strict mode with timeout option", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 2,
        strict: true,
        timeout: 50
      })

      const results: Array<"success" | "timeout"> = []

      // Add a task that will timeout
      const timeoutTask = async () => {
        try {
          await queue.add(async () => {
            await delay(200)
            return "done"
          })
          results.push("success")
        } catch {
          results.push("timeout")
        }
      }

      // Add a task that will succeed
      const successTask = async () => {
        try {
          await queue.add(async () => {
            await delay(10)
            return "done"
          })
          results.push("success")
        } catch {
          results.push("timeout")
        }
      }

      await Promise.all([timeoutTask(), successTask()])

      assert.ok(results.includes("timeout"), "Should have a timed out task")
      assert.ok(results.includes("success"), "Should have a successful task")
    })

    test("strict mode rapid sequential adds", async () => {
      const queue = new PQueue({
        interval: 50,
        intervalCap: 5,
        strict: true
      })

      const executionTimes: Array<number> = []

      // Rapidly add many tasks
      const promises = []
      for (let i = 0; i < 50; i++) {
        promises.push(queue.add(async () => {
          executionTimes.push(Date.now())
        }))
      }

      await Promise.all(promises)

      assert.equal(executionTimes.length, 50)

      // Verify sliding window constraint for all tasks
      assertSlidingWindow(executionTimes, 50, 5)
    })

    test("strict mode clear with pending timeout", async () => {
      const queue = new PQueue({
        interval: 200,
        intervalCap: 1,
        strict: true
      })

      // Execute one task to consume the slot
      await queue.add(async () => undefined)

      // Add another task that will be rate limited
      const taskPromise = queue.add(async () => "completed")

      // Clear immediately - this should cancel the pending timeout
      queue.clear()

      // The second task should have been cleared
      assert.equal(queue.size, 0)

      // Add a new task - should still respect the previous tick
      const startTime = Date.now()
      await queue.add(async () => undefined)
      const elapsed = Date.now() - startTime

      assert.ok(elapsed >= 150, `Task should be rate limited after clear, took ${elapsed}ms`)

      // Original task promise won't resolve since it was cleared
      // Just verify the queue works correctly after clear
    })

    test("strict mode handles edge case of exactly intervalCap tasks", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 3,
        strict: true
      })

      const executionTimes: Array<number> = []
      const startTime = Date.now()

      // Add exactly intervalCap tasks
      for (let i = 0; i < 3; i++) {
        queue.add(async () => {
          executionTimes.push(Date.now() - startTime)
        })
      }

      await queue.onIdle()

      // All should execute immediately
      assert.equal(executionTimes.length, 3)
      assert.ok(executionTimes.every((t) => t < 50), "All tasks should execute immediately when at exactly intervalCap")
    })

    test("strict mode interleaved add and await", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 2,
        strict: true
      })

      const results: Array<number> = []
      const startTime = Date.now()

      // Add and await interleaved
      await queue.add(async () => {
        results.push(Date.now() - startTime)
      })

      await queue.add(async () => {
        results.push(Date.now() - startTime)
      })

      // These should wait for the window
      await queue.add(async () => {
        results.push(Date.now() - startTime)
      })

      await queue.add(async () => {
        results.push(Date.now() - startTime)
      })

      assert.equal(results.length, 4)
      // First two should be immediate
      assert.ok(results[0] < 50)
      assert.ok(results[1] < 50)
      // Third and fourth should wait for window
      assert.ok(results[2] >= 80)
      assert.ok(results[3] >= 80)
    })

    test("strict mode circular buffer compaction", async () => {
      const queue = new PQueue({
        interval: 10,
        intervalCap: 5,
        strict: true
      })

      // Add many tasks to trigger circular buffer compaction
      // Compaction happens when startIndex > 100 and > length/2
      const promises = []
      for (let i = 0; i < 300; i++) {
        promises.push(queue.add(async () => undefined))
      }

      await Promise.all(promises)

      // Verify all tasks completed successfully
      assert.equal(promises.length, 300)

      // Queue should be idle and functional
      assert.equal(queue.pending, 0)
      assert.equal(queue.size, 0)

      // Should still work correctly after compaction
      const startTime = Date.now()
      await queue.add(async () => undefined)
      const elapsed = Date.now() - startTime

      // Should execute quickly (within tolerance for 10ms interval)
      assert.ok(elapsed < 50, `Task after compaction should execute promptly, took ${elapsed}ms`)
    })
  })

  describe("test/validation.ts", () => {
    const assert = looseAssert

    test("backlog drains before interval reset - triggers rate-limit-cleared", async () => {
      const queue = new PQueue({
        interval: 1000,
        intervalCap: 1
      })

      const events: Array<string> = []
      queue.on("rateLimit", () => events.push("rateLimit"))
      queue.on("rateLimitCleared", () => events.push("rateLimitCleared"))

      // Add tasks to trigger rate limit
      queue.add(async () => delay(50))
      queue.add(async () => delay(50))
      queue.add(async () => delay(50))

      await delay(10)
      assert.equal(queue.isRateLimited, true)
      assert.equal(events[0], "rateLimit")

      // Wait for all tasks to complete (backlog drains)
      await queue.onIdle()

      // Should have cleared due to empty queue, not interval reset
      assert.equal(queue.isRateLimited, false)
      assert.equal(events[1], "rateLimitCleared")
      assert.equal(queue.size, 0, "Queue should be empty")
    })

    test("setPriority validates input", async () => {
      const queue = new PQueue({ concurrency: 1 })

      // Add tasks
      queue.add(async () => delay(100), { id: "task1" })
      queue.add(async () => delay(100), { id: "task2" })

      // Invalid ID
      assert.throws(
        () => {
          queue.setPriority("non-existent", 5)
        },
        { message: /No promise function with the id "non-existent" exists in the queue/ }
      )

      // Valid update
      queue.setPriority("task2", 10)

      await queue.onIdle()
    })

    test("timeout validation in constructor", () => {
      // Invalid timeout values
      assert.throws(
        () => new PQueue({ timeout: -1 }),
        { message: /positive finite number/ }
      )

      assert.throws(
        () => new PQueue({ timeout: Number.POSITIVE_INFINITY }),
        { message: /positive finite number/ }
      )

      assert.throws(
        () => new PQueue({ timeout: Number.NaN }),
        { message: /positive finite number/ }
      )

      // Valid timeout
      const queue = new PQueue({ timeout: 1000 })
      assert.equal(queue.timeout, 1000)
    })

    test("abort before start frees concurrency immediately", async () => {
      const queue = new PQueue({ concurrency: 1 })

      const controller = new AbortController()
      controller.abort()

      // First task is aborted before start
      await assert.rejects(queue.add(async () => "ignored", { signal: controller.signal }))

      const started: Array<number> = []
      await queue.add(async () => {
        started.push(1)
      })

      assert.deepStrictEqual(started, [1])
    })

    test("carryover mode with no backlog does not report limited", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 2,
        carryoverIntervalCount: true
      })

      let rateLimitEventFired = false
      queue.on("rateLimit", () => {
        rateLimitEventFired = true
      })

      // Add exactly intervalCap tasks
      await Promise.all([
        queue.add(async () => delay(10)),
        queue.add(async () => delay(10))
      ])

      // Queue is empty, should not be rate limited
      assert.equal(queue.isRateLimited, false)
      assert.equal(rateLimitEventFired, false)
    })

    test("clear() triggers immediate state drop while rate-limited", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 1
      })

      const events: Array<string> = []
      queue.on("rateLimit", () => events.push("rateLimit"))
      queue.on("rateLimitCleared", () => events.push("rateLimitCleared"))

      // Add tasks to trigger rate limit
      queue.add(async () => delay(50))
      queue.add(async () => delay(50))
      queue.add(async () => delay(50))

      await delay(10)
      assert.equal(queue.isRateLimited, true)

      // Clear the queue
      queue.clear()

      // Should immediately clear rate limit
      await delay(10)
      assert.equal(queue.isRateLimited, false)
      assert.ok(events.includes("rateLimitCleared"))
    })

    test("abort before start rolls back interval count", async () => {
      const queue = new PQueue({
        interval: 1000,
        intervalCap: 1
      })

      const controller = new AbortController()

      // Add a task but abort before it starts
      controller.abort()

      await assert.rejects(
        queue.add(async () => "test", { signal: controller.signal }),
        { name: "AbortError" }
      )

      // Interval count should be 0 since task never started
      // Add a normal task to verify interval counting works
      await queue.add(async () => delay(10))

      // Should be able to add another task immediately in next interval
      await delay(1050)
      const start = Date.now()
      await queue.add(async () => delay(10))
      const elapsed = Date.now() - start

      // Should not have waited for another interval
      assert.ok(elapsed < 100, "Task should start immediately in new interval")
    })
  })

  describe("test/debug.ts", () => {
    const assert = strictAssert

    test("runningTasks returns current running tasks", async () => {
      const queue = new PQueue({ concurrency: 2 })

      const task1 = queue.add(async ({ id }) => {
        await delay(100)
        return id
      }, { id: "task1", priority: 1 })

      const task2 = queue.add(async ({ id }) => {
        await delay(100)
        return id
      }, { id: "task2", priority: 2 })

      const task3 = queue.add(async ({ id }) => {
        await delay(100)
        return id
      }, { id: "task3", priority: 0 })

      // Wait a bit for tasks to start
      await delay(20)

      // Check running tasks
      const running = queue.runningTasks
      assert.equal(running.length, 2)

      // Check that we have running tasks with IDs
      const runningIds = running.map((t) => t.id).filter((id) => id !== undefined)
      assert.equal(runningIds.length, 2)
      assert.ok(runningIds.includes("task1") || runningIds.includes("task2") || runningIds.includes("task3"))

      // Check that priorities are included (should have 2 tasks running)
      const priorities = running.map((t) => t.priority)
      assert.equal(priorities.length, 2)
      for (const priority of priorities) {
        assert.ok([0, 1, 2].includes(priority))
      }

      // Check that startTime is set
      for (const task of running) {
        assert.ok(task.startTime > 0)
        assert.ok(task.startTime <= Date.now())
      }

      await queue.onIdle()
    })

    test("runningTasks returns empty array when no tasks running", async () => {
      const queue = new PQueue({ concurrency: 2 })

      // No tasks running initially
      assert.equal(queue.runningTasks.length, 0)

      const task = queue.add(async () => delay(50))
      await queue.onIdle()

      // No tasks running after completion
      assert.equal(queue.runningTasks.length, 0)
    })

    test("runningTasks updates as tasks complete", async () => {
      const queue = new PQueue({ concurrency: 1 })

      const task1 = queue.add(async () => delay(50), { id: "task1" })
      const task2 = queue.add(async () => delay(50), { id: "task2" })

      await delay(10)
      assert.equal(queue.runningTasks.length, 1)
      assert.equal(queue.runningTasks[0].id, "task1")

      await task1
      await delay(10)
      assert.equal(queue.runningTasks.length, 1)
      assert.equal(queue.runningTasks[0].id, "task2")

      await task2
      assert.equal(queue.runningTasks.length, 0)
    })

    test("runningTasks includes timeout information", async () => {
      const queue = new PQueue({ concurrency: 2, timeout: 1000 })

      queue.add(async () => delay(50), { id: "with-queue-timeout" })
      queue.add(async () => delay(50), { id: "with-custom-timeout", timeout: 500 })

      await delay(10)

      const running = queue.runningTasks
      const withQueueTimeout = running.find((t) => t.id === "with-queue-timeout")
      const withCustomTimeout = running.find((t) => t.id === "with-custom-timeout")

      assert.equal(withQueueTimeout?.timeout, 1000)
      assert.equal(withCustomTimeout?.timeout, 500)

      await queue.onIdle()
    })

    test("runningTasks returns fresh arrays", async () => {
      const queue = new PQueue({ concurrency: 1 })

      queue.add(async () => delay(100), { id: "task1" })
      await delay(10)

      const running1 = queue.runningTasks
      const running2 = queue.runningTasks

      // Should be different array instances
      assert.notEqual(running1, running2)

      // But contain the same data
      assert.deepEqual(running1, running2)

      // Modifying one shouldn't affect the other
      running1.push({ id: "fake", priority: 0, startTime: Date.now() })
      assert.notDeepEqual(running1, running2)
      assert.equal(queue.runningTasks.length, 1)

      await queue.onIdle()
    })

    test("runningTasks includes timeoutRemaining for tasks with timeout", async () => {
      const queue = new PQueue({ concurrency: 2, timeout: 5000 })

      queue.add(async () => delay(200), { id: "with-timeout" })
      queue.add(async () => delay(200), { id: "custom-timeout", timeout: 2000 })

      await delay(10)

      const running = queue.runningTasks
      const withTimeout = running.find((t) => t.id === "with-timeout")
      const customTimeout = running.find((t) => t.id === "custom-timeout")

      assert.ok(withTimeout)
      assert.ok(typeof withTimeout.timeoutRemaining === "number")
      assert.ok(withTimeout.timeoutRemaining! > 0)
      assert.ok(withTimeout.timeoutRemaining! <= 5000)

      assert.ok(customTimeout)
      assert.ok(typeof customTimeout.timeoutRemaining === "number")
      assert.ok(customTimeout.timeoutRemaining! > 0)
      assert.ok(customTimeout.timeoutRemaining! <= 2000)

      await queue.onIdle()
    })

    test("runningTasks timeoutRemaining is undefined when no timeout is set", async () => {
      const queue = new PQueue({ concurrency: 1 })

      queue.add(async () => delay(100), { id: "no-timeout" })

      await delay(10)

      const running = queue.runningTasks
      assert.equal(running.length, 1)
      assert.equal(running[0].timeoutRemaining, undefined)

      await queue.onIdle()
    })

    test("runningTasks timeoutRemaining decreases over time", async () => {
      const queue = new PQueue({ concurrency: 1, timeout: 5000 })

      queue.add(async () => delay(300), { id: "task" })

      await delay(10)

      const remaining1 = queue.runningTasks[0].timeoutRemaining!

      await delay(100)

      const remaining2 = queue.runningTasks[0].timeoutRemaining!

      assert.ok(remaining2 < remaining1, `Expected ${remaining2} < ${remaining1}`)

      await queue.onIdle()
    })

    test("runningTasks handles tasks without IDs", async () => {
      const queue = new PQueue({ concurrency: 2 })

      queue.add(async () => delay(50))
      queue.add(async () => delay(50), { priority: 5 })

      await delay(10)

      const running = queue.runningTasks
      assert.equal(running.length, 2)

      // Tasks without explicit IDs should not have id property
      for (const task of running) {
        assert.ok(task.id === undefined || typeof task.id === "string")
        assert.ok(typeof task.priority === "number")
        assert.ok(typeof task.startTime === "number")
      }

      await queue.onIdle()
    })

    test("runningTasks works with interval rate limiting", async () => {
      const queue = new PQueue({
        concurrency: 10,
        interval: 100,
        intervalCap: 2
      })

      // Add 4 tasks
      for (let i = 0; i < 4; i++) {
        queue.add(async () => delay(50), { id: `task${i}` })
      }

      await delay(10)

      // Only 2 should be running due to intervalCap
      const runningCount1 = queue.runningTasks.length
      assert.ok(runningCount1 <= 2, `Should have at most 2 running tasks due to intervalCap, got ${runningCount1}`)

      // Wait for first batch to complete and interval to reset
      await delay(100)

      // Check if more tasks are running
      const runningCount2 = queue.runningTasks.length
      assert.ok(runningCount2 >= 0 && runningCount2 <= 2, `Should have 0-2 running tasks, got ${runningCount2}`)

      await queue.onIdle()
    })

    test("isSaturated property detects when queue is at capacity", async () => {
      const queue = new PQueue({ concurrency: 2 })

      // Initially not saturated
      assert.equal(queue.isSaturated, false)

      // Add tasks to fill capacity
      queue.add(async () => delay(100))
      queue.add(async () => delay(100))

      await delay(10)
      // Now at capacity but no tasks waiting
      assert.equal(queue.isSaturated, false)

      // Add more task to exceed capacity
      queue.add(async () => delay(100))

      // Now saturated - at capacity with tasks waiting
      assert.equal(queue.isSaturated, true)

      await queue.onIdle()
      assert.equal(queue.isSaturated, false)
    })

    test("isSaturated with paused queue", async () => {
      const queue = new PQueue({ concurrency: 1, autoStart: false })

      queue.add(async () => delay(50))
      queue.add(async () => delay(50))

      // Paused queue is not saturated even with waiting tasks
      assert.equal(queue.isSaturated, false)

      queue.start()
      await delay(10)

      // After starting, should be saturated
      assert.equal(queue.isSaturated, true)

      await queue.onIdle()
    })

    test("isSaturated with rate-limited queue", async () => {
      const queue = new PQueue({
        interval: 100,
        intervalCap: 1
      })

      queue.add(async () => delay(50))
      queue.add(async () => delay(50))

      await delay(10)

      // Should be saturated when rate limited with tasks waiting
      assert.equal(queue.isSaturated, true)

      await queue.onIdle()
    })

    test("improved timeout error includes queue state", async () => {
      const queue = new PQueue({ concurrency: 2, timeout: 50 })

      // Add some tasks that will timeout but we'll catch them
      const promises = [
        (async () => {
          try {
            await queue.add(async () => delay(100), { id: "slow-task-1" })
          } catch {
            // Ignore timeout errors for these tasks
          }
        })(),
        (async () => {
          try {
            await queue.add(async () => delay(100), { id: "slow-task-2" })
          } catch {
            // Ignore timeout errors for these tasks
          }
        })(),
        queue.add(async () => delay(10), { id: "fast-task" })
      ]

      try {
        await queue.add(async () => delay(100), { id: "timeout-task" })
        assert.fail("Should have thrown timeout error")
      } catch (error: any) {
        // (upstream, for xo) eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
        assert.ok(error.message.includes("timeout-task") || error.message.includes("timed out"))
        // (upstream, for xo) eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
        assert.ok(error.message.includes("Queue state") || error.message.includes("queue has"))
      }

      // Wait for all tasks to complete or timeout
      await Promise.allSettled(promises)
    })
  })

  describe("test/priority-queue.ts", () => {
    const assert = strictAssert

    const createRun = (value: string) => async () => value

    test("PriorityQueue ignores dequeued items in queue operations", () => {
      const queue = new PriorityQueue()
      const first = createRun("first")
      const second = createRun("second")
      const third = createRun("third")

      queue.enqueue(first, { id: "same", priority: 0 })
      queue.enqueue(second, { id: "same", priority: 0 })
      queue.enqueue(third, { id: "third", priority: 0 })

      assert.equal(queue.dequeue(), first)
      assert.deepEqual(queue.filter({ priority: 0 }), [second, third])

      queue.setPriority("same", 2)
      queue.remove(third)

      assert.equal(queue.size, 1)
      assert.equal(queue.dequeue(), second)
      assert.equal(queue.dequeue(), undefined)
    })

    test("PriorityQueue inserts high-priority items correctly after partial dequeue", () => {
      const queue = new PriorityQueue()
      const first = createRun("first")
      const second = createRun("second")
      const third = createRun("third")
      const urgent = createRun("urgent")

      queue.enqueue(first, { priority: 0 })
      queue.enqueue(second, { priority: 0 })
      queue.enqueue(third, { priority: -1 })

      assert.equal(queue.dequeue(), first)

      queue.enqueue(urgent, { priority: 1 })

      assert.equal(queue.size, 3)
      assert.equal(queue.dequeue(), urgent)
      assert.equal(queue.dequeue(), second)
      assert.equal(queue.dequeue(), third)
      assert.equal(queue.dequeue(), undefined)
    })

    test("PriorityQueue removes the live duplicate id after partial dequeue", () => {
      const queue = new PriorityQueue()
      const first = createRun("first")
      const second = createRun("second")
      const third = createRun("third")

      queue.enqueue(first, { id: "same" })
      queue.enqueue(second, { id: "same" })
      queue.enqueue(third, { id: "third" })

      assert.equal(queue.dequeue(), first)

      queue.remove("same")

      assert.equal(queue.size, 1)
      assert.equal(queue.dequeue(), third)
      assert.equal(queue.dequeue(), undefined)
    })

    test("PriorityQueue removes by run after partial dequeue", () => {
      const queue = new PriorityQueue()
      const first = createRun("first")
      const second = createRun("second")
      const third = createRun("third")

      queue.enqueue(first)
      queue.enqueue(second)
      queue.enqueue(third)

      assert.equal(queue.dequeue(), first)

      queue.remove(second)

      assert.equal(queue.size, 1)
      assert.equal(queue.dequeue(), third)
      assert.equal(queue.dequeue(), undefined)
    })

    test("PriorityQueue stays ordered after cursor compaction", () => {
      const queue = new PriorityQueue()
      const urgent = createRun("urgent")

      for (let index = 0; index < 150; index++) {
        queue.enqueue(createRun(`task-${index}`))
      }

      // Cross the compaction threshold while leaving queued items behind.
      for (let index = 0; index < 120; index++) {
        assert.notEqual(queue.dequeue(), undefined)
      }

      queue.enqueue(urgent, { priority: 1 })

      assert.equal(queue.size, 31)
      assert.equal(queue.dequeue(), urgent)

      let remaining = 0
      while (queue.dequeue() !== undefined) {
        remaining++
      }

      assert.equal(remaining, 30)
      assert.equal(queue.size, 0)
    })

    test("PriorityQueue setPriority works when only one live item remains", () => {
      const queue = new PriorityQueue()
      const first = createRun("first")
      const second = createRun("second")

      queue.enqueue(first, { id: "first" })
      queue.enqueue(second, { id: "second" })

      assert.equal(queue.dequeue(), first)

      queue.setPriority("second", 1)

      assert.equal(queue.size, 1)
      assert.equal(queue.dequeue(), second)
      assert.equal(queue.dequeue(), undefined)
    })
  })

  // a mark whose title matches no test would mark nothing (checked once the nested suites are collected)
  beforeAll(() => {
    for (const title of [...Object.keys(ours), ...Object.keys(upstream)]) {
      if (!titles.has(title)) throw new Error(`no test is titled ${title}`)
    }
  })
})
