import type * as Concurrent from "../Concurrent.js"

/** @internal */
export const mapSkip: unique symbol = Symbol("Concurrent.mapSkip")

const checkConcurrency = (subject: string, n: unknown): number => {
  if (!((typeof n === "number" && Number.isInteger(n)) || n === Infinity) || (n as number) < 1) {
    throw new TypeError(`${subject}: Expected \`concurrency\` to be an integer from 1 and up, actual ${String(n)}`)
  }
  return n as number
}

const checkMapper = (subject: string, mapper: unknown): void => {
  if (typeof mapper !== "function") {
    throw new TypeError(`${subject}: Expected a mapper function, actual ${String(mapper)}`)
  }
}

type Source<A> = Iterable<A | PromiseLike<A>> | AsyncIterable<A | PromiseLike<A>>

interface Reader<A> {
  next(): Promise<IteratorResult<A | PromiseLike<A>>>
  return?(): unknown
}

/** Checks the input at once (a clear TypeError); its iterator is asked for when reading starts. */
const checkInput = (subject: string, input: unknown): void => {
  if (input !== null && typeof input === "object" && Symbol.asyncIterator in input) return
  if (input === null || input === undefined || typeof (input as any)[Symbol.iterator] !== "function") {
    throw new TypeError(`${subject}: Expected an iterable or async iterable input, actual ${String(input)}`)
  }
}

/**
 * One reader over a sync or async iterable: `next` is never called twice at once, and a sync
 * iterator that throws gives a rejected `next` (never a throw inside the caller's callback).
 */
const reader = <A>(input: Source<A>): Reader<A> => {
  if (input !== null && typeof input === "object" && Symbol.asyncIterator in input) {
    return (input as AsyncIterable<A>)[Symbol.asyncIterator]()
  }
  const iterator = (input as Iterable<A | PromiseLike<A>>)[Symbol.iterator]()
  return {
    next: () => {
      try {
        return Promise.resolve(iterator.next())
      } catch (error) {
        return Promise.reject(error)
      }
    },
    return: () => iterator.return?.()
  }
}

/**
 * Closes the source without waiting for it — an async generator blocked in `next` answers
 * `return` only after that `next`, which may be never (as p-map) — and without a failure of its
 * cleanup becoming an unhandled rejection: the caller has its own outcome already.
 */
const isThenable = (u: unknown): u is PromiseLike<unknown> =>
  u !== null && (typeof u === "object" || typeof u === "function") &&
  typeof (u as { then?: unknown }).then === "function"

const closeQuietly = <A>(iterator: Reader<A>): void => {
  try {
    const closing: unknown = iterator.return?.()
    if (isThenable(closing)) closing.then(undefined, () => {})
  } catch {
    // its cleanup threw: the caller already has its outcome (p-map drops it too)
  }
}

/** @internal */
export const map = <A, B>(
  input: Source<A>,
  mapper: (element: A, index: number) => B | PromiseLike<B>,
  options: Concurrent.MapOptions = {}
): Promise<Array<Exclude<Awaited<B>, typeof mapSkip>>> =>
  new Promise((resolve, reject) => {
    const concurrency = checkConcurrency("map", options.concurrency ?? Infinity)
    checkMapper("map", mapper)
    const stopOnError = options.stopOnError ?? true
    const signal = options.signal
    checkInput("map", input)
    const iterator = reader(input)
    const results: Array<unknown> = []
    // with stopOnError false: each failure with its index, reported in input order (as p-map)
    const errors: Array<{ readonly index: number; readonly error: unknown }> = []
    let running = 0
    let index = 0
    let done = false
    let finished = false
    let reading = false
    const finish = (error?: { readonly error: unknown }) => {
      if (finished) return
      finished = true
      signal?.removeEventListener("abort", onAbort)
      if (error !== undefined) {
        closeQuietly(iterator)
        return reject(error.error)
      }
      if (errors.length > 0) {
        errors.sort((a, b) => a.index - b.index)
        return reject(new AggregateError(errors.map((e) => e.error), "map: some mappers failed"))
      }
      resolve(results.filter((r) => r !== mapSkip) as Array<Exclude<Awaited<B>, typeof mapSkip>>)
    }
    const onAbort = () => finish({ error: signal!.reason })
    if (signal !== undefined) {
      if (signal.aborted) return finish({ error: signal.reason })
      signal.addEventListener("abort", onAbort, { once: true })
    }
    const pull = (): void => {
      if (finished || done || reading || running >= concurrency) return
      reading = true
      iterator.next().then(async (step) => {
        reading = false
        if (finished) return
        if (step.done) {
          done = true
          if (running === 0) finish()
          return
        }
        const i = index++
        running++
        pull()
        try {
          const element = await step.value
          if (finished) return
          results[i] = await mapper(element as A, i)
        } catch (error) {
          if (stopOnError) return finish({ error })
          errors.push({ index: i, error })
          results[i] = mapSkip
        } finally {
          running--
        }
        if (done && running === 0) finish()
        else pull()
      }, (error) => {
        reading = false
        finish({ error })
      })
    }
    pull()
  })

/** @internal */
export const mapIterable = <A, B>(
  input: Source<A>,
  mapper: (element: A, index: number) => B | PromiseLike<B>,
  options: Concurrent.MapIterableOptions = {}
): AsyncIterableIterator<Exclude<Awaited<B>, typeof mapSkip>> => {
  const concurrency = checkConcurrency("mapIterable", options.concurrency ?? Infinity)
  const backpressure = options.backpressure ?? concurrency
  checkConcurrency("mapIterable backpressure", backpressure)
  if (backpressure < concurrency) {
    throw new TypeError(`mapIterable: Expected \`backpressure\` to be >= \`concurrency\`, actual ${backpressure}`)
  }
  checkMapper("mapIterable", mapper)
  checkInput("mapIterable", input)
  // the input's iterator is asked for at the first `next`, as p-map's
  let iterator: Reader<A> | undefined = undefined
  // results in input order: each a promise of { value } or { done }
  const pending: Array<Promise<{ readonly done: boolean; readonly value?: unknown }>> = []
  let running = 0
  /** The source has nothing more to give: exhausted, failed, or closed. */
  let sourceDone = false
  /** The stream has ended: its source ran out, a mapper or the source failed, or `return` was called. */
  let ended = false
  let index = 0
  let reading: Promise<void> | undefined = undefined
  const close = () => {
    if (iterator !== undefined && !sourceDone) closeQuietly(iterator)
    sourceDone = true
  }
  const fill = (): void => {
    if (ended) return
    iterator ??= reader(input)
    const source = iterator
    while (!sourceDone && reading === undefined && running < concurrency && pending.length < backpressure) {
      let settle!: (r: { readonly done: boolean; readonly value?: unknown }) => void
      let fail!: (e: unknown) => void
      const slot = new Promise<{ readonly done: boolean; readonly value?: unknown }>((res, rej) => {
        settle = res
        fail = rej
      })
      // a slot dropped when the stream ended early may still fail: never an unhandled rejection
      slot.then(undefined, () => {})
      pending.push(slot)
      running++
      reading = source.next().then(async (step) => {
        reading = undefined
        if (step.done) {
          sourceDone = true
          running--
          settle({ done: true })
          return
        }
        const i = index++
        fill()
        try {
          settle({ done: false, value: await mapper(await step.value as A, i) })
        } catch (error) {
          fail(error)
        } finally {
          running--
          fill()
        }
      }, (error) => {
        reading = undefined
        sourceDone = true
        running--
        fail(error)
      })
    }
  }
  const end = () => {
    ended = true
    pending.length = 0
  }
  const out: AsyncIterableIterator<Exclude<Awaited<B>, typeof mapSkip>> = {
    [Symbol.asyncIterator]: () => out,
    next: async () => {
      for (;;) {
        if (ended) return { done: true, value: undefined }
        fill()
        const head = pending.shift()
        if (head === undefined) {
          end()
          return { done: true, value: undefined }
        }
        let step: { readonly done: boolean; readonly value?: unknown }
        try {
          step = await head
        } catch (error) {
          // the stream ends at its first failure, and its source is closed (as p-map)
          end()
          close()
          throw error
        }
        if (step.done) {
          end()
          return { done: true, value: undefined }
        }
        fill()
        if (step.value === mapSkip) continue
        return { done: false, value: step.value as Exclude<Awaited<B>, typeof mapSkip> }
      }
    },
    return: async () => {
      end()
      close()
      return { done: true, value: undefined }
    }
  }
  return out
}
