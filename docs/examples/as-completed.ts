import { Concurrent } from "@taskscope/core"
import { Chunk, Effect, Stream } from "effect"

const download = (name: string, ms: number) => Effect.succeed(name).pipe(Effect.delay(ms))

// asyncio.as_completed: results as a Stream, in the order they finish.
export const program = Concurrent.asCompleted([
  download("big.iso", 300),
  download("small.txt", 100),
  download("mid.zip", 200)
]).pipe(
  Stream.runCollect,
  Effect.map(Chunk.toReadonlyArray)
)

export const expected = ["small.txt", "mid.zip", "big.iso"]
