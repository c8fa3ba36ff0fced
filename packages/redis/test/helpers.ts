import { Redis } from "@taskscope/redis"
import { type Context, type Duration, Effect, Layer, Schedule } from "effect"
import { randomUUID } from "node:crypto"
import { inject } from "vitest"

export const url = inject("redisUrl")

/** One connection of "a process": two of them with the same prefix behave as two processes. */
export type Proc = Context.Context<Redis.Redis>

/** `n` processes sharing a fresh key prefix (each test gets its own), connected for the test's scope. */
export const processes = (n: number, prefix = `t-${randomUUID()}`) =>
  Effect.map(
    Effect.forEach(Array.from({ length: n }), () => Layer.build(Redis.layer({ url, prefix }))),
    (procs) => ({ procs, prefix })
  )

export const inProcess = <A, E, R>(proc: Proc, effect: Effect.Effect<A, E, R>) => Effect.provide(effect, proc)

/** Asks `check` every 5 ms until it holds (at most `within`): for state in Redis that changes on its own time. */
export const eventually = <E, R>(
  check: Effect.Effect<boolean, E, R>,
  what: string,
  within: Duration.DurationInput = "5 seconds"
) =>
  Effect.repeat(check, { schedule: Schedule.spaced("5 millis"), until: (ok) => ok }).pipe(
    Effect.timeoutFail({ duration: within, onTimeout: () => new Error(`timed out waiting for ${what}`) })
  )
