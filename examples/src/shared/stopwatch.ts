// The examples print what happens and when, as the Python programs they translate do with
// `time.perf_counter()`: every line starts with the seconds since the program began.
import { Clock, Console, Effect } from "effect"

/** A `print` that stamps each line with the time since `stopwatch` was run, e.g. `[ 1.0s] done`. */
export const stopwatch: Effect.Effect<(line: string) => Effect.Effect<void>> = Effect.map(
  Clock.currentTimeMillis,
  (start) => (line) =>
    Effect.flatMap(
      Clock.currentTimeMillis,
      (now) => Console.log(`[${((now - start) / 1000).toFixed(1).padStart(4)}s] ${line}`)
    )
)
