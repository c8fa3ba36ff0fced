/**
 * Phased graceful shutdown (the seeds' "shutdown event" pattern, made whole): any code can await
 * the request or register work for a phase; `run` then goes through the phases in order:
 *
 * 1. `stopIntake` — stop accepting work (close servers, stop polling loops, drain intake queues);
 * 2. `drain` — let in-flight work finish, bounded together by the drain budget;
 * 3. `interrupt` — cancel what is left (TaskGroups, executors);
 * 4. `flush` — write what must not be lost (files, buffers); shielded from interruption;
 * 5. `report` — print or send the summary; shielded too.
 *
 * Work registered for one phase runs concurrently; a phase starts when the one before has ended.
 * A failing piece of work is recorded in the report and does not stop the others.
 * `@taskscope/platform-node` wires SIGINT/SIGTERM to `request` and runs the phases.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Deadline from "./Deadline.js"
import * as Event from "./Event.js"

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
export const phases: ReadonlyArray<Phase> = ["stopIntake", "drain", "interrupt", "flush", "report"]

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
  /** Waits until shutdown is requested; returns the reason (e.g. `"SIGINT"`). */
  readonly requested: Effect.Effect<string>
  readonly isRequested: Effect.Effect<boolean>
  /** Requests shutdown (the first reason wins). */
  request(reason: string): Effect.Effect<void>
  /** Registers work for a phase. */
  register(phase: Phase, name: string, work: Effect.Effect<unknown, unknown>): Effect.Effect<void>
  /** Requests shutdown if needed and runs the phases once; later calls return the same report. */
  run(options?: { readonly grace?: Duration.DurationInput }): Effect.Effect<Report>
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
export const Shutdown: Context.Tag<Shutdown, Shutdown> = Context.GenericTag<Shutdown>("@taskscope/core/Shutdown")

/**
 * Makes a shutdown coordinator. `grace` (default 10 s) bounds the drain phase.
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
export const make = (options?: { readonly grace?: Duration.DurationInput }): Effect.Effect<Shutdown> =>
  Effect.gen(function*() {
    const event = yield* Event.make()
    let reason: string | undefined
    const work = new Map<Phase, Array<{ readonly name: string; readonly work: Effect.Effect<unknown, unknown> }>>()
    let report: Report | undefined
    let running: Deferred.Deferred<Report> | undefined
    const clock = yield* Effect.clock
    const request = (why: string) =>
      Effect.suspend(() => {
        reason ??= why
        return event.set
      })
    const runStep = (phase: Phase, name: string, effect: Effect.Effect<unknown, unknown>, budgetMs: number) =>
      Effect.gen(function*() {
        const start = yield* clock.currentTimeMillis
        const bounded = phase === "drain" ? Deadline.within(effect, Math.max(0, budgetMs)) : effect
        const guarded = phase === "flush" || phase === "report" ? Deadline.shield(bounded) : bounded
        const exit = yield* Effect.exit(guarded)
        const duration = Duration.millis((yield* clock.currentTimeMillis) - start)
        if (Exit.isSuccess(exit)) return { phase, name, outcome: "done", duration } as StepReport
        const error = exit.cause._tag === "Fail" ? exit.cause.error : exit.cause
        const timedOut = error instanceof Deadline.TimeoutError
        return { phase, name, outcome: timedOut ? "timedOut" : "failed", duration, error } as StepReport
      })
    return {
      requested: Effect.zipRight(event.wait, Effect.sync(() => reason ?? "requested")),
      isRequested: event.isSet,
      request,
      register: (phase, name, w) =>
        Effect.sync(() => {
          const list = work.get(phase) ?? []
          list.push({ name, work: w })
          work.set(phase, list)
        }),
      run: (runOptions) =>
        Effect.suspend(() => {
          // the phases run once: concurrent and later callers get the same report
          if (running !== undefined) return Deferred.await(running)
          running = Deferred.unsafeMake<Report>(FiberId.none)
          const done = running
          const budgetInput = runOptions?.grace ?? options?.grace ?? "10 seconds"
          const budgetMs = Duration.toMillis(Duration.decode(budgetInput))
          return Effect.gen(function*() {
            yield* request("shutdown")
            const start = yield* clock.currentTimeMillis
            const steps: Array<StepReport> = []
            for (const phase of phases) {
              const list = work.get(phase) ?? []
              const phaseStart = yield* clock.currentTimeMillis
              const remaining = budgetMs - (phaseStart - start)
              const results = yield* Effect.forEach(list, (w) => runStep(phase, w.name, w.work, remaining), {
                concurrency: "unbounded"
              })
              steps.push(...results)
            }
            report = {
              reason: reason ?? "shutdown",
              steps,
              elapsed: Duration.millis((yield* clock.currentTimeMillis) - start),
              drainedInTime: steps.every((s) => s.phase !== "drain" || s.outcome !== "timedOut")
            }
            yield* Deferred.succeed(done, report)
            return report
          }).pipe(Effect.uninterruptible)
        })
    }
  })

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
  Layer.effect(Shutdown, make(options))
