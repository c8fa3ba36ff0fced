// Ways a Redis connection goes wrong, for tests in real time: a redis-server of the test's own that
// can be frozen (SIGSTOP), thawed, killed and restarted; a port that accepts connections and never
// answers; a path that stops carrying bytes (a dead network path: no FIN, no RST); and a recorder of
// everything written to stdout and stderr (the library must write nothing there).
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer, type Server, Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const port = portOf(server)
      server.close(() => resolve(port))
    })
  })

/**
 * A redis-server of the test's own on a free loopback port (never the shared one): it can be frozen
 * with SIGSTOP (its port still accepts connections; nothing answers), thawed, killed and restarted.
 */
export const ownRedis = async () => {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), "taskscope-faults-"))
  let child: ChildProcess | undefined
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const c = spawn("redis-server", ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--dir", dir], {
        stdio: ["ignore", "pipe", "ignore"]
      })
      child = c
      let out = ""
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000)
      c.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString()
        if (out.includes("Ready to accept connections")) {
          clearTimeout(timer)
          resolve()
        }
      })
      c.once("error", (e) => {
        clearTimeout(timer)
        reject(e)
      })
    })
  const kill = () =>
    new Promise<void>((resolve) => {
      const c = child
      if (c === undefined || c.exitCode !== null || c.signalCode !== null) return resolve()
      c.once("exit", () => resolve())
      c.kill("SIGKILL")
      child = undefined
    })
  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    freeze: () => void child?.kill("SIGSTOP"),
    thaw: () => void child?.kill("SIGCONT"),
    kill,
    start,
    close: async () => {
      await kill()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** A TCP server on a free loopback port that accepts connections and never answers. */
export const silentPort = (): Promise<{ readonly port: number; close(): Promise<void> }> =>
  new Promise((resolve) => {
    const sockets = new Set<Socket>()
    const server = createServer((socket) => {
      sockets.add(socket)
      socket.on("error", () => {})
      socket.on("close", () => sockets.delete(socket))
    })
    server.listen(0, "127.0.0.1", () => {
      resolve({
        port: portOf(server),
        close: () =>
          new Promise((done) => {
            for (const socket of sockets) socket.destroy()
            server.close(() => done())
          })
      })
    })
  })

const portOf = (server: Server): number => {
  const address = server.address()
  return typeof address === "object" && address !== null ? address.port : 0
}

/**
 * A TCP proxy on a free loopback port in front of `target`. `cut()` makes it a black hole: every
 * byte, both ways, on every connection (old and new) is dropped, and nothing is closed — what a
 * dead network path looks like. `mend()` carries bytes again for new connections.
 */
export const blackHoleProxy = (target: number): Promise<{
  readonly port: number
  cut(): void
  mend(): void
  close(): Promise<void>
}> =>
  new Promise((resolve) => {
    let cut = false
    const pairs = new Set<{ client: Socket; upstream: Socket }>()
    const server = createServer((client) => {
      client.on("error", () => {})
      if (cut) {
        // accepted, and never answered
        client.on("data", () => {})
        pairs.add({ client, upstream: client })
        return
      }
      const upstream = new Socket()
      upstream.on("error", () => client.destroy())
      const pair = { client, upstream }
      pairs.add(pair)
      upstream.connect(target, "127.0.0.1")
      client.on("data", (chunk: Buffer) => {
        if (!cut) upstream.write(chunk)
      })
      upstream.on("data", (chunk: Buffer) => {
        if (!cut) client.write(chunk)
      })
      client.on("close", () => {
        upstream.destroy()
        pairs.delete(pair)
      })
      upstream.on("close", () => {
        if (!cut) client.destroy()
      })
    })
    server.listen(0, "127.0.0.1", () => {
      resolve({
        port: portOf(server),
        cut: () => {
          cut = true
        },
        mend: () => {
          cut = false
          // the connections that lived through the cut have lost bytes: they are worthless now
          for (const { client, upstream } of pairs) {
            client.destroy()
            upstream.destroy()
          }
          pairs.clear()
        },
        close: () =>
          new Promise((done) => {
            for (const { client, upstream } of pairs) {
              client.destroy()
              upstream.destroy()
            }
            server.close(() => done())
          })
      })
    })
  })

/**
 * Records what is written to stdout and stderr (and through `console`) until `stop()`, and still
 * lets it through: the library must write nothing there.
 */
export const recordOutput = () => {
  const seen: Array<string> = []
  const stdout = process.stdout.write
  const stderr = process.stderr.write
  const methods = ["log", "info", "warn", "error", "debug", "trace"] as const
  const saved = methods.map((m) => console[m])
  const record = (original: typeof process.stdout.write, stream: string) =>
    function(this: unknown, chunk: unknown, ...rest: Array<unknown>) {
      seen.push(`${stream}: ${String(chunk)}`)
      return (original as (...args: Array<unknown>) => boolean).call(this, chunk, ...rest)
    } as typeof process.stdout.write
  process.stdout.write = record(stdout, "stdout")
  process.stderr.write = record(stderr, "stderr")
  methods.forEach((m, i) => {
    console[m] = (...args: Array<unknown>) => {
      seen.push(`console.${m}: ${args.map(String).join(" ")}`)
      ;(saved[i] as (...args: Array<unknown>) => void)(...args)
    }
  })
  return {
    seen,
    stop: () => {
      process.stdout.write = stdout
      process.stderr.write = stderr
      methods.forEach((m, i) => {
        console[m] = saved[i]!
      })
    }
  }
}
