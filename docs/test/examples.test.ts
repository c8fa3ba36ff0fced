/**
 * Every example on the site is a real file: here each one is run on the TestClock and its result
 * compared with what the page says it returns.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import { readdirSync } from "node:fs"
import { inject } from "vitest"

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string
  }
}

const dir = new URL("../examples/", import.meta.url)
const files = readdirSync(dir).filter((f) => f.endsWith(".ts")).sort()

describe("documentation examples", () => {
  it("there are examples", () => {
    assert.isAtLeast(files.length, 15)
  })
  for (const file of files) {
    it.effect(file, () =>
      Effect.gen(function*() {
        const example = yield* Effect.promise(() => import(new URL(file, dir).href))
        let result: unknown
        if (example.live === true) {
          // talks to a real Redis server, on the real clock
          const program = (example.program as (url: string) => Effect.Effect<unknown, unknown>)(inject("redisUrl"))
          result = yield* Effect.promise(() => Effect.runPromise(program))
          assert.deepStrictEqual(result, example.expected)
          return
        }
        const program = example.program as Effect.Effect<unknown, unknown>
        if (example.selfTimed === true) {
          result = yield* program
        } else {
          const fiber = yield* Effect.fork(program)
          yield* TestClock.adjust("1 hour")
          result = yield* Fiber.join(fiber)
        }
        if (file === "timeline.ts") {
          const { batches, chart } = result as { batches: number; chart: string }
          assert.strictEqual(batches, 10)
          assert.match(chart, /task 00 +│████/)
        } else {
          assert.deepStrictEqual(result, example.expected)
        }
      }))
  }
})
