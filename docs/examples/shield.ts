// #region example
import { Deadline } from "@taskscope/core"
import { Duration, Effect } from "effect"

const log: Array<string> = []

const commit = Effect.sleep("500 millis").pipe(
  Effect.andThen(() => log.push("committed"))
)

// A job under a 1-second deadline commits at 0.8 s. The commit is shielded:
// the deadline passes while it runs, but takes effect only once it is done,
// so there is never a half-written commit. (Trio's shielded cancel scope;
// `timeout` gives the shielded part a bound of its own.)
const job = Effect.gen(function*() {
  yield* Effect.sleep("800 millis") // work
  yield* Deadline.shield(commit, { timeout: "5 seconds" })
  log.push("more work") // never reached: the deadline has passed
  yield* Effect.sleep("1 second")
})

const program = job.pipe(
  Deadline.within("1 second"),
  Effect.catchTag(
    "TimeoutError",
    (e) =>
      Effect.sync(() => log.push(`timed out at ${Duration.format(e.elapsed)}`))
  ),
  Effect.as(log)
)

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → ["committed", "timed out at 1s 300ms"]
// #endregion example

export { program }
