import type { Registry } from "@taskscope/core"
import { execFileSync } from "node:child_process"
import { existsSync, readFileSync, readlinkSync } from "node:fs"
import { request } from "node:http"
import { connect } from "node:net"
import { tmpdir } from "node:os"
import { basename, join } from "node:path"
import WebSocket from "ws"
import type * as Inspect from "../Inspect.js"

/** @internal */
export class InspectError extends Error {
  constructor(readonly reason: Inspect.FailureReason, message: string) {
    super(message)
    this.name = "InspectError"
  }
}

const fail = (reason: Inspect.FailureReason, message: string): never => {
  throw new InspectError(reason, message)
}

/** Where `Inspector.serve` listens by default for `pid` (see @taskscope/platform-node). @internal */
export const socketPath = (pid: number): string =>
  join(tmpdir(), `taskscope-${process.getuid?.() ?? "user"}`, `${pid}.sock`)

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Whether an executable's path or name is Node's (`node`, `nodejs`, `node20`…). @internal */
export const isNodeExecutable = (exe: string): boolean =>
  /^(node|nodejs)(\d+)?$/.test(basename(exe).replace(/ \(deleted\)$/, ""))

/** The command of a process as `ps` gives it (macOS, the BSDs), if it can. */
const commandOf = (pid: number): string | undefined => {
  try {
    const out = execFileSync("ps", ["-o", "comm=", "-p", String(pid)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"]
    })
    return out.trim() || undefined
  } catch {
    return undefined
  }
}

/** Checks the process exists, may be signalled by us, and is Node. @internal */
export const checkProcess = (pid: number): { readonly title: string } => {
  if (!Number.isInteger(pid) || pid <= 0) fail("NoSuchProcess", `not a process id: ${pid}`)
  try {
    process.kill(pid, 0)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === "ESRCH") fail("NoSuchProcess", `no process ${pid}`)
    if (code === "EPERM") fail("PermissionDenied", `process ${pid} belongs to another user: run as that user`)
    throw error
  }
  // SIGUSR1 ends a program that does not handle it: only a process known to be Node gets one
  let exe: string | undefined
  let argv: Array<string> = []
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean)
  } catch {
    // not Linux, or no access to /proc
  }
  try {
    exe = readlinkSync(`/proc/${pid}/exe`)
  } catch {
    // no access to its executable (another user's process, or one the kernel hides): its command
    // line, or what ps says, names the program
    exe = argv[0] ?? commandOf(pid)
  }
  if (exe === undefined) {
    fail(
      "NotNode",
      `cannot tell whether process ${pid} is a Node process, so it is not sent SIGUSR1 (which ends other programs)`
    )
  }
  if (!isNodeExecutable(exe!)) {
    fail("NotNode", `process ${pid} is not a Node process (${basename(exe!)})`)
  }
  return { title: argv.join(" ") }
}

/** Asks the program's own socket (`Inspector.serve`), if it serves one. @internal */
export const askSocket = (path: string, line: string, timeoutMs: number): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = connect(path)
    let data = ""
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new InspectError("Timeout", `no answer on ${path} within ${timeoutMs} ms`))
    }, timeoutMs)
    socket.setEncoding("utf8")
    socket.on("connect", () => socket.write(line + "\n"))
    socket.on("data", (chunk: string) => (data += chunk))
    socket.on("end", () => {
      clearTimeout(timer)
      resolve(data)
    })
    socket.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(
        error.code === "EACCES"
          ? new InspectError("PermissionDenied", `${path} belongs to another user: run as that user`)
          : error
      )
    })
  })

interface Target {
  readonly webSocketDebuggerUrl: string
}

const getJson = (port: number, path: string, timeoutMs: number): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, timeout: timeoutMs }, (res) => {
      let body = ""
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => (body += chunk))
      res.on("end", () => {
        try {
          resolve(JSON.parse(body))
        } catch (error) {
          reject(error)
        }
      })
    })
    req.on("timeout", () => req.destroy(new Error("timeout")))
    req.on("error", reject)
    req.end()
  })

/** The inspector listening on `port`, if any. @internal */
export const inspectorAt = async (port: number): Promise<Target | undefined> => {
  try {
    const list = (await getJson(port, "/json/list", 500)) as Array<Target>
    return list.find((t) => typeof t.webSocketDebuggerUrl === "string")
  } catch {
    return undefined
  }
}

/** One DevTools protocol session: evaluate expressions, then close. @internal */
class Session {
  next = 1
  readonly pending = new Map<number, (result: unknown) => void>()
  constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const message = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } }
      if (message.id === undefined) return
      const done = this.pending.get(message.id)
      this.pending.delete(message.id)
      done?.(message.error === undefined ? message.result : message.error)
    })
  }

  static open(url: string, timeoutMs: number): Promise<Session> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { handshakeTimeout: timeoutMs })
      ws.once("open", () => resolve(new Session(ws)))
      ws.once("error", reject)
    })
  }

  /** Evaluates `expression` in the target and returns its value (a string for our expressions). */
  evaluate(expression: string, timeoutMs: number): Promise<unknown> {
    const id = this.next++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new InspectError("Timeout", `the program did not answer within ${timeoutMs} ms (is it blocked?)`))
      }, timeoutMs)
      this.pending.set(id, (result) => {
        clearTimeout(timer)
        const r = result as { result?: { value?: unknown }; exceptionDetails?: { text: string } }
        if (r.exceptionDetails !== undefined) reject(new Error(r.exceptionDetails.text))
        else resolve(r.result?.value)
      })
      this.ws.send(JSON.stringify({ id, method: "Runtime.evaluate", params: { expression, returnByValue: true } }))
    })
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve()
      this.ws.once("close", () => resolve())
      this.ws.close()
    })
  }
}

const HOOK = `globalThis[Symbol.for("@taskscope/core/Registry")]`

/** What one read asks of the target: the snapshot, or a trace's start or stop. @internal */
export type Ask = "snapshot" | "trace start" | "trace stop"

const expressionOf = (ask: Ask): string =>
  ask === "snapshot"
    ? `${HOOK}.inspect()`
    : ask === "trace start"
    ? `(${HOOK}.startTrace(), "{}")`
    : `${HOOK}.stopTrace()`

/**
 * Reads from `pid`: through its own socket when it serves one, else through Node's inspector,
 * which is opened with SIGUSR1 and closed again right after the read (unless it was open before).
 * `keepOpen` keeps a session for `top` (closed by the returned function).
 * @internal
 */
export const read = async (
  pid: number,
  asks: ReadonlyArray<Ask>,
  options: { readonly port: number; readonly timeoutMs: number; readonly socket?: string | undefined }
): Promise<{ readonly title: string; readonly via: "socket" | "inspector"; readonly answers: Array<string> }> => {
  const { title } = checkProcess(pid)
  const socket = options.socket ?? socketPath(pid)
  if (existsSync(socket)) {
    const answers: Array<string> = []
    for (const ask of asks) answers.push(await askSocket(socket, ask, options.timeoutMs))
    return { title, via: "socket", answers }
  }
  const session = await openInspector(pid, options.port, options.timeoutMs)
  try {
    const answers: Array<string> = []
    for (const ask of asks) answers.push(await session.evaluateAsk(ask, options.timeoutMs))
    return { title, via: "inspector", answers }
  } finally {
    await session.detach()
  }
}

/** @internal */
export interface InspectorSession {
  evaluateAsk(ask: Ask, timeoutMs: number): Promise<string>
  /** Closes the session, and the target's inspector if we opened it; waits until it is closed. */
  detach(): Promise<void>
}

/**
 * Evaluated in the target before we detach: it closes the inspector once no session is attached,
 * which its own `/json/list` tells (an entry has its `webSocketDebuggerUrl` only while nobody is
 * attached), polled every 50 ms; after 10 s it closes anyway (someone else's session: `close()`
 * then waits for it to end, as Node documents).
 */
const closeWhenDetached = `(() => {
  const http = process.getBuiltinModule("node:http")
  const inspector = process.getBuiltinModule("node:inspector")
  const { hostname, port } = new URL(inspector.url())
  const since = Date.now()
  const check = () => {
    if (inspector.url() === undefined) return
    if (Date.now() - since > 10000) return inspector.close()
    const retry = () => setTimeout(check, 50)
    const req = http.get({ host: hostname, port, path: "/json/list", timeout: 1000 }, (res) => {
      let body = ""
      res.setEncoding("utf8")
      res.on("data", (chunk) => (body += chunk))
      res.on("end", () => {
        let free = false
        try {
          free = JSON.parse(body).every((t) => typeof t.webSocketDebuggerUrl === "string")
        } catch {}
        if (free) inspector.close()
        else retry()
      })
    })
    req.on("error", retry)
    req.on("timeout", () => req.destroy())
  }
  setTimeout(check, 20)
  return "closing"
})()`

/** Opens the target's inspector (SIGUSR1) and a session on it, checking it is the right process. @internal */
export const openInspector = async (pid: number, port: number, timeoutMs: number): Promise<InspectorSession> => {
  // an inspector already on the port is either our target's (started with --inspect) or someone else's
  const before = await inspectorAt(port)
  if (before === undefined) {
    try {
      process.kill(pid, "SIGUSR1")
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EPERM") {
        fail("PermissionDenied", `process ${pid} belongs to another user: run as that user`)
      }
      throw error
    }
  }
  let target = before
  for (let waited = 0; target === undefined && waited < timeoutMs; waited += 50) {
    await sleep(50)
    target = await inspectorAt(port)
  }
  if (target === undefined) {
    fail(
      "InspectorUnavailable",
      `process ${pid} did not open Node's inspector on 127.0.0.1:${port} within ${timeoutMs} ms ` +
        `(started with --disable-sigusr1, another --inspect-port, or the port is taken: see its stderr; ` +
        `or serve the registry on a socket: TASKSCOPE_INSPECT_SOCKET=1)`
    )
  }
  const session = await Session.open(target!.webSocketDebuggerUrl, timeoutMs)
  const opened = before === undefined
  const detach = async () => {
    if (opened) {
      // closed by the target once our session has gone: closing while a session is attached crashes
      // Node 20 now and then (a segmentation fault in the target, seen under load: nodejs/node#18761)
      await session.evaluate(closeWhenDetached, timeoutMs).catch(() => undefined)
    }
    await session.close()
    if (opened) {
      for (let waited = 0; waited < timeoutMs && (await inspectorAt(port)) !== undefined; waited += 50) {
        await sleep(50)
      }
    }
  }
  const theirPid = await session.evaluate("process.pid", timeoutMs)
  if (theirPid !== pid) {
    await session.close()
    fail(
      "PortInUse",
      `127.0.0.1:${port} is taken by the inspector of process ${String(theirPid)}, so process ${pid} could not ` +
        `open its own: stop that one, or use --port with the target's --inspect-port`
    )
  }
  const loaded = await session.evaluate(`typeof ${HOOK}?.inspect === "function"`, timeoutMs)
  if (loaded !== true) {
    await detach()
    fail("NotLoaded", `process ${pid} is a Node process without Taskscope (no @taskscope/core registry in it)`)
  }
  return {
    evaluateAsk: async (ask, ms) => String(await session.evaluate(expressionOf(ask), ms)),
    detach
  }
}

/** Parses a snapshot the target sent. @internal */
export const parseSnapshot = (text: string): Registry.Snapshot => JSON.parse(text) as Registry.Snapshot

/** A reader kept open between reads (`taskscope top`): the socket, or one inspector session. @internal */
export interface Reader {
  readonly title: string
  readonly via: "socket" | "inspector"
  ask(ask: Ask): Promise<string>
  close(): Promise<void>
}

/** @internal */
export const openReader = async (
  pid: number,
  options: { readonly port: number; readonly timeoutMs: number; readonly socket?: string | undefined }
): Promise<Reader> => {
  const { title } = checkProcess(pid)
  const socket = options.socket ?? socketPath(pid)
  if (existsSync(socket)) {
    return {
      title,
      via: "socket",
      ask: (ask) => askSocket(socket, ask, options.timeoutMs),
      close: async () => {}
    }
  }
  const session = await openInspector(pid, options.port, options.timeoutMs)
  return {
    title,
    via: "inspector",
    ask: (ask) => session.evaluateAsk(ask, options.timeoutMs),
    close: () => session.detach()
  }
}
