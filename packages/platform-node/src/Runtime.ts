/**
 * Running a program on Node with graceful shutdown: OS signals become a `Shutdown` request, the
 * program drains before it is interrupted, and a second signal exits at once.
 *
 * @since 0.1.0
 */
import { NodeRuntime } from "@effect/platform-node"
import { Shutdown } from "@taskscope/core"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
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
 * Installs SIGINT and SIGTERM handlers for the current scope: the first signal requests shutdown
 * (with the signal's name as the reason); a second signal exits the process at once with code 130
 * (SIGINT) or 143 (SIGTERM). The handlers are removed when the scope closes.
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
  let received = 0
  const onSignal = (signal: NodeJS.Signals) => {
    received++
    if (received === 1) {
      Effect.runFork(shutdown.request(signal))
    } else {
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
   * After the first signal, how long the program may take to finish on its own (its registered
   * Shutdown phases run meanwhile) before it is interrupted. Default 10 s.
   */
  readonly grace?: Duration.DurationInput
  /** Log the program's failure (default true). */
  readonly reportErrors?: boolean
}

/**
 * Runs `program` as the process's main, on top of `NodeRuntime.runMain`, with a `Shutdown` service
 * and signal handling:
 *
 * - the first SIGINT/SIGTERM requests shutdown and runs the Shutdown phases (stop intake, drain,
 *   interrupt, flush, report) with the grace period as the drain budget; the program is expected
 *   to notice (`shutdown.requested`) and end; if it has not ended when the grace period is over, it
 *   is interrupted (its finalizers run);
 * - a second signal exits at once with 130 (SIGINT) or 143 (SIGTERM);
 * - the exit code is 0 when the program succeeded or ended because of a shutdown request, 1 when it
 *   failed; the process exits when the program is over, whatever handles are still open.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Shutdown } from "@taskscope/core"
 * import { Runtime } from "@taskscope/platform-node"
 *
 * const main = Effect.gen(function*() {
 *   const shutdown = yield* Shutdown.Shutdown
 *   yield* shutdown.register("flush", "log", Effect.log("flushed"))
 *   yield* Effect.raceFirst(Effect.never, shutdown.requested) // serve until asked to stop
 * })
 *
 * // Runtime.runMain(main, { grace: "5 seconds" })
 * ```
 *
 * @since 0.1.0
 * @category runtime
 */
export const runMain = <A, E>(program: Effect.Effect<A, E, Shutdown.Shutdown>, options?: RunMainOptions): void => {
  let programExit: Exit.Exit<A, E> | undefined
  const graceMs = Duration.toMillis(Duration.decode(options?.grace ?? "10 seconds"))
  const main = Effect.gen(function*() {
    const shutdown = yield* Shutdown.make({ grace: graceMs })
    const fiber = yield* Effect.forkDaemon(
      Effect.scoped(Effect.zipRight(handleSignals, program)).pipe(Effect.provideService(Shutdown.Shutdown, shutdown))
    )
    // NodeRuntime interrupts this fiber on the first signal; the program itself runs on its own
    // fiber, so it is asked to stop (Shutdown) rather than cut off
    const stop = Effect.gen(function*() {
      yield* shutdown.request("signal")
      yield* shutdown.run({ grace: graceMs })
      const ended = yield* Effect.timeoutOption(Fiber.await(fiber), graceMs)
      if (ended._tag === "None") yield* Fiber.interrupt(fiber)
    })
    const exit = yield* Fiber.await(fiber).pipe(Effect.onInterrupt(() => stop))
    programExit = exit
    return exit
  })
  NodeRuntime.runMain(main, {
    disableErrorReporting: true,
    teardown: (exit, onExit) => {
      const result: Exit.Exit<unknown, unknown> | undefined = programExit ??
        (Exit.isSuccess(exit) ? undefined : exit as Exit.Exit<unknown, unknown>)
      const failed = result !== undefined && Exit.isFailure(result) && !Cause.isInterruptedOnly(result.cause)
      if (failed && options?.reportErrors !== false) {
        Effect.runSync(Effect.logError("the program failed", (result as Exit.Failure<unknown, unknown>).cause))
      }
      // the program is over: lingering handles (keep-alive sockets, a server's slow handlers) must not
      // keep the process alive
      onExit(failed ? 1 : 0)
      process.exit(failed ? 1 : 0)
    }
  })
}
