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

/** One reader over a sync or async iterable: `next` is never called twice at once. */
const reader = <A>(subject: string, input: Source<A>) => {
  if (input !== null && typeof input === "object" && Symbol.asyncIterator in input) {
    return (input as AsyncIterable<A>)[Symbol.asyncIterator]()
  }
  if (input === null || input === undefined || typeof (input as any)[Symbol.iterator] !== "function") {
    throw new TypeError(`${subject}: Expected an iterable or async iterable input, actual ${String(input)}`)
  }
  const iterator = (input as Iterable<A | PromiseLike<A>>)[Symbol.iterator]()
  return {
    next: () => Promise.resolve(iterator.next()),
    return: () => Promise.resolve(iterator.return?.() ?? { done: true, value: undefined })
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
    const iterator = reader("map", input)
    const results: Array<unknown> = []
    const errors: Array<unknown> = []
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
        void iterator.return?.()
        return reject(error.error)
      }
      if (errors.length > 0) return reject(new AggregateError(errors, "map: some mappers failed"))
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
          errors.push(error)
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
  const iterator = reader("mapIterable", input)
  // results in input order: each a promise of { value } or { done }
  const pending: Array<Promise<{ readonly done: boolean; readonly value?: unknown }>> = []
  let running = 0
  let done = false
  let index = 0
  let reading: Promise<void> | undefined = undefined
  const fill = (): void => {
    while (!done && reading === undefined && running < concurrency && pending.length < backpressure) {
      let settle!: (r: { readonly done: boolean; readonly value?: unknown }) => void
      let fail!: (e: unknown) => void
      pending.push(
        new Promise((res, rej) => {
          settle = res
          fail = rej
        })
      )
      running++
      reading = iterator.next().then(async (step) => {
        reading = undefined
        if (step.done) {
          done = true
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
        done = true
        running--
        fail(error)
      })
    }
  }
  const out: AsyncIterableIterator<Exclude<Awaited<B>, typeof mapSkip>> = {
    [Symbol.asyncIterator]: () => out,
    next: async () => {
      for (;;) {
        fill()
        const head = pending.shift()
        if (head === undefined) return { done: true, value: undefined }
        const step = await head
        fill()
        if (step.done) {
          pending.length = 0
          return { done: true, value: undefined }
        }
        if (step.value === mapSkip) continue
        return { done: false, value: step.value as Exclude<Awaited<B>, typeof mapSkip> }
      }
    },
    return: async () => {
      done = true
      pending.length = 0
      await iterator.return?.()
      return { done: true, value: undefined }
    }
  }
  return out
}
