import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { globalValue } from "effect/GlobalValue"
import type * as Registry from "../Registry.js"
import type { Listener } from "./taskGroup.js"
import { currentTask } from "./taskInfo.js"
import { TimelineImpl } from "./timeline.js"

/**
 * What the registry needs of a group: who it is, where it sits, and a description of itself and its
 * children on demand.
 * @internal
 */
export interface RegisteredGroup {
  readonly registryId: number
  readonly name: string
  /** The task the group was opened in, if any (its path continues there). */
  readonly parentTask: RegisteredTask | undefined
  /** Adds the group's entry and its children's to `into` (read only when a snapshot is taken). */
  describe(now: number, into: { groups: Array<Registry.GroupEntry>; tasks: Array<Registry.TaskEntry> }): void
  addListener(listener: Listener): void
  removeListener(listener: Listener): void
}

/** @internal */
export interface RegisteredTask {
  readonly id: number
  readonly name: string
  readonly registryGroup: RegisteredGroup | undefined
}

/**
 * What a task is waiting on, set by the primitive it waits in (a Limiter, a WorkQueue, an Event, a
 * task's join) for as long as it waits; read only by a snapshot.
 * @internal
 */
export interface Waiting {
  readonly on: Registry.WaitingOn
  readonly name: string
  /** In words; a function when it changes while the task waits (a Limiter's reason). */
  readonly reason: string | (() => string)
  readonly since: number
}

/**
 * The live groups of this process, held weakly: a group is added when it is made and removed when it
 * closes, and nothing about its children is computed until a snapshot is read (by
 * `Registry.snapshot`, `runMain`'s report of what is still running, or `taskscope ps` through the
 * inspector). One per process, whatever copies of the package are loaded: it is also reachable as
 * `globalThis[Symbol.for("@taskscope/core/Registry")]`, which is what the inspector reads.
 * @internal
 */
export interface State {
  /** False: groups are not registered and waits not recorded (the bench's "registry off" rows). */
  enabled: boolean
  nextId: number
  readonly groups: Set<WeakRef<RegisteredGroup>>
  /** The listener every group gets while a trace is being recorded (see `Registry.unsafeStartTrace`). */
  tracer: { readonly listenerFor: (path: string) => Listener } | undefined
  /** The listeners added to groups for the trace, to remove them when it stops. */
  readonly traced: Map<WeakRef<RegisteredGroup>, Listener>
  /** A JSON snapshot, for an inspector that can only evaluate an expression in the process. */
  inspect: () => string
  /** Starts recording every group's lifecycle (`taskscope trace`). */
  startTrace: (limit?: number) => void
  /** Stops recording; JSON of the ended tasks (Timeline entries) and of those still running. */
  stopTrace: () => string
}

const KEY = Symbol.for("@taskscope/core/Registry")

/** @internal */
export const state: State = globalValue(KEY, () => {
  const s: State = {
    enabled: true,
    nextId: 0,
    groups: new Set(),
    tracer: undefined,
    traced: new Map(),
    inspect: () => JSON.stringify(snapshot(Date.now())),
    startTrace: (limit) => startRecording(limit),
    stopTrace: () => JSON.stringify(stopRecording(Date.now()))
  }
  ;(globalThis as Record<symbol, unknown>)[KEY] ??= s
  return s
})

let recording: TimelineImpl | undefined

/** Starts recording every group's lifecycle into a timeline of at most `limit` entries. @internal */
export const startRecording = (limit = 100_000): void => {
  const timeline = new TimelineImpl(limit)
  recording = timeline
  startTrace(timeline)
}

/** Stops recording: the tasks that ended meanwhile, and those still running at `now`. @internal */
export const stopRecording = (now: number): Registry.Recording => {
  const timeline = recording
  recording = undefined
  stopTrace()
  return {
    now,
    entries: timeline?.recorded.slice() ?? [],
    running: snapshot(now).tasks.filter((t) => t.state === "running")
  }
}

/** @internal */
export const register = (group: RegisteredGroup): WeakRef<RegisteredGroup> | undefined => {
  if (!state.enabled) return undefined
  const ref = new WeakRef(group)
  state.groups.add(ref)
  if (state.tracer !== undefined) {
    const listener = state.tracer.listenerFor(pathOf(group))
    group.addListener(listener)
    state.traced.set(ref, listener)
  }
  return ref
}

/** @internal */
export const unregister = (ref: WeakRef<RegisteredGroup> | undefined): void => {
  if (ref === undefined) return
  state.groups.delete(ref)
  state.traced.delete(ref)
}

/** @internal */
export const nextId = (): number => ++state.nextId

/** The path of a group: the names of the groups and tasks it is nested in, outermost first. @internal */
export const pathOf = (group: RegisteredGroup): string => {
  const parts: Array<string> = [group.name]
  for (let task = group.parentTask, guard = 0; task !== undefined && guard < 1000; guard++) {
    parts.push(task.name)
    const outer = task.registryGroup
    if (outer === undefined) break
    parts.push(outer.name)
    task = outer.parentTask
  }
  return parts.reverse().join("/")
}

/** @internal */
export const snapshot = (now: number): Registry.Snapshot => {
  const into = { groups: [] as Array<Registry.GroupEntry>, tasks: [] as Array<Registry.TaskEntry> }
  for (const ref of state.groups) {
    const group = ref.deref()
    if (group === undefined) {
      state.groups.delete(ref)
      continue
    }
    group.describe(now, into)
  }
  return { version: 1, now, groups: into.groups, tasks: into.tasks }
}

/** Starts sending every group's lifecycle to `tracer` (groups made from now on too). @internal */
export const startTrace = (tracer: { readonly listenerFor: (path: string) => Listener }): void => {
  stopTrace()
  state.tracer = tracer
  for (const ref of state.groups) {
    const group = ref.deref()
    if (group === undefined) continue
    const listener = tracer.listenerFor(pathOf(group))
    group.addListener(listener)
    state.traced.set(ref, listener)
  }
}

/** @internal */
export const stopTrace = (): void => {
  for (const [ref, listener] of state.traced) ref.deref()?.removeListener(listener)
  state.traced.clear()
  state.tracer = undefined
}

/**
 * Runs `wait` (the slow path of a primitive: it is about to block) with the current task noting
 * what it waits on, for as long as it waits. Outside a task, or with the registry off, it is just
 * `wait`.
 * @internal
 */
export const noteWaiting = <A, E, R>(
  wait: Effect.Effect<A, E, R>,
  on: Registry.WaitingOn,
  name: string,
  reason: string | (() => string)
): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime((fiber) => {
    if (!state.enabled) return wait
    const task = fiber.getFiberRef(currentTask)?.task as { waiting: Waiting | undefined } | undefined
    if (task === undefined) return wait
    const previous = task.waiting
    const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
    task.waiting = { on, name, reason, since: clock.unsafeCurrentTimeMillis() }
    return Effect.ensuring(
      wait,
      Effect.sync(() => {
        task.waiting = previous
      })
    )
  })
