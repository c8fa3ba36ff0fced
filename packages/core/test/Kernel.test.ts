import { assert, describe, expect, it } from "@effect/vitest"
import { Duration, FastCheck as fc } from "effect"
import { TimeoutError } from "../src/internal/errors.js"
import {
  ADMITTED,
  FixedWindow,
  JobBase,
  Kernel,
  type KernelOptions,
  OUTSIDE,
  QUEUED,
  SlidingWindow,
  Stats
} from "../src/internal/kernel.js"

class J extends JobBase {
  constructor(readonly id: number, priority = 0) {
    super()
    this.priority = priority
  }
}

const make = (options: KernelOptions<J> = {}) => new Kernel<J>(options)

/** Takes every job that may start now, in order. */
const drain = (kernel: Kernel<J>, now = 0): Array<number> => {
  const out: Array<number> = []
  for (let job = kernel.next(now); job !== undefined; job = kernel.next(now)) out.push(job.id)
  return out
}

describe("Kernel", () => {
  it("admits up to the concurrency, lower priority first, FIFO among equals", () => {
    const kernel = make({ concurrency: 2 })
    const jobs = [new J(1, 1), new J(2, 0), new J(3, 1), new J(4, -1), new J(5, 0)]
    for (const job of jobs) kernel.push(job)
    assert.strictEqual(kernel.size, 5)
    expect(drain(kernel)).toStrictEqual([4, 2])
    assert.strictEqual(kernel.running, 2)
    kernel.release(jobs[3])
    expect(drain(kernel)).toStrictEqual([5])
    kernel.release(jobs[1])
    kernel.release(jobs[4])
    expect(drain(kernel)).toStrictEqual([1, 3])
    assert.strictEqual(kernel.size, 0)
    assert.strictEqual(jobs[0].kstate, ADMITTED)
  })

  it("a job that leaves the line is skipped, and counted out at once", () => {
    const kernel = make({ concurrency: 1 })
    const jobs = [new J(1), new J(2), new J(3)]
    for (const job of jobs) kernel.push(job)
    assert.isTrue(kernel.remove(jobs[1]))
    assert.isFalse(kernel.remove(jobs[1]))
    assert.strictEqual(kernel.size, 2)
    assert.strictEqual(jobs[1].kstate, OUTSIDE)
    expect(drain(kernel)).toStrictEqual([1])
    kernel.release(jobs[0])
    expect(drain(kernel)).toStrictEqual([3])
  })

  it("pause holds every start; resume lets them go", () => {
    const kernel = make({ paused: true })
    kernel.push(new J(1))
    expect(drain(kernel)).toStrictEqual([])
    assert.strictEqual(kernel.blockedFor(0), Infinity)
    kernel.paused = false
    expect(drain(kernel)).toStrictEqual([1])
  })

  it("reprioritize moves a job behind those already at its new priority", () => {
    const kernel = make({ concurrency: 1, paused: true })
    const jobs = [new J(1, 1), new J(2, 0), new J(3, 0), new J(4, 1)]
    for (const job of jobs) kernel.push(job)
    assert.isTrue(kernel.reprioritize(jobs[3], 0))
    expect(kernel.toArray().map((j) => j.id)).toStrictEqual([2, 3, 4, 1])
    assert.strictEqual(kernel.sizeBy(0), 3)
    assert.strictEqual(kernel.sizeBy(1), 1)
  })

  it("dropOldest takes the lowest priority's oldest job", () => {
    const kernel = make({ paused: true })
    for (const job of [new J(1, 0), new J(2, 5), new J(3, 5), new J(4, 1)]) kernel.push(job)
    assert.strictEqual(kernel.dropOldest()?.id, 2)
    assert.strictEqual(kernel.dropOldest()?.id, 3)
    assert.strictEqual(kernel.dropOldest()?.id, 4)
    assert.strictEqual(kernel.size, 1)
  })

  it("tryStart admits only when nothing waits and every gate allows", () => {
    const kernel = make({ concurrency: 1 })
    const a = new J(1), b = new J(2), c = new J(3)
    assert.isTrue(kernel.tryStart(a))
    assert.isFalse(kernel.tryStart(b))
    kernel.push(b)
    kernel.release(a)
    // b waits: c may not jump the line
    assert.isFalse(kernel.tryStart(c))
    expect(drain(kernel)).toStrictEqual([2])
  })

  it("sliding window: at most `limit` starts in any window, and says how long to wait", () => {
    const kernel = make({ rate: { limit: 2, intervalMs: 100 } })
    for (let i = 0; i < 5; i++) kernel.push(new J(i))
    expect(drain(kernel, 0)).toStrictEqual([0, 1])
    assert.isTrue(kernel.isRateLimited(0))
    assert.strictEqual(kernel.blockedFor(40), 60)
    expect(drain(kernel, 99)).toStrictEqual([])
    expect(drain(kernel, 100)).toStrictEqual([2, 3])
    expect(drain(kernel, 150)).toStrictEqual([])
    expect(drain(kernel, 200)).toStrictEqual([4])
    assert.isFalse(kernel.isRateLimited(200))
  })

  it("a withdrawn job gives its start back to the window", () => {
    const kernel = make({ rate: { limit: 1, intervalMs: 100 } })
    const a = new J(1), b = new J(2)
    kernel.push(a)
    kernel.push(b)
    expect(drain(kernel, 0)).toStrictEqual([1])
    kernel.withdraw(a, 0)
    assert.strictEqual(a.kstate, OUTSIDE)
    assert.strictEqual(kernel.running, 0)
    expect(drain(kernel, 0)).toStrictEqual([2])
  })

  it("fixed window: counts restart at the window's end; carryover counts the jobs still running", () => {
    const plain = new FixedWindow(1, 500, false)
    assert.strictEqual(plain.waitFor(1, 0, 0), 0)
    plain.consume(1, 0)
    assert.strictEqual(plain.waitFor(1, 100, 1), 400)
    assert.strictEqual(plain.waitFor(1, 500, 1), 0)

    const carry = new FixedWindow(1, 500, true)
    carry.consume(1, 0)
    // at 500 the job started at 0 still runs: it fills the next window
    assert.strictEqual(carry.waitFor(1, 500, 1), 500)
    // at 1000 it has ended
    assert.strictEqual(carry.waitFor(1, 1000, 0), 0)
  })

  it("fixed window: windows follow one another while busy; a quiet gap opens a new one at the next start", () => {
    const window = new FixedWindow(2, 100, false)
    window.consume(1, 10)
    window.consume(1, 20)
    assert.strictEqual(window.waitFor(1, 50, 0), 60)
    // 110: the next window [110, 210)
    assert.strictEqual(window.waitFor(1, 110, 0), 0)
    window.consume(1, 150)
    assert.strictEqual(window.end, 210)
    // long quiet: the next start opens [500, 600)
    assert.strictEqual(window.waitFor(1, 500, 0), 0)
    window.consume(1, 500)
    assert.strictEqual(window.end, 600)
  })

  it("minTime spaces starts", () => {
    const kernel = make({ minTimeMs: 50 })
    for (let i = 0; i < 3; i++) kernel.push(new J(i))
    expect(drain(kernel, 0)).toStrictEqual([0])
    assert.strictEqual(kernel.blockedFor(10), 40)
    expect(drain(kernel, 50)).toStrictEqual([1])
    expect(drain(kernel, 100)).toStrictEqual([2])
  })

  it("reservoir: jobs take from it; refresh sets it, increase adds up to a maximum; depleted is told", () => {
    const depleted: Array<boolean> = []
    const kernel = make({
      reservoir: { initial: 2, refreshIntervalMs: 1000, refreshAmount: 3 },
      onDepleted: (empty) => depleted.push(empty)
    })
    for (let i = 0; i < 6; i++) kernel.push(new J(i))
    expect(drain(kernel, 0)).toStrictEqual([0, 1])
    expect(depleted).toStrictEqual([false])
    assert.strictEqual(kernel.reservoirAt(10), 0)
    assert.strictEqual(kernel.blockedFor(10), 990)
    expect(drain(kernel, 1000)).toStrictEqual([2, 3, 4])
    expect(drain(kernel, 1999)).toStrictEqual([])
    expect(drain(kernel, 2000)).toStrictEqual([5])
    expect(depleted).toStrictEqual([false, false])

    const growing = make({
      reservoir: { initial: 0, increaseIntervalMs: 100, increaseAmount: 2, increaseMaximum: 3 }
    })
    for (let i = 0; i < 5; i++) growing.push(new J(i))
    assert.strictEqual(growing.blockedFor(0), 100)
    assert.strictEqual(growing.reservoirAt(1000), 3)
    expect(drain(growing, 1000)).toStrictEqual([0, 1, 2])
    growing.incrementReservoir(1, 1000)
    expect(drain(growing, 1000)).toStrictEqual([3])
    // no refresh, no increase left to wait for? the increase goes on
    assert.strictEqual(growing.blockedFor(1000), 100)
    growing.setReservoir(undefined, 1000)
    expect(drain(growing, 1000)).toStrictEqual([4])
  })

  it("key gates: a busy key never holds another key back; priority holds across keys", () => {
    const kernel = make({
      concurrency: 3,
      keys: (key) => (key === "slow" ? { concurrency: 1 } : { concurrency: 2 })
    })
    const job = (id: number, key: string | undefined, priority = 0) => {
      const j = new J(id, priority)
      j.gate = kernel.gateFor(key, 0)
      kernel.push(j)
      return j
    }
    const s1 = job(1, "slow")
    job(2, "slow")
    job(3, "fast", 1)
    job(4, undefined, 2)
    job(5, "fast", 0)
    // 1 (slow, 0), then 2 waits on slow's one permit: 5 (fast, 0), then 3 (fast, 1)
    expect(drain(kernel)).toStrictEqual([1, 5, 3])
    kernel.release(s1)
    expect(drain(kernel)).toStrictEqual([2])
    assert.strictEqual(kernel.size, 1)
  })

  it("key gates: a key's rate; blockedFor names the earliest key", () => {
    const kernel = make({ keys: () => ({ rate: { limit: 1, intervalMs: 100 } }) })
    const job = (id: number, key: string) => {
      const j = new J(id)
      j.gate = kernel.gateFor(key, 0)
      kernel.push(j, 0)
    }
    job(1, "a")
    job(2, "a")
    job(3, "b")
    expect(drain(kernel, 0)).toStrictEqual([1, 3])
    assert.strictEqual(kernel.blockedFor(30), 70)
    expect(drain(kernel, 100)).toStrictEqual([2])
  })

  it("windows compared: sliding holds a burst at the edge that fixed lets through", () => {
    const sliding = new SlidingWindow(2, 100)
    const fixed = new FixedWindow(2, 100, false)
    for (const w of [sliding, fixed]) {
      w.consume(1, 0)
      w.consume(1, 90)
    }
    assert.strictEqual(fixed.waitFor(1, 100, 0), 0)
    assert.strictEqual(sliding.waitFor(1, 100), 0)
    sliding.consume(1, 100)
    fixed.consume(1, 100)
    assert.strictEqual(fixed.waitFor(1, 101, 0), 0)
    assert.strictEqual(sliding.waitFor(1, 101), 89)
  })

  it("Stats: counts in the one vocabulary and percentiles", () => {
    const stats = new Stats()
    stats.submitted = 4
    stats.ended("succeeded")
    stats.ended("timedOut")
    stats.ended("cancelled")
    stats.drop()
    // a promise task: stopped by a signal, rejected with a TimeoutError of its own, with another error
    stats.settled(false, new Error("aborted"), true)
    stats.settled(false, new TimeoutError({ deadline: 0, elapsed: Duration.zero }), false)
    stats.settled(false, new Error("boom"), false)
    stats.settled(true, 1, false)
    for (const ms of [1, 2, 3, 4, 100]) stats.duration(ms)
    expect(stats.counts()).toStrictEqual({
      submitted: 4,
      succeeded: 2,
      failed: 1,
      timedOut: 2,
      // the dropped one is cancelled too
      cancelled: 3,
      dropped: 1,
      retries: 0,
      done: 8
    })
    expect(stats.percentiles()).toStrictEqual({ p50: 3, p90: 100, p99: 100 })
  })
})

// -----------------------------------------------------------------------------------------------
// properties: random schedules of pushes, removals, releases, pauses and time

type Op =
  | { readonly _tag: "push"; readonly priority: number; readonly key: number }
  | { readonly _tag: "remove"; readonly pick: number }
  | { readonly _tag: "release"; readonly pick: number }
  | { readonly _tag: "advance"; readonly ms: number }
  | { readonly _tag: "pause" }
  | { readonly _tag: "resume" }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      _tag: fc.constant("push" as const),
      priority: fc.integer({ min: 0, max: 2 }),
      key: fc.integer({ min: -1, max: 2 })
    })
  },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("remove" as const), pick: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ _tag: fc.constant("release" as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ _tag: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 60 }) }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("pause" as const) }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("resume" as const) }) }
)

const configArb = fc.record({
  concurrency: fc.constantFrom(1, 2, 3, Infinity),
  rate: fc.option(
    fc.record({
      limit: fc.integer({ min: 1, max: 3 }),
      intervalMs: fc.integer({ min: 10, max: 100 }),
      window: fc.constantFrom("sliding" as const, "fixed" as const),
      carryover: fc.boolean()
    }),
    { nil: undefined }
  ),
  keyConcurrency: fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined }),
  keyRate: fc.option(fc.integer({ min: 10, max: 80 }), { nil: undefined })
})

class K extends JobBase {
  started = -1
  removed = false
  released = false
  constructor(readonly id: number, priority: number, readonly key: number) {
    super()
    this.priority = priority
  }
}

describe("Kernel properties", () => {
  it.prop(
    "never over the concurrency or a rate, FIFO within a priority, the best job first, nothing lost, nothing starved",
    [configArb, fc.array(opArb, { maxLength: 120 })],
    ([config, ops]) => {
      const keyed = config.keyConcurrency !== undefined || config.keyRate !== undefined
      const kernel = new Kernel<K>({
        concurrency: config.concurrency,
        rate: config.rate,
        ...(keyed
          ? {
            keys: () => ({
              concurrency: config.keyConcurrency,
              rate: config.keyRate === undefined ? undefined : { limit: 1, intervalMs: config.keyRate }
            })
          }
          : {})
      })
      let now = 0
      const jobs: Array<K> = []
      const starts: Array<{ readonly at: number; readonly job: K }> = []
      const running = new Set<K>()
      const keyRunning = new Map<number, number>()

      const startAll = () => {
        for (;;) {
          const before = kernel.toArray()
          const job = kernel.next(now)
          if (job === undefined) break
          assert.strictEqual(job.kstate, ADMITTED)
          assert.isFalse(job.removed)
          // the best job that may start: without keys, the head of the whole line
          if (!keyed) assert.strictEqual(job, before[0])
          job.started = now
          starts.push({ at: now, job })
          running.add(job)
          keyRunning.set(job.key, (keyRunning.get(job.key) ?? 0) + 1)
          assert.isAtMost(running.size, config.concurrency)
          assert.strictEqual(kernel.running, running.size)
          if (keyed && config.keyConcurrency !== undefined && job.key >= 0) {
            assert.isAtMost(keyRunning.get(job.key)!, config.keyConcurrency)
          }
        }
        // nothing may start now: then the kernel must say so
        if (kernel.size > 0 && !kernel.paused && running.size < config.concurrency) {
          assert.isAbove(kernel.blockedFor(now), 0)
        }
      }

      for (const op of ops) {
        switch (op._tag) {
          case "push": {
            const job = new K(jobs.length, op.priority, op.key)
            if (keyed) job.gate = kernel.gateFor(op.key < 0 ? undefined : String(op.key), now)
            jobs.push(job)
            kernel.push(job, now)
            break
          }
          case "remove": {
            const queued = jobs.filter((j) => j.kstate === QUEUED)
            if (queued.length === 0) break
            const job = queued[op.pick % queued.length]
            assert.isTrue(kernel.remove(job, now))
            job.removed = true
            break
          }
          case "release": {
            const list = [...running]
            if (list.length === 0) break
            const job = list[op.pick % list.length]
            kernel.release(job, now)
            job.released = true
            running.delete(job)
            keyRunning.set(job.key, keyRunning.get(job.key)! - 1)
            break
          }
          case "advance":
            now += op.ms
            break
          case "pause":
            kernel.paused = true
            break
          case "resume":
            kernel.paused = false
            break
        }
        startAll()
        assert.strictEqual(kernel.size, jobs.filter((j) => j.kstate === QUEUED).length)
      }

      // the end: resume, release everything as it starts, and follow `blockedFor`: all that was not
      // removed starts, in a bounded number of steps
      kernel.paused = false
      for (let steps = 0; kernel.size > 0; steps++) {
        assert.isBelow(steps, 10_000)
        for (const job of running) {
          kernel.release(job, now)
          job.released = true
          keyRunning.set(job.key, keyRunning.get(job.key)! - 1)
        }
        running.clear()
        startAll()
        if (kernel.size > 0 && running.size === 0) {
          const wait = kernel.blockedFor(now)
          assert.isTrue(Number.isFinite(wait) && wait > 0, `stuck with ${kernel.size} queued (wait ${wait})`)
          now += wait
        }
      }
      for (const job of jobs) assert.isTrue(job.removed !== (job.started >= 0), `job ${job.id} lost`)

      // FIFO within a priority (and a key): started in the order they were pushed
      const order = starts.map((s) => s.job)
      for (let i = 0; i < order.length; i++) {
        for (let k = i + 1; k < order.length; k++) {
          const a = order[i], b = order[k]
          if (a.priority === b.priority && (!keyed || a.key === b.key)) assert.isBelow(a.id, b.id)
        }
      }

      // the global rate: a sliding window never sees more than `limit` starts in any interval; a
      // fixed one never more than twice that (its edge)
      const rate = config.rate
      if (rate !== undefined) {
        const bound = rate.window === "sliding" ? rate.limit : 2 * rate.limit
        for (let i = 0; i < starts.length; i++) {
          let n = 0
          for (let k = i; k < starts.length && starts[k].at < starts[i].at + rate.intervalMs; k++) n++
          assert.isAtMost(n, bound)
        }
      }
      // a key's rate (sliding, 1 per interval)
      if (keyed && config.keyRate !== undefined) {
        const byKey = new Map<number, Array<number>>()
        for (const s of starts) {
          if (s.job.key < 0) continue
          const list = byKey.get(s.job.key) ?? []
          list.push(s.at)
          byKey.set(s.job.key, list)
        }
        for (const list of byKey.values()) {
          for (let i = 1; i < list.length; i++) assert.isAtLeast(list[i] - list[i - 1], config.keyRate)
        }
      }
    },
    { fastCheck: { numRuns: 300 } }
  )
})

describe("Kernel: jobs that leave do not pile up (an overflow policy drops one per submit)", () => {
  /** Entries a kernel's lane holds, live or left (the lane's own arrays). */
  const held = (kernel: Kernel<J>) =>
    (kernel.lane as unknown as { levels: Array<{ items: Array<unknown>; head: number }> }).levels.reduce(
      (n, l) => n + l.items.length - l.head,
      0
    )

  it("a job pushed and removed at once (dropNewest) leaves nothing behind", () => {
    const kernel = make({ concurrency: 1 })
    const running = new J(0)
    kernel.push(running)
    expect(drain(kernel)).toStrictEqual([0])
    kernel.push(new J(1))
    kernel.push(new J(2))
    for (let i = 0; i < 10_000; i++) {
      const job = new J(100 + i)
      kernel.push(job)
      kernel.remove(job)
    }
    assert.strictEqual(kernel.size, 2)
    assert.isAtMost(held(kernel), 2)
    kernel.release(running)
    expect(drain(kernel)).toStrictEqual([1])
  })

  it("the oldest of the lowest priority dropped for each new one (dropOldest): the lane stays bounded", () => {
    const kernel = make({ concurrency: 1 })
    const running = new J(0)
    kernel.push(running)
    drain(kernel)
    kernel.push(new J(1, 1))
    kernel.push(new J(2, 5))
    kernel.push(new J(3, 5))
    for (let i = 0; i < 20_000; i++) {
      const worst = kernel.oldestLowest()!
      kernel.remove(worst)
      kernel.push(new J(100 + i, 5))
    }
    assert.strictEqual(kernel.size, 3)
    assert.isAtMost(held(kernel), 3 + 16)
    // of priority 5, the two newest are left; priority 1 was never the lowest
    expect(kernel.toArray().map((j) => j.id)).toStrictEqual([1, 20_098, 20_099])
  })

  it("removing from the middle of a level marks the job; many of them compact the level", () => {
    const kernel = make({ concurrency: 1 })
    const jobs = Array.from({ length: 100 }, (_, i) => new J(i))
    for (const job of jobs) kernel.push(job)
    // every other one of the first 60: marked, the level kept as it is (fewer left than wait)
    for (let i = 1; i < 60; i += 2) kernel.remove(jobs[i])
    assert.strictEqual(kernel.size, 70)
    assert.strictEqual(held(kernel), 100)
    // then most of the rest: the level is compacted
    for (let i = 60; i < 99; i++) kernel.remove(jobs[i])
    assert.strictEqual(kernel.size, 31)
    assert.isBelow(held(kernel), 60)
    expect(drain(kernel)).toStrictEqual([0])
    expect(kernel.toArray().map((j) => j.id)).toStrictEqual(
      jobs.filter((j) => j.id > 0 && (j.id % 2 === 0 && j.id < 60 || j.id === 99)).map((j) => j.id)
    )
  })
})
