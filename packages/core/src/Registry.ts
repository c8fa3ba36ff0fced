/**
 * The live tasks of this process, as data: every open TaskGroup (and the groups an Executor runs
 * on) with its children — their group path, state, age, what each one waits on and why, its
 * deadline and its attempt. The core keeps the registry at almost no cost: a group is added when
 * it is made and removed when it closes, held weakly, a task notes what it waits on only while it
 * waits, and nothing else is computed until a snapshot is read.
 *
 * `runMain` reads it to name the tasks still running when a shutdown overruns its grace, and
 * `taskscope ps <pid>` (`@taskscope/inspect`) reads it from outside a running process.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as internal from "./internal/registry.js"
import type * as Task from "./Task.js"
import type * as Timeline from "./Timeline.js"

/**
 * One live group.
 *
 * @since 0.2.0
 * @category models
 */
export interface GroupEntry {
  /** Unique in the process (not a task id). */
  readonly id: number
  readonly name: string
  /** The names of the groups and tasks it is nested in, outermost first, ending with its own. */
  readonly path: string
  /** The group and task it was opened in, if it was opened inside a task. */
  readonly parent: { readonly group: number; readonly task: number } | undefined
  readonly mode: "failFast" | "supervise"
  readonly status: "open" | "cancelling" | "closed"
  /** How many children may run at once (`null`: no limit). */
  readonly concurrency: number | null
  readonly running: number
  readonly queued: number
  /** How many of its children have ended so far (`taskscope top` shows the rate between reads). */
  readonly ended: number
}

/**
 * What a task is waiting on.
 *
 * @since 0.2.0
 * @category models
 */
export type WaitingOn = "limiter" | "queue" | "event" | "task" | "group"

/**
 * Why a task is not running ahead, as the primitive it waits in tells it.
 *
 * @since 0.2.0
 * @category models
 */
export interface Waiting {
  readonly on: WaitingOn
  /** The limiter's, queue's, event's or task's name. */
  readonly name: string
  /** In words, e.g. "waiting for the rate window of binance". */
  readonly reason: string
  /** How long it has been waiting, in milliseconds. */
  readonly forMillis: number
}

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
  /** The id of its group (see {@link GroupEntry}). */
  readonly groupId: number
  /** Its group's path. */
  readonly group: string
  /** `queued` (waiting for a slot) or `running`. */
  readonly state: Extract<Task.State, "queued" | "running">
  /** When it started, in epoch milliseconds on Effect's `Clock` (undefined while queued). */
  readonly since: number | undefined
  /** How long it has been running, in milliseconds (undefined while queued). */
  readonly forMillis: number | undefined
  /** What it waits on, while it waits in a Limiter, a WorkQueue, an Event or a task's join. */
  readonly waiting: Waiting | undefined
  /** Its effective deadline (epoch milliseconds), if any. */
  readonly deadline: number | undefined
  /** Milliseconds left until that deadline (0 once past). */
  readonly remainingMillis: number | undefined
  /** 1 for the first attempt, more when `Retry` tried again. */
  readonly attempt: number
}

/**
 * The live groups and tasks at `now`.
 *
 * @since 0.2.0
 * @category models
 */
export interface Snapshot {
  readonly version: 1
  readonly now: number
  readonly groups: ReadonlyArray<GroupEntry>
  readonly tasks: ReadonlyArray<TaskEntry>
}

/**
 * The live groups and tasks now, read synchronously (`now`: the current time in epoch
 * milliseconds, for the ages).
 *
 * @example
 * ```ts
 * import { Registry } from "@taskscope/core"
 *
 * for (const task of Registry.unsafeSnapshot(Date.now()).tasks) {
 *   console.log(`${task.group}/${task.name} ${task.state} ${task.waiting?.reason ?? ""}`)
 * }
 * ```
 *
 * @since 0.2.0
 * @category utils
 */
export const unsafeSnapshot: (now: number) => Snapshot = internal.snapshot

/**
 * The live groups and tasks now, their ages on Effect's `Clock`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Registry } from "@taskscope/core"
 *
 * const stuck = Effect.map(Registry.snapshot, (s) => s.tasks.filter((t) => (t.forMillis ?? 0) > 60_000))
 * ```
 *
 * @since 0.2.0
 * @category utils
 */
export const snapshot: Effect.Effect<Snapshot> = Effect.clockWith((clock) =>
  Effect.sync(() => internal.snapshot(clock.unsafeCurrentTimeMillis()))
)

/**
 * Turns the registry off (or on again): groups made while it is off are not registered and waits
 * are not noted. It is on by default and costs close to nothing; this exists so that benchmarks
 * can measure exactly that.
 *
 * @example
 * ```ts
 * import { Registry } from "@taskscope/core"
 *
 * Registry.unsafeSetEnabled(false)
 * ```
 *
 * @since 0.2.0
 * @category utils
 */
export const unsafeSetEnabled = (enabled: boolean): void => {
  internal.state.enabled = enabled
}

/**
 * What ran while a trace was recorded: the tasks that ended (as Timeline entries, for
 * `Timeline.toChromeTrace`) and those still running when it stopped.
 *
 * @since 0.2.0
 * @category models
 */
export interface Recording {
  readonly now: number
  readonly entries: ReadonlyArray<Timeline.Entry>
  readonly running: ReadonlyArray<TaskEntry>
}

/**
 * Starts recording the lifecycle of every task in every group (groups opened later too), at most
 * `limit` ended tasks (default 100,000; the oldest go first). `taskscope trace` uses it.
 *
 * @example
 * ```ts
 * import { Registry, Timeline } from "@taskscope/core"
 *
 * Registry.unsafeStartTrace()
 * // … some time later
 * const recording = Registry.unsafeStopTrace(Date.now())
 * const trace = Timeline.toChromeTrace(recording.entries)
 * ```
 *
 * @since 0.2.0
 * @category utils
 */
export const unsafeStartTrace: (limit?: number) => void = internal.startRecording

/**
 * Stops recording (see {@link unsafeStartTrace}) and returns what ran.
 *
 * @example
 * ```ts
 * import { Registry } from "@taskscope/core"
 *
 * Registry.unsafeStartTrace()
 * const { entries, running } = Registry.unsafeStopTrace(Date.now())
 * ```
 *
 * @since 0.2.0
 * @category utils
 */
export const unsafeStopTrace: (now: number) => Recording = internal.stopRecording
