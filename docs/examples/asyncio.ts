// #region example
import { Task, TaskGroup } from "@taskscope/core"
import { Deferred, Effect } from "effect"

// create_task, Future, add_done_callback and cancel() in Taskscope terms.
const program = Effect.gen(function*() {
  const log: Array<string> = []
  const future = yield* Deferred.make<string>() // asyncio.Future
  const answer = yield* TaskGroup.scoped((group) =>
    Effect.gen(function*() {
      // asyncio.create_task
      const waiter = yield* group.spawn(Deferred.await(future), {
        name: "waiter"
      })
      // task.add_done_callback: runs exactly once, with the outcome
      yield* Task.onDone(waiter, (result) => log.push(`done: ${result._tag}`))
      const doomed = yield* group.spawn(
        Effect.never.pipe(
          Effect.onInterrupt(() => Effect.sync(() => log.push("cleaned up")))
        )
      )
      yield* doomed.cancel // returns once its cleanup has run
      yield* Deferred.succeed(future, "42") // future.set_result("42")
      return yield* waiter.join // await task
    })
  )
  return { answer, log }
})

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → { answer: "42", log: ["cleaned up", "done: Succeeded"] }
// #endregion example

export { program }
