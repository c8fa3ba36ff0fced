// #region example
import { TaskGroup } from "@taskscope/core"
import { Clock, Effect } from "effect"

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

// The first failure cancels the sibling and the body at once, waits for
// their cleanup, and fails the group with that (typed) error.
const program = TaskGroup.scoped((group) =>
  Effect.gen(function*() {
    yield* group.spawn(upload)
    yield* group.spawn(resize)
    yield* Effect.sleep("2 seconds") // cancelled at 1 s
    yield* note("body done")
  })
).pipe(
  Effect.catchAll((e) => note(`group failed: ${e}`)),
  Effect.as(log)
)

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → ["1s upload cancelled", "1s group failed: resize failed"]
// #endregion example

export { program }
