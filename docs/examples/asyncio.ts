import { Task, TaskGroup } from "@taskscope/core"
import { Deferred, Effect } from "effect"

// create_task, Future, add_done_callback and cancel() in Taskscope terms.
export const program = Effect.gen(function*() {
  const log: Array<string> = []
  const future = yield* Deferred.make<string>() // asyncio.Future
  const answer = yield* TaskGroup.scoped((group) =>
    Effect.gen(function*() {
      const task = yield* group.spawn(Deferred.await(future), { name: "waiter" }) // create_task
      yield* Task.onDone(task, (result) => log.push(`done: ${result._tag}`)) // add_done_callback
      const doomed = yield* group.spawn(
        Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => log.push("cleaned up"))))
      )
      yield* doomed.cancel // waits until its cleanup has run
      yield* Deferred.succeed(future, "42") // future.set_result
      return yield* task.join // await task
    })
  )
  return { answer, log }
})

export const expected = { answer: "42", log: ["cleaned up", "done: Succeeded"] }
