// #region example
import { Limiter, TaskGroup } from "@taskscope/core"
import { Effect } from "effect"

// A limiter per host, made on first use and evicted once idle: each host
// gets 2 requests at a time, and one slow host does not hold up the others.
const program = Effect.gen(function*() {
  const hosts = yield* Limiter.keyed((host: string) => ({
    name: host,
    concurrency: 2
  }))
  const started: Array<string> = []
  const get = (host: string, path: string) =>
    hosts.withPermit(
      host,
      Effect.sync(() => started.push(`${host}${path}`)).pipe(
        Effect.zipRight(Effect.sleep("1 second"))
      )
    )
  yield* TaskGroup.scoped((group) =>
    Effect.gen(function*() {
      for (const path of ["/a", "/b", "/c"]) {
        yield* group.spawn(get("slow.example", path))
      }
      yield* group.spawn(get("fast.example", "/a"))
      yield* Effect.sleep("10 millis")
      // "slow.example/c" is still waiting for one of its host's 2 slots
      started.push(`live limiters: ${yield* hosts.size}`)
    })
  )
  return started
})

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → [
//     "slow.example/a",
//     "slow.example/b",
//     "fast.example/a",
//     "live limiters: 2",
//     "slow.example/c"
//   ]
// #endregion example

export { program }
