/**
 * The one place that handles the process's termination signals. SIGINT (Ctrl-C), SIGTERM (`kill`,
 * a service manager, a container runtime) and SIGHUP (the terminal was closed) all ask for the
 * same graceful shutdown; a second signal forces the exit at once with 128 + the signal's number
 * (130, 143, 129). A signal within 200 ms of the first is the same one: `pnpm run` and `npm run`
 * pass the terminal's Ctrl-C on to their child, which then receives it twice.
 *
 * `runMain` uses this module; install it yourself only to catch signals earlier — this module
 * imports nothing but Node's `process`, so an entry file can install it before it loads the rest of
 * the program (which can take a while), and a Ctrl-C in that window is not lost:
 *
 * ```ts
 * // main.ts
 * import { install } from "@taskscope/platform-node/Signals"
 * install() // from here on, a signal is a shutdown request, kept until runMain takes it
 * await import("./app.js") // the program, which calls Runtime.runMain
 * ```
 *
 * @since 0.2.0
 */

/**
 * The signals that request a graceful shutdown.
 *
 * @since 0.2.0
 * @category models
 */
export type Signal = "SIGINT" | "SIGTERM" | "SIGHUP"

/**
 * The signals handled, in the order their handlers are installed.
 *
 * @example
 * ```ts
 * import { signals } from "@taskscope/platform-node/Signals"
 *
 * signals // ["SIGINT", "SIGTERM", "SIGHUP"]
 * ```
 *
 * @since 0.2.0
 * @category constants
 */
export const signals: ReadonlyArray<Signal> = ["SIGINT", "SIGTERM", "SIGHUP"]

/**
 * Signals this close to the first are the same request (a package manager passes Ctrl-C on twice).
 *
 * @example
 * ```ts
 * import { sameSignalMillis } from "@taskscope/platform-node/Signals"
 *
 * sameSignalMillis // 200
 * ```
 *
 * @since 0.2.0
 * @category constants
 */
export const sameSignalMillis = 200

/**
 * The exit code of a process ended by `signal`: 128 + the signal's number, as a shell reports it.
 *
 * @example
 * ```ts
 * import { exitCodeOf } from "@taskscope/platform-node/Signals"
 *
 * exitCodeOf("SIGINT") // 130
 * exitCodeOf("SIGHUP") // 129
 * ```
 *
 * @since 0.2.0
 * @category utils
 */
export const exitCodeOf = (signal: Signal): number => signal === "SIGINT" ? 130 : signal === "SIGTERM" ? 143 : 129

/**
 * What a signal means and how to force the exit, in words a program can print.
 *
 * @since 0.2.0
 * @category models
 */
export interface Description {
  readonly signal: Signal
  /** What usually sends it. */
  readonly cause: string
  /** How to force the exit: the same signal again. */
  readonly force: string
}

/**
 * Describes a signal for the person at the terminal.
 *
 * @example
 * ```ts
 * import { describe } from "@taskscope/platform-node/Signals"
 *
 * describe("SIGTERM").force // "send SIGTERM again to force"
 * describe("SIGINT").force // "press Ctrl-C again to force"
 * ```
 *
 * @since 0.2.0
 * @category utils
 */
export const describe = (signal: Signal): Description =>
  signal === "SIGINT"
    ? { signal, cause: "Ctrl-C", force: "press Ctrl-C again to force" }
    : signal === "SIGTERM"
    ? { signal, cause: "a termination request (kill, a service manager)", force: "send SIGTERM again to force" }
    : { signal, cause: "the terminal was closed", force: "send SIGHUP again to force" }

/**
 * Whether a value is one of the signals handled here.
 *
 * @example
 * ```ts
 * import { isSignal } from "@taskscope/platform-node/Signals"
 *
 * isSignal("SIGHUP") // true
 * isSignal("SIGKILL") // false
 * ```
 *
 * @since 0.2.0
 * @category utils
 */
export const isSignal = (u: unknown): u is Signal => u === "SIGINT" || u === "SIGTERM" || u === "SIGHUP"

/**
 * Told about the signals once subscribed.
 *
 * @since 0.2.0
 * @category models
 */
export interface Listener {
  /** The first signal: shutdown is requested (also told at once to a late subscriber). */
  readonly onRequest: (signal: Signal, at: number) => void
  /** A second signal (after 200 ms): called just before the process exits with its code. */
  readonly onForce?: (signal: Signal) => void
}

interface State {
  installed: boolean
  first: { readonly signal: Signal; readonly at: number } | undefined
  readonly listeners: Set<Listener>
  readonly handler: (signal: NodeJS.Signals) => void
}

const KEY = Symbol.for("@taskscope/platform-node/Signals")

const state = (): State => {
  const holder = globalThis as { [KEY]?: State }
  return (holder[KEY] ??= {
    installed: false,
    first: undefined,
    listeners: new Set(),
    handler: (signal) => onSignal(signal as Signal)
  })
}

const onSignal = (signal: Signal): void => {
  const s = state()
  const now = Date.now()
  if (s.first === undefined) {
    s.first = { signal, at: now }
    for (const listener of s.listeners) listener.onRequest(signal, now)
    return
  }
  if (now - s.first.at < sameSignalMillis) return
  for (const listener of s.listeners) listener.onForce?.(signal)
  process.exit(exitCodeOf(signal))
}

/**
 * Installs the handlers of SIGINT, SIGTERM and SIGHUP (once per process; later calls do nothing).
 * From then on the first signal is a shutdown request — kept until a listener subscribes, as
 * `runMain` does — and a second one exits at once. With no listener at all, a second signal still
 * exits, so a program that never gets to `runMain` can still be stopped.
 *
 * @example
 * ```ts
 * import { install } from "@taskscope/platform-node/Signals"
 *
 * install()
 * ```
 *
 * @since 0.2.0
 * @category signals
 */
export const install = (): void => {
  const s = state()
  if (s.installed) return
  s.installed = true
  for (const signal of signals) process.on(signal, s.handler)
}

/**
 * Removes the handlers and forgets the signals received (the defaults apply again: a signal ends
 * the process). For tests and for programs that hand signals to someone else.
 *
 * @example
 * ```ts
 * import { install, uninstall } from "@taskscope/platform-node/Signals"
 *
 * install()
 * uninstall() // Ctrl-C ends the process again
 * ```
 *
 * @since 0.2.0
 * @category signals
 */
export const uninstall = (): void => {
  const s = state()
  if (!s.installed) return
  s.installed = false
  s.first = undefined
  s.listeners.clear()
  for (const signal of signals) process.off(signal, s.handler)
}

/**
 * Subscribes to the signals (installing the handlers if needed). A signal that arrived before is
 * told at once. Returns the function that unsubscribes.
 *
 * @example
 * ```ts
 * import { subscribe, describe } from "@taskscope/platform-node/Signals"
 *
 * const stop = subscribe({
 *   onRequest: (signal) => console.error(`stopping… (${describe(signal).force})`)
 * })
 * stop()
 * ```
 *
 * @since 0.2.0
 * @category signals
 */
export const subscribe = (listener: Listener): () => void => {
  install()
  const s = state()
  s.listeners.add(listener)
  if (s.first !== undefined) listener.onRequest(s.first.signal, s.first.at)
  return () => {
    s.listeners.delete(listener)
  }
}

/**
 * The first signal received since `install`, if any.
 *
 * @example
 * ```ts
 * import { received } from "@taskscope/platform-node/Signals"
 *
 * if (received() !== undefined) console.error("stopping before we started")
 * ```
 *
 * @since 0.2.0
 * @category signals
 */
export const received = (): Signal | undefined => state().first?.signal

/**
 * Acts as if `signal` had just arrived (for programs that get the request another way, e.g. a
 * message from a supervisor, and for tests).
 *
 * @example
 * ```ts
 * import { raise } from "@taskscope/platform-node/Signals"
 *
 * // a supervisor asked us over IPC to stop, as SIGTERM would
 * process.on("message", (m) => m === "stop" && raise("SIGTERM"))
 * ```
 *
 * @since 0.2.0
 * @category signals
 */
export const raise = (signal: Signal): void => {
  install()
  onSignal(signal)
}
