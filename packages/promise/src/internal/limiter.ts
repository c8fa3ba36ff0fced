import * as CoreLimiter from "@taskscope/core/Limiter"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Limiter from "../Limiter.js"
import { type AsyncFn, checkFn, fromAsync } from "./bridge.js"
import { dispose, ensure } from "./dispose.js"
import { ExecutorImpl } from "./executor.js"
import { attempt, runPromise, runSync, runtimeHere } from "./runtime.js"

const ms = (d: Duration.Duration): number => Duration.toMillis(d)

const statsOf = (s: CoreLimiter.Stats): Limiter.Stats => ({
  name: s.name,
  capacity: s.capacity,
  available: s.available,
  held: s.held,
  holders: s.holders,
  waiting: s.waiting,
  waiters: s.waiters.map((w) => ({ ...w, waitingFor: ms(w.waitingFor) })),
  pausedFor: ms(s.pausedFor),
  rate: s.rate === undefined ? undefined : { ...s.rate, interval: ms(s.rate.interval) }
})

const acquireOptions = (options: Limiter.AcquireOptions | undefined): CoreLimiter.AcquireOptions => {
  if (options === undefined) return {}
  const out: { permits?: number; cost?: number } = {}
  if (options.permits !== undefined) out.permits = options.permits
  if (options.cost !== undefined) out.cost = options.cost
  return out
}

/** @internal */
export class PermitImpl implements Limiter.Permit {
  released = false
  constructor(readonly limiter: CoreLimiter.Limiter, readonly permits: number) {
    ensure()
  }
  release(): void {
    if (this.released) return
    this.released = true
    if (this.permits > 0) runSync(this.limiter.release(this.permits))
  }
  [dispose](): void {
    this.release()
  }
}

/** @internal */
export class LimiterImpl implements Limiter.Limiter {
  constructor(readonly core: CoreLimiter.Limiter) {}

  get name(): string {
    return this.core.name
  }

  run<A>(fn: AsyncFn<A>, options?: Limiter.RunOptions): Promise<A> {
    return attempt(() => {
      checkFn("Limiter.run", fn)
      return runPromise(this.core.withPermit(fromAsync(fn), acquireOptions(options)), options?.signal)
    })
  }

  /** The permits an acquire takes: as asked, else 1 when there is a concurrency limit, else 0. */
  permitsOf(options: Limiter.AcquireOptions | undefined): number {
    return options?.permits ?? (runSync(this.core.stats).capacity === Infinity ? 0 : 1)
  }

  acquire(options?: Limiter.RunOptions): Promise<Limiter.Permit> {
    return attempt(() => {
      const permits = this.permitsOf(options)
      return runPromise(
        Effect.as(this.core.acquire(acquireOptions(options)), new PermitImpl(this.core, permits)),
        options?.signal
      )
    })
  }

  tryAcquire(options?: Limiter.AcquireOptions): Limiter.Permit | undefined {
    const permits = this.permitsOf(options)
    return runSync(this.core.tryAcquire(acquireOptions(options))) ? new PermitImpl(this.core, permits) : undefined
  }

  pause(duration: Duration.DurationInput): void {
    runSync(this.core.pause(duration))
  }

  resize(capacity: number): void {
    runSync(this.core.resize(capacity))
  }

  get stats(): Limiter.Stats {
    return statsOf(runSync(this.core.stats))
  }

  get [Symbol.toStringTag](): string {
    return "Limiter"
  }

  toJSON(): unknown {
    return { _id: "Limiter", ...this.stats }
  }
}

/** @internal */
export const limiter = (options: Limiter.Options): Limiter.Limiter =>
  new LimiterImpl(runSync(CoreLimiter.make(options), undefined, runtimeHere()))

/** @internal */
export const semaphore = (permits: number, options?: { readonly name?: string; readonly bounded?: boolean }) =>
  new LimiterImpl(runSync(CoreLimiter.semaphore(permits, options), undefined, runtimeHere()))

/** @internal */
export const rateLimit = (options: Limiter.RateOptions & { readonly name?: string }): Limiter.Limiter =>
  new LimiterImpl(runSync(CoreLimiter.rate(options), undefined, runtimeHere()))

/** @internal */
export class KeyedImpl<K> implements Limiter.KeyedLimiter<K> {
  constructor(readonly core: CoreLimiter.Keyed<K>) {}
  run<A>(key: K, fn: AsyncFn<A>, options?: Limiter.RunOptions): Promise<A> {
    return attempt(() => {
      checkFn("KeyedLimiter.run", fn)
      return runPromise(this.core.withPermit(key, fromAsync(fn), acquireOptions(options)), options?.signal)
    })
  }
  get(key: K): Limiter.Limiter {
    return new LimiterImpl(runSync(this.core.get(key)))
  }
  pause(key: K, duration: Duration.DurationInput): void {
    runSync(this.core.pause(key, duration))
  }
  get size(): number {
    return runSync(this.core.size)
  }
  get stats(): ReadonlyMap<K, Limiter.Stats> {
    const out = new Map<K, Limiter.Stats>()
    for (const [key, s] of runSync(this.core.stats)) out.set(key, statsOf(s))
    return out
  }
}

/** @internal */
export const keyed = <K>(
  optionsFor: (key: K) => Limiter.Options,
  options?: { readonly idleTimeout?: Duration.DurationInput; readonly name?: string }
): Limiter.KeyedLimiter<K> => new KeyedImpl(runSync(CoreLimiter.keyed(optionsFor, options), undefined, runtimeHere()))

// -----------------------------------------------------------------------------------------------
// p-limit: a FIFO queue of calls with a concurrency cap — the Executor, without priorities

const noop = () => {}

const checkConcurrency = (subject: string, n: unknown): number => {
  if (!((typeof n === "number" && Number.isInteger(n)) || n === Infinity) || (n as number) < 1) {
    throw new TypeError(`${subject}: Expected a positive integer or Infinity, actual ${String(n)}`)
  }
  return n as number
}

/** @internal */
export const limit = (
  options: number | { readonly concurrency: number; readonly rejectOnClear?: boolean }
): Limiter.LimitFunction => {
  const isObject = typeof options === "object" && options !== null
  const concurrency = checkConcurrency("limit", isObject ? options.concurrency : options)
  if (isObject && options.rejectOnClear !== undefined && typeof options.rejectOnClear !== "boolean") {
    throw new TypeError(`limit: Expected \`rejectOnClear\` to be a boolean, actual ${String(options.rejectOnClear)}`)
  }
  const rejectOnClear = isObject && options.rejectOnClear === true
  const executor = new ExecutorImpl({ concurrency, name: "limit" }, { lean: true })

  const generator = (<Args extends Array<unknown>, R>(
    fn: (...args: Args) => PromiseLike<R> | R,
    ...args: Args
  ): Promise<R> => {
    if (typeof fn !== "function") {
      return Promise.reject(new TypeError(`limit: Expected a function, actual ${String(fn)}`))
    }
    return executor.call(fn, args)
  }) as Limiter.LimitFunction

  Object.defineProperties(generator, {
    activeCount: { get: () => executor.pending },
    pendingCount: { get: () => executor.size },
    concurrency: {
      get: () => executor.concurrency,
      set: (n: number) => {
        executor.concurrency = checkConcurrency("limit.concurrency", n)
      }
    },
    clearQueue: {
      // p-limit's `rejectOnClear`: the waiting calls reject with an AbortError; without it they
      // settle too (TaskDroppedError, marked handled), where p-limit leaves them pending forever
      value: () =>
        rejectOnClear
          ? executor.clearWith(() => AbortSignal.abort().reason)
          : executor.clear()
    },
    map: {
      value: <I, R>(iterable: Iterable<I> | ArrayLike<I>, fn: (input: I, index: number) => PromiseLike<R> | R) => {
        const promises: Array<Promise<R>> = []
        try {
          let index = 0
          // as p-limit's (Array.from): an iterable, or an array-like ({ length, 0: … })
          const inputs = iterable != null && typeof (iterable as Iterable<I>)[Symbol.iterator] === "function"
            ? iterable as Iterable<I>
            : Array.from(iterable as ArrayLike<I>)
          for (const input of inputs) promises.push(generator(fn, input, index++))
        } catch (error) {
          for (const promise of promises) promise.catch(noop)
          return Promise.reject(error)
        }
        return Promise.all(promises)
      }
    },
    run: {
      value: <A>(fn: AsyncFn<A>, options?: { readonly signal?: AbortSignal | undefined }) =>
        attempt(() => {
          checkFn("limit.run", fn)
          return executor.add(
            ({ signal }) => fn(signal),
            options?.signal === undefined ? undefined : { signal: options.signal }
          )
        })
    }
  })
  return generator
}

/** @internal */
export const limitFunction = <Args extends Array<unknown>, R>(
  fn: (...args: Args) => PromiseLike<R> | R,
  options: { readonly concurrency: number; readonly rejectOnClear?: boolean }
): ((...args: Args) => Promise<R>) & { readonly clearQueue: () => void } => {
  if (typeof fn !== "function") throw new TypeError(`limitFunction: Expected a function, actual ${String(fn)}`)
  const limited = limit(options)
  const call = (...args: Args): Promise<R> => limited(fn, ...args)
  Object.defineProperty(call, "clearQueue", { value: limited.clearQueue })
  return call as ((...args: Args) => Promise<R>) & { readonly clearQueue: () => void }
}
