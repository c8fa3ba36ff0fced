import { assert, describe, expect, it } from "@effect/vitest"
import { asCompleted, CancelledError, firstSuccess, gather, settle } from "@taskscope/promise"
import {
  deferred,
  RateLimitError,
  rejection,
  stateOf,
  tick,
  ticks,
  unhandledRejections,
  untilAborted
} from "./helpers.js"

describe("gather", () => {
  it("resolves with the values in input order", async () => {
    const values = await gather([
      async () => {
        await ticks(3)
        return "slow"
      },
      () => "sync",
      async () => 3
    ])
    expect(values).toStrictEqual(["slow", "sync", 3])
  })

  it("the first failure aborts the others, waits for them, and rejects with the error as thrown", async () => {
    const thrown = new RateLimitError(2)
    const log: Array<string> = []
    const error = await rejection(gather([
      async (signal) => {
        try {
          await untilAborted(signal)
        } finally {
          await ticks(2)
          log.push("a stopped")
        }
      },
      async () => {
        await tick()
        throw thrown
      }
    ]))
    assert.strictEqual(error, thrown)
    expect(log).toStrictEqual(["a stopped"])
  })

  it("concurrency bounds how many run at once", async () => {
    let running = 0
    let peak = 0
    const fns = Array.from({ length: 8 }, (_, i) => async () => {
      running++
      peak = Math.max(peak, running)
      await ticks(2)
      running--
      return i
    })
    expect(await gather(fns, { concurrency: 2 })).toStrictEqual([0, 1, 2, 3, 4, 5, 6, 7])
    assert.strictEqual(peak, 2)
  })

  it("a caller's signal aborts every function with its reason", async () => {
    const controller = new AbortController()
    const seen: Array<unknown> = []
    const run = gather([1, 2].map(() => (signal: AbortSignal) => untilAborted(signal).catch((e) => seen.push(e))), {
      signal: controller.signal
    })
    await tick()
    controller.abort("enough")
    assert.strictEqual(await rejection(run), "enough")
    expect(seen).toStrictEqual(["enough", "enough"])
  })

  it("rejects promises in place of functions with a message that says why", async () => {
    const error = await rejection(gather([Promise.resolve(1) as any]))
    assert.instanceOf(error, TypeError)
    assert.match((error as Error).message, /gather: Expected a function .* at index 0, actual a promise/)
  })

  it("an empty list resolves with []", async () => {
    expect(await gather([])).toStrictEqual([])
  })
})

describe("settle", () => {
  it("resolves with every outcome as Promise.allSettled gives them; a failure stops nothing", async () => {
    const thrown = new Error("nope")
    let finished = false
    const outcomes = await settle([
      async () => 1,
      async () => {
        throw thrown
      },
      async (signal) => {
        await ticks(3)
        finished = !signal.aborted
        return 3
      }
    ])
    expect(outcomes).toStrictEqual([
      { status: "fulfilled", value: 1 },
      { status: "rejected", reason: thrown },
      { status: "fulfilled", value: 3 }
    ])
    assert.isTrue(finished)
  })
})

describe("asCompleted", () => {
  it("yields values in the order they complete", async () => {
    const gates = [deferred<string>(), deferred<string>(), deferred<string>()]
    const seen: Array<string> = []
    const loop = (async () => {
      for await (const value of asCompleted(gates.map((g) => () => g.promise))) seen.push(value)
    })()
    gates[2].resolve("c")
    await ticks(2)
    gates[0].resolve("a")
    await ticks(2)
    gates[1].resolve("b")
    await loop
    expect(seen).toStrictEqual(["c", "a", "b"])
  })

  it("break aborts the functions still running and waits for them", async () => {
    const log: Array<string> = []
    for await (
      const value of asCompleted([
        async () => "fast",
        async (signal) => {
          try {
            return await untilAborted(signal)
          } finally {
            await ticks(2)
            log.push("slow stopped")
          }
        }
      ])
    ) {
      assert.strictEqual(value, "fast")
      break
    }
    expect(log).toStrictEqual(["slow stopped"])
  })

  it("a failure is thrown by the loop after the values before it, as thrown", async () => {
    const thrown = new RateLimitError(1)
    const seen: Array<number> = []
    const error = await rejection((async () => {
      for await (
        const value of asCompleted([async () => 1, async () => {
          await ticks(2)
          throw thrown
        }, (signal: AbortSignal) => untilAborted(signal)])
      ) seen.push(value as number)
    })())
    assert.strictEqual(error, thrown)
    expect(seen).toStrictEqual([1])
  })

  it("starts nothing until the loop asks", async () => {
    let started = false
    const iterator = asCompleted([async () => {
      started = true
      return 1
    }])
    await tick()
    assert.isFalse(started)
    expect(await iterator.next()).toStrictEqual({ value: 1, done: false })
    expect(await iterator.next()).toStrictEqual({ value: undefined, done: true })
  })
})

describe("firstSuccess", () => {
  it("the first success wins; the others are aborted and awaited", async () => {
    const log: Array<string> = []
    const winner = await firstSuccess([
      async (signal) => {
        await untilAborted(signal).catch(() => log.push("loser aborted"))
        return "slow"
      },
      async () => {
        await tick()
        throw new Error("broken mirror")
      },
      async () => {
        await ticks(2)
        return "fast"
      }
    ])
    assert.strictEqual(winner, "fast")
    expect(log).toStrictEqual(["loser aborted"])
  })

  it("rejects with every failure when all fail", async () => {
    const a = new Error("a")
    const b = new Error("b")
    const error = await rejection(firstSuccess([async () => Promise.reject(a), async () => Promise.reject(b)]))
    assert.instanceOf(error, AggregateError)
    assert.sameMembers((error as AggregateError).errors, [a, b])
  })
})

describe("no unhandled rejections, no promise left pending", () => {
  it("gather, settle and asCompleted with failing and aborted functions", async () => {
    const promises: Array<Promise<unknown>> = []
    const seen = await unhandledRejections(async () => {
      const controller = new AbortController()
      const failing = [async () => Promise.reject(new Error("x")), (signal: AbortSignal) => untilAborted(signal)]
      promises.push(gather(failing).catch(() => "caught"))
      promises.push(settle(failing.slice(0, 1)))
      promises.push(gather([(signal) => untilAborted(signal)], { signal: controller.signal }).catch(() => "caught"))
      promises.push(
        (async () => {
          for await (const _ of asCompleted(failing)) { /* the failure ends the loop */ }
        })().catch(() => "caught")
      )
      await tick()
      controller.abort(new CancelledError("stop"))
      await Promise.all(promises)
    })
    expect(seen).toStrictEqual([])
    for (const promise of promises) assert.strictEqual(await stateOf(promise), "fulfilled")
  })
})
