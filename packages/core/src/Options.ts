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
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { InvalidOptionsError } from "./Errors.js"

const UNITS: Record<string, number> = {
  nano: 1e-6,
  nanos: 1e-6,
  micro: 1e-3,
  micros: 1e-3,
  milli: 1,
  millis: 1,
  second: 1_000,
  seconds: 1_000,
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
  week: 604_800_000,
  weeks: 604_800_000
}

const STRING = /^\s*(-?\d+(?:\.\d+)?)\s*([a-z]+)\s*$/

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
export const toMillis = (input: unknown): number | undefined => {
  switch (typeof input) {
    case "number":
      return Number.isNaN(input) ? undefined : input
    case "bigint":
      return Number(input) / 1e6
    case "string": {
      const match = STRING.exec(input)
      if (match === null) return input.trim() === "Infinity" ? Infinity : undefined
      const unit = UNITS[match[2]]
      return unit === undefined ? undefined : Number(match[1]) * unit
    }
    case "object": {
      if (Duration.isDuration(input)) return Duration.toMillis(input)
      if (Array.isArray(input) && input.length === 2 && typeof input[0] === "number" && typeof input[1] === "number") {
        const ms = input[0] * 1_000 + input[1] / 1e6
        return Number.isNaN(ms) ? undefined : ms
      }
      return undefined
    }
    default:
      return undefined
  }
}

const show = (input: unknown): string =>
  typeof input === "string"
    ? JSON.stringify(input)
    : typeof input === "bigint"
    ? `${input}n`
    : Duration.isDuration(input)
    ? Duration.format(input)
    : Array.isArray(input)
    ? `[${input.map(show).join(", ")}]`
    : String(input)

const durationSchema = (
  rule: string,
  accept: (ms: number) => boolean
): Schema.Schema<Duration.Duration, Duration.DurationInput> =>
  Schema.transformOrFail(
    Schema.declare((_u): _u is Duration.DurationInput => true, { identifier: "DurationInput" }),
    Schema.DurationFromSelf,
    {
      strict: true,
      decode: (input, _, ast) => {
        const ms = toMillis(input)
        return ms !== undefined && accept(ms)
          ? ParseResult.succeed(ms === Infinity ? Duration.infinity : Duration.millis(Math.max(0, ms)))
          : ParseResult.fail(
            new ParseResult.Type(
              ast,
              input,
              `Expected ${rule} (milliseconds, a Duration, or a string like "5 seconds"), actual ${show(input)}`
            )
          )
      },
      encode: (d) => ParseResult.succeed(d)
    }
  )

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
export const FiniteDuration: Schema.Schema<Duration.Duration, Duration.DurationInput> = durationSchema(
  "a finite duration",
  Number.isFinite
)

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
export const NonNegativeDuration: Schema.Schema<Duration.Duration, Duration.DurationInput> = durationSchema(
  "a finite, non-negative duration",
  (ms) => Number.isFinite(ms) && ms >= 0
)

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
export const PositiveDuration: Schema.Schema<Duration.Duration, Duration.DurationInput> = durationSchema(
  "a finite, positive duration",
  (ms) => Number.isFinite(ms) && ms > 0
)

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
export const NonNegativeDurationOrInfinity: Schema.Schema<Duration.Duration, Duration.DurationInput> = durationSchema(
  "a non-negative duration or Infinity",
  (ms) => ms >= 0
)

const count = (rule: string, accept: (n: number) => boolean): Schema.Schema<number> =>
  Schema.Number.pipe(
    Schema.filter(accept, { message: (issue) => `Expected ${rule}, actual ${show(issue.actual)}` })
  )

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
export const PositiveInt: Schema.Schema<number> = count("a positive integer", (n) => Number.isInteger(n) && n > 0)

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
export const NonNegativeInt: Schema.Schema<number> = count(
  "a non-negative integer",
  (n) => Number.isInteger(n) && n >= 0
)

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
export const PositiveIntOrInfinity: Schema.Schema<number> = count(
  "a positive integer or Infinity",
  (n) => n === Infinity || (Number.isInteger(n) && n > 0)
)

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
export const NonNegativeIntOrInfinity: Schema.Schema<number> = count(
  "a non-negative integer or Infinity",
  (n) => n === Infinity || (Number.isInteger(n) && n >= 0)
)

const formatIssue = (error: ParseResult.ParseError): string => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  // optional fields are unions with `undefined`: prefer the issue of the real type
  const issue = issues.find((i) => !i.message.startsWith("Expected undefined")) ?? issues[0]
  if (issue === undefined) return ParseResult.TreeFormatter.formatErrorSync(error)
  return issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message
}

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
export const decode = <A, I>(
  subject: string,
  schema: Schema.Schema<A, I>
): (input: unknown) => Either.Either<A, InvalidOptionsError> => {
  const run = Schema.decodeUnknownEither(schema, { onExcessProperty: "error", errors: "all" })
  return (input) =>
    Either.mapLeft(run(input ?? {}), (error) => new InvalidOptionsError({ subject, detail: formatIssue(error) }))
}

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
export const decodeOrDie = <A, I>(subject: string, schema: Schema.Schema<A, I>): (input: unknown) => A => {
  const run = decode(subject, schema)
  return (input) => {
    const decoded = run(input)
    if (Either.isRight(decoded)) return decoded.right
    throw new Cause.IllegalArgumentException(`${subject}: ${decoded.left.detail}`)
  }
}

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
export const orDie = <A, I>(subject: string, schema: Schema.Schema<A, I>, input: unknown): Effect.Effect<A> =>
  Effect.suspend(() => Effect.succeed(decodeOrDie(subject, schema)(input)))
