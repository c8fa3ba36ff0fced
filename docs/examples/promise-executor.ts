// #region example
// was: import PQueue from "p-queue"
import { Executor as PQueue, TimeoutError } from "@taskscope/promise"
import { setTimeout as sleep } from "node:timers/promises"

async function main() {
  const queue = new PQueue({ concurrency: 1, autoStart: false })
  const order: Array<string> = []
  queue.on("completed", (name: string) => order.push(name))
  queue.add(async () => "low", { priority: 0 })
  queue.add(async () => "high", { priority: 10 }) // higher runs first
  queue.start()
  await queue.onIdle()
  // a timeout aborts the task's signal; add rejects once the task stopped
  let stopped = false
  const slow = queue.add(async ({ signal }) => {
    try {
      await sleep(60_000, undefined, { signal })
    } finally {
      stopped = true
    }
  }, { timeout: 20 })
  const timedOut = await slow.catch((e) => e instanceof TimeoutError)
  return { order, timedOut, stopped }
}

// ---cut-start---
// dprint-ignore
export const run = () =>
// ---cut-end---
main().then(console.log)
// → { order: ["high", "low"], timedOut: true, stopped: true }
// #endregion example

import { Effect } from "effect"
export const program = Effect.promise(main)

/** Timers: the real clock (a 20 ms timeout). */
export const runs = "live"
