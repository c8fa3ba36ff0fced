/**
 * Run many effects at once: asyncio's `gather`, `as_completed`, `wait`, plus `firstSuccess` and
 * `hedge`. Where Effect already has the behaviour these are thin over it; `gather` and `settle` run
 * on a {@link TaskGroup} so that `concurrency` uses a worker pool (no fiber per waiting effect).
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import * as internal from "./internal/concurrent.js"
import type * as Task from "./Task.js"
import type * as TaskResult from "./TaskResult.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** How many effects run at once: a positive integer, `Infinity` or `"unbounded"` (default). */
  readonly concurrency?: number | "unbounded"
  /** Names for the tasks (shown in results); defaults to `task-<id>`. */
  readonly names?: (index: number) => string
}

/**
 * Runs the effects concurrently and returns their values in input order. The first failure cancels
 * the others and fails the whole (other failures stay in the Cause); a cancelled child cancels the
 * gather, as in asyncio.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Concurrent } from "@taskscope/core"
 *
 * const program = Concurrent.gather([1, 2, 3].map((n) => Effect.succeed(n * 2)), { concurrency: 2 })
 * // [2, 4, 6]
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const gather: {
  (effects: readonly [], options?: Options): Effect.Effect<[]>
  <const T extends ReadonlyArray<Effect.Effect<any, any, any>>>(
    effects: T,
    options?: Options
  ): Effect.Effect<
    { -readonly [K in keyof T]: Effect.Effect.Success<T[K]> },
    Effect.Effect.Error<T[number]>,
    Effect.Effect.Context<T[number]>
  >
  <Eff extends Effect.Effect<any, any, any>>(
    effects: Iterable<Eff>,
    options?: Options
  ): Effect.Effect<
    Array<Effect.Effect.Success<Eff>>,
    Effect.Effect.Error<Eff>,
    Effect.Effect.Context<Eff>
  >
} = internal.gather as never

/**
 * Runs the effects concurrently and returns every outcome as a {@link TaskResult.TaskResult}, in
 * input order; never fails because of a child (asyncio's `gather(..., return_exceptions=True)`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Concurrent } from "@taskscope/core"
 *
 * const program = Concurrent.settle([Effect.succeed(1), Effect.fail("nope")]).pipe(
 *   Effect.map((results) => results.map((r) => r._tag)) // ["Succeeded", "Failed"]
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const settle: {
  (effects: readonly [], options?: Options): Effect.Effect<[]>
  <const T extends ReadonlyArray<Effect.Effect<any, any, any>>>(
    effects: T,
    options?: Options
  ): Effect.Effect<
    { -readonly [K in keyof T]: TaskResult.TaskResult<Effect.Effect.Success<T[K]>, Effect.Effect.Error<T[K]>> },
    never,
    Effect.Effect.Context<T[number]>
  >
  <Eff extends Effect.Effect<any, any, any>>(
    effects: Iterable<Eff>,
    options?: Options
  ): Effect.Effect<
    Array<TaskResult.TaskResult<Effect.Effect.Success<Eff>, Effect.Effect.Error<Eff>>>,
    never,
    Effect.Effect.Context<Eff>
  >
} = internal.settle as never

/**
 * The values of the effects as a Stream, in the order they complete (asyncio's `as_completed`).
 * The first failure ends the stream with that error and cancels the rest.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Concurrent } from "@taskscope/core"
 *
 * const slow = Effect.succeed("slow").pipe(Effect.delay("2 seconds"))
 * const fast = Effect.succeed("fast").pipe(Effect.delay("1 second"))
 * const program = Stream.runCollect(Concurrent.asCompleted([slow, fast])) // "fast", "slow"
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const asCompleted: <Eff extends Effect.Effect<any, any, any>>(
  effects: Iterable<Eff>,
  options?: Omit<Options, "names">
) => Stream.Stream<
  Effect.Effect.Success<Eff>,
  Effect.Effect.Error<Eff>,
  Effect.Effect.Context<Eff>
> = internal.asCompleted

/**
 * When {@link wait} returns: when any task has ended, when any task has failed (or all ended), or
 * when all have ended.
 *
 * @since 0.1.0
 * @category models
 */
export type ReturnWhen = "firstCompleted" | "firstError" | "allCompleted"

/**
 * @since 0.1.0
 * @category models
 */
export interface WaitOptions {
  readonly returnWhen?: ReturnWhen
  /** Return after this long even if the condition is not met. */
  readonly timeout?: Duration.DurationInput
}

/**
 * @since 0.1.0
 * @category models
 */
export interface WaitResult<A, E> {
  readonly done: Array<Task.Task<A, E>>
  readonly pending: Array<Task.Task<A, E>>
}

/**
 * Waits for running tasks (asyncio's `wait`) until `returnWhen` holds or `timeout` passes, and
 * returns which are done and which are still pending. It never cancels the pending ones and never
 * fails.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Concurrent, TaskGroup } from "@taskscope/core"
 *
 * const program = TaskGroup.scoped((group) =>
 *   Effect.gen(function*() {
 *     const a = yield* group.spawn(Effect.sleep("1 second"))
 *     const b = yield* group.spawn(Effect.sleep("5 seconds"))
 *     const { done, pending } = yield* Concurrent.wait([a, b], { returnWhen: "firstCompleted" })
 *     yield* Effect.forEach(pending, (task) => task.cancel)
 *     return done.length
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const wait: <A, E>(
  tasks: Iterable<Task.Task<A, E>>,
  options?: WaitOptions
) => Effect.Effect<WaitResult<A, E>> = internal.wait

/**
 * Runs the effects concurrently and returns the first success; the others are cancelled (and their
 * cleanup has run when this returns). Fails only if every effect fails, with all the failures in the
 * Cause; fails with `NoSuchElementException` when given no effects. Thin over `Effect.raceAll`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Concurrent } from "@taskscope/core"
 *
 * const mirror = (name: string, ms: number) => Effect.succeed(name).pipe(Effect.delay(ms))
 * const program = Concurrent.firstSuccess([mirror("eu", 80), mirror("us", 30)]) // "us"
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const firstSuccess: <Eff extends Effect.Effect<any, any, any>>(
  effects: Iterable<Eff>
) => Effect.Effect<
  Effect.Effect.Success<Eff>,
  Effect.Effect.Error<Eff> | Cause.NoSuchElementException,
  Effect.Effect.Context<Eff>
> = internal.firstSuccess

/**
 * @since 0.1.0
 * @category models
 */
export interface HedgeOptions {
  /** Start the next attempt when the previous one has not finished after this long. */
  readonly delay: Duration.DurationInput
  /** How many attempts at most, the first included (default 2). */
  readonly attempts?: number
}

/**
 * A hedged request: starts `effect`; if it has not finished after `delay`, starts a backup attempt
 * (and so on up to `attempts`), keeps the first success and cancels the rest. An attempt that fails
 * starts the next one at once. Fails only when every attempt failed.
 *
 * Instead of an effect, a function of the attempt's number (1 for the first, 2 for the first
 * backup…) may be given, as asyncio's `staggered_race` takes one coroutine function per attempt: a
 * backup can then differ from the first attempt (ask for a rate permit of its own, go to another
 * replica) and say that it is a backup when it really goes out.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Concurrent } from "@taskscope/core"
 *
 * const request = Effect.succeed("price").pipe(Effect.delay("300 millis"))
 * const program = Concurrent.hedge(request, { delay: "100 millis", attempts: 3 })
 *
 * // the backup goes to another replica
 * const replicas = ["a.example", "b.example"]
 * const get = (host: string) => Effect.succeed(`price from ${host}`).pipe(Effect.delay("300 millis"))
 * const hedged = Concurrent.hedge((attempt) => get(replicas[attempt - 1]), { delay: "100 millis" })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const hedge: <A, E, R>(
  effect: Effect.Effect<A, E, R> | ((attempt: number) => Effect.Effect<A, E, R>),
  options: HedgeOptions
) => Effect.Effect<A, E, R> = internal.hedge
