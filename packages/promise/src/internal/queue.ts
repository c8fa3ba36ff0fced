import * as WorkQueue from "@taskscope/core/WorkQueue"
import type * as Effect from "effect/Effect"
import { QueueShutDownError } from "../Errors.js"
import type * as Queue from "../Queue.js"
import { checkFn, fromCall } from "./bridge.js"
import { attempt, runPromise, runSync, runtimeHere } from "./runtime.js"

const make = <A>(options: Queue.Queue.Options<A> | undefined): Effect.Effect<WorkQueue.WorkQueue<A>, unknown> => {
  const capacity = options?.capacity
  const name = options?.name
  const base = {
    ...(capacity === undefined ? {} : { capacity }),
    ...(name === undefined ? {} : { name })
  }
  if (options?.priority !== undefined) {
    checkFn("Queue", options.priority, "priority to be a function (item) => number")
    return WorkQueue.priority<A>({ ...base, priority: options.priority })
  }
  if (options?.order === "lifo") return WorkQueue.lifo<A>(base)
  if (options?.order !== undefined && options.order !== "fifo") {
    throw new TypeError(`Queue: Expected order "fifo" or "lifo", actual ${JSON.stringify(options.order)}`)
  }
  return capacity === undefined || capacity === Infinity
    ? WorkQueue.unbounded<A>(name === undefined ? undefined : { name })
    : WorkQueue.bounded<A>(capacity, name === undefined ? undefined : { name })
}

/** @internal */
export class QueueImpl<A> implements Queue.Queue<A> {
  readonly core: WorkQueue.WorkQueue<A>
  constructor(options?: Queue.Queue.Options<A>) {
    this.core = runSync(make(options), undefined, runtimeHere())
  }

  get name(): string {
    return this.core.name
  }

  get capacity(): number {
    return this.core.capacity
  }

  put(item: A, options?: Queue.Queue.SignalOptions): Promise<void> {
    return runPromise(this.core.put(item), options?.signal)
  }

  tryPut(item: A): void {
    runSync(this.core.tryPut(item))
  }

  take(options?: Queue.Queue.SignalOptions): Promise<A> {
    return runPromise(this.core.take, options?.signal)
  }

  tryTake(): A {
    return runSync(this.core.tryTake)
  }

  process<B>(fn: (item: A, signal: AbortSignal) => B | PromiseLike<B>, options?: Queue.Queue.SignalOptions) {
    return attempt(() => {
      checkFn("Queue.process", fn, "a function (item, signal) => value or promise")
      return runPromise(this.core.process((item) => fromCall<B>((call) => fn(item, call.signal))), options?.signal)
    })
  }

  taskDone(): void {
    runSync(this.core.taskDone)
  }

  join(options?: Queue.Queue.SignalOptions): Promise<void> {
    return runPromise(this.core.join, options?.signal)
  }

  shutdown(options?: { readonly immediate?: boolean }): Array<A> {
    return runSync(this.core.shutdown(options))
  }

  get size(): number {
    return runSync(this.core.size)
  }

  get isEmpty(): boolean {
    return runSync(this.core.isEmpty)
  }

  get isFull(): boolean {
    return runSync(this.core.isFull)
  }

  get isShutdown(): boolean {
    return runSync(this.core.isShutdown)
  }

  get stats(): Queue.Queue.Stats {
    return runSync(this.core.stats)
  }

  [Symbol.asyncIterator](): AsyncIterator<A> {
    return new Items(this)
  }

  get [Symbol.toStringTag](): string {
    return "Queue"
  }

  toJSON(): unknown {
    return { _id: "Queue", ...this.stats }
  }
}

/** A `for await` loop over a queue: each item is marked done when the loop asks for the next one or leaves. */
class Items<A> implements AsyncIterator<A> {
  taken = false
  constructor(readonly queue: QueueImpl<A>) {}

  settle(): void {
    if (this.taken) {
      this.taken = false
      this.queue.taskDone()
    }
  }

  async next(): Promise<IteratorResult<A>> {
    this.settle()
    try {
      const value = await this.queue.take()
      this.taken = true
      return { value, done: false }
    } catch (error) {
      if (error instanceof QueueShutDownError) return { value: undefined, done: true }
      throw error
    }
  }

  async return(): Promise<IteratorResult<A>> {
    this.settle()
    return { value: undefined, done: true }
  }
}
