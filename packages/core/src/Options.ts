/**
 * One set of rules for options, used by every module and package: durations (positive, non-negative,
 * or any finite one), counts (positive integers, or `Infinity`), and one way to decode an options
 * object — `decode(subject, schema)` — so that every rejected value reads the same.
 *
 * Two kinds of bad input are told apart, as Effect itself does:
 * - **options that come from outside** (a config file, environment, a Layer's settings) are decoded
 *   once with {@link decode} and a bad value is a typed `InvalidOptionsError`;
 * - **a bad literal at a call site** (`Deadline.within(NaN)`, `Limiter.semaphore(-1)`) is a
 *   programmer error: {@link decodeOrDie} makes it a defect whose message names the function and the
 *   value.
 *
 * Durations accept what Effect's `Duration.DurationInput` accepts — a number of milliseconds, a
 * `Duration`, a string such as `"5 seconds"`, a bigint of nanoseconds or a `[seconds, nanos]` pair —
 * but, unlike `Duration.decode`, a negative or NaN value is never silently read as zero.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import type * as Schema from "effect/Schema"
import type { InvalidOptionsError } from "./Errors.js"
import * as internal from "./internal/options.js"

/**
 * The signed number of milliseconds a duration input stands for (`Infinity` for an infinite one),
 * or `undefined` when it is not a duration at all (NaN, `"soon"`, an object). Unlike
 * `Duration.decode`, negative values stay negative.
 *
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { Options } from "@taskscope/core"
 *
 * Options.toMillis("1.5 seconds") // 1500
 * Options.toMillis(-20) // -20
 * Options.toMillis(Duration.infinity) // Infinity
 * Options.toMillis(Number.NaN) // undefined
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const toMillis: (input: unknown) => number | undefined = internal.toMillis

/**
 * Any finite duration. A negative one is read as zero — a deadline already in the past — as
 * `asyncio.timeout(-1)` and Trio's `move_on_after(-1)` do.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Options } from "@taskscope/core"
 *
 * Schema.decodeUnknownSync(Options.FiniteDuration)(-5) // Duration.zero
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const FiniteDuration: Schema.Schema<Duration.Duration, Duration.DurationInput> = internal.FiniteDuration

/**
 * A finite duration of zero or more.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Options } from "@taskscope/core"
 *
 * Schema.decodeUnknownSync(Options.NonNegativeDuration)("2 seconds")
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const NonNegativeDuration: Schema.Schema<Duration.Duration, Duration.DurationInput> =
  internal.NonNegativeDuration

/**
 * A finite duration of more than zero.
 *
 * @example
 * ```ts
 * import { Duration, Schema } from "effect"
 * import { Options } from "@taskscope/core"
 *
 * Schema.decodeUnknownSync(Options.PositiveDuration)(Duration.seconds(5))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const PositiveDuration: Schema.Schema<Duration.Duration, Duration.DurationInput> = internal.PositiveDuration

/**
 * A duration of zero or more, or an infinite one (`Infinity`, `Duration.infinity`): "wait as long as
 * it takes".
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Options } from "@taskscope/core"
 *
 * Schema.decodeUnknownSync(Options.NonNegativeDurationOrInfinity)(Infinity)
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const NonNegativeDurationOrInfinity: Schema.Schema<Duration.Duration, Duration.DurationInput> =
  internal.NonNegativeDurationOrInfinity

/**
 * An integer of 1 or more.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Options } from "@taskscope/core"
 *
 * Schema.decodeUnknownSync(Options.PositiveInt)(3)
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const PositiveInt: Schema.Schema<number> = internal.PositiveInt

/**
 * An integer of 0 or more.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Options } from "@taskscope/core"
 *
 * Schema.decodeUnknownSync(Options.NonNegativeInt)(0)
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const NonNegativeInt: Schema.Schema<number> = internal.NonNegativeInt

/**
 * An integer of 1 or more, or `Infinity` ("no limit").
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Options } from "@taskscope/core"
 *
 * Schema.decodeUnknownSync(Options.PositiveIntOrInfinity)(Infinity)
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const PositiveIntOrInfinity: Schema.Schema<number> = internal.PositiveIntOrInfinity

/**
 * An integer of 0 or more, or `Infinity`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Options } from "@taskscope/core"
 *
 * Schema.decodeUnknownSync(Options.NonNegativeIntOrInfinity)(0)
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const NonNegativeIntOrInfinity: Schema.Schema<number> = internal.NonNegativeIntOrInfinity

/**
 * A decoder for options that come from outside: unknown fields are rejected, `undefined` reads as
 * `{}`, and the first broken rule becomes an `InvalidOptionsError` naming `subject` and the field.
 * The result is an `Either`, which is also an Effect (`yield*` it).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Options } from "@taskscope/core"
 *
 * const decodeConfig = Options.decode(
 *   "Crawler",
 *   Schema.Struct({ concurrency: Options.PositiveInt, grace: Schema.optional(Options.NonNegativeDuration) })
 * )
 *
 * const program = Effect.gen(function*() {
 *   const config = yield* decodeConfig({ concurrency: 0 })
 *   return config.concurrency
 * })
 * // fails with InvalidOptionsError: "Crawler options: concurrency: Expected a positive integer, actual 0"
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode: <A, I>(
  subject: string,
  schema: Schema.Schema<A, I>
) => (input: unknown) => Either.Either<A, InvalidOptionsError> = internal.decode

/**
 * A checker for arguments written at a call site: returns the decoded value, or throws an
 * `IllegalArgumentException` whose message names `subject` and the rule — inside an Effect
 * (`Effect.suspend`, `Effect.sync`) that throw is a defect, the programmer error it is.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Options } from "@taskscope/core"
 *
 * const checkPermits = Options.decodeOrDie("Pool.acquire", Options.PositiveInt)
 *
 * const acquire = (permits: number) =>
 *   Effect.suspend(() => {
 *     const n = checkPermits(permits) // dies on 0, -1, 1.5 or NaN
 *     return Effect.succeed(n)
 *   })
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeOrDie: <A, I>(subject: string, schema: Schema.Schema<A, I>) => (input: unknown) => A =
  internal.decodeOrDie

/**
 * Like {@link decodeOrDie}, as an Effect that dies instead of throwing.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Options } from "@taskscope/core"
 *
 * const program = Effect.flatMap(
 *   Options.orDie("Crawler.run", Options.PositiveDuration, "5 seconds"),
 *   (timeout) => Effect.log(timeout)
 * )
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const orDie: <A, I>(subject: string, schema: Schema.Schema<A, I>, input: unknown) => Effect.Effect<A> =
  internal.orDie
