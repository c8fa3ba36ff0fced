// #region example
import { TaskGroup } from "@taskscope/core"
import { Effect, Option } from "effect"

const fetchFeed = (url: string) =>
  url.includes("down")
    ? Effect.fail(`${url}: 503`).pipe(Effect.delay("100 millis"))
    : Effect.succeed(`${url}: 12 items`).pipe(Effect.delay("200 millis"))

// Supervise mode (Erlang's one_for_one): a failing child is recorded, and
// nothing else is cancelled. Hover `spawn`: the child's error is not added to
// the body's error channel, because it cannot fail the group.
const program = TaskGroup.scoped((group) =>
  Effect.gen(function*() {
    const urls = ["a.example", "down.example", "b.example"]
    const tasks = yield* Effect.forEach(urls, (url) =>
      group.spawn(fetchFeed(url), { name: url }))
    yield* group.join // every child has ended
    const results = yield* Effect.forEach(tasks, (task) =>
      task.result)
    const failures = yield* group.failures
    return {
      fetched: results.flatMap((r) => r._tag === "Succeeded" ? [r.value] : []),
      failed: failures.map((f) =>
        f._tag === "Failed" ? Option.getOrNull(f.error) : f._tag
      )
    }
  }), { mode: "supervise" })

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → {
//     fetched: ["a.example: 12 items", "b.example: 12 items"],
//     failed: ["down.example: 503"]
//   }
// #endregion example

export { program }
