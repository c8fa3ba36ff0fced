import * as Deadline from "@taskscope/core/Deadline"
import * as Options from "@taskscope/core/Options"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type AsyncFn, checkFn, fromAsync } from "./bridge.js"
import { attempt, runPromise, runSync } from "./runtime.js"

/** A duration as the facade takes it: milliseconds, a Duration, a string like "5 seconds", or Infinity. */
const checkDuration = (subject: string, input: unknown): Duration.DurationInput => {
  const ms = Options.toMillis(input)
  if (ms === undefined || ms === -Infinity) {
    throw new TypeError(
      `${subject}: Expected a duration (milliseconds, a Duration, or a string like "5 seconds"; Infinity for none), actual ${
        typeof input === "string" ? JSON.stringify(input) : String(input)
      }`
    )
  }
  return input as Duration.DurationInput
}

/** @internal */
export const withTimeout = <A>(
  duration: Duration.DurationInput,
  fn: AsyncFn<A>,
  options?: { readonly signal?: AbortSignal | undefined }
): Promise<A> =>
  attempt(() => {
    const d = checkDuration("withTimeout", duration)
    checkFn("withTimeout", fn)
    return runPromise(Deadline.within(fromAsync(fn), d), options?.signal)
  })

/** @internal */
export const withDeadline = <A>(
  at: number | Date | DateTime.DateTime,
  fn: AsyncFn<A>,
  options?: { readonly signal?: AbortSignal | undefined }
): Promise<A> =>
  attempt(() => {
    const valid = typeof at === "number"
      ? !Number.isNaN(at)
      : at instanceof Date
      ? !Number.isNaN(at.getTime())
      : DateTime.isDateTime(at)
    if (!valid) {
      throw new TypeError(
        `withDeadline: Expected an instant (epoch milliseconds, a Date or a DateTime), actual ${String(at)}`
      )
    }
    checkFn("withDeadline", fn)
    return runPromise(Deadline.at(fromAsync(fn), at), options?.signal)
  })

/** @internal */
export const moveOnAfter = <A>(
  duration: Duration.DurationInput,
  fn: AsyncFn<A>,
  options?: { readonly signal?: AbortSignal | undefined }
): Promise<A | undefined> =>
  attempt(() => {
    const d = checkDuration("moveOnAfter", duration)
    checkFn("moveOnAfter", fn)
    return runPromise(Effect.map(Deadline.moveOnAfter(fromAsync(fn), d), Option.getOrUndefined), options?.signal)
  })

/** @internal */
export const remaining = (signal: AbortSignal | undefined): number | undefined =>
  Option.match(runSync(Deadline.remaining, signal), {
    onNone: () => undefined,
    onSome: (d) => Duration.toMillis(d)
  })

/** @internal */
export const deadlineOf = (signal: AbortSignal | undefined): number | undefined =>
  Option.getOrUndefined(runSync(Deadline.current, signal))
