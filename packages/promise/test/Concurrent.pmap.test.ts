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
})
