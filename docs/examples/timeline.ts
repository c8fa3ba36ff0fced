import { TaskGroup, Timeline } from "@taskscope/core"
import { Effect } from "effect"

// The seeds' exercise: 50 tasks, 5 at a time — the chart shows the ten batches.
export const program = Effect.gen(function*() {
  const timeline = yield* Timeline.make()
  yield* TaskGroup.scoped(
    (group) =>
      Effect.forEach(
        Array.from({ length: 50 }, (_, i) => i),
        (i) => group.spawn(Effect.sleep("100 millis"), { name: `task ${String(i).padStart(2, "0")}` })
      ),
    { concurrency: 5, timeline }
  )
  const entries = yield* timeline.entries
  return {
    batches: new Set(entries.map((e) => e.startedAt)).size,
    chart: Timeline.toAscii(entries.slice(0, 12), { width: 40 })
  }
})

export const expected = undefined
