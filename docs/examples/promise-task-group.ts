// #region example
import { TaskGroup } from "@taskscope/promise"
import { setTimeout as sleep } from "node:timers/promises"

const log: Array<string> = []

// A request that honours its signal, as fetch does.
const request = async (name: string, ms: number, signal: AbortSignal) => {
  try {
    await sleep(ms, undefined, { signal })
    if (name === "a") throw new Error(`${name} failed`)
    log.push(`${name} answered`)
  } finally {
    log.push(`${name} cleaned up`)
  }
}

async function main() {
  try {
    await TaskGroup.run((group) => {
      group.spawn((signal) => request("a", 10, signal))
      group.spawn((signal) => request("b", 1_000, signal))
    })
  } catch (error) {
    log.push(`caller saw: ${(error as Error).message}`)
  }
  log.push("caller moved on")
  return log
}

// ---cut-start---
// dprint-ignore
export const run = () =>
// ---cut-end---
main().then(console.log)
// → [
//     "a cleaned up",
//     "b cleaned up",
//     "caller saw: a failed",
//     "caller moved on"
//   ]
// #endregion example

import { Effect } from "effect"
export const program = Effect.promise(main)

/** Promises and timers: the real clock (the failure comes after 10 ms). */
export const runs = "live"
