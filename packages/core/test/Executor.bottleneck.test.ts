/**
 * Bottleneck's documented behaviour (its README: maxConcurrent, minTime, priority, the reservoir
 * and its `depleted` event, highWater with each strategy, job ids, `expiration`, `updateSettings`,
 * Group), scenario by scenario with Bottleneck's expected values, run on Bottleneck 2.19.5 and on
 * the core Executor: every scenario is one test per implementation. Time is vitest's fake clock —
 * both read `Date.now` and `setTimeout` (the Executor through Effect's live Clock) — so the starts
 * are exact.
 *
 * The mapping (docs/guide/executor.md): `maxConcurrent` → `concurrency`, `highWater` →
 * `queueCapacity`, LEAK → `"dropOldest"`, OVERFLOW → `"dropNewest"`, OVERFLOW_PRIORITY →
 * `"overflowPriority"`, BLOCK → `"dropAll"` with its `penalty`, `expiration` → a spec's `timeout`,
 * a Group → `keys`, Bottleneck's default priority 5 → `defaults.priority`.
 * Recorded: 17 scenarios; Bottleneck passes 17, the Executor 17. Before this file's fixes (910053e)
 * the Executor failed 6: a LEAK that dropped a more important queued task for a less important new
 * one, both BLOCK scenarios (no BLOCK), and the three reservoir scenarios (refreshes counted from
 * the epoch, seen once the fake clock starts off a round number). Last, a difference the docs give,
 * checked on both.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { Executor } from "@taskscope/core"
import { fakeClockEach, untilSettled } from "@taskscope/test-support/fake-clock"
import Bottleneck from "bottleneck"
import { Cause, Effect, Exit, Option, Scope, Stream } from "effect"

type Strategy = "LEAK" | "OVERFLOW" | "OVERFLOW_PRIORITY" | "BLOCK"

/** Bottleneck's settings, as its README names them (milliseconds). */
interface Settings {
  readonly maxConcurrent?: number
  readonly minTime?: number
  readonly highWater?: number
  readonly strategy?: Strategy
  readonly penalty?: number
  readonly reservoir?: number
  readonly reservoirRefreshInterval?: number
  readonly reservoirRefreshAmount?: number
  readonly reservoirIncreaseInterval?: number
  readonly reservoirIncreaseAmount?: number
  readonly reservoirIncreaseMaximum?: number
  /** A Group: each key its own limiter with these settings. */
  readonly group?: boolean
}

interface JobOptions {
  readonly id?: string
  readonly priority?: number
  readonly expiration?: number
  readonly key?: string
}

/** How a job ended, in words both implementations share. */
type Failure = "dropped" | "duplicate" | "timeout"

class Failed extends Error {
  constructor(readonly why: Failure | string) {
    super(why)
  }
}

interface Limiter {
  /** Rejects with a `Failed`. */
  schedule<A>(options: JobOptions, fn: () => Promise<A>): Promise<A>
  updateMaxConcurrent(n: number): Promise<void>
  /** Each `depleted` event: [ms since the limiter was made, empty]. */
  readonly depleted: Array<readonly [number, boolean]>
  stop(): Promise<void>
}

type Make = (settings: Settings) => Promise<Limiter>

const bottleneck: Make = async (s) => {
  const t0 = Date.now()
  const options = {
    maxConcurrent: s.maxConcurrent ?? null,
    minTime: s.minTime ?? 0,
    highWater: s.highWater ?? null,
    strategy: Bottleneck.strategy[s.strategy ?? "LEAK"],
    penalty: s.penalty ?? null,
    reservoir: s.reservoir ?? null,
    reservoirRefreshInterval: s.reservoirRefreshInterval ?? null,
    reservoirRefreshAmount: s.reservoirRefreshAmount ?? null,
    reservoirIncreaseInterval: s.reservoirIncreaseInterval ?? null,
    reservoirIncreaseAmount: s.reservoirIncreaseAmount ?? null,
    reservoirIncreaseMaximum: s.reservoirIncreaseMaximum ?? null
  }
  const depleted: Array<readonly [number, boolean]> = []
  const group = s.group === true ? new Bottleneck.Group(options) : undefined
  const single = group === undefined ? new Bottleneck(options) : undefined
  single?.on("depleted", (empty: boolean) => depleted.push([Date.now() - t0, empty]))
  const words = (error: unknown): never => {
    const message = error instanceof Error ? error.message : String(error)
    if (message.includes("dropped")) throw new Failed("dropped")
    if (message.includes("same id")) throw new Failed("duplicate")
    if (message.includes("timed out")) throw new Failed("timeout")
    throw new Failed(message)
  }
  return {
    schedule: (o, fn) => {
      const limiter = group === undefined ? single! : group.key(o.key ?? "")
      const jobOptions = {
        ...(o.id === undefined ? {} : { id: o.id }),
        ...(o.priority === undefined ? {} : { priority: o.priority }),
        ...(o.expiration === undefined ? {} : { expiration: o.expiration })
      }
      return limiter.schedule(jobOptions, fn).catch(words)
    },
    updateMaxConcurrent: async (n) => {
      await single!.updateSettings({ maxConcurrent: n })
    },
    depleted,
    stop: async () => {
      await (group ?? single!).disconnect()
    }
  }
}

const strategies: Record<Strategy, NonNullable<Executor.Config["overflow"]>> = {
  LEAK: "dropOldest",
  OVERFLOW: "dropNewest",
  OVERFLOW_PRIORITY: "overflowPriority",
  BLOCK: "dropAll"
}

const executor: Make = async (s) => {
  const t0 = Date.now()
  const scope = Effect.runSync(Scope.make())
  const perKey = s.group === true ? s.maxConcurrent ?? Infinity : undefined
  const reservoir = s.reservoir === undefined ? undefined : {
    initial: s.reservoir,
    ...(s.reservoirRefreshInterval === undefined ? {} : { refreshInterval: s.reservoirRefreshInterval }),
    ...(s.reservoirRefreshAmount === undefined ? {} : { refreshAmount: s.reservoirRefreshAmount }),
    ...(s.reservoirIncreaseInterval === undefined ? {} : { increaseInterval: s.reservoirIncreaseInterval }),
    ...(s.reservoirIncreaseAmount === undefined ? {} : { increaseAmount: s.reservoirIncreaseAmount }),
    ...(s.reservoirIncreaseMaximum === undefined ? {} : { increaseMaximum: s.reservoirIncreaseMaximum })
  }
  const ex = await Effect.runPromise(Scope.extend(
    Executor.make({
      concurrency: perKey === undefined ? s.maxConcurrent ?? Infinity : Infinity,
      queueCapacity: s.highWater ?? Infinity,
      overflow: strategies[s.strategy ?? "LEAK"],
      grace: 0,
      defaults: { priority: 5 },
      ...(s.minTime === undefined ? {} : { minTime: s.minTime }),
      ...(s.penalty === undefined ? {} : { penalty: s.penalty }),
      ...(reservoir === undefined ? {} : { reservoir }),
      ...(perKey === undefined ? {} : { keys: () => ({ concurrency: perKey }) })
    }),
    scope
  ))
  const depleted: Array<readonly [number, boolean]> = []
  Effect.runFork(Scope.extend(
    Stream.runForEach(ex.events, (e) =>
      Effect.sync(() => {
        if (e._tag === "Depleted") depleted.push([e.at - t0, e.empty])
      })),
    scope
  ))
  // the subscription is in place before the first job
  for (let i = 0; i < 5; i++) await Effect.runPromise(Effect.yieldNow())
  const words = (exit: Exit.Exit<unknown, unknown>): Failed => {
    const failure = Option.getOrUndefined(Cause.failureOption((exit as Exit.Failure<unknown, unknown>).cause))
    const tag = (failure as { _tag?: string } | undefined)?._tag
    if (tag === "TaskDroppedError") return new Failed("dropped")
    if (tag === "DuplicateTaskIdError") return new Failed("duplicate")
    if (tag === "TimeoutError") return new Failed("timeout")
    return new Failed(Cause.pretty((exit as Exit.Failure<unknown, unknown>).cause))
  }
  return {
    schedule: async <A>(o: JobOptions, fn: () => Promise<A>) => {
      const exit = await Effect.runPromiseExit(Effect.flatMap(
        ex.submit({
          name: o.id ?? "job",
          effect: Effect.promise(fn),
          ...(o.id === undefined ? {} : { id: o.id }),
          ...(o.priority === undefined ? {} : { priority: o.priority }),
          ...(o.expiration === undefined ? {} : { timeout: o.expiration }),
          ...(o.key === undefined ? {} : { key: o.key })
        }),
        (task) => task.join
      ))
      if (Exit.isSuccess(exit)) return exit.value
      throw words(exit)
    },
    updateMaxConcurrent: (n) => Effect.runPromise(ex.update({ concurrency: n })),
    depleted,
    stop: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

const implementations: ReadonlyArray<readonly [string, Make]> = [
  ["Bottleneck", bottleneck],
  ["Executor", executor]
]

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** How a job's promise settled: its value, or the failure's word. */
const settled = <A>(promise: Promise<A>): Promise<A | Failure | string> =>
  promise.catch((error: unknown) => (error instanceof Failed ? error.why : `unexpected: ${String(error)}`))

/** Runs `body` on the fake clock until it settles. */
const timed = (body: () => Promise<void>) => untilSettled(body, { steps: 3000 })

/**
 * The starts, as `name@ms`, against the expected ones: the same jobs in the same order, each at
 * its expected time or up to 10 ms later — Bottleneck takes a few steps of 1 ms (its `setTimeout(0)`s)
 * between a job's arrival and its start.
 */
const startsNear = (starts: ReadonlyArray<string>, expected: ReadonlyArray<string>) => {
  const split = (s: string) => [s.split("@")[0], Number(s.split("@")[1])] as const
  expect(starts.map((s) => split(s)[0]), `starts ${starts.join(" ")}`).toStrictEqual(expected.map((s) => split(s)[0]))
  starts.forEach((s, i) => {
    const [, at] = split(s)
    const [, want] = split(expected[i])
    assert.isTrue(at >= want && at <= want + 10, `starts ${starts.join(" ")}, expected ${expected.join(" ")}`)
  })
}

/** A limiter, with a job maker that records `name@ms` when each job starts. */
const setup = async (make: Make, settings: Settings) => {
  const t0 = Date.now()
  const limiter = await make(settings)
  const starts: Array<string> = []
  const job = (name: string, ms: number) => async () => {
    starts.push(`${name}@${Date.now() - t0}`)
    await delay(ms)
    return name
  }
  const run = (name: string, ms: number, options: JobOptions = {}) =>
    settled(limiter.schedule({ id: name, ...options }, job(name, ms)))
  return { limiter, starts, run }
}

describe.each(implementations)("Bottleneck's README on %s", (_name, make: Make) => {
  // not a round number: a limiter made at any time counts its intervals from then
  fakeClockEach(1_234_567)

  it("maxConcurrent: at most that many at once, in arrival order", () =>
    timed(async () => {
      const { limiter, run, starts } = await setup(make, { maxConcurrent: 2 })
      const all = await Promise.all(["a", "b", "c", "d"].map((n) => run(n, 100)))
      expect(all).toStrictEqual(["a", "b", "c", "d"])
      startsNear(starts, ["a@0", "b@0", "c@100", "d@100"])
      await limiter.stop()
    }))

  it("minTime: starts at least that far apart, whatever the concurrency", () =>
    timed(async () => {
      const { limiter, run, starts } = await setup(make, { minTime: 100 })
      await Promise.all(["a", "b", "c"].map((n) => run(n, 10)))
      startsNear(starts, ["a@0", "b@100", "c@200"])
      await limiter.stop()
    }))

  it("priority: a lower number runs first, FIFO among equals (default 5)", () =>
    timed(async () => {
      const { limiter, run, starts } = await setup(make, { maxConcurrent: 1 })
      const first = run("first", 100)
      await delay(1)
      const rest = [
        run("five", 10),
        run("one", 10, { priority: 1 }),
        run("nine", 10, { priority: 9 }),
        run("one-again", 10, { priority: 1 })
      ]
      await Promise.all([first, ...rest])
      expect(starts.map((s) => s.split("@")[0])).toStrictEqual(["first", "one", "one-again", "five", "nine"])
      await limiter.stop()
    }))

  it("reservoir: each start takes one; at 0 jobs wait; a refresh sets it again; depleted is told", () =>
    timed(async () => {
      const { limiter, run, starts } = await setup(make, {
        reservoir: 2,
        reservoirRefreshInterval: 1000,
        reservoirRefreshAmount: 2
      })
      await Promise.all(["a", "b", "c", "d", "e"].map((n) => run(n, 10)))
      startsNear(starts, ["a@0", "b@0", "c@1000", "d@1000", "e@2000"])
      // b took the last one with c, d and e queued; so did d, with e queued; e's left one
      expect(limiter.depleted.map(([at]) => Math.floor(at / 10) * 10)).toStrictEqual([0, 1000])
      await limiter.stop()
    }))

  it("reservoir refresh: counted from the limiter's start — a start of 1, then 5 a second", () =>
    timed(async () => {
      const { limiter, run, starts } = await setup(make, {
        reservoir: 1,
        reservoirRefreshInterval: 1000,
        reservoirRefreshAmount: 5
      })
      await Promise.all(["a", "b", "c"].map((n) => run(n, 10)))
      startsNear(starts, ["a@0", "b@1000", "c@1000"])
      await limiter.stop()
    }))

  // Bottleneck applies refreshes and increases on its heartbeat (every 250 ms): intervals here are
  // multiples of it, so its times are exact
  it("reservoir increase: adds its amount each interval, up to the maximum", () =>
    timed(async () => {
      const { limiter, run, starts } = await setup(make, {
        reservoir: 0,
        reservoirIncreaseInterval: 250,
        reservoirIncreaseAmount: 1,
        reservoirIncreaseMaximum: 2
      })
      await delay(1300)
      // five increases have passed, but the reservoir holds at most 2
      await Promise.all(["a", "b", "c"].map((n) => run(n, 10)))
      startsNear(starts, ["a@1300", "b@1300", "c@1500"])
      await limiter.stop()
    }))

  it("highWater + LEAK: the oldest job of the lowest priority is dropped for the new one", () =>
    timed(async () => {
      const { limiter, run, starts } = await setup(make, { maxConcurrent: 1, highWater: 2, strategy: "LEAK" })
      const running = run("running", 100)
      await delay(1)
      const queued = [run("a", 10, { priority: 3 }), run("b", 10, { priority: 7 }), run("c", 10, { priority: 7 })]
      await delay(1)
      const last = run("d", 10, { priority: 5 })
      expect(await Promise.all([running, ...queued, last])).toStrictEqual(["running", "a", "dropped", "dropped", "d"])
      expect(starts.map((s) => s.split("@")[0])).toStrictEqual(["running", "a", "d"])
      await limiter.stop()
    }))

  it("highWater + LEAK: a new job less important than every queued one is not added", () =>
    timed(async () => {
      const { limiter, run, starts } = await setup(make, { maxConcurrent: 1, highWater: 2, strategy: "LEAK" })
      const running = run("running", 100)
      await delay(1)
      const queued = [run("a", 10, { priority: 1 }), run("b", 10, { priority: 2 })]
      await delay(1)
      const last = run("c", 10, { priority: 8 })
      expect(await Promise.all([running, ...queued, last])).toStrictEqual(["running", "a", "b", "dropped"])
      expect(starts.map((s) => s.split("@")[0])).toStrictEqual(["running", "a", "b"])
      await limiter.stop()
    }))

  it("highWater + OVERFLOW: the new job is dropped", () =>
    timed(async () => {
      const { limiter, run } = await setup(make, { maxConcurrent: 1, highWater: 1, strategy: "OVERFLOW" })
      const running = run("running", 100)
      await delay(1)
      const queued = run("a", 10, { priority: 9 })
      await delay(1)
      const last = run("b", 10, { priority: 0 })
      expect(await Promise.all([running, queued, last])).toStrictEqual(["running", "a", "dropped"])
      await limiter.stop()
    }))

  it("highWater + OVERFLOW_PRIORITY: only a less important job makes room", () =>
    timed(async () => {
      const { limiter, run } = await setup(make, {
        maxConcurrent: 1,
        highWater: 2,
        strategy: "OVERFLOW_PRIORITY"
      })
      const running = run("running", 100)
      await delay(1)
      const queued = [run("a", 10, { priority: 4 }), run("b", 10, { priority: 6 })]
      await delay(1)
      // as important as the least important queued one: not added
      const same = run("c", 10, { priority: 6 })
      await delay(1)
      // more important: b makes room
      const better = run("d", 10, { priority: 2 })
      expect(await Promise.all([running, ...queued, same, better])).toStrictEqual([
        "running",
        "a",
        "dropped",
        "dropped",
        "d"
      ])
      await limiter.stop()
    }))

  it("highWater + BLOCK: every queued job and the new one are dropped; jobs are refused until a penalty passes without one", () =>
    timed(async () => {
      const { limiter, run, starts } = await setup(make, {
        maxConcurrent: 1,
        highWater: 2,
        strategy: "BLOCK",
        penalty: 1000
      })
      const running = run("running", 3000)
      await delay(1)
      const queued = [run("a", 10), run("b", 10)]
      await delay(1)
      const third = run("c", 10)
      await delay(500)
      // still blocked (and blocked 1000 ms more from now)
      const during = run("d", 10)
      await delay(900)
      // 900 ms since d: still blocked
      const stillDuring = run("e", 10)
      await delay(1100)
      // 1100 ms since e: taken again, and started once the running job ends
      const after = run("f", 10)
      expect(await Promise.all([running, ...queued, third, during, stillDuring, after])).toStrictEqual([
        "running",
        "dropped",
        "dropped",
        "dropped",
        "dropped",
        "dropped",
        "f"
      ])
      startsNear(starts, ["running@0", "f@3000"])
      await limiter.stop()
    }))

  it("BLOCK: the default penalty is 15 × minTime; the first job after starts minTime past its end", () =>
    timed(async () => {
      const { limiter, run, starts } = await setup(make, {
        maxConcurrent: 1,
        highWater: 1,
        strategy: "BLOCK",
        minTime: 20
      })
      const running = run("running", 500)
      await delay(1)
      const queued = run("a", 10)
      await delay(1)
      const blocking = run("b", 10)
      // blocked until 300 ms after b
      await delay(290)
      const during = run("c", 10)
      await delay(310)
      const after = run("d", 10)
      expect(await Promise.all([running, queued, blocking, during, after])).toStrictEqual([
        "running",
        "dropped",
        "dropped",
        "dropped",
        "d"
      ])
      // blocked at 292 (c) until 592; d came at 602, with the slot free since 500: it starts at 612
      startsNear(starts, ["running@0", "d@612"])
      // blocked at 292 (c) until 592; d came at 602, with the slot free since 500: it starts at 612
      startsNear(starts, ["running@0", "d@612"])
      await limiter.stop()
    }))

  it("job ids: a second job with the id of a queued or running one is refused; once it is done, the id is free", () =>
    timed(async () => {
      const { limiter, run } = await setup(make, { maxConcurrent: 1 })
      const running = run("x", 100)
      const queued = run("y", 10)
      await delay(1)
      const sameAsRunning = run("x", 10)
      const sameAsQueued = run("y", 10)
      expect(await Promise.all([running, queued, sameAsRunning, sameAsQueued])).toStrictEqual([
        "x",
        "y",
        "duplicate",
        "duplicate"
      ])
      expect(await run("x", 10)).toStrictEqual("x")
      await limiter.stop()
    }))

  it("expiration: a job running longer than it fails as timed out, and frees its slot", () =>
    timed(async () => {
      const { limiter, run, starts } = await setup(make, { maxConcurrent: 1 })
      const slow = run("slow", 500, { expiration: 100 })
      const next = run("next", 10)
      expect(await Promise.all([slow, next])).toStrictEqual(["timeout", "next"])
      startsNear(starts, ["slow@0", "next@100"])
      await limiter.stop()
    }))

  it("updateSettings: a higher maxConcurrent starts queued jobs", () =>
    timed(async () => {
      const { limiter, run, starts } = await setup(make, { maxConcurrent: 1 })
      const all = ["a", "b", "c"].map((n) => run(n, 100))
      await delay(50)
      await limiter.updateMaxConcurrent(3)
      await Promise.all(all)
      startsNear(starts, ["a@0", "b@50", "c@50"])
      await limiter.stop()
    }))

  it("Group: each key has its own limits", () =>
    timed(async () => {
      const { limiter, run, starts } = await setup(make, { maxConcurrent: 1, group: true })
      await Promise.all([
        run("a1", 100, { key: "a" }),
        run("a2", 100, { key: "a" }),
        run("b1", 100, { key: "b" }),
        run("b2", 100, { key: "b" })
      ])
      startsNear([...starts].sort(), ["a1@0", "a2@100", "b1@0", "b2@100"])
      await limiter.stop()
    }))

  it("minTime with maxConcurrent: both hold", () =>
    timed(async () => {
      const { limiter, run, starts } = await setup(make, { maxConcurrent: 2, minTime: 50 })
      await Promise.all(["a", "b", "c", "d"].map((n) => run(n, 300)))
      // c waits for a slot (a ends at 300), d for b's (350)
      startsNear(starts, ["a@0", "b@50", "c@300", "d@350"])
      await limiter.stop()
    }))
})

describe("where the Executor differs from Bottleneck (docs/guide/executor.md)", () => {
  // not a round number: a limiter made at any time counts its intervals from then
  fakeClockEach(1_234_567)

  it("a reservoir increase of 100 ms: at its time on the Executor, at the next 250 ms heartbeat on Bottleneck", () =>
    timed(async () => {
      const cStart = async (make: Make) => {
        const { limiter, run, starts } = await setup(make, {
          reservoir: 0,
          reservoirIncreaseInterval: 100,
          reservoirIncreaseAmount: 1,
          reservoirIncreaseMaximum: 2
        })
        await delay(550)
        await Promise.all(["a", "b", "c"].map((n) => run(n, 10)))
        await limiter.stop()
        return Number(starts[2].split("@")[1])
      }
      const ours = await cStart(executor)
      const theirs = await cStart(bottleneck)
      // 550 + the next increase at 600; Bottleneck's heartbeats fall at 250, 500, 750 …
      assert.strictEqual(ours, 600)
      assert.isAtLeast(theirs, 750)
      assert.isAtMost(theirs, 760)
    }))
})
