import * as Deadline from "@taskscope/core/Deadline"
import { TimeoutError } from "@taskscope/core/Errors"
import { Clock } from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import { CancelledError } from "../Errors.js"
import { CleanupFailure, currentSignal, linkSignal } from "./runtime.js"

/** A user's function: it gets an AbortSignal and returns a value or a promise. @internal */
export type AsyncFn<A> = (signal: AbortSignal) => A | PromiseLike<A>

/** @internal */
export const isThenable = (u: unknown): u is PromiseLike<unknown> =>
  (typeof u === "object" || typeof u === "function") && u !== null && typeof (u as any).then === "function"

/**
 * One call of a user's function from a fiber: the signal it gets (made when first asked for, and
 * linked to the fiber, so calls given it run as the fiber's children) and why it was aborted.
 * @internal
 */
export class Call {
  controller: AbortController | undefined = undefined
  constructor(
    readonly fiber: Fiber.RuntimeFiber<unknown, unknown>,
    /** The effective deadline when the call started (epoch ms, Infinity for none). */
    readonly deadline: number,
    readonly startedAt: number
  ) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController()
      linkSignal(this.controller.signal, this.fiber)
    }
    return this.controller.signal
  }

  /** Why the fiber is being stopped: the caller's signal, the deadline, or a plain cancellation. */
  reason(): unknown {
    const outer = this.fiber.getFiberRef(currentSignal)
    if (outer?.aborted) return outer.reason
    if (this.deadline !== Infinity) {
      const now = Context.get(this.fiber.currentDefaultServices, Clock).unsafeCurrentTimeMillis()
      if (now >= this.deadline) {
        return new TimeoutError({ deadline: this.deadline, elapsed: Duration.millis(Math.max(0, now - this.startedAt)) })
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
}

/**
 * An Effect that calls a user's function and waits for its promise. When the fiber is interrupted,
 * the function's signal is aborted and the fiber waits until the promise has settled — its
 * cleanup has run. If the function then fails with anything but the abort (a failure while being
 * stopped), that failure is kept beside the interruption. A value or error that comes after the
 * abort is not the call's outcome: the call was cancelled.
 * @internal
 */
export const fromCall = <A>(f: (call: Call) => A | PromiseLike<A>): Effect.Effect<A, unknown> =>
  Effect.flatMap(Deadline.current, (deadline) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.withFiberRuntime<A, unknown>((fiber) => {
        const clock = Context.get(fiber.currentDefaultServices, Clock)
        const call = new Call(
          fiber as Fiber.RuntimeFiber<unknown, unknown>,
          Option.getOrElse(deadline, () => Infinity),
          clock.unsafeCurrentTimeMillis()
        )
        let out: A | PromiseLike<A>
        try {
          out = f(call)
        } catch (error) {
          return Effect.fail(error)
        }
        if (!isThenable(out)) return Effect.succeed(out)
        const promise = out
        // how the promise settled before any abort: a failure then is the call's own, not a cleanup failure
        let stopping = false
        let failedFirst = false
        let failure: unknown = undefined
        const settled = Effect.async<A, unknown>((resume) => {
          promise.then((value) => resume(Effect.succeed(value)), (error) => {
            if (!stopping) {
              failedFirst = true
              failure = error
            }
            resume(Effect.fail(error))
          })
        })
        return Effect.onInterrupt(restore(settled), () =>
          Effect.async<void>((resume) => {
            if (failedFirst) return resume(Effect.die(failure))
            stopping = true
            call.abort()
            promise.then(
              () => resume(Effect.void),
              (error) => resume(call.isAbort(error) ? Effect.void : Effect.die(new CleanupFailure(error)))
            )
          }))
      })
    ))

/** {@link fromCall} for a function that takes the signal itself. @internal */
export const fromAsync = <A>(f: AsyncFn<A>): Effect.Effect<A, unknown> => fromCall((call) => f(call.signal))

const describeValue = (u: unknown): string =>
  isThenable(u) ? "a promise (it is already running and cannot be cancelled: pass the function that starts it)" :
  typeof u === "string" ? JSON.stringify(u) :
  String(u)

/**
 * The effects of a list of user functions; a list that is not of functions is a programmer error,
 * named after the function that was given it.
 * @internal
 */
export const fromAsyncAll = <A>(subject: string, fns: Iterable<AsyncFn<A>>): Array<Effect.Effect<A, unknown>> => {
  if (fns === null || typeof fns !== "object" || typeof (fns as any)[Symbol.iterator] !== "function") {
    throw new TypeError(`${subject}: Expected an array (or iterable) of functions (signal) => value or promise, actual ${describeValue(fns)}`)
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
