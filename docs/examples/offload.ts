// #region example
import { Offload } from "@taskscope/platform-node"
import { Effect, Fiber } from "effect"

// cpu.mjs, loaded by every worker thread:
//   export const fib = (n) => (n < 2 ? n : fib(n - 1) + fib(n - 2))

// Two CPU-bound calls on two worker threads; the event loop stays free, so
// a heartbeat fiber keeps ticking meanwhile.
const program = Effect.scoped(
  Effect.gen(function*() {
    const pool = yield* Offload.make({
      module: new URL("./cpu.mjs", import.meta.url),
      concurrency: 2
    })
    let ticks = 0
    const heartbeat = yield* Effect.fork(
      Effect.forever(
        Effect.sleep("5 millis").pipe(Effect.andThen(() => ticks++))
      )
    )
    const fib = yield* Effect.all(
      [pool.run<number>("fib", 30), pool.run<number>("fib", 31)],
      { concurrency: 2 }
    )
    yield* Fiber.interrupt(heartbeat)
    return { fib, eventLoopFree: ticks > 0 }
  })
)

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → { fib: [832040, 1346269], eventLoopFree: true }
// #endregion example

export { program }

/** Worker threads and a heartbeat on the real clock. */
export const runs = "live"
