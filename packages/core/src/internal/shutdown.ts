import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import { TimeoutError } from "../Errors.js"
import type * as Shutdown from "../Shutdown.js"
import * as deadline from "./deadline.js"
import { millisOrDie } from "./durations.js"
import * as event from "./event.js"

/** The service's tag (re-exported by the public module). @internal */
export const tag: Context.Tag<Shutdown.Shutdown, Shutdown.Shutdown> = Context.GenericTag<Shutdown.Shutdown>(
  "@taskscope/core/Shutdown"
)

/** Milliseconds left until the shutdown's deadline, when a shutdown has been requested. @internal */
export const remainingMillis: Effect.Effect<number | undefined> = Effect.flatMap(
  Effect.serviceOption(tag),
  (shutdown) =>
    Option.isNone(shutdown)
      ? Effect.succeed(undefined)
      : Effect.map(shutdown.value.remaining, Option.match({ onNone: () => undefined, onSome: Duration.toMillis }))
)

/** @internal */
export const phases: ReadonlyArray<Shutdown.Phase> = ["stopIntake", "drain", "interrupt", "flush", "report"]

/**
 * The shutdown coordinator. The first request fixes the one deadline of the shutdown on Effect's
 * Clock — the request's time plus the grace — and everything reads it: the drain phase is bounded
 * by it, `remaining` counts down to it, `runMain` interrupts and ends the process by it.
 * @internal
 */
export const make = (options?: { readonly grace?: Duration.DurationInput }): Effect.Effect<Shutdown.Shutdown> =>
  Effect.suspend(() => {
    const graceMs = options?.grace === undefined ? 10_000 : millisOrDie("Shutdown.make (grace)", options.grace)
    if (graceMs < 0 || graceMs === Infinity) {
      return Effect.dieMessage(`Shutdown.make: Expected a finite, non-negative grace, actual ${String(options?.grace)}`)
    }
    return Effect.gen(function*() {
      const requestedEvent = yield* event.make()
      const clock = yield* Effect.clock
      let reason: string | undefined
      let deadlineMs: number | undefined
      const work = new Map<
        Shutdown.Phase,
        Array<{ readonly name: string; readonly work: Effect.Effect<unknown, unknown> }>
      >()
      let running: Deferred.Deferred<Shutdown.Report> | undefined

      const request = (why: string, requestOptions?: { readonly grace?: Duration.DurationInput }) =>
        Effect.suspend(() => {
          if (reason === undefined) {
            const ms = requestOptions?.grace === undefined
              ? graceMs
              : Math.min(graceMs, Math.max(0, millisOrDie("Shutdown.request (grace)", requestOptions.grace)))
            reason = why
            deadlineMs = clock.unsafeCurrentTimeMillis() + ms
          }
          return requestedEvent.set
        })

      const runStep = (phase: Shutdown.Phase, name: string, effect: Effect.Effect<unknown, unknown>) =>
        Effect.gen(function*() {
          const start = clock.unsafeCurrentTimeMillis()
          const bounded = phase === "drain" ? deadline.at(effect, deadlineMs!) : effect
          const guarded = phase === "flush" || phase === "report" ? deadline.shield(bounded) : bounded
          const exit = yield* Effect.exit(guarded)
          const duration = Duration.millis(clock.unsafeCurrentTimeMillis() - start)
          if (Exit.isSuccess(exit)) return { phase, name, outcome: "done", duration } as Shutdown.StepReport
          const error = exit.cause._tag === "Fail" ? exit.cause.error : exit.cause
          const timedOut = error instanceof TimeoutError
          return { phase, name, outcome: timedOut ? "timedOut" : "failed", duration, error } as Shutdown.StepReport
        })

      const shutdown: Shutdown.Shutdown = {
        grace: Duration.millis(graceMs),
        requested: Effect.zipRight(requestedEvent.wait, Effect.sync(() => reason ?? "requested")),
        isRequested: requestedEvent.isSet,
        deadline: Effect.sync(() => Option.fromNullable(deadlineMs)),
        remaining: Effect.sync(() =>
          deadlineMs === undefined
            ? Option.none()
            : Option.some(Duration.millis(Math.max(0, deadlineMs - clock.unsafeCurrentTimeMillis())))
        ),
        request,
        register: (phase, name, w) =>
          Effect.sync(() => {
            const list = work.get(phase) ?? []
            list.push({ name, work: w })
            work.set(phase, list)
          }),
        run: () =>
          Effect.suspend(() => {
            // the phases run once: concurrent and later callers get the same report
            if (running !== undefined) return Deferred.await(running)
            running = Deferred.unsafeMake<Shutdown.Report>(FiberId.none)
            const done = running
            return Effect.gen(function*() {
              yield* request("shutdown", undefined)
              const start = clock.unsafeCurrentTimeMillis()
              const steps: Array<Shutdown.StepReport> = []
              for (const phase of phases) {
                const list = work.get(phase) ?? []
                const results = yield* Effect.forEach(list, (w) => runStep(phase, w.name, w.work), {
                  concurrency: "unbounded"
                })
                steps.push(...results)
              }
              const report: Shutdown.Report = {
                reason: reason ?? "shutdown",
                steps,
                elapsed: Duration.millis(clock.unsafeCurrentTimeMillis() - start),
                drainedInTime: steps.every((s) => s.phase !== "drain" || s.outcome !== "timedOut")
              }
              yield* Deferred.succeed(done, report)
              return report
            }).pipe(Effect.uninterruptible)
          })
      }
      return shutdown
    })
  })
