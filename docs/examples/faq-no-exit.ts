// #region example
import { Deadline, TaskGroup, WorkQueue } from "@taskscope/core"
import { Effect, Option } from "effect"

// A worker pool returns when its queue is shut down and empty; the group
// waits for it. Forget the shutdown and the program never ends.
const pipeline = (shutDown: boolean) =>
  TaskGroup.scoped((group) =>
    Effect.gen(function*() {
      const queue = yield* WorkQueue.bounded<number>(10)
      yield* group.spawn(
        WorkQueue.consume(queue, { concurrency: 2 }, () => Effect.void)
      )
      yield* Effect.forEach([1, 2, 3], (n) => queue.put(n))
      yield* queue.join // every item processed
      if (shutDown) yield* queue.shutdown() // the workers end
    })
  )

const endsWithin = <E>(effect: Effect.Effect<void, E>) =>
  effect.pipe(Deadline.moveOnAfter("1 minute"), Effect.map(Option.isSome))

const program = Effect.all({
  forgotShutdown: endsWithin(pipeline(false)),
  withShutdown: endsWithin(pipeline(true))
})

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → { forgotShutdown: false, withShutdown: true }
// #endregion example

export { program }
