/**
 * What p-queue's and p-limit's own test files import beside the library and their runner, for the
 * ports of those files (pqueue-own.test.ts, plimit-own.test.ts): the few small dev-only packages
 * (delay, p-defer, time-span, random-int, in-range) — which this workspace does not install — each
 * with the behaviour the tests rely on, and an adapter from ava's `t` to vitest's `expect`.
 */
import { expect } from "@effect/vitest"

/** `delay` (sindresorhus/delay): resolves after `ms` milliseconds of real time. */
export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** `p-defer`: a promise and the functions that settle it. */
export const pDefer = <T = void>() => {
  let resolve!: (value: T | PromiseLike<T>) => void
  let reject!: (reason?: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** `time-span`: a function that returns the milliseconds elapsed since `timeSpan()` was called. */
export const timeSpan = () => {
  const start = performance.now()
  return () => performance.now() - start
}

/** `random-int`: an integer in [min, max]. */
export const randomInt = (min: number, max: number): number => Math.floor(min + Math.random() * (max - min + 1))

/** `in-range`: whether `value` is in [start, end]. */
export const inRange = (value: number, { end, start }: { readonly start: number; readonly end: number }): boolean =>
  value >= Math.min(start, end) && value <= Math.max(start, end)

/** What ava's `t.throws`/`t.throwsAsync` take as the expectation. */
interface Expectation {
  readonly is?: unknown
  readonly name?: string
  readonly message?: string | RegExp
  readonly instanceOf?: abstract new(...args: Array<any>) => unknown
}

const check = (error: unknown, expectation: Expectation | undefined) => {
  if (expectation === undefined) return
  if ("is" in expectation) expect(error).toBe(expectation.is)
  if (expectation.name !== undefined) expect((error as Error).name).toBe(expectation.name)
  if (typeof expectation.message === "string") expect((error as Error).message).toBe(expectation.message)
  if (expectation.message instanceof RegExp) expect((error as Error).message).toMatch(expectation.message)
  if (expectation.instanceOf !== undefined) expect(error).toBeInstanceOf(expectation.instanceOf)
}

/** ava's execution context `t`, the assertions p-limit's test.js uses, on vitest's `expect`. */
export const ava = () => ({
  is: (actual: unknown, expected: unknown) => expect(actual).toBe(expected),
  deepEqual: (actual: unknown, expected: unknown) => expect(actual).toEqual(expected),
  true: (actual: unknown) => expect(actual).toBe(true),
  false: (actual: unknown) => expect(actual).toBe(false),
  fail: (message?: string): never => {
    throw new Error(message ?? "t.fail()")
  },
  throws: (fn: () => unknown, expectation?: Expectation): unknown => {
    let thrown = false
    let error: unknown
    try {
      fn()
    } catch (caught) {
      thrown = true
      error = caught
    }
    expect(thrown, "expected the function to throw").toBe(true)
    check(error, expectation)
    return error
  },
  throwsAsync: async (promise: PromiseLike<unknown>, expectation?: Expectation): Promise<unknown> => {
    let thrown = false
    let error: unknown
    try {
      await promise
    } catch (caught) {
      thrown = true
      error = caught
    }
    expect(thrown, "expected the promise to reject").toBe(true)
    check(error, expectation)
    return error
  },
  notThrowsAsync: async (fn: (() => PromiseLike<unknown>) | PromiseLike<unknown>): Promise<void> => {
    await (typeof fn === "function" ? fn() : fn)
  }
})

export type Ava = ReturnType<typeof ava>

/**
 * ava's and node:test's reading of a rejection nobody handles: a rejection handled later (an
 * `await t.throwsAsync(promise)` after another await) is no failure, one never handled by the end
 * of the file is. vitest reports the first kind too, as an error of the run; so for the ported
 * files the process's `unhandledRejection` listeners are set aside (`install`, in a `beforeAll`),
 * and `check` (in the `afterAll`) puts them back and fails with what was never handled.
 */
export const rejectionTracker = () => {
  const pending = new Map<Promise<unknown>, unknown>()
  let saved: Array<NodeJS.UnhandledRejectionListener> = []
  const onUnhandled = (reason: unknown, promise: Promise<unknown>) => pending.set(promise, reason)
  const onHandled = (promise: Promise<unknown>) => pending.delete(promise)
  return {
    install: () => {
      saved = process.listeners("unhandledRejection")
      process.removeAllListeners("unhandledRejection")
      process.on("unhandledRejection", onUnhandled)
      process.on("rejectionHandled", onHandled)
    },
    check: async () => {
      await new Promise((resolve) => setImmediate(resolve))
      process.off("unhandledRejection", onUnhandled)
      process.off("rejectionHandled", onHandled)
      for (const listener of saved) process.on("unhandledRejection", listener)
      const reasons = [...pending.values()]
      pending.clear()
      expect(reasons.map(String), "rejections never handled").toEqual([])
    }
  }
}
