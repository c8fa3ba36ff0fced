import * as Concurrent from "@taskscope/core/Concurrent"
import type * as TaskResult from "@taskscope/core/TaskResult"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import type * as PromiseConcurrent from "../Concurrent.js"
import { CancelledError } from "../Errors.js"
import { type AsyncFn, checkFn, fromAsync, fromAsyncAll } from "./bridge.js"
import { attempt, runFork, runPromise, toThrown } from "./runtime.js"

const coreOptions = (options: PromiseConcurrent.Options | undefined): Concurrent.Options =>
  options?.concurrency === undefined ? {} : { concurrency: options.concurrency }

/** @internal */
export const gather = (fns: Iterable<AsyncFn<unknown>>, options?: PromiseConcurrent.Options): Promise<any> =>
  attempt(() => runPromise(Concurrent.gather(fromAsyncAll("gather", fns), coreOptions(options)), options?.signal))

const settledOf = <A>(result: TaskResult.TaskResult<A, unknown>): PromiseSettledResult<A> => {
  switch (result._tag) {
    case "Succeeded":
      return { status: "fulfilled", value: result.value }
    case "Cancelled":
      return { status: "rejected", reason: new CancelledError() }
    default:
      return { status: "rejected", reason: toThrown(result.cause, undefined) }
  }
}

/** @internal */
export const settle = (fns: Iterable<AsyncFn<unknown>>, options?: PromiseConcurrent.Options): Promise<any> =>
  attempt(() =>
    runPromise(
      Effect.map(Concurrent.settle(fromAsyncAll("settle", fns), coreOptions(options)), (results) =>
        results.map(settledOf)),
      options?.signal
    )
  )

/** @internal */
export const firstSuccess = <A>(
  fns: Iterable<AsyncFn<A>>,
  options?: { readonly signal?: AbortSignal | undefined }
): Promise<A> => attempt(() => runPromise(Concurrent.firstSuccess(fromAsyncAll("firstSuccess", fns)), options?.signal))

/** @internal */
export const hedge = <A>(fn: AsyncFn<A>, options: PromiseConcurrent.HedgeOptions): Promise<A> =>
  attempt(() => {
    checkFn("hedge", fn)
    const { signal, ...rest } = options
    return runPromise(Concurrent.hedge(fromAsync(fn), rest), signal)
  })

/**
 * The values of a stream as an async iterator: the stream runs (once `next` is first called) on a
 * fiber of its own, values wait in a buffer until asked for, and `return` (a `break` out of a
 * `for await` loop) stops the stream and resolves once its cleanup has run.
 * @internal
 */
export class Completions<A> implements AsyncIterableIterator<A> {
  readonly buffer: Array<A> = []
  fiber: Fiber.RuntimeFiber<void, unknown> | undefined = undefined
  exit: Exit.Exit<void, unknown> | undefined = undefined
  reported = false
  waiter: { resolve: (r: IteratorResult<A>) => void; reject: (e: unknown) => void } | undefined = undefined
  readonly ended: Array<() => void> = []

  constructor(readonly stream: Stream.Stream<A, unknown>, readonly signal: AbortSignal | undefined) {}

  start(): void {
    if (this.signal?.aborted) {
      this.exit = Exit.fail(this.signal.reason)
      return
    }
    this.fiber = runFork(
      Stream.runForEach(this.stream, (value) => Effect.sync(() => this.push(value))),
      this.signal,
      (exit) => this.end(exit)
    )
  }

  push(value: A): void {
    const waiter = this.waiter
    if (waiter !== undefined) {
      this.waiter = undefined
      waiter.resolve({ value, done: false })
    } else {
      this.buffer.push(value)
    }
  }

  end(exit: Exit.Exit<void, unknown>): void {
    this.exit = exit
    for (const resume of this.ended.splice(0)) resume()
    const waiter = this.waiter
    if (waiter !== undefined) {
      this.waiter = undefined
      this.finish().then(waiter.resolve, waiter.reject)
    }
  }

  /** After the stream ended: its failure once, then done. */
  finish(): Promise<IteratorResult<A>> {
    const exit = this.exit!
    if (Exit.isFailure(exit) && !this.reported) {
      this.reported = true
      if (this.signal?.aborted && this.fiber === undefined) return Promise.reject(this.signal.reason)
      return Promise.reject(toThrown(exit.cause, this.signal))
    }
    return Promise.resolve({ value: undefined, done: true })
  }

  next(): Promise<IteratorResult<A>> {
    if (this.fiber === undefined && this.exit === undefined) this.start()
    if (this.buffer.length > 0) return Promise.resolve({ value: this.buffer.shift()!, done: false })
    if (this.exit !== undefined) return this.finish()
    if (this.waiter !== undefined) {
      return Promise.reject(new TypeError("asCompleted: next() called before the previous one settled"))
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject }
    })
  }

  return(): Promise<IteratorResult<A>> {
    this.buffer.length = 0
    this.reported = true
    const fiber = this.fiber
    if (fiber === undefined || this.exit !== undefined) {
      if (this.exit === undefined) this.exit = Exit.void
      return Promise.resolve({ value: undefined, done: true })
    }
    return new Promise((resolve) => {
      this.ended.push(() => resolve({ value: undefined, done: true }))
      fiber.unsafeInterruptAsFork(fiber.id())
    })
  }

  [Symbol.asyncIterator](): this {
    return this
  }
}

/** @internal */
export const asCompleted = <A>(
  fns: Iterable<AsyncFn<A>>,
  options?: PromiseConcurrent.Options
): AsyncIterableIterator<A> =>
  new Completions(Concurrent.asCompleted(fromAsyncAll("asCompleted", fns), coreOptions(options)), options?.signal)
