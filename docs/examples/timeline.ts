// #region example
import { TaskGroup, Timeline } from "@taskscope/core"
import { Effect } from "effect"

// The classic exercise: 15 tasks of 100 ms, 5 at a time. The chart shows
// three batches; `Timeline.toSvg` draws the picture above from the same
// entries, and `toChromeTrace` writes a file Perfetto opens.
const recordTasks = Effect.gen(function*() {
  const timeline = yield* Timeline.make()
  yield* TaskGroup.scoped(
    (group) =>
      Effect.forEach(
        Array.from({ length: 15 }, (_, i) => i),
        (i) =>
          group.spawn(Effect.sleep("100 millis"), {
            name: `task ${String(i).padStart(2, "0")}`
          })
      ),
    { concurrency: 5, timeline }
  )
  return yield* timeline.entries
})

const program = recordTasks.pipe(
  Effect.map((entries) => Timeline.toAscii(entries, { width: 30 }))
)

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// Output:
// task 00 │██████████                    │ 100 ms
// task 01 │██████████                    │ 100 ms
// task 02 │██████████                    │ 100 ms
// task 03 │██████████                    │ 100 ms
// task 04 │██████████                    │ 100 ms
// task 05 │          ██████████          │ 100 ms
// task 06 │          ██████████          │ 100 ms
// task 07 │          ██████████          │ 100 ms
// task 08 │          ██████████          │ 100 ms
// task 09 │          ██████████          │ 100 ms
// task 10 │                    ██████████│ 100 ms
// task 11 │                    ██████████│ 100 ms
// task 12 │                    ██████████│ 100 ms
// task 13 │                    ██████████│ 100 ms
// task 14 │                    ██████████│ 100 ms
//         └──────────────────────────────┘
//          0 ms                    300 ms
// #endregion example

export { program, recordTasks as recorded }
