// Starts and stops a real redis-server (Debian's) on a free loopback port, for tests.
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { connect, createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })

/**
 * A port nobody listens on, and nobody will: below the kernel's ephemeral range (32768–60999
 * here), so no `listen(0)` elsewhere is handed it, and checked to refuse a connection. A closed
 * `freePort` can come back to the next `listen(0)` (about once in 2,000 here).
 */
export const deadPort = async (): Promise<number> => {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000)
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1")
      socket.once("connect", () => {
        socket.destroy()
        resolve(false)
      })
      socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"))
    })
    if (refused) return port
  }
}

export interface RedisServer {
  readonly url: string
  readonly port: number
  /** Stops the server (SIGTERM, or SIGKILL with `kill: true`) and waits for it to exit. */
  stop(options?: { readonly kill?: boolean }): Promise<void>
  /** Starts it again on the same port and directory (the data survives when `persistent`). */
  start(): Promise<void>
}

const waitReady = (child: ChildProcess): Promise<void> =>
  new Promise((resolve, reject) => {
    let out = ""
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000)
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes("Ready to accept connections")) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`redis-server exited with ${code}: ${out}`))
    })
    child.once("error", (e) => {
      clearTimeout(timer)
      reject(
        new Error(
          `could not start redis-server (${e.message}): install Debian's redis-server (apt-get install -y redis-server) or set REDIS_URL`
        )
      )
    })
  })

/**
 * `persistent: true` keeps every write in an append-only file synced on each command, so a restart
 * loses nothing (the default server is started with `--save ''` and keeps nothing). `password`
 * starts it with `--requirepass`; `tls` makes its port speak TLS only (a self-signed certificate made
 * with openssl), and the URL is then `rediss://`.
 */
export const startRedis = async (
  options: { readonly persistent?: boolean; readonly password?: string; readonly tls?: boolean } = {}
): Promise<RedisServer> => {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), "taskscope-redis-"))
  const args = ["--bind", "127.0.0.1", "--save", "", "--dir", dir]
  if (options.tls === true) {
    execFileSync("openssl", [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem")
    ], { stdio: "ignore" })
    args.push(
      "--port",
      "0",
      "--tls-port",
      String(port),
      "--tls-cert-file",
      join(dir, "cert.pem"),
      "--tls-key-file",
      join(dir, "key.pem"),
      "--tls-ca-cert-file",
      join(dir, "cert.pem"),
      "--tls-auth-clients",
      "no"
    )
  } else args.push("--port", String(port))
  if (options.password !== undefined) args.push("--requirepass", options.password)
  if (options.persistent === true) args.push("--appendonly", "yes", "--appendfsync", "always")
  else args.push("--appendonly", "no")
  let child: ChildProcess | undefined
  const start = async () => {
    child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] })
    await waitReady(child)
  }
  await start()
  return {
    url: `${options.tls === true ? "rediss" : "redis"}://${
      options.password === undefined ? "" : `:${options.password}@`
    }127.0.0.1:${port}`,
    port,
    start,
    stop: async (stopOptions) => {
      const c = child
      if (c === undefined || c.exitCode !== null) return
      const exited = new Promise<void>((resolve) => c.once("exit", () => resolve()))
      c.kill(stopOptions?.kill === true ? "SIGKILL" : "SIGTERM")
      await exited
      child = undefined
      if (stopOptions?.kill !== true && options.persistent !== true) rmSync(dir, { recursive: true, force: true })
    }
  }
}
