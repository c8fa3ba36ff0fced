import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as Supervisor from "effect/Supervisor"
import * as TestClock from "effect/TestClock"
import type * as Orphans from "../Orphans.js"
import type * as Testing from "../Testing.js"
import { InterruptionPointError, OrphanedFibersError } from "./errors.js"

/**
 * Watches every fiber a program starts: which are alive, and how many times any of them suspended
 * (ended a run slice). At the `interruptAt`-th suspension it interrupts the program's root fiber.
 * @internal
 */
export class Watcher extends Supervisor.AbstractSupervisor<void> {
  readonly alive = new Set<Fiber.RuntimeFiber<any, any>>()
  started = 0
  suspensions = 0
  root: Fiber.RuntimeFiber<any, any> | undefined = undefined
  interrupted = false
  constructor(readonly interruptAt = 0, readonly interruptor: FiberId.FiberId = FiberId.none) {
    super()
  }
  get value() {
    return Effect.void
  }
  override onStart<A, E, R>(
    _context: unknown,
    _effect: Effect.Effect<A, E, R>,
    _parent: unknown,
    fiber: Fiber.RuntimeFiber<A, E>
  ): void {
    this.started++
    this.alive.add(fiber)
  }
  override onEnd<A, E>(_value: Exit.Exit<A, E>, fiber: Fiber.RuntimeFiber<A, E>): void {
    this.alive.delete(fiber)
  }
  override onSuspend<A, E>(_fiber: Fiber.RuntimeFiber<A, E>): void {
    this.suspensions++
    if (this.suspensions === this.interruptAt && this.root !== undefined && !this.interrupted) {
      this.interrupted = true
      this.root.unsafeInterruptAsFork(this.interruptor)
    }
  }
  orphans(): OrphanedFibersError | undefined {
    if (this.alive.size === 0) return undefined
    return new OrphanedFibersError({
      fibers: Array.from(this.alive, (fiber) => FiberId.threadName(fiber.id())),
      started: this.started
    })
  }
}

/**
 * Runs `effect` watched by `watcher` and returns its exit as an effect — failures, defects and an
 * interruption all kept — or the orphans beside them.
 * @internal
 */
export const watched = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  watcher: Watcher
): Effect.Effect<A, E | OrphanedFibersError, R> =>
  // not cut short: an interrupted effect's exit keeps every failure it had
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(Effect.exit(restore(Effect.supervised(effect, watcher))), (exit) => {
      const orphans = watcher.orphans()
      if (orphans === undefined) return exit
      return Effect.failCause(
        exit._tag === "Success" ? Cause.fail(orphans) : Cause.sequential(exit.cause, Cause.fail(orphans))
      )
    })
  )

/** @internal */
export const noOrphans = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | OrphanedFibersError, R> =>
  Effect.suspend(() => watched(effect, new Watcher()))

/**
 * Runs the forked program to its end on the TestClock: lets ready fibers run, then moves the clock
 * to the next sleep, until the program is done — or says that it waits for something virtual time
 * cannot reach.
 */
const drive = <A, E>(fiber: Fiber.RuntimeFiber<A, E>, maxSteps: number) =>
  Effect.gen(function*() {
    for (let step = 0; step < maxSteps; step++) {
      const done = yield* Fiber.poll(fiber)
      if (Option.isSome(done)) return Option.some(done.value)
      const sleeps = yield* TestClock.sleeps()
      if (Chunk.isEmpty(sleeps)) {
        // nothing scheduled: give runnable fibers a few turns before calling it a hang
        let settled = false
        for (let i = 0; i < 20 && !settled; i++) {
          yield* Effect.yieldNow()
          settled = Option.isSome(yield* Fiber.poll(fiber))
        }
        if (!settled && Chunk.isEmpty(yield* TestClock.sleeps())) {
          return Option.none<Exit.Exit<A, E>>()
        }
        continue
      }
      const now = yield* TestClock.currentTimeMillis
      const next = Chunk.reduce(sleeps, Infinity, (min, t) => Math.min(min, t))
      yield* TestClock.adjust(Math.max(0, next - now))
    }
    return Option.none<Exit.Exit<A, E>>()
  })

/** One run of the program, interrupted at suspension `point` (0: not at all). */
const runOnce = <A, E, R, E2, R2>(
  program: (probe: Orphans.FinalizerProbe) => Effect.Effect<A, E, R>,
  makeProbe: () => Orphans.FinalizerProbe,
  check: ((exit: Exit.Exit<A, E>, point: Testing.Point) => Effect.Effect<void, E2, R2>) | undefined,
  point: number,
  points: number,
  maxSteps: number
) =>
  Effect.gen(function*() {
    const interruptor = FiberId.runtime(-1_000_000 - point, 0)
    const watcher = new Watcher(point, interruptor)
    const probe = makeProbe()
    // a daemon: a program that hangs must not hang its caller too
    const fiber = yield* Effect.forkDaemon(Effect.suspend(() => Effect.supervised(program(probe), watcher)))
    watcher.root = fiber
    watcher.alive.add(fiber)
    fiber.addObserver(() => watcher.alive.delete(fiber))
    const ended = yield* drive(fiber, maxSteps)
    const fail = (reason: string, cause?: Cause.Cause<unknown>) =>
      Effect.fail(
        new InterruptionPointError({
          point,
          points,
          reason,
          ...(cause === undefined ? {} : { cause })
        })
      )
    if (Option.isNone(ended)) {
      // stop it without waiting forever: a program that hangs may not stop either
      fiber.unsafeInterruptAsFork(interruptor)
      const stopped = yield* drive(fiber, 100)
      return yield* fail(
        `the program did not finish: it waits for something the TestClock cannot reach${
          Option.isNone(stopped) ? ", and it did not stop when interrupted" : ""
        }`
      )
    }
    const orphans = watcher.orphans()
    if (orphans !== undefined) return yield* fail(orphans.message)
    const counted = yield* Effect.either(probe.verify)
    if (counted._tag === "Left") return yield* fail(counted.left.message)
    if (check !== undefined) {
      const checked = yield* Effect.exit(check(ended.value, { point, points, interrupted: watcher.interrupted }))
      if (checked._tag === "Failure") {
        return yield* fail("the invariant does not hold", checked.cause)
      }
    }
    return watcher.suspensions
  })

/** @internal */
export const interruptEverywhere = <A, E, R, E2 = never, R2 = never>(
  program: (probe: Orphans.FinalizerProbe) => Effect.Effect<A, E, R>,
  makeProbe: () => Orphans.FinalizerProbe,
  check?: (exit: Exit.Exit<A, E>, point: Testing.Point) => Effect.Effect<void, E2, R2>,
  options?: Testing.InterruptEverywhereOptions
): Effect.Effect<Testing.Report, InterruptionPointError, R | R2> =>
  Effect.gen(function*() {
    const maxSteps = options?.maxSteps ?? 10_000
    // the baseline run, uninterrupted, counts the suspension points
    const points = yield* runOnce(program, makeProbe, check, 0, 0, maxSteps)
    const limit = Math.min(points, options?.maxPoints ?? 2_000)
    let interrupted = 0
    for (let point = 1; point <= limit; point++) {
      yield* runOnce(program, makeProbe, check, point, points, maxSteps)
      interrupted++
    }
    return { points, runs: interrupted + 1 }
  })
