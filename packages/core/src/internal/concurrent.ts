import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type * as Concurrent from "../Concurrent.js"
import type * as Task from "../Task.js"
import type * as TaskResult from "../TaskResult.js"
import * as Options from "./options.js"
import type { TaskImpl } from "./task.js"
import { type GroupImpl, scoped } from "./taskGroup.js"

const ConcurrencySchema = Schema.Struct({
  concurrency: Schema.optional(
    Schema.declare((u): u is number | "unbounded" =>
      u === "unbounded" || (typeof u === "number" && (u === Infinity || (Number.isInteger(u) && u > 0)))
    ).annotations({
      message: (issue) =>
        `Expected a positive integer, Infinity or "unbounded", actual ${
          JSON.stringify(issue.actual) ?? String(issue.actual)
        }`
    })
  ),
  names: Schema.optional(Schema.Any)
})

const checkers = {
  gather: Options.decodeOrDie("Concurrent.gather", ConcurrencySchema),
  settle: Options.decodeOrDie("Concurrent.settle", ConcurrencySchema),
  asCompleted: Options.decodeOrDie("Concurrent.asCompleted", ConcurrencySchema)
}

/** The concurrency the options ask for; a bad value is a programmer error (a defect). */
const concurrencyOf = (subject: keyof typeof checkers, options: Concurrent.Options | undefined): number => {
  const o = checkers[subject](options)
  return o.concurrency === undefined || o.concurrency === "unbounded" ? Infinity : o.concurrency
}

/**
 * Spawns every effect into a group (in order) and returns their tasks.
 * @internal
 */
const spawnAll = <A, E, R>(
  group: GroupImpl,
  effects: Iterable<Effect.Effect<A, E, R>>,
  names: ((index: number) => string) | undefined
): Effect.Effect<Array<TaskImpl<A, E>>> =>
  Effect.withFiberRuntime((fiber) => {
    const context = fiber.currentContext
    const tasks: Array<TaskImpl<A, E>> = []
    let i = 0
    for (const effect of effects) {
      const task = group.unsafeSpawn<A, E>(context, effect, names?.(i))
      // the group cannot be closed while its body runs; it can be cancelling after a failure
      if (!("phase" in task)) break
      tasks.push(task)
      i++
    }
    return Effect.succeed(tasks)
  })

const checkHedge = Options.decodeOrDie(
  "Concurrent.hedge",
  Schema.Struct({ delay: Options.NonNegativeDuration, attempts: Schema.optional(Options.PositiveInt) })
)

/** @internal */
export const gather = <A, E, R>(
  effects: Iterable<Effect.Effect<A, E, R>>,
  options?: Concurrent.Options
): Effect.Effect<Array<A>, E, R> =>
  Effect.suspend(() =>
    scoped(
      (group: GroupImpl) =>
        Effect.flatMap(spawnAll(group, effects, options?.names), (tasks) =>
          Effect.flatMap(group.awaitIdle, () => {
            const out = new Array<A>(tasks.length)
            for (let i = 0; i < tasks.length; i++) {
              const exit = tasks[i].exit!
              // a child that was cancelled (not failed) cancels the gather, as in asyncio
              if (Exit.isFailure(exit)) return Effect.failCause(exit.cause)
              out[i] = exit.value
            }
            return Effect.succeed(out)
          })),
      { concurrency: concurrencyOf("gather", options), name: "gather" }
    ) as unknown as Effect.Effect<Array<A>, E, R>
  )

/** @internal */
export const settle = <A, E, R>(
  effects: Iterable<Effect.Effect<A, E, R>>,
  options?: Concurrent.Options
): Effect.Effect<Array<TaskResult.TaskResult<A, E>>, never, R> =>
  Effect.suspend(() =>
    scoped(
      (group: GroupImpl) =>
        Effect.flatMap(
          spawnAll(group, effects, options?.names),
          (tasks) => Effect.map(group.awaitIdle, () => tasks.map((task) => task.toResult(task.exit!)))
        ),
      { concurrency: concurrencyOf("settle", options), mode: "supervise", name: "settle", keepFailures: 0 }
    ) as unknown as Effect.Effect<Array<TaskResult.TaskResult<A, E>>, never, R>
  )

/** @internal */
export const asCompleted = <A, E, R>(
  effects: Iterable<Effect.Effect<A, E, R>>,
  options?: Concurrent.Options
): Stream.Stream<A, E, R> =>
  Stream.suspend(() => {
    const max = concurrencyOf("asCompleted", options)
    return Stream.mapEffect(Stream.fromIterable(effects), (effect) => effect, {
      concurrency: max === Infinity ? "unbounded" : max,
      unordered: true
    })
  })

/** @internal */
export const wait = <A, E>(
  tasks: Iterable<Task.Task<A, E>>,
  options?: Concurrent.WaitOptions
): Effect.Effect<Concurrent.WaitResult<A, E>> =>
  Effect.suspend(() => {
    const all = Array.from(tasks) as Array<TaskImpl<A, E>>
    const when = options?.returnWhen ?? "allCompleted"
    const satisfied = (): boolean => {
      let done = 0
      for (const task of all) {
        if (task.exit !== undefined) {
          done++
          if (when === "firstCompleted") return true
          if (when === "firstError" && Exit.isFailure(task.exit) && !Cause.isInterruptedOnly(task.exit.cause)) {
            return true
          }
        }
      }
      return done === all.length
    }
    const waitAll = Effect.async<void>((resume) => {
      if (satisfied()) return resume(Effect.void)
      let resumed = false
      const observer = () => {
        if (!resumed && satisfied()) {
          resumed = true
          resume(Effect.void)
        }
      }
      for (const task of all) task.addObserver(observer)
      return Effect.sync(() => {
        for (const task of all) task.removeObserver(observer)
      })
    })
    const bounded = options?.timeout === undefined ? waitAll : Effect.timeoutOption(waitAll, options.timeout)
    return Effect.as(bounded, undefined).pipe(Effect.map(() => {
      const done: Array<Task.Task<A, E>> = []
      const pending: Array<Task.Task<A, E>> = []
      for (const task of all) (task.exit !== undefined ? done : pending).push(task)
      return { done, pending }
    }))
  })

/** @internal */
export const firstSuccess = <A, E, R>(
  effects: Iterable<Effect.Effect<A, E, R>>
): Effect.Effect<A, E | Cause.NoSuchElementException, R> =>
  Effect.suspend((): Effect.Effect<A, E | Cause.NoSuchElementException, R> => {
    const all = Array.from(effects)
    return all.length === 0
      ? Effect.fail(new Cause.NoSuchElementException("Concurrent.firstSuccess: no effects were given"))
      : Effect.raceAll(all)
  })

/** @internal */
export const hedge = <A, E, R>(
  effect: Effect.Effect<A, E, R> | ((attempt: number) => Effect.Effect<A, E, R>),
  options: Concurrent.HedgeOptions
): Effect.Effect<A, E, R> =>
  Effect.suspend((): Effect.Effect<A, E, R> => {
    const { attempts = 2, delay } = checkHedge(options)
    // a function is given the attempt's number: 1 for the first, 2 for the first backup...
    const run = Effect.isEffect(effect) ? () => effect : effect
    const gates = Array.from({ length: attempts }, () => Deferred.unsafeMake<void>(FiberId.none))
    const open = (i: number) => i < attempts ? Deferred.succeed(gates[i], undefined) : Effect.void
    const attempt = (i: number): Effect.Effect<A, E, R> =>
      Effect.zipRight(
        Deferred.await(gates[i]),
        Effect.zipRight(
          // the timer is a child of this attempt's fiber: it is interrupted when the attempt ends
          i + 1 < attempts ? Effect.fork(Effect.zipRight(Effect.sleep(delay), open(i + 1))) : Effect.void,
          // a failed attempt starts the next one at once
          Effect.tapErrorCause(Effect.suspend(() => run(i + 1)), () => open(i + 1))
        )
      )
    return Effect.zipRight(open(0), Effect.raceAll(gates.map((_, i) => attempt(i))))
  })
