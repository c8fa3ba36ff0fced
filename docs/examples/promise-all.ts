// #region example
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const log: Array<string> = []

const request = async (name: string, ms: number, fails = false) => {
  try {
    await sleep(ms)
    if (fails) throw new Error(`${name} failed`)
    log.push(`${name} answered`)
  } finally {
    log.push(`${name} cleaned up`)
  }
}

async function main() {
  try {
    await Promise.all([request("a", 100, true), request("b", 300)])
  } catch (error) {
    log.push(`caller saw: ${(error as Error).message}`)
  }
  log.push("caller moved on")
  await sleep(400) // long enough to watch "b" go on without its caller
  return log
}

// ---cut-start---
// dprint-ignore
export const run = () =>
// ---cut-end---
main().then(console.log)
// → [
//     "a cleaned up",
//     "caller saw: a failed",
//     "caller moved on",
//     "b answered",
//     "b cleaned up"
//   ]
// #endregion example

import { Effect } from "effect"
export const program = Effect.promise(main)

/** Promises and setTimeout: the real clock. */
export const runs = "live"
