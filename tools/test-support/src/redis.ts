import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { freePort } from "./ports.js"

export interface RedisOptions {
  /**
   * Keep every write in an append-only file synced on each command, so a restart loses nothing.
   * Default: nothing is saved (`--save ''`, no append-only file), and a restart starts empty.
   */
  readonly persistent?: boolean
  /** Started with `--requirepass`; the URL carries it. */
  readonly password?: string
  /** The port speaks TLS only (a self-signed certificate made with openssl); the URL is then `rediss://`. */
  readonly tls?: boolean
}

export interface RedisServer {
  readonly url: string
  readonly port: number
  /**
   * Stops it with `signal` and waits until it has exited. SIGTERM (the default) is its end: it shuts
   * down and its directory is removed. SIGKILL loses it at once, as a crash does; a persistent
   * server then keeps its directory, and its next `start` finds every write.
   */
  stop(signal?: NodeJS.Signals): Promise<void>
  /** Starts it again on the same port and directory (its data survives when `persistent`). */
  start(): Promise<void>
  /** Sends `signal` without waiting for anything: SIGSTOP freezes it, SIGCONT thaws it. */
  signal(signal: NodeJS.Signals): void
}

const waitReady = (child: ChildProcess): Promise<void> =>
  new Promise((resolve, reject) => {
    let out = ""
    const timer = setTimeout(() => fail(new Error(`redis-server did not start within 10 s: ${out}`)), 10_000)
    const settle = () => {
      clearTimeout(timer)
      child.stdout!.removeAllListeners("data")
      // keep draining its log, so that it never blocks on a full pipe
      child.stdout!.resume()
    }
    const fail = (error: Error) => {
      settle()
      child.kill("SIGKILL")
      reject(error)
    }
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes("Ready to accept connections")) {
        settle()
        resolve()
      }
    })
    child.once("exit", (code) => fail(new Error(`redis-server exited with ${code}: ${out}`)))
    child.once("error", (e) =>
      fail(
        new Error(
          `could not start redis-server (${e.message}): install Debian's redis-server (apt-get install -y redis-server) or set REDIS_URL`
        )
      ))
  })

/**
 * Debian's redis-server on a free loopback port, in a directory of its own. Rejects with a clear
 * message when there is no redis-server, or when it does not start within 10 s.
 */
export const startRedis = async (options: RedisOptions = {}): Promise<RedisServer> => {
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
    mkdirSync(dir, { recursive: true })
    const c = spawn("redis-server", args, { stdio: ["ignore", "pipe", "ignore"] })
    child = c
    await waitReady(c)
  }
  await start()
  return {
    url: `${options.tls === true ? "rediss" : "redis"}://${
      options.password === undefined ? "" : `:${options.password}@`
    }127.0.0.1:${port}`,
    port,
    start,
    signal: (signal) => {
      child?.kill(signal)
    },
    stop: async (signal = "SIGTERM") => {
      const c = child
      if (c === undefined || c.exitCode !== null || c.signalCode !== null) return
      const exited = new Promise<void>((resolve) => c.once("exit", () => resolve()))
      c.kill(signal)
      await exited
      child = undefined
      // its directory goes (a later `start` makes it again), but for a persistent server that was
      // killed: as after a crash, its next `start` finds its data
      if (signal !== "SIGKILL" || options.persistent !== true) rmSync(dir, { recursive: true, force: true })
    }
  }
}
