// Trio's CancelScope rules, one test each (trio's own test_cancel_scope_* cases, translated), plus a
// property test over random nestings of deadlines, explicit cancels and shields.
import { assert, describe, expect, it } from "@effect/vitest"
import { Deadline, Testing } from "@taskscope/core"
import { Cause, Effect, Exit, FastCheck as fc, Fiber, Option, Ref, TestClock } from "effect"
import { now, runFor } from "./helpers.js"

type Flags = { readonly cancelCalled: boolean; readonly cancelledCaught: boolean; readonly expired: boolean }

const flagsOf = (scope: Deadline.CancelScope): Effect.Effect<Flags> =>
  Effect.all({ cancelCalled: scope.cancelCalled, cancelledCaught: scope.cancelledCaught, expired: scope.expired })

/** Runs `Deadline.scope(f, options)` and hands out the scope too. */
const scoped = <A, E, R>(
  f: (scope: Deadline.CancelScope) => Effect.Effect<A, E, R>,
  options?: Deadline.ScopeOptions
) =>
  Effect.suspend(() => {
    let handle: Deadline.CancelScope | undefined
    return Effect.map(
      Deadline.scope((scope) => {
        handle = scope
        return f(scope)
      }, options),
      (result) => [result, handle!] as const
    )
  })

describe("Deadline.scope nesting: the outermost cancelled scope catches", () => {
  it.effect("an outer 100 ms scope around an inner 200 ms one around a wait forever: the outer returns none at 100 ms", () =>
    Effect.gen(function*() {
      let inner: Deadline.CancelScope | undefined
      const fiber = yield* runFor(
        scoped(() =>
          Deadline.scope((scope) => {
            inner = scope
            return Effect.never
          }, { timeout: "200 millis" }), { timeout: "100 millis" }).pipe(Effect.zip(now)),
        "100 millis"
      )
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(Exit.isSuccess(exit), "the interruption does not leak out of the outer scope")
      const [[result, outer], at] = Exit.isSuccess(exit) ? exit.value : assert.fail("failed")
      expect(result).toStrictEqual(Option.none())
      assert.strictEqual(at, 100)
      expect(yield* flagsOf(outer)).toStrictEqual({ cancelCalled: true, cancelledCaught: true, expired: true })
      expect(yield* flagsOf(inner!)).toStrictEqual({ cancelCalled: false, cancelledCaught: false, expired: false })
    }))

  it.effect("an inner 100 ms scope inside an outer 200 ms one catches at 100 ms; the outer body goes on", () =>
    Effect.gen(function*() {
      const fiber = yield* runFor(
        scoped(() =>
          Effect.gen(function*() {
            const [inner, handle] = yield* scoped(() => Effect.never, { timeout: "100 millis" })
            return [inner, yield* flagsOf(handle), yield* now] as const
          }), { timeout: "200 millis" }),
        "100 millis"
      )
      const [result, outer] = yield* Fiber.join(fiber)
      expect(result).toStrictEqual(
        Option.some([Option.none(), { cancelCalled: true, cancelledCaught: true, expired: true }, 100])
      )
      expect(yield* flagsOf(outer)).toStrictEqual({ cancelCalled: false, cancelledCaught: false, expired: false })
    }))

  it.effect("both deadlines pass at the same instant: both are cancelled (Trio marks both), only the outer catches", () =>
    Effect.gen(function*() {
      let inner: Deadline.CancelScope | undefined
      const fiber = yield* Effect.fork(
        scoped(() =>
          Deadline.scope((scope) => {
            inner = scope
            return Effect.never
          }, { timeout: "100 millis" }), { timeout: "100 millis" })
      )
      yield* TestClock.adjust(100)
      const [result, outer] = yield* Fiber.join(fiber)
      expect(result).toStrictEqual(Option.none())
      expect(yield* flagsOf(outer)).toStrictEqual({ cancelCalled: true, cancelledCaught: true, expired: true })
      expect(yield* flagsOf(inner!)).toStrictEqual({ cancelCalled: true, cancelledCaught: false, expired: true })
    }))

  it.effect("inner and outer cancelled by hand in the same step: the outer catches", () =>
    Effect.gen(function*() {
      let inner: Deadline.CancelScope | undefined
      const fiber = yield* Effect.fork(
        scoped((outer) =>
          Deadline.scope((scope) => {
            inner = scope
            return Effect.zipRight(Effect.all([scope.cancel, outer.cancel]), Effect.never)
          }).pipe(Effect.as("the outer body went on"))
        )
      )
      const [result, outer] = yield* Fiber.join(fiber)
      expect(result).toStrictEqual(Option.none())
      expect(yield* flagsOf(outer)).toStrictEqual({ cancelCalled: true, cancelledCaught: true, expired: false })
      expect(yield* flagsOf(inner!)).toStrictEqual({ cancelCalled: true, cancelledCaught: false, expired: false })
    }))

  it.effect("the inner one fired first and is in its cleanup when the outer fires: the outer catches", () =>
    Effect.gen(function*() {
      let inner: Deadline.CancelScope | undefined
      const cleaned = yield* Ref.make(false)
      const fiber = yield* runFor(
        scoped(() =>
          Deadline.scope((scope) => {
            inner = scope
            return Effect.never.pipe(Effect.ensuring(Effect.zipRight(Effect.sleep(100), Ref.set(cleaned, true))))
          }, { timeout: "50 millis" }).pipe(Effect.as("the outer body went on")), { timeout: "100 millis" }),
        "150 millis"
      )
      const [result, outer] = yield* Fiber.join(fiber)
      expect(result).toStrictEqual(Option.none())
      assert.isTrue(yield* Ref.get(cleaned))
      assert.isTrue(yield* outer.cancelledCaught)
      assert.isFalse(yield* inner!.cancelledCaught)
    }))

  for (const depth of [1_000, 5_000]) {
    it.effect(`${depth} nested scopes, the outermost expiring first: it catches, no other does, every finalizer runs once`, () =>
      Effect.gen(function*() {
        const handles: Array<Deadline.CancelScope> = []
        const finalized = yield* Ref.make(0)
        let effect: Effect.Effect<unknown> = Effect.never.pipe(Effect.ensuring(Ref.update(finalized, (n) => n + 1)))
        for (let i = 0; i < depth; i++) {
          const inner = effect
          // from the inside: the innermost has the latest deadline
          effect = Deadline.scope((scope) => {
            handles.push(scope)
            return inner
          }, { timeout: 10_000 - i })
        }
        const fiber = yield* runFor(Effect.zip(effect, now), 10_000 - depth + 1)
        const [result, at] = yield* Fiber.join(fiber)
        expect(result).toStrictEqual(Option.none())
        assert.strictEqual(at, 10_000 - depth + 1)
        assert.strictEqual(yield* Ref.get(finalized), 1)
        const caught = yield* Effect.forEach(handles, (h) => h.cancelledCaught)
        assert.strictEqual(caught.filter((c) => c).length, 1)
        assert.isTrue(caught[0], "the outermost (opened first) caught")
      }))

    it.effect(`${depth} nested deadlines interrupted from outside: the interruption comes out, finalizers run`, () =>
      Effect.gen(function*() {
        const finalized = yield* Ref.make(0)
        let effect: Effect.Effect<unknown, unknown> = Effect.never.pipe(
          Effect.ensuring(Ref.update(finalized, (n) => n + 1))
        )
        for (let i = 0; i < depth; i++) effect = Deadline.within(effect, 3_600_000 + i * 1000)
        const fiber = yield* Effect.fork(effect)
        yield* TestClock.adjust(1)
        const exit = yield* Fiber.interrupt(fiber)
        assert.isTrue(Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause))
        assert.strictEqual(yield* Ref.get(finalized), 1)
      }))
  }

  it.effect("interrupted from outside while the inner scope has fired: the inner catches, the caller still stops", () =>
    Effect.gen(function*() {
      const after = yield* Ref.make(false)
      const fiber = yield* Effect.fork(
        Effect.zipRight(
          Deadline.scope((scope) => Effect.zipRight(scope.cancel, Effect.never)),
          Effect.zipRight(Effect.sleep(10), Ref.set(after, true))
        )
      )
      yield* Effect.yieldNow()
      const exit = yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.isInterrupted(exit), "the outside interruption is not swallowed")
      assert.isFalse(yield* Ref.get(after))
    }))
})

describe("Deadline.scope details, to the letter of Trio", () => {
  it.effect("cancel() acts at the next suspension: the code up to it runs", () =>
    Effect.gen(function*() {
      const steps = yield* Ref.make<Array<string>>([])
      const [result, handle] = yield* scoped((scope) =>
        Effect.gen(function*() {
          yield* scope.cancel
          yield* Ref.update(steps, (s) => [...s, "after cancel, same slice"])
          yield* Effect.sleep(1)
          yield* Ref.update(steps, (s) => [...s, "after the suspension"])
        })
      )
      expect(result).toStrictEqual(Option.none())
      expect(yield* Ref.get(steps)).toStrictEqual(["after cancel, same slice"])
      expect(yield* flagsOf(handle)).toStrictEqual({ cancelCalled: true, cancelledCaught: true, expired: false })
    }))

  it.effect("a cancel still on its way when the block ends is dropped: the block's value stands", () =>
    Effect.gen(function*() {
      const [result, handle] = yield* scoped((scope) => Effect.as(scope.cancel, "value"))
      expect(result).toStrictEqual(Option.some("value"))
      expect(yield* flagsOf(handle)).toStrictEqual({ cancelCalled: true, cancelledCaught: false, expired: false })
    }))

  it.effect("the block fails with its own error after cancel: the error comes out, cancelledCaught stays false", () =>
    Effect.gen(function*() {
      let handle: Deadline.CancelScope | undefined
      const exit = yield* Effect.exit(Deadline.scope((scope) => {
        handle = scope
        return Effect.zipRight(scope.cancel, Effect.fail("own"))
      }))
      expect(exit).toStrictEqual(Exit.fail("own"))
      expect(yield* flagsOf(handle!)).toStrictEqual({ cancelCalled: true, cancelledCaught: false, expired: false })
    }))

  it.effect("the block's cleanup fails after the scope stopped it: the failure comes out, cancelledCaught stays false", () =>
    Effect.gen(function*() {
      let handle: Deadline.CancelScope | undefined
      const fiber = yield* Effect.fork(Effect.exit(Deadline.scope((scope) => {
        handle = scope
        return Effect.never.pipe(Effect.ensuring(Effect.die("cleanup failed")))
      }, { timeout: 10 })))
      yield* TestClock.adjust(10)
      const exit = yield* Fiber.join(fiber)
      assert.isTrue(Exit.isFailure(exit) && !Cause.isInterrupted(exit.cause))
      if (Exit.isFailure(exit)) expect(Array.from(Cause.defects(exit.cause))).toStrictEqual(["cleanup failed"])
      expect(yield* flagsOf(handle!)).toStrictEqual({ cancelCalled: true, cancelledCaught: false, expired: true })
    }))

  it.effect("reschedule once the scope has ended changes nothing; cancel then is recorded, nothing else", () =>
    Effect.gen(function*() {
      const [, handle] = yield* scoped(() => Effect.void, { timeout: "1 second" })
      yield* handle.reschedule(99_999)
      expect(yield* handle.deadline).toStrictEqual(Option.some(1000))
      yield* handle.cancel
      expect(yield* flagsOf(handle)).toStrictEqual({ cancelCalled: true, cancelledCaught: false, expired: false })
    }))

  it.effect("level-triggered: a scope opened after the enclosing one was cancelled is stopped with it; the enclosing one catches", () =>
    Effect.gen(function*() {
      let inner: Deadline.CancelScope | undefined
      const [result, outer] = yield* scoped((scope) =>
        Effect.zipRight(
          scope.cancel,
          Deadline.scope((s) => {
            inner = s
            return Effect.sleep("1 hour")
          }).pipe(Effect.as("went on"))
        )
      )
      expect(result).toStrictEqual(Option.none())
      assert.isTrue(yield* outer.cancelledCaught)
      expect(yield* flagsOf(inner!)).toStrictEqual({ cancelCalled: false, cancelledCaught: false, expired: false })
    }))

  it.effect("a scope whose deadline has passed at entry runs its first slice and stops at its first suspension", () =>
    Effect.gen(function*() {
      const ran = yield* Ref.make<Array<string>>([])
      const [result, handle] = yield* scoped(() =>
        Effect.zipRight(
          Ref.update(ran, (r) => [...r, "first slice"]),
          Effect.zipRight(Effect.sleep(1), Ref.update(ran, (r) => [...r, "after"]))
        ), { at: -1 })
      expect(result).toStrictEqual(Option.none())
      expect(yield* Ref.get(ran)).toStrictEqual(["first slice"])
      expect(yield* flagsOf(handle)).toStrictEqual({ cancelCalled: true, cancelledCaught: true, expired: true })
    }))
})

describe("Deadline on Effect's live clock (host timers)", () => {
  it.live("nested: the outer 20 ms scope catches around an inner 10 s one; within gives a TimeoutError", () =>
    Effect.gen(function*() {
      const result = yield* Deadline.scope(() => Deadline.scope(() => Effect.never, { timeout: "10 seconds" }), {
        timeout: "20 millis"
      })
      expect(result).toStrictEqual(Option.none())
      const exit = yield* Effect.exit(Deadline.within(Effect.never, "5 millis"))
      assert.isTrue(Exit.isFailure(exit) && Cause.squash(exit.cause) instanceof Deadline.TimeoutError)
    }))
})

// ---------------------------------------------------------------------------------------------------
// The property: a chain of scopes (level 0 outermost), each with a deadline, an explicit cancel time
// and a shield flag, around a body that ends at `bodyEnd` (or never). The model below says, from
// Trio's rules, which scopes catch and when everything ends; the run must agree, leak nothing, and
// leave no fiber behind.

interface Level {
  readonly deadline: number | undefined
  readonly cancelAt: number | undefined
  readonly shield: boolean
}

interface Expected {
  readonly caught: ReadonlyArray<number>
  readonly endAt: number
  /** How many `some` wrap the result before a `none` (the depth that caught) or the body's value. */
  readonly result: { readonly somes: number; readonly value: boolean }
}

const cancelTime = (level: Level): number => Math.min(level.deadline ?? Infinity, level.cancelAt ?? Infinity)

/** Trio's rules, with Effect's one difference: every step is a checkpoint (see the docs' asyncio page). */
const model = (levels: ReadonlyArray<Level>, bodyEnd: number): Expected => {
  // segments between shields, innermost first: [start, end] level indices
  const segments: Array<[number, number]> = []
  let end = levels.length - 1
  for (let i = levels.length - 1; i >= 0; i--) {
    if (levels[i].shield || i === 0) {
      segments.push([i, end])
      end = i - 1
    }
  }
  const caught: Array<number> = []
  let t = bodyEnd
  // the level whose scope returns `none` (the outermost catch), if any
  let catcher: number | undefined
  for (let k = 0; k < segments.length; k++) {
    const [from, to] = segments[k]
    if (k === 0) {
      // the body is cancelled by the first visible cancellation, if it comes before the body ends
      let first = Infinity
      for (let i = from; i <= to; i++) first = Math.min(first, cancelTime(levels[i]))
      if (first < t) t = first
    }
    // the outermost scope of the segment cancelled by the time the inside returns catches
    for (let i = from; i <= to; i++) {
      if (cancelTime(levels[i]) <= t) {
        caught.push(i)
        catcher = i
        break
      }
    }
  }
  return {
    caught: caught.sort((a, b) => a - b),
    endAt: t,
    result: catcher === undefined ? { somes: levels.length, value: true } : { somes: catcher, value: false }
  }
}

const levelArb: fc.Arbitrary<Level> = fc.record({
  // odd times, the body's end even: no ties between a cancellation and the body's end
  deadline: fc.option(fc.integer({ min: 0, max: 20 }).map((n) => 2 * n + 1), { nil: undefined }),
  cancelAt: fc.option(fc.integer({ min: 0, max: 20 }).map((n) => 2 * n + 1), { nil: undefined }),
  shield: fc.boolean()
})

const distinct = (levels: ReadonlyArray<Level>): boolean => {
  const times = levels.flatMap((l) => [l.deadline, l.cancelAt]).filter((t) => t !== undefined)
  return new Set(times).size === times.length
}

const run = (levels: ReadonlyArray<Level>, bodyEnd: number) =>
  Effect.gen(function*() {
    const handles: Array<Deadline.CancelScope | undefined> = levels.map(() => undefined)
    const encode = (value: unknown, depth: number): { somes: number; value: boolean } => {
      if (depth === levels.length) return { somes: depth, value: value === "body" }
      const option = value as Option.Option<unknown>
      return Option.isNone(option) ? { somes: depth, value: false } : encode(option.value, depth + 1)
    }
    const nest = (i: number): Effect.Effect<unknown> => {
      if (i === levels.length) {
        return bodyEnd === Infinity ? Effect.never : Effect.as(Effect.sleep(bodyEnd), "body")
      }
      const level = levels[i]
      return Deadline.scope((scope) => {
        handles[i] = scope
        return nest(i + 1)
      }, {
        shield: level.shield,
        ...(level.deadline === undefined ? {} : { timeout: level.deadline })
      })
    }
    // explicit cancels come from outside, at their time, to whatever scope is open then
    const cancels = Effect.forEach(
      levels.map((l, i) => [l.cancelAt, i] as const).filter(([at]) => at !== undefined),
      ([at, i]) => Effect.zipRight(Effect.sleep(at!), Effect.suspend(() => handles[i]?.cancel ?? Effect.void)),
      { concurrency: "unbounded", discard: true }
    )
    const start = yield* now
    const canceller = yield* Effect.fork(cancels)
    const fiber = yield* Effect.fork(Testing.noOrphans(Effect.zip(nest(0), Effect.map(now, (t) => t - start))))
    yield* TestClock.adjust(100)
    const polled = yield* Fiber.poll(fiber)
    // still running (a shield keeps every cancellation out of a body that never ends): cancel every
    // scope, shields included, to unwind it
    const exit = Option.isSome(polled) ? Option.some(polled.value) : Option.none()
    if (Option.isNone(polled)) {
      yield* Effect.forEach(handles.slice().reverse(), (h) => h?.cancel ?? Effect.void, { discard: true })
      yield* Fiber.await(fiber)
    }
    yield* Fiber.interrupt(canceller)
    const caught = yield* Effect.forEach(handles, (h) => (h === undefined ? Effect.succeed(false) : h.cancelledCaught))
    return { exit, caught: caught.flatMap((c, i) => (c ? [i] : [])), encode }
  })

describe("property: random nestings of deadlines, cancels and shields", () => {
  it.effect("exactly the scopes Trio's rules name catch, at the time they say, and nothing leaks out", () =>
    Effect.gen(function*() {
      const samples = fc.sample(
        fc.tuple(
          fc.array(levelArb, { minLength: 1, maxLength: 6 }).filter(distinct),
          fc.oneof(fc.integer({ min: 0, max: 21 }).map((n) => 2 * n), fc.constant(Infinity))
        ),
        { numRuns: 300, seed: 20261207 }
      )
      for (const [levels, bodyEnd] of samples) {
        const expected = model(levels, bodyEnd)
        const { caught, encode, exit } = yield* run(levels, bodyEnd)
        const where = JSON.stringify({ levels, bodyEnd, expected })
        if (expected.endAt === Infinity) {
          assert.isTrue(Option.isNone(exit), `the body never ends and no cancellation reaches it: ${where}`)
          continue
        }
        assert.isTrue(
          Option.isSome(exit) && Exit.isSuccess(exit.value),
          `nothing leaks out: ${where} gave ${String(exit)}`
        )
        if (Option.isSome(exit) && Exit.isSuccess(exit.value)) {
          const [value, at] = exit.value.value
          expect(encode(value, 0), where).toStrictEqual(expected.result)
          assert.strictEqual(at, expected.endAt, where)
        }
        expect(caught, where).toStrictEqual(expected.caught)
      }
    }))
})
