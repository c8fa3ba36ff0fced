/**
 * Between async functions and Effect, both ways, with the guarantees of this package.
 *
 * - {@link toEffect} makes an async function an Effect: the Effect gives the function an
 *   `AbortSignal`, aborts it when the fiber is interrupted, and **waits** for the function to stop —
 *   unlike `Effect.tryPromise`, which stops waiting at once and leaves the promise running. What the
 *   function throws is the Effect's failure, as thrown.
 * - {@link runPromise} runs an Effect and hands its errors back as thrown (no `FiberFailure`). Given
 *   a signal that Taskscope handed to your function, the Effect runs as that function's child: it
 *   sees the same deadline and Clock, and the signal interrupts it.
 *
 * Code under test can run on Effect's `TestClock` this way: call it from a test's Effect through
 * `toEffect`, and every Taskscope call it makes with the signal it was given runs on the test's
 * clock — `TestClock.adjust` drives its timeouts, retries and rate limits without real waiting.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import { fromAsync } from "./internal/bridge.js"
import * as runtime from "./internal/runtime.js"

/**
 * An async function as an Effect that cancels it through its signal and awaits its cleanup.
 *
 * @example
 * ```ts
 * import { Deadline } from "@taskscope/core"
 * import { toEffect } from "@taskscope/promise"
 * import { Effect } from "effect"
 *
 * const page = toEffect((signal) => fetch("https://example.com", { signal }).then((r) => r.text()))
 * // on timeout: the request is aborted, and the TimeoutError comes once fetch has given up
 * const program = page.pipe(Deadline.within("5 seconds"), Effect.orElseSucceed(() => ""))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const toEffect: <A>(fn: (signal: AbortSignal) => A | PromiseLike<A>) => Effect.Effect<A, unknown> = fromAsync

/**
 * Runs an Effect as a Promise that resolves with its value or rejects with its error as it was
 * failed (several: an `AggregateError`), never a `FiberFailure`. Aborting `signal` interrupts it;
 * the promise then rejects with the signal's reason.
 *
 * @example
 * ```ts
 * import { runPromise } from "@taskscope/promise"
 * import { Data, Effect } from "effect"
 *
 * class NotFound extends Data.TaggedError("NotFound")<{ readonly id: number }> {}
 *
 * try {
 *   await runPromise(Effect.fail(new NotFound({ id: 7 })))
 * } catch (error) {
 *   console.log(error instanceof NotFound) // true
 * }
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const runPromise: <A, E>(
  effect: Effect.Effect<A, E>,
  options?: { readonly signal?: AbortSignal | undefined }
) => Promise<A> = (effect, options) => runtime.runPromise(effect, options?.signal)
