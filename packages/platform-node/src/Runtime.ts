/**
 * Running a program on Node with graceful shutdown: OS signals become a `Shutdown` request, the
 * program drains before it is interrupted, and a second signal exits at once.
 *
 * @since 0.1.0
 */
import { Options, Shutdown } from "@taskscope/core"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { constVoid } from "effect/Function"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"

/**
 * The exit code a signal gets when it forces an exit: 128 + the signal number.
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
export const exitCodeOf = (signal: NodeJS.Signals): number => signal === "SIGINT" ? 130 : signal === "SIGTERM" ? 143 : 1

/**
 * Signals this close to the first are the same request: a package manager (`pnpm run`, `npm run`)
 * passes the terminal's Ctrl-C on to its child, which then gets it twice.
 */
const SAME_SIGNAL_MS = 200

/**
 * Installs SIGINT and SIGTERM handlers for the current scope: the first signal requests shutdown
 * (with the signal's name as the reason); a second signal exits the process at once with code 130
 * (SIGINT) or 143 (SIGTERM) — one within 200 ms of the first counts as the same (see `runMain`). The
 * handlers are removed when the scope closes.
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
  let firstAt: number | undefined
  const onSignal = (signal: NodeJS.Signals) => {
    const now = Date.now()
    if (firstAt === undefined) {
      firstAt = now
      Effect.runFork(shutdown.request(signal))
    } else if (now - firstAt >= SAME_SIGNAL_MS) {
      process.exit(exitCodeOf(signal))
    }
  }
  yield* Effect.acquireRelease(
    Effect.sync(() => {
      process.on("SIGINT", onSignal)
      process.on("SIGTERM", onSignal)
    }),
    () =>
      Effect.sync(() => {
        process.off("SIGINT", onSignal)
        process.off("SIGTERM", onSignal)
      })
  )
})

/**
 * @since 0.1.0
 * @category models
 */
export interface RunMainOptions {
  /**
   * The one drain budget: once shutdown is requested (the first signal, or the program's own
   * `request`), how long the program may take to end. The Shutdown service's phases get the same
   * budget, counted from the request, not from when `run` is called. A program that has not ended
   * (and has not started the phases) when it is over is interrupted, its finalizers run. A
   * non-negative duration; default 10 s.
   */
  readonly grace?: Duration.DurationInput
  /** Log the program's failure (default true). */
  readonly reportErrors?: boolean
  /**
   * Signals the process received before `runMain` was called, e.g. by a small handler the entry
   * module installs before it loads the program: the first one requests shutdown at once, as if it
   * had arrived now.
   */
  readonly received?: ReadonlyArray<"SIGINT" | "SIGTERM">
}

const decodeOptions = Options.decodeOrDie(
  "Runtime.runMain",
  Schema.Struct({
    grace: Schema.optional(Options.NonNegativeDuration),
    reportErrors: Schema.optional(Schema.Boolean),
    received: Schema.optional(Schema.Array(Schema.Literal("SIGINT", "SIGTERM")))
  })
)

/**
 * Runs `program` as the process's main with a `Shutdown` service and signal handling; `grace` is
 * the one time budget of the shutdown.
 *
 * - The first SIGINT/SIGTERM requests shutdown (the reason is the signal's name). The program is
 *   expected to notice (`shutdown.requested`), drain its own work and end — usually by calling
 *   `shutdown.run()` inside its scope, so that the registered phases (stop intake, drain,
 *   interrupt, flush, report) run while its resources are still open. The drain phase gets what is
 *   left of the grace period, counted from the request.
 * - A program that ignores the request (and has not started the phases) is interrupted when the
 *   grace period is over; its finalizers run.
 * - After the program has ended — drained, interrupted, failed or finished by itself without any
 *   signal — the phases it did not run itself run now: registered flush and report work always
 *   runs once, after the program's own tasks are done, never while they are still running.
 * - A second signal exits at once with 130 (SIGINT) or 143 (SIGTERM). Signals within 200 ms of the
 *   first count as the same one: `pnpm run`/`npm run` pass the terminal's Ctrl-C on to the program,
 *   which then gets it twice.
 * - The exit code is 0 when the program succeeded or ended because of a shutdown request, 1 when it
 *   failed; the process exits when it is over, whatever handles are still open.
 *
 * The signal handlers are installed when `runMain` is called, before the program starts. Invalid
 * options are a defect: `runMain` throws an `IllegalArgumentException` naming the option.
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
  const graceMs = Duration.toMillis(decoded.grace ?? Duration.seconds(10))
  const base = Effect.runSync(Shutdown.make({ grace: Duration.millis(graceMs) }))

  // one budget: it starts with the first request, whoever makes it
  let requestedAt: number | undefined
  let phasesStarted = false
  const remaining = () => Duration.millis(Math.max(0, graceMs - (Date.now() - (requestedAt ??= Date.now()))))
  const shutdown: Shutdown.Shutdown = {
    requested: base.requested,
    isRequested: base.isRequested,
    register: base.register,
    request: (reason) =>
      Effect.suspend(() => {
        requestedAt ??= Date.now()
        return base.request(reason)
      }),
    run: (runOptions) =>
      Effect.suspend(() => {
        phasesStarted = true
        return base.run({ grace: runOptions?.grace ?? remaining() })
      })
  }

  let firstAt: number | undefined
  const onSignal = (signal: NodeJS.Signals) => {
    const now = Date.now()
    if (firstAt === undefined) {
      firstAt = now
      Effect.runSync(shutdown.request(signal))
    } else if (now - firstAt >= SAME_SIGNAL_MS) {
      process.exit(exitCodeOf(signal))
    }
  }
  process.on("SIGINT", onSignal)
  process.on("SIGTERM", onSignal)
  for (const signal of decoded.received ?? []) onSignal(signal)

  const main = Effect.gen(function*() {
    const fiber = yield* Effect.fork(Effect.provideService(program, Shutdown.Shutdown, shutdown))
    // the grace period: once it is over, a program that has not ended and has not taken charge of
    // its shutdown (by running the phases, whose drain is bounded by the same budget) is interrupted
    const guard = yield* Effect.fork(Effect.gen(function*() {
      yield* base.requested
      yield* Effect.sleep(remaining())
      if (!phasesStarted) yield* Fiber.interrupt(fiber)
    }))
    const exit = yield* Fiber.await(fiber)
    yield* Fiber.interrupt(guard)
    // the phases the program did not run itself (flush, report...), after its tasks have ended
    yield* shutdown.run()
    return exit
  })

  const keepAlive = setInterval(constVoid, 2 ** 31 - 1)
  const fiber = Effect.runFork(main)
  fiber.addObserver((exit) => {
    clearInterval(keepAlive)
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
