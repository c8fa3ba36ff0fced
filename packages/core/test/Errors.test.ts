import { assert, describe, it } from "@effect/vitest"
import { Deadline, Errors, Executor, Options, WorkQueue } from "@taskscope/core"
import { Duration, Effect, Either, Exit, Schema } from "effect"

// The error classes live in internal/; Errors binds each to its public name. What users rely on:
// `new`, `instanceof`, `_tag`, `catchTag`, and that the errors the library raises are those same classes.
const samples: Array<[string, unknown]> = [
  ["InvalidOptionsError", new Errors.InvalidOptionsError({ subject: "S", detail: "d" })],
  ["BackendError", new Errors.BackendError({ backend: "b", operation: "o", reason: "timeout", detail: "d" })],
  ["TaskGroupClosedError", new Errors.TaskGroupClosedError({ group: "g", task: "t", reason: "closed" })],
  ["TaskExitedBeforeReadyError", new Errors.TaskExitedBeforeReadyError({ group: "g", task: "t" })],
  ["TimeoutError", new Errors.TimeoutError({ deadline: 0, elapsed: Duration.millis(5) })],
  ["ExecutorClosedError", new Errors.ExecutorClosedError({ executor: "e", task: "t" })],
  ["OverReleaseError", new Errors.OverReleaseError({ limiter: "l", released: 2, capacity: 1 })],
  ["QueueShutDownError", new Errors.QueueShutDownError({ queue: "q" })],
  ["QueueFullError", new Errors.QueueFullError({ queue: "q", capacity: 1 })],
  ["QueueEmptyError", new Errors.QueueEmptyError({ queue: "q" })],
  ["TaskDoneError", new Errors.TaskDoneError({ queue: "q" })],
  ["OrphanedFibersError", new Errors.OrphanedFibersError({ fibers: ["#1"], started: 1 })],
  ["FinalizerCountError", new Errors.FinalizerCountError({ wrong: [{ label: "x", runs: 2 }] })],
  ["InterruptionPointError", new Errors.InterruptionPointError({ point: 1, points: 2, reason: "r", cause: 1 })],
  ["DuplicateTaskIdError", new Errors.DuplicateTaskIdError({ executor: "e", id: "i" })],
  ["ExecutorFullError", new Errors.ExecutorFullError({ executor: "e", task: "t", capacity: 1 })],
  ["TaskDroppedError", new Errors.TaskDroppedError({ executor: "e", task: "t", reason: "cleared" })]
]

describe("Errors", () => {
  it("every error is made with new, is an instance of its constructor, and carries its tag and a message", () => {
    for (const [name, error] of samples) {
      const ctor = (Errors as unknown as Record<string, new(args: any) => unknown>)[name]
      assert.isFunction(ctor, name)
      assert.instanceOf(error, ctor, name)
      assert.instanceOf(error, Error, name)
      assert.strictEqual((error as unknown as { _tag: string })._tag, name)
      assert.isAbove((error as Error).message.length, 10, name)
    }
    assert.strictEqual(samples.length, Object.values(Errors).filter((v) => typeof v === "function").length)
  })

  it.effect("an error is yieldable and caught by its tag", () =>
    Effect.gen(function*() {
      const caught = yield* Effect.gen(function*() {
        return yield* new Errors.QueueEmptyError({ queue: "jobs" })
      }).pipe(Effect.catchTag("QueueEmptyError", (e) => Effect.succeed(e.queue)))
      assert.strictEqual(caught, "jobs")
    }))

  it.effect("the errors the library raises are the public constructors' instances", () =>
    Effect.gen(function*() {
      const timeout = yield* Effect.flip(Deadline.within(Effect.never, 0))
      assert.instanceOf(timeout, Errors.TimeoutError)
      assert.instanceOf(timeout, Deadline.TimeoutError)
      const options = yield* Effect.flip(Effect.scoped(Executor.make({ concurrency: 0 })))
      assert.instanceOf(options, Errors.InvalidOptionsError)
      const empty = yield* Effect.flip(Effect.flatMap(WorkQueue.unbounded<number>(), (q) => q.tryTake))
      assert.instanceOf(empty, Errors.QueueEmptyError)
      const decoded = Options.decode("X", Schema.Struct({ n: Options.PositiveInt }))({ n: 0 })
      assert.isTrue(Either.isLeft(decoded) && decoded.left instanceof Errors.InvalidOptionsError)
      const dropped = yield* Effect.scoped(Effect.gen(function*() {
        const executor = yield* Executor.make({ concurrency: 1 })
        yield* executor.submit({ name: "holds", effect: Effect.never })
        const task = yield* executor.submit({ name: "waits", effect: Effect.void })
        yield* executor.clear
        const exit = yield* task.await
        yield* executor.drain({ grace: 0 })
        return exit
      }))
      assert.isTrue(Exit.isFailure(dropped))
      if (Exit.isFailure(dropped)) {
        assert.instanceOf(dropped.cause._tag === "Fail" ? dropped.cause.error : undefined, Errors.TaskDroppedError)
      }
    }))
})
