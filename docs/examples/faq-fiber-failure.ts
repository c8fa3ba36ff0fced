// #region example
import { Deadline } from "@taskscope/core"
import { Cause, Effect, Exit, Option, Runtime } from "effect"

const fetchPrice = Effect.never.pipe(Deadline.within(0)) // times out at once

async function main() {
  // runPromise rejects with a FiberFailure: an Error around the whole Cause
  const rejected = await Effect.runPromise(fetchPrice).catch((error) => error)
  const wrapped = Runtime.isFiberFailure(rejected)
    ? Cause.squash(rejected[Runtime.FiberFailureCauseId])
    : rejected
  // runPromiseExit hands over the Exit instead: nothing to unwrap
  const exit = await Effect.runPromiseExit(fetchPrice)
  const failure = Exit.isFailure(exit)
    ? Option.getOrUndefined(Cause.failureOption(exit.cause))
    : undefined
  return {
    isFiberFailure: Runtime.isFiberFailure(rejected),
    insideIt: (wrapped as { _tag?: string })._tag,
    fromTheExit: failure?._tag
  }
}

// ---cut-start---
// dprint-ignore
export const run = () =>
// ---cut-end---
main().then(console.log)
// → {
//     isFiberFailure: true,
//     insideIt: "TimeoutError",
//     fromTheExit: "TimeoutError"
//   }
// #endregion example

export const program = Effect.promise(main)

/** runPromise: the default runtime's real clock (a deadline of 0: no wait). */
export const runs = "live"
