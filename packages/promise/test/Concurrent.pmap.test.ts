/**
 * p-map's own tests, scenario by scenario (rewritten, with p-map's expected values), run on p-map
 * and on `map`/`mapIterable`: one test per implementation.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { map, mapIterable, mapSkip } from "@taskscope/promise"
import pMap, { pMapIterable, pMapSkip } from "p-map"

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

const implementations = [
  [
    "p-map",
    pMap as unknown as typeof map,
    pMapIterable as unknown as typeof mapIterable,
    pMapSkip as unknown as typeof mapSkip
  ],
  ["map", map, mapIterable, mapSkip]
] as const

async function* asyncOf<A>(values: ReadonlyArray<A>) {
  for (const value of values) {
    await sleep(1)
    yield value
  }
}

const failure = async (promise: Promise<unknown>): Promise<any> => {
  try {
    await promise
  } catch (error) {
    return error
  }
  assert.fail("expected a rejection")
}

describe.each(implementations)("p-map's suite on %s", (_name, pmap, pmapIterable, skip) => {
  it("results in input order, whatever order the mappers end in", async () => {
    const input = [[10, 30], [20, 10], [30, 20]] as const
    expect(
      await pmap(input, async ([value, ms]) => {
        await sleep(ms)
        return value
      })
    ).toStrictEqual([10, 20, 30])
  })

  it("concurrency: never more mappers at once", async () => {
    let running = 0
    let most = 0
    await pmap(Array.from({ length: 20 }, (_, i) => i), async (i) => {
      running++
      most = Math.max(most, running)
      await sleep(i % 3)
      running--
    }, { concurrency: 3 })
    assert.strictEqual(most, 3)
  })

  it("the mapper gets the index; promises in the input are awaited first", async () => {
    expect(await pmap([Promise.resolve("a"), "b"], (x, i) => `${x}${i}`)).toStrictEqual(["a0", "b1"])
  })

  it("stopOnError: the first error rejects", async () => {
    const error = await failure(pmap([1, 2, 3], async (x) => {
      await sleep(x * 5)
      if (x === 2) throw new Error("two")
      return x
    }, { concurrency: 1 }))
    assert.strictEqual(error.message, "two")
  })

  it("stopOnError false: every mapper runs, then an AggregateError of the errors", async () => {
    const ran: Array<number> = []
    const error = await failure(pmap([1, 2, 3, 4], async (x) => {
      ran.push(x)
      if (x % 2 === 0) throw new Error(`e${x}`)
      return x
    }, { concurrency: 1, stopOnError: false }))
    assert.instanceOf(error, AggregateError)
    expect((error as AggregateError).errors.map((e) => e.message)).toStrictEqual(["e2", "e4"])
    expect(ran).toStrictEqual([1, 2, 3, 4])
  })

  it("the skip marker leaves elements out", async () => {
    expect(await pmap([1, 2, 3, 4], (x) => (x % 2 === 0 ? x : skip))).toStrictEqual([2, 4])
  })

  it("an async iterable input", async () => {
    expect(await pmap(asyncOf([1, 2, 3]), async (x) => x * 2, { concurrency: 2 })).toStrictEqual([2, 4, 6])
  })

  it("signal: aborting rejects with its reason", async () => {
    const controller = new AbortController()
    const promise = pmap([1, 2, 3], async () => {
      await sleep(50)
    }, { signal: controller.signal })
    controller.abort(new Error("stop"))
    const error = await failure(promise)
    assert.strictEqual(error.message, "stop")
  })

  it("TypeError for a bad concurrency or mapper", async () => {
    assert.instanceOf(await failure(Promise.resolve().then(() => pmap([1], (x) => x, { concurrency: 0 }))), TypeError)
    assert.instanceOf(await failure(Promise.resolve().then(() => pmap([1], undefined as any))), TypeError)
  })

  it("mapIterable: results in order as an async iterable, skips left out", async () => {
    const out: Array<number> = []
    for await (
      const value of pmapIterable([3, 1, 2, 4], async (x) => {
        await sleep(x * 3)
        return x === 4 ? skip : x
      }, { concurrency: 2 })
    ) out.push(value as number)
    expect(out).toStrictEqual([3, 1, 2])
  })

  it("mapIterable: never more than concurrency at once, over an async iterable", async () => {
    let running = 0
    let most = 0
    const out: Array<number> = []
    for await (
      const value of pmapIterable(asyncOf([1, 2, 3, 4, 5]), async (x) => {
        running++
        most = Math.max(most, running)
        await sleep(5)
        running--
        return x
      }, { concurrency: 2 })
    ) out.push(value)
    expect(out).toStrictEqual([1, 2, 3, 4, 5])
    assert.isAtMost(most, 2)
  })

  it("mapIterable: a mapper's error is thrown from the iteration", async () => {
    const error = await failure((async () => {
      for await (
        const _ of pmapIterable([1, 2], async (x) => {
          if (x === 2) throw new Error("two")
          return x
        })
      ) {
        // reads
      }
    })())
    assert.strictEqual(error.message, "two")
  })

  // found in review, each checked on p-map first

  it("a sync iterator that throws: map rejects with its error (no hang, no unhandled rejection)", async () => {
    function* source() {
      yield 1
      throw new Error("source failed")
    }
    const error = await failure(pmap(source(), async (x) => x, { concurrency: 1 }))
    assert.strictEqual(error.message, "source failed")
  })

  it("stopOnError false: the AggregateError lists the failures in input order", async () => {
    const error = await failure(pmap([30, 10], async (ms) => {
      await sleep(ms)
      throw new Error(`e${ms}`)
    }, { stopOnError: false }))
    assert.instanceOf(error, AggregateError)
    expect(error.errors.map((e: Error) => e.message)).toStrictEqual(["e30", "e10"])
  })

  it("a source whose cleanup fails: map rejects with the mapper's error, and nothing else escapes", async () => {
    async function* source() {
      try {
        yield 1
        yield 2
      } finally {
        // eslint-disable-next-line no-unsafe-finally
        throw new Error("cleanup failed")
      }
    }
    const unhandled: Array<unknown> = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on("unhandledRejection", onUnhandled)
    try {
      const error = await failure(pmap(source(), async () => {
        throw new Error("mapper")
      }, { concurrency: 1 }))
      assert.strictEqual(error.message, "mapper")
      await sleep(20)
      expect(unhandled).toStrictEqual([])
    } finally {
      process.off("unhandledRejection", onUnhandled)
    }
  })

  it("mapIterable: leaving the loop while the source waits in next() ends at once", async () => {
    async function* source() {
      yield 1
      await new Promise(() => {})
    }
    const left = (async () => {
      for await (const _ of pmapIterable(source(), async (x) => x, { concurrency: 1, backpressure: 2 })) break
      return "left"
    })()
    expect(await Promise.race([left, sleep(500).then(() => "still waiting")])).toBe("left")
  })

  it("mapIterable: a mapper's error closes the source and ends the stream", async () => {
    const log: Array<string> = []
    function* source() {
      try {
        yield 1
        yield 2
        yield 3
      } finally {
        log.push("source closed")
      }
    }
    const iterator = pmapIterable(source(), async (x) => {
      if (x === 1) throw new Error("one")
      return x
    }, { concurrency: 1 })[Symbol.asyncIterator]()
    const error = await failure(iterator.next())
    assert.strictEqual(error.message, "one")
    expect(log).toStrictEqual(["source closed"])
    expect(await iterator.next()).toMatchObject({ done: true })
  })

  it("mapIterable: a sync iterator that throws is thrown from the iteration", async () => {
    function* source() {
      yield 1
      throw new Error("source failed")
    }
    const seen: Array<number> = []
    const error = await failure((async () => {
      for await (const x of pmapIterable(source(), async (x) => x, { concurrency: 1 })) seen.push(x)
    })())
    assert.strictEqual(error.message, "source failed")
    expect(seen).toStrictEqual([1])
  })
})
