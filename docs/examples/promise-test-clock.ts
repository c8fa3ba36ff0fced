// #region example
import { retry, toEffect } from "@taskscope/promise"
import { Effect, Fiber, TestClock, TestContext } from "effect"

// plain async code, as it is in the application
let calls = 0
export const fetchQuote = (signal?: AbortSignal) =>
  retry(async () => {
    if (++calls < 3) throw Object.assign(new Error("503"), { retryAfter: 30 })
    return "quote"
  }, { signal })

// a test: called through toEffect, the code gets a signal that carries the
// test's clock, so its Retry-After waits are virtual
const program = Effect.gen(function*() {
  const fiber = yield* Effect.fork(toEffect(fetchQuote))
  yield* TestClock.adjust("60 seconds") // two waits of 30 s, at once
  return { quote: yield* Fiber.join(fiber), calls }
}).pipe(Effect.provide(TestContext.TestContext))

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → { quote: "quote", calls: 3 }
// #endregion example

export { program }
