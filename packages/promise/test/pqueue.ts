/** Side by side with p-queue: the same scenario on p-queue and on the Executor. */
import { assert, expect } from "@effect/vitest"
import { Executor } from "@taskscope/promise"
import PQueue from "p-queue"

export type Queue = InstanceType<typeof PQueue>
export type Make = (options?: ConstructorParameters<typeof PQueue>[0]) => Queue

export const implementations: ReadonlyArray<readonly [string, Make]> = [
  ["p-queue", (options) => new PQueue(options)],
  ["Executor", (options) => new Executor(options as Executor.Options) as unknown as Queue]
]

/** Runs `scenario` on both and checks that the logs are equal (and not empty). */
export const same = async (scenario: (make: Make) => Promise<Array<unknown>>) => {
  const reference = await scenario(implementations[0][1])
  const ours = await scenario(implementations[1][1])
  assert.isAbove(reference.length, 0)
  expect(ours).toStrictEqual(reference)
}
