// #region example
import { limit, semaphore } from "@taskscope/promise"
import { setTimeout as sleep } from "node:timers/promises"

let running = 0
let peak = 0
const work = async (n: number) => {
  running++
  peak = Math.max(peak, running)
  await sleep(5)
  running--
  return n * 2
}

async function main() {
  // p-limit's surface: limit(fn, ...args)
  const twoAtATime = limit(2)
  const calls = [1, 2, 3, 4, 5].map((n) => twoAtATime(work, n))
  const doubled = await Promise.all(calls)
  const limitPeak = peak
  // a semaphore: run(fn) holds a permit while fn runs; stats say who waits
  const db = semaphore(1, { name: "db" })
  const slow = db.run((signal) => sleep(20, "done", { signal }))
  const next = db.run(async () => "next")
  const waiting = db.stats.waiters.map((w) => w.reason)
  return { doubled, limitPeak, waiting, db: await Promise.all([slow, next]) }
}

// ---cut-start---
// dprint-ignore
export const run = () =>
// ---cut-end---
main().then(console.log)
// → {
//     doubled: [2, 4, 6, 8, 10],
//     limitPeak: 2,
//     waiting: ["concurrency"],
//     db: ["done", "next"]
//   }
// #endregion example

import { Effect } from "effect"
export const program = Effect.promise(main)

/** Timers: the real clock (a few milliseconds). */
export const runs = "live"
