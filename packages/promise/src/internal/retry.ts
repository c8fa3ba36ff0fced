import * as Retry from "@taskscope/core/Retry"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import type * as PromiseRetry from "../Retry.js"
import { checkFn, fromCall } from "./bridge.js"
import { attempt, runPromise } from "./runtime.js"

/** @internal */
export const retry = <A, E = unknown>(
  fn: (signal: AbortSignal, attempt: number) => A | PromiseLike<A>,
  options?: PromiseRetry.Options<E>
): Promise<A> =>
  attempt(() => {
    checkFn("retry", fn, "a function (signal, attempt) => value or promise")
    const { signal, ...policy } = options ?? {}
    let attempts = 0
    return runPromise(
      Retry.retry(fromCall((call) => fn(call.signal, ++attempts)), policy as Retry.Policy<unknown>),
      signal
    )
  })

/** @internal */
export const parseRetryAfter = (header: string | null | undefined, now?: number): number | undefined => {
  if (typeof header !== "string") return undefined
  return Option.match(Retry.parseRetryAfter(header, now), { onNone: () => undefined, onSome: Duration.toMillis })
}
