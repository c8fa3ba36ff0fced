import { assert, describe, expect, it } from "@effect/vitest"
import {
  CancelledError,
  InvalidOptionsError,
  keyedLimiter,
  limit,
  limiter,
  rateLimit,
  semaphore,
  TaskDroppedError,
  toEffect
} from "@taskscope/promise"
import { Effect, Fiber, TestClock } from "effect"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import pLimit from "p-limit"
import { deferred, rejection, stateOf, tick, ticks, unhandledRejections } from "./helpers.js"

describe("semaphore", () => {
  it("at most n run at once, in FIFO order", async () => {
    const sem = semaphore(2)
    let running = 0
    let peak = 0
    const order: Array<number> = []
    await Promise.all(Array.from({ length: 6 }, (_, i) =>
      sem.run(async () => {
        running++
        peak = Math.max(peak, running)
        order.push(i)
        await ticks(2)
        running--
      })))
    assert.strictEqual(peak, 2)
    expect(order).toStrictEqual([0, 1, 2, 3, 4, 5])
  })

  it("stats say who waits and why", async () => {
    const sem = semaphore(1, { name: "db" })
    const gate = deferred()
    const holder = sem.run(() => gate.promise)
    const waiter = sem.run(async () => "second")
    await tick()
    const stats = sem.stats
    assert.strictEqual(stats.name, "db")
    assert.strictEqual(stats.held, 1)
    assert.strictEqual(stats.waiting, 1)
    assert.strictEqual(stats.waiters[0].reason, "concurrency")
    assert.isNumber(stats.waiters[0].waitingFor)
    gate.resolve()
    await holder
    assert.strictEqual(await waiter, "second")
    assert.strictEqual(sem.stats.available, 1)
  })

  it("a caller whose signal aborts leaves the line; the permit is not lost", async () => {
    const sem = semaphore(1)
    const gate = deferred()
    const holder = sem.run(() => gate.promise)
    const controller = new AbortController()
    const waiting = sem.run(async () => "never", { signal: controller.signal })
    await tick()
    controller.abort("gave up")
    assert.strictEqual(await rejection(waiting), "gave up")
    assert.strictEqual(sem.stats.waiting, 0)
    gate.resolve()
    await holder
    assert.strictEqual(sem.stats.available, 1)
    assert.strictEqual(await sem.run(async () => "next"), "next")
  })

  it("acquire gives a Permit that `using` releases, once", async () => {
    const sem = semaphore(1)
    {
      using permit = await sem.acquire()
      assert.strictEqual(permit.permits, 1)
      assert.isUndefined(sem.tryAcquire())
      permit.release()
      permit.release() // once: the second does nothing
      const again = sem.tryAcquire()
      assert.isDefined(again)
      again!.release()
      // `using` releases `permit` again at the end of the block: still once
    }
    assert.strictEqual(sem.stats.available, 1)
  })

  it("semaphore(0) starts locked: callers wait until it is resized", async () => {
    const gate = semaphore(0)
    const waiting = gate.run(async () => "through")
    assert.strictEqual(await stateOf(waiting), "pending")
    gate.resize(1)
    assert.strictEqual(await waiting, "through")
  })

  it("errors of the function come back as thrown", async () => {
    const thrown = new RangeError("bad")
    assert.strictEqual(await rejection(semaphore(1).run(() => Promise.reject(thrown))), thrown)
  })

  it("options from outside: InvalidOptionsError naming the option; a bad literal count: an error naming the function", () => {
    assert.throws(() => limiter({ concurrency: -1 }), InvalidOptionsError, /concurrency/)
    assert.throws(() => semaphore(-1), /semaphore.*-1/)
  })
})

describe("rateLimit (TestClock)", () => {
  it.effect("at most `limit` starts per interval, exactly (sliding window); pause holds everyone back", () =>
    Effect.gen(function*() {
      const starts: Array<number> = []
      const fiber = yield* Effect.fork(toEffect(async (signal) => {
        const limiter = rateLimit({ limit: 2, interval: 1_000, algorithm: "slidingWindow" })
        // the test's clock reaches the limiter through the signal handed to this function
        const at = Date.now()
        await Promise.all(Array.from({ length: 5 }, (_, i) =>
          limiter.run(async () => {
            starts.push(i)
          }, { signal })))
        return Date.now() - at
      }))
      yield* Effect.promise(() => tick())
      expect(starts).toStrictEqual([0, 1])
      yield* TestClock.adjust(999)
      yield* Effect.promise(() => tick())
      expect(starts).toStrictEqual([0, 1])
      yield* TestClock.adjust(1)
      yield* Effect.promise(() => tick())
      expect(starts).toStrictEqual([0, 1, 2, 3])
      yield* TestClock.adjust(1_000)
      yield* Fiber.join(fiber)
      expect(starts).toStrictEqual([0, 1, 2, 3, 4])
    }))

  it.effect("pause (a 429's Retry-After) holds every caller back for that long", () =>
    Effect.gen(function*() {
      const starts: Array<string> = []
      const fiber = yield* Effect.fork(toEffect(async (signal) => {
        const limiter = rateLimit({ limit: 100, interval: 1_000 })
        await limiter.run(async () => void starts.push("first"), { signal })
        limiter.pause(30_000)
        assert.strictEqual(limiter.stats.pausedFor, 30_000)
        await limiter.run(async () => void starts.push("after pause"), { signal })
      }))
      yield* Effect.promise(() => tick())
      yield* TestClock.adjust(29_999)
      yield* Effect.promise(() => tick())
      expect(starts).toStrictEqual(["first"])
      yield* TestClock.adjust(1)
      yield* Fiber.join(fiber)
      expect(starts).toStrictEqual(["first", "after pause"])
    }))
})

describe("keyedLimiter", () => {
  it("one limiter per key", async () => {
    const perHost = keyedLimiter((_host: string) => ({ concurrency: 1 }))
    let a = 0
    let peakA = 0
    let running = 0
    let peak = 0
    const job = (host: string) =>
      perHost.run(host, async () => {
        running++
        peak = Math.max(peak, running)
        if (host === "a") peakA = Math.max(peakA, ++a)
        await ticks(2)
        if (host === "a") a--
        running--
      })
    await Promise.all([job("a"), job("a"), job("b"), job("b")])
    assert.strictEqual(peakA, 1)
    assert.strictEqual(peak, 2)
    assert.strictEqual(perHost.size, 2)
  })
})

describe("limit behaves as p-limit", () => {
  const implementations = [
    ["p-limit", pLimit],
    ["limit", limit]
  ] as const

  const same = async (scenario: (make: (n: number) => any) => Promise<Array<unknown>>) => {
    const reference = await scenario(implementations[0][1])
    const ours = await scenario(implementations[1][1])
    assert.isAbove(reference.length, 0)
    expect(ours).toStrictEqual(reference)
  }

  it("runs at most n at once, in order, with arguments; counts as p-limit's", () =>
    same(async (make) => {
      const log: Array<string> = []
      const l = make(2)
      const gate = deferred()
      const calls = [1, 2, 3, 4].map((n) =>
        l(
          async (x: number, y: string) => {
            log.push(`start ${x}${y}`)
            await gate.promise
            return x * 10
          },
          n,
          "!"
        )
      )
      await tick()
      log.push(`active=${l.activeCount} pending=${l.pendingCount} concurrency=${l.concurrency}`)
      gate.resolve()
      const values = await Promise.all(calls)
      log.push(`values=${values.join(",")} active=${l.activeCount} pending=${l.pendingCount}`)
      return log
    }))

  it("concurrency can be raised; map runs through the limit", () =>
    same(async (make) => {
      const l = make(1)
      const gate = deferred()
      const calls = [1, 2, 3].map(() => l(() => gate.promise))
      await tick()
      const before = [l.activeCount, l.pendingCount]
      l.concurrency = 3
      await ticks(2)
      const after = [l.activeCount, l.pendingCount]
      gate.resolve()
      await Promise.all(calls)
      const mapped = await l.map([1, 2, 3], async (x: number, i: number) => x + i)
      return [before, after, mapped]
    }))

  it("a throwing or rejecting function rejects its call only", () =>
    same(async (make) => {
      const l = make(1)
      const a = await rejection(l(() => {
        throw new TypeError("sync")
      }))
      const b = await rejection(l(async () => {
        throw new RangeError("async")
      }))
      const c = await l(async () => "fine")
      return [(a as Error).name, (b as Error).name, c]
    }))

  it("bad concurrency throws a TypeError", () =>
    same(async (make) => {
      const errors: Array<string> = []
      for (const n of [0, -1, 1.5, Number.NaN]) {
        try {
          make(n)
          errors.push("accepted")
        } catch (error) {
          errors.push((error as Error).constructor.name)
        }
      }
      return errors
    }))

  it("clearQueue drops the waiting calls; unlike p-limit, their promises settle (TaskDroppedError), unhandled or not", async () => {
    const dropped: Array<Promise<unknown>> = []
    const seen = await unhandledRejections(async () => {
      const l = limit(1)
      const gate = deferred()
      const running = l(() => gate.promise)
      for (let i = 0; i < 3; i++) dropped.push(l(async () => i))
      assert.strictEqual(l.pendingCount, 3)
      l.clearQueue()
      assert.strictEqual(l.pendingCount, 0)
      gate.resolve()
      await running
    })
    expect(seen).toStrictEqual([])
    for (const promise of dropped) assert.instanceOf(await rejection(promise), TaskDroppedError)
  })

  it("run(fn, { signal }): the function gets a signal; the caller's signal takes it out of the line or aborts it", async () => {
    const l = limit(1)
    const gate = deferred()
    const first = l.run(async (signal) => {
      assert.instanceOf(signal, AbortSignal)
      await gate.promise
      return "first"
    })
    const controller = new AbortController()
    const queued = l.run(async () => "never", { signal: controller.signal })
    controller.abort(new CancelledError("not needed"))
    assert.instanceOf(await rejection(queued), CancelledError)
    assert.strictEqual(await stateOf(first), "pending")
    gate.resolve()
    assert.strictEqual(await first, "first")
  })

  it("keeps nothing of a call once it ended: its function, arguments and result can be collected", async () => {
    setFlagsFromString("--expose-gc")
    const gc = runInNewContext("gc") as () => void
    const l = limit(4)
    const refs: Array<WeakRef<object>> = []
    const calls: Array<Promise<unknown>> = []
    // (made in a function of their own: a loop's last iteration would stay reachable from this frame)
    const call = (i: number) => {
      const arg = { i }
      const fn = async (a: { i: number }) => {
        await tick()
        if (a.i % 10 === 0) throw new Error(`call ${a.i}`)
        return { out: a.i }
      }
      refs.push(new WeakRef(fn), new WeakRef(arg))
      calls.push(l(fn, arg))
    }
    // and calls through run(), one in ten aborted by its caller while it waits
    const run = (i: number) => {
      const controller = new AbortController()
      const fn = async () => ({ run: i })
      refs.push(new WeakRef(fn))
      calls.push(l.run(fn, { signal: controller.signal }))
      if (i % 10 === 0) controller.abort(new CancelledError("not needed"))
    }
    for (let i = 0; i < 2_000; i++) call(i)
    for (let i = 0; i < 200; i++) run(i)
    const settled = await Promise.allSettled(calls)
    assert.strictEqual(settled.filter((s) => s.status === "rejected").length, 200 + 20)
    calls.length = 0
    settled.length = 0
    assert.strictEqual(l.activeCount, 0)
    assert.strictEqual(l.pendingCount, 0)
    // a few turns for what settles late, then the collector — again, up to 10 times: V8 may keep a
    // WeakRef's target until the job that made or read it has ended (seen here: one call in 2,200,
    // held by nothing else). Held by the limit, it would never go (the same test with a Set of the
    // running calls kept: all 4,200 stayed).
    let alive: Array<number> = []
    for (let attempt = 0; attempt < 10; attempt++) {
      await ticks(5)
      gc()
      gc()
      alive = refs.flatMap((r, i) => (r.deref() === undefined ? [] : [i]))
      if (alive.length === 0) break
    }
    expect(alive).toStrictEqual([])
  })
})
