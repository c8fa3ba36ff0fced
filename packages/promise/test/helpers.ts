/** Test helpers for the Promise API: no wall-clock sleeps, only turns of the event loop. */

/** Rejects with the signal's reason once it aborts, like any well-behaved async API. */
export const untilAborted = (signal: AbortSignal): Promise<never> =>
  new Promise<never>((_, reject) => {
    if (signal.aborted) return reject(signal.reason)
    signal.addEventListener("abort", () => reject(signal.reason), { once: true })
  })

/** One full turn of the event loop: every promise that settles through microtasks has settled. */
export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** `turns` turns of the event loop. */
export const ticks = async (turns: number): Promise<void> => {
  for (let i = 0; i < turns; i++) await tick()
}

/** Where a promise is after a turn of the event loop: "fulfilled", "rejected" or still "pending". */
export const stateOf = async (promise: PromiseLike<unknown>): Promise<"fulfilled" | "rejected" | "pending"> => {
  let state: "fulfilled" | "rejected" | "pending" = "pending"
  Promise.resolve(promise).then(() => (state = "fulfilled"), () => (state = "rejected"))
  await tick()
  return state
}

/** The error a promise rejects with (fails the test if it fulfils). */
export const rejection = async (promise: PromiseLike<unknown>): Promise<unknown> => {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error("expected the promise to reject")
}

/** A deferred: a promise and its resolvers. */
export const deferred = <A = void>() => {
  let resolve!: (value: A) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<A>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/**
 * Collects the unhandled rejections of the process while `body` runs (and a few turns after it),
 * for tests that assert there are none.
 */
export const unhandledRejections = async (body: () => Promise<void>): Promise<Array<unknown>> => {
  const seen: Array<unknown> = []
  const listener = (reason: unknown) => {
    seen.push(reason)
  }
  process.on("unhandledRejection", listener)
  try {
    await body()
    await ticks(5)
  } finally {
    process.off("unhandledRejection", listener)
  }
  return seen
}

/** An error class with a field, to check that errors come back as they were thrown. */
export class RateLimitError extends Error {
  override readonly name = "RateLimitError"
  constructor(readonly retryAfter: number) {
    super(`rate limited, retry after ${retryAfter}s`)
  }
}
