/**
 * Running a program on Node with graceful shutdown: OS signals become a `Shutdown` request, the
 * program drains before it is interrupted, and the grace is a hard bound on the whole shutdown.
 *
 * @since 0.1.0
 */
import { Deadline, Options, Registry, Shutdown } from "@taskscope/core"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { constVoid } from "effect/Function"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Inspector from "./Inspector.js"
import * as Signals from "./Signals.js"

/**
 * The exit code a signal gets when it forces an exit: 128 + the signal number (130, 143, 129).
 *
 * @example
 * ```ts
 * import { Runtime } from "@taskscope/platform-node"
 *
 * Runtime.exitCodeOf("SIGINT") // 130
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const exitCodeOf: (signal: Signals.Signal) => number = Signals.exitCodeOf

/**
 * After the shutdown's deadline, how long a program that is still running may take before `runMain`
 * interrupts it (its finalizers then run): 250 ms. Work bounded by the deadline itself — the drain
 * phase, an Executor's `drain` — has stopped by then and handed back what it did not do.
 *
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { Runtime } from "@taskscope/platform-node"
 *
 * Duration.toMillis(Runtime.interruptMargin) // 250
 * ```
 *
 * @since 0.2.0
 * @category constants
 */
export const interruptMargin: Duration.Duration = Duration.millis(250)

/**
 * After the shutdown's deadline, when `runMain` ends the process whatever still runs — an
 * uninterruptible region, a finalizer waiting on a frozen dependency: 500 ms. It first writes one
 * line per task still running to stderr, then exits with {@link graceExceededExitCode}.
 *
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { Runtime } from "@taskscope/platform-node"
 *
 * // with a grace of 5 s, the process has ended 5.5 s after Ctrl-C at the latest
 * const latest = Duration.sum(Duration.seconds(5), Runtime.exitMargin)
 * ```
 *
 * @since 0.2.0
 * @category constants
 */
export const exitMargin: Duration.Duration = Duration.millis(500)

/**
 * The exit code of a process that `runMain` ended because its shutdown overran the grace (as GNU
 * `timeout` reports a command it stopped).
 *
 * @example
 * ```ts
 * import { Runtime } from "@taskscope/platform-node"
 *
 * Runtime.graceExceededExitCode // 124
 * ```
 *
 * @since 0.2.0
 * @category constants
 */
export const graceExceededExitCode = 124

/**
 * Requests shutdown on SIGINT, SIGTERM and SIGHUP for the current scope (through `Signals`, the one
 * signal handler): the first signal requests it, with the signal's name as the reason; a second one
 * exits at once with 130, 143 or 129 (one within 200 ms of the first counts as the same).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Shutdown } from "@taskscope/core"
 * import { Runtime } from "@taskscope/platform-node"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   yield* Runtime.handleSignals
 *   const shutdown = yield* Shutdown.Shutdown
 *   yield* shutdown.requested // resolves on Ctrl-C
 * })).pipe(Effect.provide(Shutdown.layer()))
 * ```
 *
 * @since 0.1.0
 * @category signals
 */
export const handleSignals: Effect.Effect<void, never, Shutdown.Shutdown | Scope.Scope> = Effect.gen(function*() {
  const shutdown = yield* Shutdown.Shutdown
  yield* Effect.acquireRelease(
    Effect.sync(() => Signals.subscribe({ onRequest: (signal) => Effect.runFork(shutdown.request(signal)) })),
    (unsubscribe) => Effect.sync(unsubscribe)
  )
})

/**
 * @since 0.1.0
 * @category models
 */
export interface RunMainOptions {
  /**
   * The one budget of the shutdown: from the request (the first signal, or the program's own
   * `request`) to the shutdown's deadline. A finite, non-negative duration; default 10 s.
   */
  readonly grace?: Duration.DurationInput
  /** Log the program's failure (default true). */
  readonly reportErrors?: boolean
  /**
   * Signals the process received before `runMain` was called that were not seen by `Signals`
   * (e.g. a handler of the entry module's own): the first requests shutdown at once. Install
   * `Signals` early instead where you can.
   */
  readonly received?: ReadonlyArray<Signals.Signal>
}

const decodeOptions = Options.decodeOrDie(
  "Runtime.runMain",
  Schema.Struct({
    grace: Schema.optional(Options.NonNegativeDuration),
    reportErrors: Schema.optional(Schema.Boolean),
    received: Schema.optional(Schema.Array(Schema.Literal("SIGINT", "SIGTERM", "SIGHUP")))
  })
)

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

/** The lines runMain writes when it ends a shutdown that overran its grace. */
const overrunReport = (reason: string, graceMs: number, overMs: number, main: boolean, now: number): string => {
  const running = Registry.unsafeSnapshot(now).tasks.filter((t) => t.state === "running")
  const lines = [
    `taskscope: the shutdown (${reason}) overran its grace of ${seconds(graceMs)} by ${
      seconds(overMs)
    }; exiting with code ${graceExceededExitCode}. Still running:`
  ]
  if (main) lines.push("  main program (running)")
  for (const t of running) lines.push(`  ${t.group}/${t.name} (running, for ${seconds(t.forMillis ?? 0)})`)
  if (!main && running.length === 0) lines.push("  (no task: the process's remaining work is outside any task group)")
  return lines.join("\n") + "\n"
}

/**
 * Runs `program` as the process's main, with a `Shutdown` service and the signal handlers. The
 * shutdown has one deadline on Effect's `Clock`, fixed by the first request — the first SIGINT,
 * SIGTERM or SIGHUP, or the program's own `request` — at the request's time plus `grace`:
 *
 * - The program is expected to notice (`shutdown.requested`), drain its own work and end — usually
 *   by calling `shutdown.run()` inside its scope, so that the registered phases run while its
 *   resources are still open; the drain phase ends by the deadline, and so does an Executor's
 *   `drain`. `Deadline.remaining` inside the program counts down to the moment it is interrupted.
 * - {@link interruptMargin} (250 ms) after the deadline, a program still running is interrupted;
 *   its finalizers run.
 * - {@link exitMargin} (500 ms) after the deadline, the process ends whatever still runs (an
 *   uninterruptible region, a finalizer waiting on a frozen dependency): one line per task still
 *   running on stderr, then exit code {@link graceExceededExitCode} (124). The grace is a hard bound.
 * - After the program has ended — drained, interrupted, failed or finished by itself without any
 *   signal — the phases it did not run itself run now: registered flush and report work always runs
 *   once, after the program's own tasks are done (it must fit in what is left of the margins).
 * - A second signal exits at once with 130 (SIGINT), 143 (SIGTERM) or 129 (SIGHUP). Signals within
 *   200 ms of the first count as the same one: `pnpm run`/`npm run` pass the terminal's Ctrl-C on
 *   to the program, which then gets it twice.
 * - The exit code is 0 when the program succeeded or ended because of a shutdown request, 1 when it
 *   failed; the process exits when it is over, whatever handles are still open.
 *
 * With `TASKSCOPE_INSPECT_SOCKET=1` (or a path) in the environment, the registry of live tasks is
 * served on a Unix socket for `taskscope ps` (see `Inspector`).
 *
 * Signals are handled by `Signals` from the moment it is installed — by `runMain`, or earlier by the
 * entry module (see the `Signals` module). Invalid options are a defect: `runMain` throws an
 * `IllegalArgumentException` naming the option.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Shutdown } from "@taskscope/core"
 * import { Runtime } from "@taskscope/platform-node"
 *
 * const main = Effect.scoped(Effect.gen(function*() {
 *   const shutdown = yield* Shutdown.Shutdown
 *   const server = yield* Effect.forkScoped(Effect.never) // e.g. an HTTP server
 *   yield* shutdown.register("stopIntake", "server", Effect.log("no new connections"))
 *   yield* shutdown.register("drain", "requests", Effect.sleep("100 millis"))
 *   yield* shutdown.register("flush", "log", Effect.log("flushed"))
 *   yield* shutdown.requested // serve until asked to stop
 *   yield* shutdown.run() // the phases, while the scope is still open
 * }))
 *
 * // Runtime.runMain(main, { grace: "5 seconds" })
 * ```
 *
 * @since 0.1.0
 * @category runtime
 */
export const runMain = <A, E>(program: Effect.Effect<A, E, Shutdown.Shutdown>, options?: RunMainOptions): void => {
  const decoded = decodeOptions(options)
  const grace = decoded.grace ?? Duration.seconds(10)
  const graceMs = Duration.toMillis(grace)
  const shutdown = Effect.runSync(Shutdown.make({ grace }))
  let programDone = false

  const unsubscribe = Signals.subscribe({
    onRequest: (signal) => Effect.runSync(shutdown.request(signal))
  })
  for (const signal of decoded.received ?? []) Signals.raise(signal)

  // the hard bound: once requested, the process ends at the deadline plus the exit margin
  const watchdog = Effect.runFork(Effect.gen(function*() {
    const reason = yield* shutdown.requested
    const deadline = Option.getOrThrow(yield* shutdown.deadline)
    const exitAt = deadline + Duration.toMillis(exitMargin)
    yield* Effect.sleep(Math.max(0, exitAt - (yield* Effect.clockWith((c) => c.currentTimeMillis))))
    const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
    yield* Effect.sync(() => {
      process.stderr.write(overrunReport(reason, graceMs, now - deadline, !programDone, now))
      process.exit(graceExceededExitCode)
    })
  }))

  const inspectSocket = Inspector.fromEnvironment(process.env)
  const main = Effect.gen(function*() {
    const provided = Effect.provideService(program, Shutdown.Shutdown, shutdown).pipe(
      // opt-in: the registry on a Unix socket only the owner can read (TASKSCOPE_INSPECT_SOCKET)
      (p) =>
        inspectSocket === undefined ? p : Effect.scoped(Effect.zipRight(Inspector.serve({ path: inspectSocket }), p))
    )
    // the program runs in a cancel scope: a request moves its deadline to the shutdown's deadline
    // plus the interrupt margin
    const ran = yield* Deadline.scope((scope) =>
      Effect.gen(function*() {
        yield* Effect.fork(Effect.gen(function*() {
          yield* shutdown.requested
          const deadline = Option.getOrThrow(yield* shutdown.deadline)
          yield* scope.reschedule(deadline + Duration.toMillis(interruptMargin))
        }))
        return yield* Effect.exit(provided)
      })
    )
    programDone = true
    // the phases the program did not run itself (flush, report...), after its tasks have ended
    yield* shutdown.run()
    // interrupted at the deadline: it ended because of the shutdown
    return Option.getOrElse(ran, (): Exit.Exit<A | void, E> => Exit.void)
  })

  const keepAlive = setInterval(constVoid, 2 ** 31 - 1)
  const fiber = Effect.runFork(main)
  fiber.addObserver((exit) => {
    clearInterval(keepAlive)
    unsubscribe()
    watchdog.unsafeInterruptAsFork(fiber.id())
    const result: Exit.Exit<unknown, unknown> = Exit.isSuccess(exit) ? exit.value : exit
    const failed = Exit.isFailure(result) && !Cause.isInterruptedOnly(result.cause)
    if (failed && decoded.reportErrors !== false) {
      Effect.runSync(Effect.logError("the program failed", result.cause))
    }
    // the program is over: lingering handles (keep-alive sockets, a server's slow handlers) must not
    // keep the process alive
    process.exit(failed ? 1 : 0)
  })
}
