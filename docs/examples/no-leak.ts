// #region example
import { TaskGroup } from "@taskscope/core"
import { Data, Effect } from "effect"

class RequestFailed extends Data.TaggedError("RequestFailed")<{
  readonly name: string
}> {}

const log: Array<string> = []

const request = (name: string, ms: number, fails = false) =>
  Effect.gen(function*() {
    yield* Effect.sleep(ms)
    if (fails) return yield* new RequestFailed({ name })
    log.push(`${name} answered`)
  }).pipe(Effect.ensuring(Effect.sync(() => log.push(`${name} cleaned up`))))

const program = TaskGroup.scoped((group) =>
  Effect.gen(function*() {
    yield* group.spawn(request("a", 100, true))
    yield* group.spawn(request("b", 300))
  })
).pipe(
  Effect.catchTag(
    "RequestFailed",
    (e) => Effect.sync(() => log.push(`caller saw: ${e.name} failed`))
  ),
  Effect.andThen(() => log.push("caller moved on")),
  Effect.andThen(Effect.sleep(400)), // nothing is left running to watch
  Effect.as(log)
)

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → [
//     "a cleaned up",
//     "b cleaned up",
//     "caller saw: a failed",
//     "caller moved on"
//   ]
// #endregion example

export { program }
