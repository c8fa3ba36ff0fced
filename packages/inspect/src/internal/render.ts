import type { Registry } from "@taskscope/core"

/** A duration for people: 850ms, 12.3s, 4m05s, 2h10m. @internal */
export const age = (ms: number | undefined): string => {
  if (ms === undefined || !Number.isFinite(ms)) return "-"
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const s = Math.floor(ms / 1000)
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`
}

const waitingText = (t: Registry.TaskEntry): string =>
  t.waiting === undefined ? "" : `${t.waiting.reason} (${age(t.waiting.forMillis)})`

const table = (rows: ReadonlyArray<ReadonlyArray<string>>, width: number): Array<string> => {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return rows.map((r) => {
    const line = r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ").trimEnd()
    return line.length > width ? line.slice(0, width - 1) + "…" : line
  })
}

/** `taskscope ps`: one line per live task. @internal */
export const ps = (snapshot: Registry.Snapshot, width = Infinity): string => {
  const rows = [["ID", "NAME", "GROUP", "STATE", "AGE", "DEADLINE", "ATTEMPT", "WAITING ON"]]
  for (const t of snapshot.tasks) {
    rows.push([
      String(t.id),
      t.name,
      t.group,
      t.state,
      age(t.forMillis),
      t.remainingMillis === undefined ? "-" : `in ${age(t.remainingMillis)}`,
      String(t.attempt),
      waitingText(t)
    ])
  }
  return table(rows, width).join("\n") + "\n"
}

const groupLine = (g: Registry.GroupEntry): string => {
  const parts: Array<string> = [g.mode]
  if (g.concurrency !== null) parts.push(`concurrency ${g.concurrency}`)
  parts.push(`${g.running} running`)
  if (g.queued > 0) parts.push(`${g.queued} queued`)
  if (g.status !== "open") parts.push(g.status)
  return `${g.name} (${parts.join(", ")})`
}

const taskLine = (t: Registry.TaskEntry): string => {
  const bits = [`#${t.id} ${t.name}`, `[${t.state}${t.forMillis === undefined ? "" : ` ${age(t.forMillis)}`}]`]
  if (t.attempt > 1) bits.push(`attempt ${t.attempt}`)
  if (t.remainingMillis !== undefined) bits.push(`deadline in ${age(t.remainingMillis)}`)
  if (t.waiting !== undefined && t.waiting.on !== "group") bits.push(`— ${waitingText(t)}`)
  return bits.join(" ")
}

/** `taskscope pstree`: the groups and their tasks as a tree, a group under the task it was opened in. @internal */
export const pstree = (snapshot: Registry.Snapshot, width = Infinity): string => {
  const tasksOf = new Map<number, Array<Registry.TaskEntry>>()
  for (const t of snapshot.tasks) {
    const list = tasksOf.get(t.groupId) ?? []
    list.push(t)
    tasksOf.set(t.groupId, list)
  }
  const groupsUnder = new Map<number, Array<Registry.GroupEntry>>()
  const ids = new Set(snapshot.groups.map((g) => g.id))
  const roots: Array<Registry.GroupEntry> = []
  for (const g of snapshot.groups) {
    // a group whose parent task is gone from the snapshot (or never was) is a root
    if (g.parent === undefined || !ids.has(g.parent.group)) roots.push(g)
    else {
      const list = groupsUnder.get(g.parent.task) ?? []
      list.push(g)
      groupsUnder.set(g.parent.task, list)
    }
  }
  const lines: Array<string> = []
  const clip = (line: string) => (line.length > width ? line.slice(0, width - 1) + "…" : line)
  const walkGroup = (g: Registry.GroupEntry, prefix: string, last: boolean, top: boolean) => {
    lines.push(clip(top ? groupLine(g) : `${prefix}${last ? "└─ " : "├─ "}${groupLine(g)}`))
    const inner = top ? "" : prefix + (last ? "   " : "│  ")
    const tasks = tasksOf.get(g.id) ?? []
    tasks.forEach((t, i) => {
      const lastTask = i === tasks.length - 1
      lines.push(clip(`${inner}${lastTask ? "└─ " : "├─ "}${taskLine(t)}`))
      const nested = groupsUnder.get(t.id) ?? []
      nested.forEach((n, j) => walkGroup(n, inner + (lastTask ? "   " : "│  "), j === nested.length - 1, false))
    })
  }
  roots.forEach((g) => walkGroup(g, "", true, true))
  return lines.join("\n") + (lines.length > 0 ? "\n" : "")
}

/** `taskscope top`: counts per state, the busiest groups, the oldest and the longest-waiting tasks. @internal */
export const top = (
  snapshot: Registry.Snapshot,
  header: { readonly pid: number; readonly title: string },
  size: { readonly width: number; readonly height: number },
  previous?: Registry.Snapshot
): string => {
  // children ended per second since the previous read, for the groups in both
  const seconds = previous === undefined ? 0 : (snapshot.now - previous.now) / 1000
  const before = new Map(previous?.groups.map((g) => [g.id, g.ended]))
  const rate = (g: Registry.GroupEntry): string => {
    const then = before.get(g.id)
    if (then === undefined || seconds <= 0 || g.ended === undefined) return "-"
    const perSecond = (g.ended - then) / seconds
    return perSecond >= 10 ? String(Math.round(perSecond)) : perSecond.toFixed(1)
  }
  const running = snapshot.tasks.filter((t) => t.state === "running")
  const queued = snapshot.tasks.length - running.length
  const waiting = running.filter((t) => t.waiting !== undefined)
  const lines = [
    `taskscope top — pid ${header.pid} ${header.title}`.slice(0, size.width),
    `tasks: ${snapshot.tasks.length} live · ${running.length} running (${waiting.length} waiting) · ${queued} queued · ` +
    `${snapshot.groups.length} groups`,
    ""
  ]
  const budget = Math.max(3, Math.floor((size.height - lines.length - 6) / 3))
  const groups = snapshot.groups.slice().sort((a, b) => b.running + b.queued - (a.running + a.queued))
  lines.push("GROUPS (most work first)")
  lines.push(
    ...table(
      [
        ["PATH", "RUNNING", "QUEUED", "LIMIT", "DONE/S"],
        ...groups.slice(0, budget).map((g) => [
          g.path,
          String(g.running),
          String(g.queued),
          g.concurrency === null ? "-" : String(g.concurrency),
          rate(g)
        ])
      ],
      size.width
    )
  )
  lines.push("", "OLDEST RUNNING")
  const oldest = running.slice().sort((a, b) => (b.forMillis ?? 0) - (a.forMillis ?? 0)).slice(0, budget)
  lines.push(
    ...table(
      [["ID", "TASK", "AGE"], ...oldest.map((t) => [String(t.id), `${t.group}/${t.name}`, age(t.forMillis)])],
      size.width
    )
  )
  lines.push("", "LONGEST WAITING")
  const longest = waiting.slice().sort((a, b) => b.waiting!.forMillis - a.waiting!.forMillis).slice(0, budget)
  lines.push(
    ...table([
      ["ID", "TASK", "WAITING ON"],
      ...longest.map((t) => [String(t.id), `${t.group}/${t.name}`, waitingText(t)])
    ], size.width)
  )
  return lines.slice(0, size.height - 1).join("\n") + "\n"
}
