import { assert, describe, expect, it } from "@effect/vitest"
import { Offload } from "@taskscope/platform-node"
import { Duration, Effect, Exit, Fiber } from "effect"

const module = new URL("./fixtures/cpu.mjs", import.meta.url)

describe("Offload", () => {
  it.live("runs CPU-bound functions on worker threads while the main thread keeps going", () =>
    Effect.scoped(Effect.gen(function*() {
      const pool = yield* Offload.make({ module, concurrency: 2 })
      assert.strictEqual(yield* pool.run<number>("fib", 20), 6765)
      assert.strictEqual(yield* pool.run<number>("add", 2, 3), 5)
      // both threads started (a thread's start-up is not what is measured below)
      yield* Effect.all([pool.run("add", 1, 1), pool.run("add", 2, 2)], { concurrency: 2 })
      // the main thread ticks while two workers spin 300 ms each, in parallel
      let ticks = 0
      const ticker = yield* Effect.fork(Effect.forever(Effect.zipRight(Effect.sleep(10), Effect.sync(() => ticks++))))
      const spans = yield* Effect.all([
        pool.run<{ start: number; end: number }>("spinSpan", 300),
        pool.run<{ start: number; end: number }>("spinSpan", 300)
      ], { concurrency: 2 })
      yield* Fiber.interrupt(ticker)
      // on one thread the second spin would start after the first ended; on a busy machine both
      // may take longer than 300 ms, but they still overlap
      const [a, b] = spans
      assert.isBelow(Math.max(a.start, b.start), Math.min(a.end, b.end), "the two spins ran at the same time")
      // a blocked event loop would not tick at all until the spins were over
      assert.isAtLeast(ticks, 5, "the event loop was not blocked")
    })))

  it.live("errors come back typed", () =>
    Effect.scoped(Effect.gen(function*() {
      const pool = yield* Offload.make({ module, concurrency: 1 })
      const error = yield* Effect.flip(pool.run("fail", "bad input"))
      assert.strictEqual(error._tag, "OffloadError")
      expect([error.fn, error.name, error.message]).toStrictEqual(["fail", "RangeError", "bad input"])
      const missing = yield* Effect.flip(pool.run("nope"))
      assert.match(missing.message, /no exported function "nope"/)
    })))

  it.live("interrupting the caller stops the work; the pool goes on", () =>
    Effect.scoped(Effect.gen(function*() {
      const pool = yield* Offload.make({ module, concurrency: 1 })
      const start = Date.now()
      const exit = yield* pool.run("spin", 10_000).pipe(Effect.timeout(Duration.millis(200)), Effect.exit)
      assert.isTrue(Exit.isFailure(exit))
      // the single thread was terminated and replaced: the next call runs at once
      assert.strictEqual(yield* pool.run<number>("fib", 10), 55)
      assert.isBelow(Date.now() - start, 3000)
    })))
})
