/**
 * See inside a running Node program that uses Taskscope, from outside and without changing it —
 * Python 3.14's `python -m asyncio ps|pstree` for TypeScript. The `taskscope` command is built on
 * these functions.
 *
 * How it attaches: if the program serves its registry on a Unix socket (`Inspector` in
 * `@taskscope/platform-node`, or `TASKSCOPE_INSPECT_SOCKET=1` under `runMain`), that socket is
 * read. Otherwise Node's inspector is opened in the program with SIGUSR1 (Node's documented way),
 * a DevTools protocol session on 127.0.0.1 reads the registry the core keeps, and the inspector is
 * closed again as soon as the read is done. While it is open — a fraction of a second — any local
 * user could connect to it; programs that must never open it serve the socket instead.
 *
 * @since 0.2.0
 */
import { type Registry, Timeline } from "@taskscope/core"
import * as attach from "./internal/attach.js"
import * as render from "./internal/render.js"

/**
 * Why a read failed.
 *
 * @since 0.2.0
 * @category errors
 */
export type FailureReason =
  | "NoSuchProcess"
  | "PermissionDenied"
  | "NotNode"
  | "NotLoaded"
  | "PortInUse"
  | "InspectorUnavailable"
  | "Timeout"

/**
 * A read that failed, with a one-line message a person can act on.
 *
 * @since 0.2.0
 * @category errors
 */
export interface InspectError extends Error {
  readonly reason: FailureReason
}

/**
 * Whether `u` is an {@link InspectError}.
 *
 * @example
 * ```ts
 * import { Inspect } from "@taskscope/inspect"
 *
 * Inspect.snapshot(1).catch((e) => Inspect.isInspectError(e) && console.error(e.message))
 * ```
 *
 * @since 0.2.0
 * @category errors
 */
export const isInspectError = (u: unknown): u is InspectError => u instanceof attach.InspectError

/**
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** The port the target opens its inspector on (its `--inspect-port`; default 9229). */
  readonly port?: number
  /** How long to wait for the target at each step, in milliseconds (default 3000). */
  readonly timeoutMs?: number
  /** The target's socket, if it serves one elsewhere than the default path. */
  readonly socket?: string
}

/**
 * A snapshot of a process's live tasks, with how it was read.
 *
 * @since 0.2.0
 * @category models
 */
export interface ProcessSnapshot extends Registry.Snapshot {
  readonly pid: number
  /** The process's command line, where the system tells it. */
  readonly title: string
  readonly via: "socket" | "inspector"
}

const settings = (options?: Options) => ({
  port: options?.port ?? 9229,
  timeoutMs: options?.timeoutMs ?? 3000,
  socket: options?.socket
})

/**
 * Reads the live groups and tasks of process `pid`.
 *
 * @example
 * ```ts
 * import { Inspect } from "@taskscope/inspect"
 *
 * const snapshot = await Inspect.snapshot(4242)
 * console.log(Inspect.renderTree(snapshot))
 * ```
 *
 * @since 0.2.0
 * @category constructors
 */
export const snapshot = async (pid: number, options?: Options): Promise<ProcessSnapshot> => {
  const { answers, title, via } = await attach.read(pid, ["snapshot"], settings(options))
  return { ...attach.parseSnapshot(answers[0]), pid, title, via }
}

/**
 * Records what ran in process `pid` for `seconds` and returns it as a Chrome trace (Perfetto opens
 * it): Timeline's format, one track per group, the tasks still running at the end included. The
 * inspector is opened twice, to start and to stop, and is closed in between.
 *
 * @example
 * ```ts
 * import { Inspect } from "@taskscope/inspect"
 * import { writeFileSync } from "node:fs"
 *
 * writeFileSync("trace.json", JSON.stringify(await Inspect.trace(4242, 10)))
 * ```
 *
 * @since 0.2.0
 * @category constructors
 */
export const trace = async (
  pid: number,
  seconds: number,
  options?: Options
): Promise<{ readonly traceEvents: ReadonlyArray<Record<string, unknown>>; readonly displayTimeUnit: "ms" }> => {
  await attach.read(pid, ["trace start"], settings(options))
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
  const { answers } = await attach.read(pid, ["trace stop"], settings(options))
  const recording = JSON.parse(answers[0]) as Registry.Recording
  const running: Array<Timeline.Entry> = recording.running.map((t) => ({
    id: t.id,
    name: t.name,
    group: t.group,
    startedAt: t.since ?? recording.now,
    endedAt: recording.now,
    // still running when the trace stopped: drawn to its end, and said so
    outcome: "cancelled"
  }))
  const chrome = Timeline.toChromeTrace([...recording.entries, ...running])
  const stillRunning = new Set(recording.running.map((t) => t.id))
  return {
    displayTimeUnit: chrome.displayTimeUnit,
    traceEvents: chrome.traceEvents.map((e) =>
      stillRunning.has((e.args as { id?: number } | undefined)?.id ?? -1)
        ? { ...e, cat: "running", args: { ...(e.args as object), outcome: "still running" } }
        : e
    )
  }
}

/**
 * `taskscope ps`: one line per live task — id, name, group path, state, age, deadline, attempt,
 * and what it waits on.
 *
 * @example
 * ```ts
 * import { Inspect } from "@taskscope/inspect"
 *
 * process.stdout.write(Inspect.renderList(await Inspect.snapshot(4242)))
 * ```
 *
 * @since 0.2.0
 * @category utils
 */
export const renderList: (snapshot: Registry.Snapshot, width?: number) => string = render.ps

/**
 * `taskscope pstree`: groups and their tasks as a tree, each group under the task it was opened in.
 *
 * @example
 * ```ts
 * import { Inspect } from "@taskscope/inspect"
 *
 * process.stdout.write(Inspect.renderTree(await Inspect.snapshot(4242)))
 * ```
 *
 * @since 0.2.0
 * @category utils
 */
export const renderTree: (snapshot: Registry.Snapshot, width?: number) => string = render.pstree

/**
 * One frame of `taskscope top`: counts per state, the groups with most work (with the children
 * ended per second since `previous`, when given), the oldest running and the longest-waiting
 * tasks, fitted to the terminal.
 *
 * @example
 * ```ts
 * import { Inspect } from "@taskscope/inspect"
 *
 * const s = await Inspect.snapshot(4242)
 * process.stdout.write(Inspect.renderTop(s, { width: 80, height: 24 }))
 * ```
 *
 * @since 0.2.0
 * @category utils
 */
export const renderTop = (
  snapshot: ProcessSnapshot,
  size: { readonly width: number; readonly height: number },
  previous?: ProcessSnapshot
): string => render.top(snapshot, snapshot, size, previous)
