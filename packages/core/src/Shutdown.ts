/**
 * Phased graceful shutdown (the seeds' "shutdown event" pattern, made whole): any code can await
 * the request or register work for a phase; `run` then goes through the phases in order:
 *
 * 1. `stopIntake` — stop accepting work (close servers, stop polling loops, drain intake queues);
 * 2. `drain` — let in-flight work finish, bounded by the shutdown's deadline;
 * 3. `interrupt` — cancel what is left (TaskGroups, executors);
 * 4. `flush` — write what must not be lost (files, buffers); shielded from interruption;
 * 5. `report` — print or send the summary; shielded too.
 *
 * Work registered for one phase runs concurrently; a phase starts when the one before has ended.
 * A failing piece of work is recorded in the report and does not stop the others.
 *
 * **One deadline.** The first `request` fixes the shutdown's deadline on Effect's `Clock`: the
 * request's time plus the `grace`. It is the one budget of the whole shutdown: the drain phase
 * ends by it, {@link Shutdown.remaining} counts down to it, an Executor's `drain` inside the
 * program stops by it, and `@taskscope/platform-node`'s `runMain` (which wires SIGINT, SIGTERM and
 * SIGHUP to `request`) interrupts the program and ends the process a documented margin after it.
 *
 * @since 0.1.0
 */
import type * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import * as internal from "./internal/shutdown.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Phase = "stopIntake" | "drain" | "interrupt" | "flush" | "report"

/**
 * The phases, in the order they run.
 *
 * @example
 * ```ts
 * import { Shutdown } from "@taskscope/core"
 *
 * Shutdown.phases // ["stopIntake", "drain", "interrupt", "flush", "report"]
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const phases: ReadonlyArray<Phase> = internal.phases

/**
 * @since 0.1.0
 * @category models
 */
export interface StepReport {
  readonly phase: Phase
  readonly name: string
  readonly outcome: "done" | "failed" | "timedOut"
  readonly duration: Duration.Duration
  readonly error?: unknown
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Report {
  readonly reason: string
  readonly steps: ReadonlyArray<StepReport>
  readonly elapsed: Duration.Duration
  /** Whether the drain phase finished within its budget. */
  readonly drainedInTime: boolean
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Shutdown {
  /** How long the shutdown may take, from the request to the deadline. */
  readonly grace: Duration.Duration
  /** Waits until shutdown is requested; returns the reason (e.g. `"SIGINT"`). */
  readonly requested: Effect.Effect<string>
  readonly isRequested: Effect.Effect<boolean>
  /**
   * The shutdown's deadline in epoch milliseconds on Effect's `Clock` — the first request's time
   * plus the grace — or `none` while no shutdown has been requested. Later requests do not move it.
   */
  readonly deadline: Effect.Effect<Option.Option<number>>
  /** How long until the deadline (zero once it has passed), or `none` while not requested. */
  readonly remaining: Effect.Effect<Option.Option<Duration.Duration>>
  /**
   * Requests shutdown: the first reason wins, and the first request fixes the deadline — its time
   * plus the grace, or a shorter `grace` given here (e.g. 0 when the reader of the output is gone
   * and there is nothing left to wait for).
   */
  request(reason: string, options?: { readonly grace?: Duration.DurationInput }): Effect.Effect<void>
  /** Registers work for a phase. */
  register(phase: Phase, name: string, work: Effect.Effect<unknown, unknown>): Effect.Effect<void>
  /**
   * Requests shutdown if needed and runs the phases once, the drain bounded by the deadline; later
   * calls return the same report.
   */
  run(): Effect.Effect<Report>
}

/**
 * The service's tag.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Shutdown } from "@taskscope/core"
 *
 * const worker = Effect.gen(function*() {
 *   const shutdown = yield* Shutdown.Shutdown
 *   const reason = yield* shutdown.requested
 *   yield* Effect.log(`stopping: ${reason}`)
 * })
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export const Shutdown: Context.Tag<Shutdown, Shutdown> = internal.tag

/**
 * Makes a shutdown coordinator. `grace` (default 10 s, finite and non-negative) is the time from the
 * first request to the shutdown's deadline.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Shutdown } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const shutdown = yield* Shutdown.make({ grace: "5 seconds" })
 *   yield* shutdown.register("flush", "prices file", Effect.log("fsync"))
 *   yield* shutdown.request("done")
 *   return yield* shutdown.run()
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options?: { readonly grace?: Duration.DurationInput }) => Effect.Effect<Shutdown> = internal.make

/**
 * The coordinator as a Layer.
 *
 * @example
 * ```ts
 * import { Shutdown } from "@taskscope/core"
 *
 * const ShutdownLive = Shutdown.layer({ grace: "10 seconds" })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: { readonly grace?: Duration.DurationInput }): Layer.Layer<Shutdown> =>
  Layer.effect(Shutdown, internal.make(options))
