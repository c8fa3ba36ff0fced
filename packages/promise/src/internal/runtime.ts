import type * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import { CancelledError, SuppressedError } from "../Errors.js"

/**
 * The caller's signal of the Promise-API call a fiber runs for. A child cancelled because that
 * signal was aborted gets the same reason on its own signal.
 * @internal
 */
export const currentSignal: FiberRef.FiberRef<AbortSignal | undefined> = globalValue(
  Symbol.for("@taskscope/promise/currentSignal"),
  () => FiberRef.unsafeMake<AbortSignal | undefined>(undefined)
)

/**
 * Every signal handed to a user's function, with the fiber that handed it out. A call that is given
 * one of these signals runs as a child of that fiber: it sees the same deadline (so an inner
 * deadline never extends an outer one and retries never sleep past it), the same Clock (a
 * `TestClock` in tests), the same task (`Task.current`, retry attempts).
 */
const owners = new WeakMap<AbortSignal, Fiber.RuntimeFiber<unknown, unknown> | Runtime.Runtime<never>>()

/** @internal */
export const linkSignal = (signal: AbortSignal, owner: Fiber.RuntimeFiber<unknown, unknown>): void => {
  owners.set(signal, owner)
}

/** @internal */
export const linkRuntime = (signal: AbortSignal, runtime: Runtime.Runtime<never>): void => {
  owners.set(signal, runtime)
}

const isRuntime = (u: Fiber.RuntimeFiber<unknown, unknown> | Runtime.Runtime<never>): u is Runtime.Runtime<never> =>
  "fiberRefs" in u && "runtimeFlags" in u && "context" in u

/** The runtime a call given `signal` runs on: its owner's, or the shared default one. @internal */
export const runtimeFor = (signal: AbortSignal | undefined): Runtime.Runtime<never> => {
  if (signal === undefined) return Runtime.defaultRuntime
  const owner = owners.get(signal)
  if (owner === undefined) return Runtime.defaultRuntime
  if (isRuntime(owner)) return owner
  const runtime = Runtime.make({
    context: owner.currentContext,
    fiberRefs: owner.getFiberRefs(),
    runtimeFlags: Runtime.defaultRuntimeFlags
  })
  owners.set(signal, runtime)
  return runtime
}

/**
 * The runtime an object made now (a limiter, a queue, an executor, a group opened for a block)
 * lives on: the one `signal` belongs to; else, when it is made while an Effect runs (in a test,
 * or in the synchronous part of a function Taskscope called), that Effect's — its Clock and
 * services; else the shared default one.
 * @internal
 */
export const runtimeHere = (signal?: AbortSignal): Runtime.Runtime<never> => {
  if (signal !== undefined && owners.has(signal)) return runtimeFor(signal)
  const fiber = Option.getOrUndefined(Fiber.getCurrentFiber())
  if (fiber === undefined) return Runtime.defaultRuntime
  return Runtime.make({
    context: fiber.currentContext,
    fiberRefs: fiber.getFiberRefs(),
    runtimeFlags: Runtime.defaultRuntimeFlags
  })
}

/**
 * A failure of a child after its signal was aborted: it failed while it was being cancelled. Kept
 * as a defect beside the interruption, and told apart from the failure that caused the
 * cancellation when the errors are handed back.
 * @internal
 */
export class CleanupFailure {
  constructor(readonly error: unknown) {}
}

const FiberFailureCauseId = Symbol.for("effect/Runtime/FiberFailure/Cause")
const InvalidArgumentKey = Symbol.for("@taskscope/core/InvalidArgument")

/**
 * A bad argument to one of the core's functions (its `IllegalArgumentException`, marked) as
 * JavaScript throws one: a `TypeError` with the same message. A defect of the caller's own code
 * stays as it was thrown.
 * @internal
 */
export const asTypeError = (defect: unknown): unknown =>
  typeof defect === "object" && defect !== null && InvalidArgumentKey in defect
    ? new TypeError((defect as unknown as Error).message)
    : defect

interface Errors {
  /** The failures and defects: what the work failed with. */
  readonly primary: Array<unknown>
  /** What failed while being cancelled. */
  readonly cleanup: Array<unknown>
}

/** Collects the errors of a cause in order into `into`; returns whether it holds an interruption. */
const collect = (cause: Cause.Cause<unknown>, errors: Errors, into: Array<unknown>): boolean => {
  switch (cause._tag) {
    case "Empty":
      return false
    case "Fail":
      add(cause.error, errors, into)
      return false
    case "Die":
      if (cause.defect instanceof CleanupFailure) add(cause.defect.error, errors, errors.cleanup)
      else add(asTypeError(cause.defect), errors, into)
      return false
    case "Interrupt":
      return true
    default: {
      const left = collect(cause.left, errors, into)
      const right = collect(cause.right, errors, into)
      return left || right
    }
  }
}

/** Adds an error once; an Effect `FiberFailure` (an Effect run with `Effect.runPromise`) is unwrapped. */
const add = (error: unknown, errors: Errors, into: Array<unknown>): void => {
  if (typeof error === "object" && error !== null && FiberFailureCauseId in error) {
    collect((error as { readonly [FiberFailureCauseId]: Cause.Cause<unknown> })[FiberFailureCauseId], errors, into)
    return
  }
  if (!errors.primary.includes(error) && !errors.cleanup.includes(error)) into.push(error)
}

const describe = (error: unknown): string => error instanceof Error ? error.message || error.name : String(error)

const gather = (errors: Array<unknown>): unknown =>
  errors.length === 1
    ? errors[0]
    : new AggregateError(errors, `${errors.length} errors: ${errors.map(describe).join("; ")}`)

/**
 * What a failed run rejects with: the error as it was thrown; several failures as an
 * `AggregateError`; failures during cancellation as a `SuppressedError` beside what the work was
 * stopped for; a run stopped by the caller's signal with its reason.
 * @internal
 */
export const toThrown = (cause: Cause.Cause<unknown>, signal: AbortSignal | undefined): unknown => {
  const errors: Errors = { primary: [], cleanup: [] }
  const interrupted = collect(cause, errors, errors.primary)
  const { cleanup, primary } = errors
  if (primary.length === 0) {
    if (interrupted) primary.push(signal?.aborted ? signal.reason : new CancelledError())
    else if (cleanup.length > 0) return gather(cleanup)
    else return new CancelledError()
  }
  const main = gather(primary)
  if (cleanup.length === 0) return main
  const error = gather(cleanup)
  return new SuppressedError(error, main, `${describe(error)} (while stopping: ${describe(main)})`)
}

/**
 * Runs `effect` and calls `onExit` when it ends. With a `signal`: runs on the runtime the signal
 * belongs to (see `runtimeFor`), is interrupted when the signal aborts, and children it cancels for
 * that reason get the signal's reason.
 * @internal
 */
export const runFork = <A, E>(
  effect: Effect.Effect<A, E>,
  signal: AbortSignal | undefined,
  onExit: (exit: Exit.Exit<A, E>) => void
): Fiber.RuntimeFiber<A, E> => {
  const runtime = runtimeFor(signal)
  if (signal === undefined) {
    const fiber = Runtime.runFork(runtime)(effect)
    fiber.addObserver(onExit)
    return fiber
  }
  const fiber = Runtime.runFork(runtime)(Effect.locally(effect, currentSignal, signal))
  const onAbort = () => fiber.unsafeInterruptAsFork(fiber.id())
  signal.addEventListener("abort", onAbort)
  fiber.addObserver((exit) => {
    signal.removeEventListener("abort", onAbort)
    onExit(exit)
  })
  // aborted while it ran its first slice (before the listener was there)
  if (signal.aborted) onAbort()
  return fiber
}

/**
 * Runs `effect` as a Promise: its value, or what it failed with as thrown (see `toThrown`). A
 * signal that is already aborted rejects at once with its reason; nothing runs.
 * @internal
 */
export const runPromise = <A, E>(effect: Effect.Effect<A, E>, signal?: AbortSignal): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    runFork(effect, signal, (exit) => {
      if (Exit.isSuccess(exit)) resolve(exit.value)
      else reject(toThrown(exit.cause, signal))
    })
  })

/**
 * Runs an effect that does not suspend (creating, spawning, reading state) and returns its value,
 * or throws what it failed with as thrown.
 * @internal
 */
export const runSync = <A, E>(
  effect: Effect.Effect<A, E>,
  signal?: AbortSignal,
  runtime: Runtime.Runtime<never> = runtimeFor(signal)
): A => {
  const exit = Runtime.runSyncExit(runtime)(effect)
  if (Exit.isSuccess(exit)) return exit.value
  throw toThrown(exit.cause, signal)
}

/** Runs `make()`; a programmer error it throws (a bad argument) rejects the promise instead. @internal */
export const attempt = <A>(make: () => Promise<A>): Promise<A> => {
  try {
    return make()
  } catch (error) {
    return Promise.reject(error)
  }
}
