import { globalValue } from "effect/GlobalValue"
import type * as Registry from "../Registry.js"

/**
 * What the registry needs of a group: its name, where it sits, and its children on demand.
 * @internal
 */
export interface RegisteredGroup {
  readonly name: string
  /** The task the group was opened in, if any (its path continues there). */
  readonly parentTask: { readonly name: string; readonly registryGroup?: RegisteredGroup | undefined } | undefined
  /** The children now queued or running, read only when a snapshot is taken. */
  entries(now: number): Iterable<Registry.TaskEntry>
}

/**
 * The live groups and standalone tasks of this process, held weakly: a group is added when it is
 * made and removed when it closes, and nothing about its children is computed until a snapshot is
 * read (by `Registry.snapshot`, `runMain`'s report of what is still running, or the inspector). The
 * registry is one per process (a global), whatever copies of the package are loaded.
 * @internal
 */
export interface State {
  readonly groups: Set<WeakRef<RegisteredGroup>>
}

/** @internal */
export const state: State = globalValue(Symbol.for("@taskscope/core/Registry"), () => ({ groups: new Set() }))

/** @internal */
export const register = (group: RegisteredGroup): WeakRef<RegisteredGroup> => {
  const ref = new WeakRef(group)
  state.groups.add(ref)
  return ref
}

/** @internal */
export const unregister = (ref: WeakRef<RegisteredGroup> | undefined): void => {
  if (ref !== undefined) state.groups.delete(ref)
}

/** The path of a group: the names of the groups and tasks it is nested in, outermost first. @internal */
export const pathOf = (group: RegisteredGroup): string => {
  const parts: Array<string> = [group.name]
  for (let task = group.parentTask, guard = 0; task !== undefined && guard < 100; guard++) {
    parts.push(task.name)
    const outer = task.registryGroup
    if (outer === undefined) break
    parts.push(outer.name)
    task = outer.parentTask
  }
  return parts.reverse().join("/")
}

/** @internal */
export const snapshot = (now: number): Array<Registry.TaskEntry> => {
  const out: Array<Registry.TaskEntry> = []
  for (const ref of state.groups) {
    const group = ref.deref()
    if (group === undefined) {
      state.groups.delete(ref)
      continue
    }
    for (const entry of group.entries(now)) out.push(entry)
  }
  return out
}
