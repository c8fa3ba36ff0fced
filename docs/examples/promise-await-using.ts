// #region example
import { TaskGroup } from "@taskscope/promise"
import { setTimeout as sleep } from "node:timers/promises"

async function main() {
  const log: Array<string> = []
  {
    await using group = TaskGroup.open({ concurrency: 2 })
    for (const n of [1, 2, 3, 4]) {
      group.spawn(async (signal) => {
        await sleep(n * 5, undefined, { signal })
        log.push(`${n}² = ${n * n}`)
      })
    }
    log.push("block done")
  } // leaving the block waits for every child, and throws the first failure
  log.push("all children done")
  return log
}

// ---cut-start---
// dprint-ignore
export const run = () =>
// ---cut-end---
main().then(console.log)
// → [
//     "block done",
//     "1² = 1",
//     "2² = 4",
//     "3² = 9",
//     "4² = 16",
//     "all children done"
//   ]
// #endregion example

import { Effect } from "effect"
export const program = Effect.promise(main)

/** Timers: the real clock (a few milliseconds). */
export const runs = "live"
