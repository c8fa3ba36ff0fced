#!/usr/bin/env node
/**
 * `taskscope ps|pstree|top|trace <pid>`: the live tasks of a running Node program that uses
 * Taskscope, read from outside (see the `Inspect` module for how it attaches).
 */
import { Inspect } from "./index.js"
import * as attach from "./internal/attach.js"
import * as render from "./internal/render.js"

const usage = `usage: taskscope <command> <pid> [options]

commands:
  ps <pid>        one line per live task: id, name, group, state, age, deadline, attempt, what it waits on
  pstree <pid>    the groups and their tasks as a tree
  top <pid>       a live view, refreshed every second (q or Ctrl-C to leave)
  trace <pid>     record what runs for --seconds (default 10) and print a Chrome trace (Perfetto) as JSON

options:
  --json          machine-readable output (top: one JSON snapshot per refresh)
  -n <count>      top: stop after that many refreshes
  --seconds <s>   trace: how long to record (default 10)
  --port <port>   the port the target opens its inspector on (its --inspect-port; default 9229)
  --socket <path> the target's inspector socket, when it serves one elsewhere than the default path
  --timeout <ms>  how long to wait for the target at each step (default 3000)

Attaching opens Node's inspector in the target (SIGUSR1) on 127.0.0.1 only for the read, then closes
it; programs that must never open it serve the same data on a socket: TASKSCOPE_INSPECT_SOCKET=1.
`

const die = (message: string, code = 1): never => {
  process.stderr.write(`taskscope: ${message}\n`)
  process.exit(code)
}

const parse = (argv: ReadonlyArray<string>) => {
  const [command, pidText, ...rest] = argv
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(usage)
    process.exit(0)
  }
  if (!["ps", "pstree", "top", "trace"].includes(command)) {
    die(`unknown command "${command}" (ps, pstree, top, trace)`, 2)
  }
  if (pidText === undefined) die(`${command}: which process? (taskscope ${command} <pid>)`, 2)
  const pid = Number(pidText)
  if (!Number.isInteger(pid) || pid <= 0) die(`${command}: not a process id: "${pidText}"`, 2)
  const flags = {
    json: false,
    n: Infinity,
    seconds: 10,
    port: 9229,
    timeoutMs: 3000,
    socket: undefined as string | undefined
  }
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i]
    const value = () => {
      const v = rest[++i]
      if (v === undefined) die(`${flag}: needs a value`, 2)
      return v!
    }
    const number = (name: string, min: number) => {
      const text = value()
      const n = Number(text)
      if (!Number.isFinite(n) || n < min) die(`${name}: expected a number of at least ${min}, got "${text}"`, 2)
      return n
    }
    if (flag === "--json") flags.json = true
    else if (flag === "-n") flags.n = number("-n", 1)
    else if (flag === "--seconds") flags.seconds = number("--seconds", 0)
    else if (flag === "--port") flags.port = number("--port", 1)
    else if (flag === "--timeout") flags.timeoutMs = number("--timeout", 1)
    else if (flag === "--socket") flags.socket = value()
    else die(`unknown option "${flag}" (taskscope --help)`, 2)
  }
  return { command, pid, ...flags }
}

const width = () => (process.stdout.isTTY ? process.stdout.columns : Infinity)

const topLoop = async (args: ReturnType<typeof parse>) => {
  const reader = await attach.openReader(args.pid, args)
  const interactive = process.stdout.isTTY && process.stdin.isTTY && !args.json
  let stopped = false
  const stop = () => {
    stopped = true
  }
  process.on("SIGINT", stop)
  process.on("SIGTERM", stop)
  if (interactive) {
    process.stdin.setRawMode(true)
    process.stdin.resume()
    process.stdin.on("data", (key: Buffer) => {
      const k = key.toString()
      if (k === "q" || k === "\u0003") stop()
    })
    process.stdout.write("\x1b[?25l")
  }
  try {
    let previous: ReturnType<typeof attach.parseSnapshot> | undefined
    for (let i = 0; i < args.n && !stopped; i++) {
      const snapshot = { ...attach.parseSnapshot(await reader.ask("snapshot")), pid: args.pid, title: reader.title }
      if (args.json) process.stdout.write(JSON.stringify(snapshot) + "\n")
      else {
        const size = { width: process.stdout.columns ?? 80, height: process.stdout.rows ?? 24 }
        const frame = render.top(snapshot, snapshot, size, previous)
        process.stdout.write((interactive ? "\x1b[H\x1b[2J" : "") + frame)
      }
      previous = snapshot
      for (let waited = 0; waited < 1000 && !stopped && i + 1 < args.n; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
  } finally {
    if (interactive) {
      process.stdin.setRawMode(false)
      process.stdin.pause()
      process.stdout.write("\x1b[?25h")
    }
    await reader.close()
  }
}

const main = async () => {
  const args = parse(process.argv.slice(2))
  const options = {
    port: args.port,
    timeoutMs: args.timeoutMs,
    ...(args.socket === undefined ? {} : { socket: args.socket })
  }
  switch (args.command) {
    case "ps":
    case "pstree": {
      const snapshot = await Inspect.snapshot(args.pid, options)
      if (args.json) return void process.stdout.write(JSON.stringify(snapshot) + "\n")
      return void process.stdout.write(
        args.command === "ps" ? Inspect.renderList(snapshot, width()) : Inspect.renderTree(snapshot, width())
      )
    }
    case "top":
      return topLoop(args)
    case "trace": {
      const trace = await Inspect.trace(args.pid, args.seconds, options)
      return void process.stdout.write(JSON.stringify(trace) + "\n")
    }
  }
}

main().catch((error: unknown) => {
  if (Inspect.isInspectError(error)) die(error.message)
  die(`unexpected error: ${error instanceof Error ? error.message : String(error)}`)
})
