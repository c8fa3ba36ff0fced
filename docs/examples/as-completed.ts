// #region example
import { Concurrent } from "@taskscope/core"
import { Chunk, Effect, Stream } from "effect"

const download = (name: string, ms: number) =>
  Effect.succeed(name).pipe(Effect.delay(ms))

// asyncio.as_completed: the results as a Stream, in the order they finish.
// The first failure ends the stream and cancels the downloads still running.
const program = Concurrent.asCompleted([
  download("big.iso", 300),
  download("small.txt", 100),
  download("mid.zip", 200)
]).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray))

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → ["small.txt", "mid.zip", "big.iso"]
// #endregion example

export { program }
