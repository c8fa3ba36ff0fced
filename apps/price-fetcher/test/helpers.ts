/**
 * Running the built app the way a user does: `node dist/main.js` (never through pnpm, which does not
 * pass signals on cleanly), in a pipe or in a pseudo-terminal, with real signals.
 * `PRICE_FETCHER_MAIN` points the tests at another build (e.g. an older one, to see them fail).
 */
import { assert, expect } from "@effect/vitest"
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { type AddressInfo, createServer as createNetServer, type Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

import { afterCpu } from "@taskscope/test-support"

// the ports, CPU time and redis-server that every test tree shares
export { afterCpu, deadPort, freePort, type RedisServer, startRedis } from "@taskscope/test-support"

export const main = process.env.PRICE_FETCHER_MAIN ?? fileURLToPath(new URL("../dist/main.js", import.meta.url))

export const tempFile = (name = "prices.jsonl") => join(mkdtempSync(join(tmpdir(), "price-fetcher-")), name)

export interface Run {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  /** Milliseconds from spawning to exit. */
  readonly wallMs: number
  /** Milliseconds from the first signal sent to exit. */
  readonly afterSignalMs: number | undefined
  /** Milliseconds from spawning to the first signal. */
  readonly signalledAfterMs: number | undefined
  /** Milliseconds from the first signal to the first "stopping…" on stderr. */
  readonly stoppingAfterMs: number | undefined
}

export interface RunOptions {
  /** Signals to send, the first when `when` says so, the others `gapMs` apart. */
  readonly signals?: ReadonlyArray<NodeJS.Signals>
  readonly gapMs?: number
  /**
   * When to send the first signal: after this many reported prices (`--json`), after `afterMs`, or once the
   * app has used `afterCpuMs` of CPU time.
   */
  readonly afterPrices?: number
  readonly afterMs?: number
  readonly afterCpuMs?: number
  readonly env?: Record<string, string>
  readonly cwd?: string
  /** Run through `bash -c '<prefix>; exec node main.js ...'` (e.g. `ulimit -f 4`). */
  readonly shellPrefix?: string
  /** Called with each stdout chunk; may destroy the pipe (`| head -1`). */
  readonly onStdout?: (all: string, child: ChildProcess) => void
  /** Called with each stderr chunk. */
  readonly onStderr?: (all: string) => void
  /** When to send the first signal: when this says so, on each chunk of stdout or stderr. */
  readonly signalWhen?: (stdout: string, stderr: string) => boolean
  readonly timeoutMs?: number
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

export const runApp = (args: ReadonlyArray<string>, options: RunOptions = {}): Promise<Run> =>
  new Promise((resolve, reject) => {
    const started = Date.now()
    const child = options.shellPrefix === undefined
      ? spawn(process.execPath, [main, ...args], {
        env: { ...process.env, ...options.env },
        cwd: options.cwd,
        stdio: ["ignore", "pipe", "pipe"]
      })
      : spawn(
        "bash",
        ["-c", `${options.shellPrefix}; exec ${quote(process.execPath)} ${[main, ...args].map(quote).join(" ")}`],
        { env: { ...process.env, ...options.env }, cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] }
      )
    let stdout = "", stderr = ""
    let signalledAt: number | undefined
    let stoppingAt: number | undefined
    const send = () => {
      if (signalledAt !== undefined || options.signals === undefined) return
      signalledAt = Date.now()
      options.signals.forEach((signal, i) =>
        i === 0 ? child.kill(signal) : setTimeout(() => child.kill(signal), i * (options.gapMs ?? 400))
      )
    }
    if (options.afterMs !== undefined) setTimeout(send, options.afterMs)
    if (options.afterCpuMs !== undefined) afterCpu(child.pid!, options.afterCpuMs).then(send, reject)
    // also between chunks: the moment may come while the app is silent
    const poll = options.signalWhen === undefined ? undefined : setInterval(() => {
      if (options.signalWhen!(stdout, stderr)) send()
    }, 50)
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`the app did not exit:\n${stdout.slice(-1500)}\n${stderr.slice(-1500)}`))
    }, options.timeoutMs ?? 60_000)
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
      options.onStdout?.(stdout, child)
      if (options.afterPrices !== undefined && (stdout.match(/"fetched"/g) ?? []).length >= options.afterPrices) send()
      if (options.signalWhen?.(stdout, stderr) === true) send()
    })
    child.stdout!.on("error", () => {})
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString()
      if (stoppingAt === undefined && stderr.includes("stopping…")) stoppingAt = Date.now()
      options.onStderr?.(stderr)
      if (options.signalWhen?.(stdout, stderr) === true) send()
    })
    child.on("exit", (code, signal) => {
      clearTimeout(timer)
      clearInterval(poll)
      const now = Date.now()
      resolve({
        code,
        signal,
        stdout,
        stderr,
        wallMs: now - started,
        afterSignalMs: signalledAt === undefined ? undefined : now - signalledAt,
        signalledAfterMs: signalledAt === undefined ? undefined : signalledAt - started,
        stoppingAfterMs: signalledAt === undefined || stoppingAt === undefined ? undefined : stoppingAt - signalledAt
      })
    })
  })

export const lines = (text: string) => text.split("\n").filter((l) => l.length > 0)

export interface Saved {
  readonly run: string
  readonly id: string
  readonly price: number
  readonly at: number
}

export const jsonLines = (text: string): Array<Record<string, any>> => lines(text).map((l) => JSON.parse(l))

export const summaryOf = (r: Run): Record<string, any> | undefined =>
  jsonLines(r.stdout).find((o) => o.summary !== undefined)?.summary

export interface ServerCounters {
  readonly requests: number
  readonly breaches: number
  readonly duringPause: number
  readonly maxPerSecond: number
  readonly limit: number
  readonly injected429: number
  readonly hangs: number
  readonly lateReads: number
}

/**
 * Checks a `--json` run: stdout is only JSON lines; the file holds whole JSON lines, exactly the
 * prices this run reported, once each; the summary counts them. Returns this run's saved prices.
 */
export const checkFile = (r: Run, file: string): Array<Saved> => {
  const out = jsonLines(r.stdout)
  const summary = out.find((o) => o.summary !== undefined)?.summary
  assert.isDefined(summary, `no summary: ${r.stdout.slice(-500)} ${r.stderr}`)
  const text = readFileSync(file, "utf8")
  assert.isTrue(text === "" || text.endsWith("\n"), "the file ends with a torn line")
  const saved = lines(text).map((l) => JSON.parse(l) as Saved).filter((p) => p.run === summary.run)
  const ids = saved.map((p) => p.id)
  assert.strictEqual(new Set(ids).size, ids.length, "a price is in the file twice")
  const reported = out.filter((o) => o.fetched !== undefined).map((o) => o.fetched.id as string)
  expect([...reported].sort(), "reported and saved prices differ").toStrictEqual([...ids].sort())
  assert.strictEqual(summary.fetched, saved.length, "the summary does not count what the file holds")
  for (const p of saved) assert.isTrue(Number.isFinite(p.price) && p.price > 0)
  return saved
}

/** The exchange's own counts: no limit exceeded, nothing sent during a Retry-After it delivered. */
export const checkServer = (server: Record<string, ServerCounters>, label = "") => {
  // requests the exchange read in or just after a freeze of its process are not judged: most are
  const all = Object.values(server)
  const late = all.reduce((n, c) => n + c.lateReads, 0)
  const requests = all.reduce((n, c) => n + c.requests, 0)
  assert.isAtMost(late, requests / 2, `${label}most requests were read late (${late} of ${requests})`)
  for (const [name, c] of Object.entries(server)) {
    assert.strictEqual(
      c.breaches,
      0,
      `${label}${name} breached its rate limit (max ${c.maxPerSecond}/s of ${c.limit}/s)`
    )
    assert.strictEqual(c.duringPause, 0, `${label}${name} got requests during a Retry-After`)
    assert.isAtMost(c.maxPerSecond, c.limit)
  }
}

/** No stack trace, anywhere. */
export const noStack = (r: Run) => {
  assert.notMatch(r.stdout + r.stderr, /^\s+at .+:\d+:\d+\)?$/m, "a stack trace was printed")
}

/** A fake exchange on a free loopback port, answering every request with `handler`. */
export const fakeExchange = async (
  handler: (req: IncomingMessage, res: ServerResponse) => void
): Promise<{ readonly url: string; readonly requests: () => number; readonly close: () => Promise<void> }> => {
  let requests = 0
  const server: Server = createServer((req, res) => {
    requests++
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

// eslint-disable-next-line no-control-regex
export const stripAnsi = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "")

export interface PtyRun {
  readonly code: number | null
  /** Everything the terminal showed, escape sequences included. */
  readonly output: string
  /** Where in `output` the terminal was resized. */
  readonly resizedAt: number | undefined
  /** Milliseconds from Ctrl-C (or the hang-up) to the exit. */
  readonly afterCtrlCMs: number | undefined
  /** Milliseconds from Ctrl-C (or the hang-up) to "stopping…" on the screen. */
  readonly stoppingAfterMs: number | undefined
}

/**
 * Runs a command line in a pseudo-terminal (`script`) of `columns` × `rows` (default 50), and types
 * Ctrl-C (the terminal turns it into SIGINT for the foreground program) when `ctrlC` says so.
 */
export const runInTerminal = (
  command: string,
  options: {
    readonly columns: number
    readonly rows?: number
    /** Called with the screen output so far; returns true when it is time for Ctrl-C. */
    readonly ctrlC?: (output: string, elapsedMs: number) => boolean
    /**
     * Called likewise; returns true when it is time to send SIGHUP to the program in the terminal
     * (what the kernel sends when the terminal is closed), while the terminal stays there to show
     * what the program prints next.
     */
    readonly hangUp?: (output: string, elapsedMs: number) => boolean
    /** Resizes the terminal (the program gets SIGWINCH) once `when` says so. */
    readonly resize?: {
      readonly when: (output: string, elapsedMs: number) => boolean
      readonly columns: number
      readonly rows: number
    }
    readonly cwd?: string
    readonly timeoutMs?: number
  }
): Promise<PtyRun> =>
  new Promise((resolve, reject) => {
    const started = Date.now()
    // `script` runs the command with $SHELL, or /bin/sh when it is unset (as on CI): named here so a
    // run is the same everywhere. A non-interactive dash dies of the Ctrl-C itself (exit 130) while
    // bash waits for its child, so a command that should own the terminal is given with `exec`.
    const size = `stty cols ${options.columns} rows ${options.rows ?? 50}`
    const child = spawn("script", ["-qfec", `${size}; ${command}`, "/dev/null"], {
      cwd: options.cwd,
      env: { ...process.env, SHELL: "/bin/sh" },
      stdio: ["pipe", "pipe", "pipe"]
    })
    let output = ""
    let ctrlCAt: number | undefined
    let stoppingAt: number | undefined
    let resizedAt: number | undefined
    /** The program: `script`'s child (the command line `exec`s it). */
    const program = () => execFileSync("pgrep", ["-P", String(child.pid)], { encoding: "utf8" }).trim().split("\n")[0]
    const check = () => {
      const { resize } = options
      if (resize !== undefined && resizedAt === undefined && resize.when(output, Date.now() - started)) {
        const tty = execFileSync("ps", ["-o", "tty=", "-p", program()], { encoding: "utf8" }).trim()
        execFileSync("stty", ["-F", `/dev/${tty}`, "cols", String(resize.columns), "rows", String(resize.rows)])
        resizedAt = output.length
      }
      if (ctrlCAt === undefined && options.ctrlC?.(output, Date.now() - started) === true) {
        ctrlCAt = Date.now()
        child.stdin.write("\x03")
      }
      if (ctrlCAt === undefined && options.hangUp?.(output, Date.now() - started) === true) {
        const pid = program()
        ctrlCAt = Date.now()
        process.kill(Number(pid), "SIGHUP")
      }
    }
    const poll = setInterval(check, 50)
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`${command} did not exit:\n${stripAnsi(output).slice(-2000)}`))
    }, options.timeoutMs ?? 60_000)
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString()
      if (ctrlCAt !== undefined && stoppingAt === undefined && output.includes("stopping…")) stoppingAt = Date.now()
      check()
    })
    child.on("exit", (code) => {
      clearInterval(poll)
      clearTimeout(timer)
      resolve({
        code,
        output,
        resizedAt,
        afterCtrlCMs: ctrlCAt === undefined ? undefined : Date.now() - ctrlCAt,
        stoppingAfterMs: ctrlCAt === undefined || stoppingAt === undefined ? undefined : stoppingAt - ctrlCAt
      })
    })
  })

/**
 * What a terminal of `columns` × `rows` shows after `output`, and what scrolled off its top into
 * the history: a small VT100 (printable text with autowrap, CR, LF, cursor home and position,
 * erase in line and in display) — enough to tell a table that repaints in place from one whose
 * frames pile up in the scrollback.
 */
export const emulate = (output: string, columns: number, rows: number) => {
  const blank = () => " ".repeat(columns)
  const screen = Array.from({ length: rows }, blank)
  const history: Array<string> = []
  let row = 0, col = 0
  const put = (
    r: number,
    c: number,
    text: string
  ) => (screen[r] = screen[r].slice(0, c) + text + screen[r].slice(c + text.length))
  const lineFeed = () => {
    if (row < rows - 1) return void row++
    history.push(screen.shift()!.trimEnd())
    screen.push(blank())
  }
  // eslint-disable-next-line no-control-regex
  const tokens = output.match(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[^[]|[\r\n]|[^\x1b\r\n]/g) ?? []
  for (const t of tokens) {
    if (t === "\n") lineFeed()
    else if (t === "\r") col = 0
    else if (t.startsWith("\x1b[")) {
      const args = t.slice(2, -1).replace("?", "").split(";").map((n) => Number(n) || 0)
      const final = t.at(-1)
      if (final === "H" || final === "f") {
        ;[row, col] = [Math.max(0, (args[0] || 1) - 1), Math.max(0, (args[1] || 1) - 1)]
      } else if (final === "K") put(row, Math.min(col, columns - 1), " ".repeat(columns - Math.min(col, columns - 1)))
      else if (final === "J") {
        if (args[0] === 0) put(row, col, " ".repeat(Math.max(0, columns - col)))
        for (let r = args[0] === 0 ? row + 1 : 0; r < rows; r++) screen[r] = blank()
      }
    } else if (t.length === 1 && t >= " ") {
      if (col >= columns) {
        col = 0
        lineFeed()
      }
      put(row, col++, t)
    }
  }
  return { screen: screen.map((l) => l.trimEnd()), history }
}

/** A loopback port that accepts connections and never answers (a dead network path, a black-holing proxy). */
export const silentPort = async (): Promise<{ readonly port: number; readonly close: () => void }> => {
  const sockets: Array<Socket> = []
  const server = createNetServer((socket) => void sockets.push(socket))
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy()
      server.close()
    }
  }
}
