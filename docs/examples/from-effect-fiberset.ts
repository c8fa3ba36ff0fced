// #region example
import { Clock, Effect, FiberSet } from "effect"

const log: Array<string> = []
const note = (line: string) =>
  Effect.flatMap(
    Clock.currentTimeMillis,
    (t) => Effect.sync(() => log.push(`${t / 1000}s ${line}`))
  )

const upload = Effect.sleep("5 seconds").pipe(
  Effect.onInterrupt(() => note("upload cancelled"))
)
const resize = Effect.fail("resize failed").pipe(Effect.delay("1 second"))

// FiberSet.join fails with the first failure, but the sibling runs on
// until the set's scope closes (here: when `program` ends), and nothing
// cancels the code that is still waiting.
const program = Effect.scoped(
  Effect.gen(function*() {
    const set = yield* FiberSet.make<unknown, string>()
    yield* FiberSet.run(set, upload)
    yield* FiberSet.run(set, resize)
    yield* FiberSet.join(set).pipe(
      Effect.catchAll((e) => note(`join failed: ${e}`))
    )
    yield* Effect.sleep("2 seconds") // the body goes on; so does `upload`
    yield* note("body done")
  })
).pipe(Effect.as(log))

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → [
//     "1s join failed: resize failed",
//     "3s body done",
//     "3s upload cancelled"
//   ]
// #endregion example

export { program }
