// #region example
import { Task, TaskGroup } from "@taskscope/core"
import { Effect, Option } from "effect"

const log: Array<string> = []

const report = Effect.gen(function*() {
  const self = yield* Task.current // the running task's own handle
  log.push(`${Option.getOrThrow(self).name} started`)
  yield* Effect.sleep("1 minute")
  return "report"
}).pipe(Effect.onInterrupt(() => Effect.sync(() => log.push("cancelled"))))

// asyncio's wait_for(task, 5): Task.waitFor owns the task while it waits, so
// on timeout the task is cancelled (and its cleanup has run) before the
// TimeoutError comes out. `task.join` would only observe it.
const program = TaskGroup.scoped((group) =>
  Effect.gen(function*() {
    const task = yield* group.spawn(report, { name: "report" })
    return yield* Task.waitFor(task, "5 seconds").pipe(
      Effect.catchTag("TimeoutError", () => Effect.succeed("gave up"))
    )
  })
).pipe(Effect.map((result) => ({ result, log })))

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → { result: "gave up", log: ["report started", "cancelled"] }
// #endregion example

export { program }
