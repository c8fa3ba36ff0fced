// Compiled by types.test.ts: each mistake below must give the error its comment names.
import { Effect, type Option } from "effect"
import type { Task } from "../../src/index.js"
import { TaskGroup } from "../../src/index.js"

class Boom {
  readonly _tag = "Boom"
}

// MODE: a typo in the mode names the valid ones
export const typo = TaskGroup.scoped(() => Effect.void, { mode: "failfast" })

// LEFTOVER: an option that was renamed
export const leftover = TaskGroup.scoped(() => Effect.void, { maxConcurrent: 2 })

// PROMISE: an async function where an Effect is expected
export const promise = TaskGroup.scoped(async () => 1)

// SPAWN: a supervise group typed with its children's error refuses another error type
export const spawn = TaskGroup.scoped(
  (group: TaskGroup.TaskGroup<"supervise", Boom>) => group.spawn(Effect.fail("not a Boom")),
  { mode: "supervise" }
)

// OK: the children's error type reaches failures; failFast spawn escalates E
export const ok = TaskGroup.scoped(
  (group: TaskGroup.TaskGroup<"supervise", Boom>) =>
    Effect.gen(function*() {
      const failed = yield* group.failures
      const boom: Option.Option<Boom> | undefined = failed[0]?._tag === "Failed" ? failed[0].error : undefined
      return boom
    }),
  { mode: "supervise" }
)
export const escalated: Effect.Effect<Task.Task<never, Boom>, Boom | TaskGroup.TaskGroupClosedError> = TaskGroup
  .scoped((group) => group.spawn(Effect.fail(new Boom())))
