import * as Deadline from "@taskscope/core/Deadline"
import { TimeoutError } from "@taskscope/core/Errors"
import { Clock } from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberApi from "effect/Fiber"
import type * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import { CancelledError } from "../Errors.js"
import { CleanupFailure, currentSignal, linkSignal } from "./runtime.js"

/** A user's function: it gets an AbortSignal and returns a value or a promise. @internal */
export type AsyncFn<A> = (signal: AbortSignal) => A | PromiseLike<A>

/** @internal */
export const isThenable = (u: unknown): u is PromiseLike<unknown> =>
  (typeof u === "object" || typeof u === "function") && u !== null && typeof (u as any).then === "function"

const currentFiber = (): Fiber.RuntimeFiber<unknown, unknown> | undefined =>
  Option.getOrUndefined(FiberApi.getCurrentFiber())

/**
 * One call of a user's function from a fiber, and its state: the signal it gets (made when first
 * asked for, and linked to the fiber, so calls given it run as the fiber's children), the promise
 * it returned, and why it was aborted. Subclasses call their own function (`invoke`) and hear how
 * it ended (`finished`, `stopped`) — the Executor settles its promises there, with no wrapper.
 * @internal
 */
export abstract class Call<A = unknown> {
  controller: AbortController | undefined = undefined
  fiber: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined
  /** The effective deadline (epoch ms, Infinity for none) and when the call started. */
  deadline = Infinity
  // a double from the start, as the clock readings stored here are (no field migration in V8)
  startedAt = 0.5
  promise: PromiseLike<A> | undefined = undefined
  /** The signal was aborted: what the promise does now is how it stops. */
  stopping = false
  /** The promise rejected before any abort: that is the call's own failure. */
  failedFirst = false
  failure: unknown = undefined

  /** Calls the user's function. */
  abstract invoke(): A | PromiseLike<A>
  /** The function succeeded or failed on its own (not stopped). */
  finished(_ok: boolean, _value: unknown): void {}
  /** The call was stopped: its signal was aborted (if it ran) and it has settled; `failed` if it threw then. */
  stopped(_failed: boolean, _error: unknown): void {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController()
      if (this.fiber !== undefined) linkSignal(this.controller.signal, this.fiber)
    }
    return this.controller.signal
  }

  /** Why the fiber is being stopped: the caller's signal, the deadline, or a plain cancellation. */
  reason(): unknown {
    const fiber = this.fiber
    if (fiber === undefined) return new CancelledError()
    const outer = fiber.getFiberRef(currentSignal)
    if (outer?.aborted) return outer.reason
    if (this.deadline !== Infinity) {
      const now = Context.get(fiber.currentDefaultServices, Clock).unsafeCurrentTimeMillis()
      if (now >= this.deadline) {
        return new TimeoutError({
          deadline: this.deadline,
          elapsed: Duration.millis(Math.max(0, now - this.startedAt))
        })
      }
    }
    return new CancelledError()
  }

  abort(reason: unknown = this.reason()): void {
    const signal = this.signal
    if (!signal.aborted) this.controller!.abort(reason)
  }

  /** The function settled with `error` after its signal was aborted: did it just stop? */
  isAbort(error: unknown): boolean {
    const reason = this.controller?.signal.reason
    if (error === reason) return true
    let x: any = error
    for (let depth = 0; depth < 8 && typeof x === "object" && x !== null; depth++) {
      if (x === reason || x.name === "AbortError") return true
      x = x.cause
    }
    return false
  }

  /** Calls the function (from the fiber that runs the call) and reports how it settles. */
  run(resume: (effect: Effect.Effect<A, unknown>) => void): void {
    const fiber = currentFiber()
    this.fiber = fiber
    if (this.deadline !== Infinity && fiber !== undefined) {
      this.startedAt = Context.get(fiber.currentDefaultServices, Clock).unsafeCurrentTimeMillis()
    }
    let out: A | PromiseLike<A>
    try {
      out = this.invoke()
    } catch (error) {
      this.failedFirst = true
      this.failure = error
      this.finished(false, error)
      return resume(Effect.fail(error))
    }
    if (!isThenable(out)) {
      this.finished(true, out)
      return resume(Effect.succeed(out))
    }
    // a thenable that is not a promise is adopted as `await` adopts it: a `then` that throws, or
    // that calls back at once or with a promise, is a rejection or a value like any other
    const promise = out instanceof Promise ? out as Promise<A> : Promise.resolve(out)
    this.promise = promise
    promise.then((value) => {
      if (this.stopping) return
      this.finished(true, value)
      resume(Effect.succeed(value))
    }, (error) => {
      if (this.stopping) return
      this.failedFirst = true
      this.failure = error
      this.finished(false, error)
      resume(Effect.fail(error))
    })
  }

  /**
   * The fiber was interrupted: aborts the signal and waits until the function has settled. A
   * failure after the abort that is not the abort is kept (a failure while being stopped).
   */
  stop(): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      if (this.failedFirst) return resume(Effect.die(this.failure))
      const promise = this.promise
      this.stopping = true
      if (promise === undefined) {
        this.stopped(false, undefined)
        return resume(Effect.void)
      }
      this.abort()
      promise.then(() => {
        this.stopped(false, undefined)
        resume(Effect.void)
      }, (error) => {
        if (this.isAbort(error)) {
          this.stopped(false, undefined)
          resume(Effect.void)
        } else {
          this.stopped(true, error)
          resume(Effect.die(new CleanupFailure(error)))
        }
      })
    })
  }

  /** The call as an Effect: run it, and stop it if the fiber is interrupted. */
  effect(): Effect.Effect<A, unknown> {
    return Effect.onInterrupt(Effect.async<A, unknown>((resume) => this.run(resume)), () => this.stop())
  }
}

class FnCall<A> extends Call<A> {
  constructor(readonly f: (call: Call<A>) => A | PromiseLike<A>, deadline: number) {
    super()
    this.deadline = deadline
  }
  invoke(): A | PromiseLike<A> {
    return this.f(this)
  }
}

/**
 * An Effect that calls a user's function and waits for its promise. When the fiber is interrupted,
 * the function's signal is aborted and the fiber waits until the promise has settled — its
 * cleanup has run. If the function then fails with anything but the abort (a failure while being
 * stopped), that failure is kept beside the interruption. A value or error that comes after the
 * abort is not the call's outcome: the call was cancelled.
 * @internal
 */
export const fromCall = <A>(f: (call: Call<A>) => A | PromiseLike<A>): Effect.Effect<A, unknown> =>
  Effect.flatMap(Deadline.current, (deadline) => new FnCall(f, Option.getOrElse(deadline, () => Infinity)).effect())

/** {@link fromCall} for a function that takes the signal itself. @internal */
export const fromAsync = <A>(f: AsyncFn<A>): Effect.Effect<A, unknown> => fromCall((call) => f(call.signal))

const describeValue = (u: unknown): string =>
  isThenable(u) ?
    "a promise (it is already running and cannot be cancelled: pass the function that starts it)" :
    typeof u === "string" ?
    JSON.stringify(u) :
    String(u)

/**
 * The effects of a list of user functions; a list that is not of functions is a programmer error,
 * named after the function that was given it.
 * @internal
 */
export const fromAsyncAll = <A>(subject: string, fns: Iterable<AsyncFn<A>>): Array<Effect.Effect<A, unknown>> => {
  if (fns === null || typeof fns !== "object" || typeof (fns as any)[Symbol.iterator] !== "function") {
    throw new TypeError(
      `${subject}: Expected an array (or iterable) of functions (signal) => value or promise, actual ${
        describeValue(fns)
      }`
    )
  }
  const out: Array<Effect.Effect<A, unknown>> = []
  let i = 0
  for (const fn of fns) {
    if (typeof fn !== "function") {
      throw new TypeError(
        `${subject}: Expected a function (signal) => value or promise at index ${i}, actual ${describeValue(fn)}`
      )
    }
    out.push(fromAsync(fn))
    i++
  }
  return out
}

/** Checks one user function; a value that is not a function is a programmer error. @internal */
export const checkFn = (subject: string, fn: unknown, what = "a function (signal) => value or promise"): void => {
  if (typeof fn !== "function") throw new TypeError(`${subject}: Expected ${what}, actual ${describeValue(fn)}`)
}
