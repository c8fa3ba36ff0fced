/**
 * The registry of live tasks on a Unix socket, for programs that must not open Node's inspector.
 * `taskscope ps <pid>` (from `@taskscope/inspect`) reads a running program's tasks through Node's
 * inspector, which it opens with SIGUSR1 and closes again after the read; while it is open, any
 * local user could connect to it. A program that must never open it serves the same snapshot here
 * instead, on a socket only its owner can read (the directory is mode 0700, the socket 0600), and
 * the command finds it there first.
 *
 * Opt in with the environment variable `TASKSCOPE_INSPECT_SOCKET=1` (the default path) or
 * `=<path>` under `Runtime.runMain`, or with {@link layer} / {@link serve} in any program.
 *
 * @since 0.2.0
 */
import { Registry } from "@taskscope/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { chmodSync, mkdirSync, rmSync, statSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"

/**
 * Where a process serves its registry by default: `<tmpdir>/taskscope-<uid>/<pid>.sock`.
 *
 * @example
 * ```ts
 * import { Inspector } from "@taskscope/platform-node"
 *
 * Inspector.socketPath(process.pid) // e.g. "/tmp/taskscope-1000/4242.sock"
 * ```
 *
 * @since 0.2.0
 * @category utils
 */
export const socketPath = (pid: number): string =>
  join(tmpdir(), `taskscope-${process.getuid?.() ?? "user"}`, `${pid}.sock`)

/** One request per connection, one line: `snapshot`, `trace start [limit]` or `trace stop`. */
const answer = (request: string): string => {
  const [verb, arg, limit] = request.trim().split(/\s+/)
  if (verb === "snapshot") return JSON.stringify(Registry.unsafeSnapshot(Date.now()))
  if (verb === "trace" && arg === "start") {
    Registry.unsafeStartTrace(limit === undefined ? undefined : Number(limit))
    return JSON.stringify({ tracing: true })
  }
  if (verb === "trace" && arg === "stop") return JSON.stringify(Registry.unsafeStopTrace(Date.now()))
  return JSON.stringify({ error: `unknown request: ${request.trim().slice(0, 80)}` })
}

/**
 * Serves the registry on a Unix socket for as long as the scope is open (the socket file is
 * removed when it closes). The directory is made mode 0700 and the socket 0600: only the user the
 * program runs as can read it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Inspector } from "@taskscope/platform-node"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   yield* Inspector.serve()
 *   // … the program's work: `taskscope ps <pid>` reads it through the socket
 * }))
 * ```
 *
 * @since 0.2.0
 * @category constructors
 */
export const serve = (options?: { readonly path?: string }): Effect.Effect<string, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ readonly path: string; readonly close: () => void }>((resume) => {
      const path = options?.path ?? socketPath(process.pid)
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
      // a directory we made earlier, or someone else's: it must be ours alone
      if ((statSync(dirname(path)).mode & 0o077) !== 0) chmodSync(dirname(path), 0o700)
      rmSync(path, { force: true })
      const server = createServer((socket) => {
        let request = ""
        socket.setEncoding("utf8")
        socket.on("data", (chunk: string) => {
          request += chunk
          if (!request.includes("\n")) return
          socket.end(answer(request.slice(0, request.indexOf("\n"))) + "\n")
        })
        socket.on("error", () => socket.destroy())
      })
      // the socket must not keep the program alive by itself
      server.unref()
      server.listen(path, () => {
        chmodSync(path, 0o600)
        resume(Effect.succeed({
          path,
          close: () => {
            server.close()
            rmSync(path, { force: true })
          }
        }))
      })
    }),
    (served) => Effect.sync(served.close)
  ).pipe(Effect.map((served) => served.path))

/**
 * {@link serve} as a Layer, at the default path.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Inspector } from "@taskscope/platform-node"
 *
 * const program = Effect.never.pipe(Effect.provide(Inspector.layer))
 * ```
 *
 * @since 0.2.0
 * @category layers
 */
export const layer: Layer.Layer<never> = Layer.scopedDiscard(serve())

/**
 * The socket asked for by the environment: `TASKSCOPE_INSPECT_SOCKET=1` (the default path) or a
 * path; undefined when unset or empty. `runMain` reads it.
 *
 * @example
 * ```ts
 * import { Inspector } from "@taskscope/platform-node"
 *
 * Inspector.fromEnvironment({ TASKSCOPE_INSPECT_SOCKET: "1" }) // the default path of this process
 * ```
 *
 * @since 0.2.0
 * @category utils
 */
export const fromEnvironment = (env: Record<string, string | undefined>): string | undefined => {
  const value = env.TASKSCOPE_INSPECT_SOCKET
  if (value === undefined || value === "" || value === "0") return undefined
  return value === "1" ? socketPath(process.pid) : value
}
