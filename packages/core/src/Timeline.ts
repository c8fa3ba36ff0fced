/**
 * Records the lifecycle of tasks and renders it: an ASCII Gantt chart for terminals, SVG for docs,
 * and Chrome trace-event JSON that opens in Perfetto (ui.perfetto.dev) or chrome://tracing.
 *
 * Pass a timeline to a TaskGroup (`{ timeline }`) or an Executor (`{ timeline }`) and every task
 * that ends is recorded with its start, end and outcome, read from the Clock.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as internal from "./internal/timeline.js"
import type * as Task from "./Task.js"

/**
 * One task's lifetime.
 *
 * @since 0.1.0
 * @category models
 */
export interface Entry {
  readonly id: number
  readonly name: string
  readonly group: string
  /** Epoch ms; equal to `endedAt` for a task cancelled before it started. */
  readonly startedAt: number
  readonly endedAt: number
  /** How it ended, in the one status vocabulary (a timeout is `timedOut`). */
  readonly outcome: "succeeded" | "failed" | "timedOut" | "cancelled"
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Timeline {
  /** The entries recorded so far, in the order tasks ended. */
  readonly entries: Effect.Effect<ReadonlyArray<Entry>>
  /** Records `task` when it ends (TaskGroup and Executor do this for you). */
  track(task: Task.Task<unknown, unknown>, group?: string): Effect.Effect<void>
}

/**
 * Makes a timeline that keeps at most `limit` entries (the most recent; default 10,000).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskGroup, Timeline } from "@taskscope/core"
 *
 * // The seeds' exercise: 50 tasks, 5 at a time — the chart shows the batches.
 * const program = Effect.gen(function*() {
 *   const timeline = yield* Timeline.make()
 *   yield* TaskGroup.scoped((group) =>
 *     Effect.forEach(Array.from({ length: 50 }, (_, i) => i), (i) =>
 *       group.spawn(Effect.sleep("100 millis"), { name: `task ${i}` })),
 *     { concurrency: 5, timeline })
 *   return Timeline.toAscii(yield* timeline.entries, { width: 60 })
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: { readonly limit?: number }): Effect.Effect<Timeline> =>
  Effect.sync(() => new internal.TimelineImpl(options?.limit ?? 10_000))

const span = (entries: ReadonlyArray<Entry>) => {
  let start = Infinity, end = -Infinity
  for (const e of entries) {
    start = Math.min(start, e.startedAt)
    end = Math.max(end, e.endedAt)
  }
  return { start, end: Math.max(end, start + 1) }
}

const byStart = (entries: ReadonlyArray<Entry>) =>
  entries.slice().sort((a, b) => a.startedAt - b.startedAt || a.id - b.id)

/**
 * An ASCII Gantt chart: one row per task, `█` while it ran, `x` where it failed, `-` where it was
 * cancelled, with a time axis.
 *
 * @example
 * ```ts
 * import { Timeline } from "@taskscope/core"
 *
 * const chart = Timeline.toAscii([
 *   { id: 1, name: "fetch", group: "g", startedAt: 0, endedAt: 500, outcome: "succeeded" },
 *   { id: 2, name: "parse", group: "g", startedAt: 500, endedAt: 800, outcome: "failed" }
 * ], { width: 40 })
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const toAscii = (
  entries: ReadonlyArray<Entry>,
  options?: { readonly width?: number; readonly maxRows?: number }
): string => {
  if (entries.length === 0) return "(no tasks)"
  const width = Math.max(10, options?.width ?? 60)
  const rows = byStart(entries).slice(0, options?.maxRows ?? 200)
  const { end, start } = span(rows)
  const scale = (t: number) => Math.min(width - 1, Math.floor(((t - start) / (end - start)) * width))
  const label = Math.min(24, Math.max(...rows.map((e) => e.name.length)))
  const lines = rows.map((e) => {
    const from = scale(e.startedAt)
    const to = Math.min(width - 1, Math.max(from, Math.ceil(((e.endedAt - start) / (end - start)) * width) - 1))
    const mark = e.outcome === "succeeded" ? "█" : e.outcome === "failed" ? "x" : e.outcome === "timedOut" ? "t" : "-"
    const bar = " ".repeat(from) + mark.repeat(to - from + 1)
    return `${e.name.slice(0, label).padEnd(label)} │${bar.padEnd(width)}│ ${e.endedAt - e.startedAt} ms`
  })
  const axis = `${"".padEnd(label)} └${"─".repeat(width)}┘`
  const times = `${"".padEnd(label)}  0 ms${`${end - start} ms`.padStart(width - 4)}`
  return [...lines, axis, times].join("\n")
}

const escapeXml = (s: string) =>
  s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "\"": "&quot;" })[c]!)

/**
 * An SVG Gantt chart (for docs and reports). Labels and the axis are drawn in `currentColor`, so
 * a chart inlined in a page takes the page's text colour (dark mode included); opened on its own
 * it is black on white.
 *
 * @example
 * ```ts
 * import { Timeline } from "@taskscope/core"
 *
 * const svg = Timeline.toSvg([{ id: 1, name: "fetch", group: "g", startedAt: 0, endedAt: 500, outcome: "succeeded" }])
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const toSvg = (entries: ReadonlyArray<Entry>, options?: { readonly width?: number }): string => {
  const rows = byStart(entries)
  const width = options?.width ?? 800
  const labelWidth = 140
  const rowHeight = 18
  const height = rows.length * rowHeight + 30
  const { end, start } = span(rows)
  const x = (t: number) => labelWidth + ((t - start) / (end - start)) * (width - labelWidth - 10)
  const color = { succeeded: "#3b82f6", failed: "#ef4444", timedOut: "#f59e0b", cancelled: "#9ca3af" }
  const bars = rows.map((e, i) => {
    const y = i * rowHeight + 4
    const w = Math.max(1, x(e.endedAt) - x(e.startedAt))
    return `<text x="4" y="${y + 12}" font-size="11" font-family="monospace">${escapeXml(e.name.slice(0, 20))}</text>` +
      `<rect x="${x(e.startedAt).toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${rowHeight - 4}" fill="${
        color[e.outcome]
      }"><title>${escapeXml(e.name)}: ${e.endedAt - e.startedAt} ms (${e.outcome})</title></rect>`
  })
  const axisY = rows.length * rowHeight + 12
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" fill="currentColor">` +
    bars.join("") +
    `<line x1="${labelWidth}" y1="${axisY}" x2="${width - 10}" y2="${axisY}" stroke="currentColor"/>` +
    `<text x="${labelWidth}" y="${axisY + 14}" font-size="10">0 ms</text>` +
    `<text x="${width - 60}" y="${axisY + 14}" font-size="10">${end - start} ms</text></svg>`
}

/**
 * Chrome trace-event JSON (complete events, `ph: "X"`), one track per group; load it in Perfetto.
 *
 * @example
 * ```ts
 * import { Timeline } from "@taskscope/core"
 *
 * const trace = Timeline.toChromeTrace([{ id: 1, name: "fetch", group: "g", startedAt: 0, endedAt: 500, outcome: "succeeded" }])
 * // JSON.stringify(trace) → a file Perfetto opens
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const toChromeTrace = (entries: ReadonlyArray<Entry>): {
  readonly traceEvents: ReadonlyArray<Record<string, unknown>>
  readonly displayTimeUnit: "ms"
} => {
  const groups = new Map<string, number>()
  const { start } = span(entries)
  const events: Array<Record<string, unknown>> = []
  for (const e of byStart(entries)) {
    if (!groups.has(e.group)) {
      groups.set(e.group, groups.size + 1)
      events.push({ name: "thread_name", ph: "M", pid: 1, tid: groups.get(e.group), args: { name: e.group } })
    }
    events.push({
      name: e.name,
      cat: e.outcome,
      ph: "X",
      ts: (e.startedAt - start) * 1000,
      dur: Math.max(0, e.endedAt - e.startedAt) * 1000,
      pid: 1,
      tid: groups.get(e.group),
      args: { id: e.id, outcome: e.outcome }
    })
  }
  return { traceEvents: events, displayTimeUnit: "ms" }
}
