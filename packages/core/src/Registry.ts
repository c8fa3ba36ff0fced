/**
 * The live tasks of this process, as data: every child of every open TaskGroup (and of the groups
 * an Executor runs on), with its group path, state and age. The core keeps the registry at almost
 * no cost — a group is added when it is made and removed when it closes, held weakly, and nothing
 * about its children is computed until a snapshot is read. `runMain` reads it to name the tasks
 * still running when a shutdown overruns its grace.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as internal from "./internal/registry.js"

/**
 * One live task.
 *
 * @since 0.2.0
 * @category models
 */
export interface TaskEntry {
  /** The task's id (as `Task.id`). */
  readonly id: number
  readonly name: string
  /** The group's path: the names of the groups and tasks it is nested in, outermost first. */
  readonly group: string
  /** `queued` (waiting for a slot) or `running`. */
  readonly state: "queued" | "running"
  /** When it started, in epoch milliseconds on Effect's `Clock` (undefined while queued). */
  readonly since: number | undefined
  /** How long it has been running, in milliseconds (undefined while queued). */
  readonly forMillis: number | undefined
}

/**
 * The live tasks now, read synchronously (`now` is the current time in epoch milliseconds, for
 * the ages).
 *
 * @example
 * ```ts
 * import { Registry } from "@taskscope/core"
 *
 * for (const task of Registry.unsafeSnapshot(Date.now())) {
 *   console.log(`${task.group}/${task.name} ${task.state} ${task.forMillis ?? "-"} ms`)
 * }
 * ```
 *
 * @since 0.2.0
 * @category utils
 */
export const unsafeSnapshot: (now: number) => ReadonlyArray<TaskEntry> = internal.snapshot

/**
 * The live tasks now, their ages on Effect's `Clock`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Registry } from "@taskscope/core"
 *
 * const stuck = Effect.map(Registry.snapshot, (tasks) => tasks.filter((t) => (t.forMillis ?? 0) > 60_000))
 * ```
 *
 * @since 0.2.0
 * @category utils
 */
export const snapshot: Effect.Effect<ReadonlyArray<TaskEntry>> = Effect.clockWith((clock) =>
  Effect.sync(() => internal.snapshot(clock.unsafeCurrentTimeMillis()))
)
