// #region example
import { Queue, TaskGroup } from "@taskscope/promise"

async function main() {
  const jobs = new Queue<number>({ capacity: 2 }) // put waits when full
  const done: Array<string> = []
  await TaskGroup.run(async (group) => {
    for (const worker of ["w1", "w2"]) {
      group.spawn(async () => {
        // each item is marked done when the loop moves on;
        // the loop ends when the queue is shut down and empty
        for await (const job of jobs) done.push(`${worker}: job ${job}`)
      })
    }
    for (const job of [1, 2, 3, 4, 5]) await jobs.put(job)
    await jobs.join() // every job has been processed
    jobs.shutdown()
  })
  return done.length
}

// ---cut-start---
// dprint-ignore
export const run = () =>
// ---cut-end---
main().then(console.log)
// → 5
// #endregion example

import { Effect } from "effect"
export const program = Effect.promise(main)

/** No timers; the real clock. */
export const runs = "live"
