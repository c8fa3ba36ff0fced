// #region example
import { asCompleted, gather, settle } from "@taskscope/promise"
import { setTimeout as sleep } from "node:timers/promises"

class NotFound extends Error {
  constructor(readonly id: number) {
    super(`user ${id} not found`)
  }
}

const lookup = async (id: number) => {
  if (id === 3) throw new NotFound(id)
  return `user ${id}`
}

async function main() {
  // functions, not promises: each gets a signal and can be stopped
  const users = await gather([1, 2].map((id) => () => lookup(id)))
  const outcomes = await settle([1, 3].map((id) => () => lookup(id)))
  let missing: number | undefined
  try {
    await gather([3, 1].map((id) => () => lookup(id)))
  } catch (error) {
    if (error instanceof NotFound) missing = error.id // as thrown
  }
  const order: Array<string> = []
  const mirrors = [
    (signal: AbortSignal) => sleep(50, "slow", { signal }),
    (signal: AbortSignal) => sleep(5, "fast", { signal })
  ]
  for await (const body of asCompleted(mirrors)) order.push(body)
  return { users, outcomes: outcomes.map((o) => o.status), missing, order }
}

// ---cut-start---
// dprint-ignore
export const run = () =>
// ---cut-end---
main().then(console.log)
// → {
//     users: ["user 1", "user 2"],
//     outcomes: ["fulfilled", "rejected"],
//     missing: 3,
//     order: ["fast", "slow"]
//   }
// #endregion example

import { Effect } from "effect"
export const program = Effect.promise(main)

/** Timers: the real clock (50 ms). */
export const runs = "live"
