/**
 * Run many async functions at once, structured: `gather` (Promise.all that cancels the rest on the
 * first failure), `settle` (Promise.allSettled), `asCompleted` (results in the order they finish,
 * as an async iterator), `firstSuccess` (Promise.any that cancels the losers) and `hedge`. On
 * `@taskscope/core`'s `Concurrent`.
 *
 * They take **functions** `(signal) => promise`, not promises: a promise is already running and
 * cannot be cancelled or bounded by `concurrency`. Each function gets its own `AbortSignal`, aborted
 * when the work is no longer wanted (a sibling failed, a winner was found, your `signal` aborted,
 * a deadline passed), and every function has stopped before the returned promise settles — unlike
 * `Promise.all`, nothing is left running behind a rejection.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as internal from "./internal/concurrent.js"
import * as internalMap from "./internal/map.js"

/**
 * An async function as these combinators take it: it gets its own signal.
 *
 * @since 0.1.0
 * @category models
 */
export type AsyncFn<A> = (signal: AbortSignal) => A | PromiseLike<A>

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** How many functions run at once: a positive integer or `Infinity` (default). */
  readonly concurrency?: number
  /** Aborting it cancels every function; the promise rejects with its reason. */
  readonly signal?: AbortSignal | undefined
}

/**
 * The values of a tuple of functions.
 *
 * @since 0.1.0
 * @category models
 */
export type Values<T extends ReadonlyArray<AsyncFn<unknown>>> = {
  -readonly [K in keyof T]: T[K] extends AsyncFn<infer A> ? Awaited<A> : never
}

/**
 * `Promise.all`, structured: runs the functions (at most `concurrency` at once) and resolves with
 * their values in input order. The first failure aborts the others' signals, waits until they have
 * stopped, and rejects with that error as it was thrown (several failures: an `AggregateError`).
 *
 * @example
 * ```ts
 * import { gather } from "@taskscope/promise"
 *
 * const [user, orders] = await gather([
 *   (signal) => fetch("https://api.example.com/user/1", { signal }).then((r) => r.json()),
 *   (signal) => fetch("https://api.example.com/orders?user=1", { signal }).then((r) => r.json())
 * ])
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const gather: {
  <const T extends ReadonlyArray<AsyncFn<unknown>>>(fns: T, options?: Options): Promise<Values<T>>
  <A>(fns: Iterable<AsyncFn<A>>, options?: Options): Promise<Array<Awaited<A>>>
} = internal.gather

/**
 * `Promise.allSettled`, structured: runs the functions (at most `concurrency` at once) and resolves
 * with every outcome in input order, as `Promise.allSettled` gives them; a failure does not stop
 * the others (asyncio's `gather(..., return_exceptions=True)`).
 *
 * @example
 * ```ts
 * import { settle } from "@taskscope/promise"
 *
 * const outcomes = await settle([async () => 1, async () => Promise.reject(new Error("nope"))])
 * console.log(outcomes.map((o) => o.status)) // ["fulfilled", "rejected"]
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const settle: {
  <const T extends ReadonlyArray<AsyncFn<unknown>>>(
    fns: T,
    options?: Options
  ): Promise<{ -readonly [K in keyof T]: PromiseSettledResult<Values<T>[K]> }>
  <A>(fns: Iterable<AsyncFn<A>>, options?: Options): Promise<Array<PromiseSettledResult<Awaited<A>>>>
} = internal.settle

/**
 * The values in the order the functions complete, as an async iterator (asyncio's `as_completed`):
 * `for await (const value of asCompleted(fns))`. The functions start when the loop first asks for
 * a value. The first failure stops the others and is thrown by the loop, after the values that came
 * before it. Leaving the loop early (`break`, `return`, an exception) aborts the functions still
 * running and waits for them.
 *
 * @example
 * ```ts
 * import { asCompleted } from "@taskscope/promise"
 *
 * const mirrors = ["https://eu.example.com", "https://us.example.com"]
 * for await (const body of asCompleted(mirrors.map((url) => (signal) => fetch(url, { signal }).then((r) => r.text())))) {
 *   console.log(body.length)
 *   break // the other request is aborted and awaited here
 * }
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const asCompleted: <A>(fns: Iterable<AsyncFn<A>>, options?: Options) => AsyncIterableIterator<Awaited<A>> =
  internal.asCompleted as any

/**
 * `Promise.any`, structured: the first function to succeed wins and the others are aborted and
 * awaited. Rejects only if every function fails — with that error, or an `AggregateError` of all.
 *
 * @example
 * ```ts
 * import { firstSuccess } from "@taskscope/promise"
 *
 * const body = await firstSuccess([
 *   (signal) => fetch("https://eu.example.com/data", { signal }).then((r) => r.text()),
 *   (signal) => fetch("https://us.example.com/data", { signal }).then((r) => r.text())
 * ])
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const firstSuccess: <A>(
  fns: Iterable<AsyncFn<A>>,
  options?: { readonly signal?: AbortSignal | undefined }
) => Promise<A> = internal.firstSuccess

/**
 * @since 0.1.0
 * @category models
 */
export interface HedgeOptions {
  /** Start another attempt when the previous one has not finished after this long (ms, or `"100 millis"`). */
  readonly delay: Duration.DurationInput
  /** How many attempts at most, the first included (default 2). */
  readonly attempts?: number
  readonly signal?: AbortSignal | undefined
}

/**
 * A hedged request: calls `fn`; if it has not finished after `delay`, calls it again (up to
 * `attempts`), keeps the first success and aborts the rest. An attempt that fails starts the next
 * one at once. Rejects only when every attempt failed.
 *
 * @example
 * ```ts
 * import { hedge } from "@taskscope/promise"
 *
 * const price = await hedge((signal) => fetch("https://api.example.com/price", { signal }).then((r) => r.json()), {
 *   delay: 100,
 *   attempts: 3
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const hedge: <A>(fn: AsyncFn<A>, options: HedgeOptions) => Promise<A> = internal.hedge

/**
 * p-map's options for `map`.
 *
 * | option | type | default | |
 * | --- | --- | --- | --- |
 * | `concurrency` | integer ≥ 1 or `Infinity` | `Infinity` | mappers running at once |
 * | `stopOnError` | boolean | `true` | reject at the first error; `false`: run all, then an `AggregateError` |
 * | `signal` | `AbortSignal` | none | aborting rejects with its reason and stops reading the input |
 *
 * @since 0.1.0
 * @category models
 */
export interface MapOptions {
  readonly concurrency?: number
  readonly stopOnError?: boolean
  readonly signal?: AbortSignal | undefined
}

/**
 * p-map's options for `mapIterable`: `concurrency`, and `backpressure` (how many results may wait
 * unread, ≥ `concurrency`; default: `concurrency`).
 *
 * @since 0.1.0
 * @category models
 */
export interface MapIterableOptions {
  readonly concurrency?: number
  readonly backpressure?: number
}

/**
 * Returned by a mapper, leaves its element out of the result (p-map's `pMapSkip`).
 *
 * @example
 * ```ts
 * import { map, mapSkip } from "@taskscope/promise"
 *
 * const found = await map(["a", "", "b"], (s) => s || mapSkip)
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const mapSkip: typeof internalMap.mapSkip = internalMap.mapSkip

/**
 * p-map: maps an iterable or async iterable (of values or promises) with at most `concurrency`
 * mappers at once; the results in input order, without the `mapSkip`ped ones.
 *
 * @example
 * ```ts
 * import { map, mapSkip } from "@taskscope/promise"
 *
 * const sizes = await map(["a.txt", "b.txt"], async (name) => name.length, { concurrency: 2 })
 * const even = await map([1, 2, 3, 4], (n) => (n % 2 === 0 ? n : mapSkip))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const map: <A, B>(
  input: Iterable<A | PromiseLike<A>> | AsyncIterable<A | PromiseLike<A>>,
  mapper: (element: A, index: number) => B | PromiseLike<B>,
  options?: MapOptions
) => Promise<Array<Exclude<Awaited<B>, typeof internalMap.mapSkip>>> = internalMap.map

/**
 * p-map's `pMapIterable`: the results as an async iterable, in input order, at most `concurrency`
 * mappers at once and at most `backpressure` results waiting to be read.
 *
 * @example
 * ```ts
 * import { mapIterable } from "@taskscope/promise"
 *
 * for await (const length of mapIterable(["a", "bb"], async (s) => s.length, { concurrency: 2 })) {
 *   console.log(length)
 * }
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const mapIterable: <A, B>(
  input: Iterable<A | PromiseLike<A>> | AsyncIterable<A | PromiseLike<A>>,
  mapper: (element: A, index: number) => B | PromiseLike<B>,
  options?: MapIterableOptions
) => AsyncIterableIterator<Exclude<Awaited<B>, typeof internalMap.mapSkip>> = internalMap.mapIterable
