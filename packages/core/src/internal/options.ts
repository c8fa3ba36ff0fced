/**
 * The rules for options (see `Options`).
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { InvalidOptionsError } from "./errors.js"

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

/** @internal */
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

/** @internal */
export const FiniteDuration: Schema.Schema<Duration.Duration, Duration.DurationInput> = durationSchema(
  "a finite duration",
  Number.isFinite
)

/** @internal */
export const NonNegativeDuration: Schema.Schema<Duration.Duration, Duration.DurationInput> = durationSchema(
  "a finite, non-negative duration",
  (ms) => Number.isFinite(ms) && ms >= 0
)

/** @internal */
export const PositiveDuration: Schema.Schema<Duration.Duration, Duration.DurationInput> = durationSchema(
  "a finite, positive duration",
  (ms) => Number.isFinite(ms) && ms > 0
)

/** @internal */
export const NonNegativeDurationOrInfinity: Schema.Schema<Duration.Duration, Duration.DurationInput> = durationSchema(
  "a non-negative duration or Infinity",
  (ms) => ms >= 0
)

const count = (rule: string, accept: (n: number) => boolean): Schema.Schema<number> =>
  Schema.Number.pipe(
    Schema.filter(accept, { message: (issue) => `Expected ${rule}, actual ${show(issue.actual)}` })
  )

/** @internal */
export const PositiveInt: Schema.Schema<number> = count("a positive integer", (n) => Number.isInteger(n) && n > 0)

/** @internal */
export const NonNegativeInt: Schema.Schema<number> = count(
  "a non-negative integer",
  (n) => Number.isInteger(n) && n >= 0
)

/** @internal */
export const PositiveIntOrInfinity: Schema.Schema<number> = count(
  "a positive integer or Infinity",
  (n) => n === Infinity || (Number.isInteger(n) && n > 0)
)

/** @internal */
export const NonNegativeIntOrInfinity: Schema.Schema<number> = count(
  "a non-negative integer or Infinity",
  (n) => n === Infinity || (Number.isInteger(n) && n >= 0)
)

const formatIssue = (error: ParseResult.ParseError): string => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  // optional fields are unions with `undefined`: prefer the issue of the real type
  const issue = issues.find((i) => !i.message.startsWith("Expected undefined")) ?? issues[0]
  if (issue === undefined) return ParseResult.TreeFormatter.formatErrorSync(error)
  const where = issue.path.join(".")
  // a union of literals fails once per member: name them all ('Expected "a" | "b", actual "c"')
  const actual = issue.message.match(/^Expected .*(, actual .*)$/s)?.[1]
  const members = actual === undefined ?
    [] :
    issues.filter((i) =>
      i.path.join(".") === where && i.message.startsWith("Expected ") && i.message.endsWith(actual) &&
      !i.message.startsWith("Expected undefined")
    ).map((i) => i.message.slice("Expected ".length, i.message.length - actual!.length))
  const message = members.length > 1 ? `Expected ${members.join(" | ")}${actual}` : issue.message
  return issue.path.length > 0 ? `${where}: ${message}` : message
}

/** @internal */
export const decode = <A, I>(
  subject: string,
  schema: Schema.Schema<A, I>
): (input: unknown) => Either.Either<A, InvalidOptionsError> => {
  const run = Schema.decodeUnknownEither(schema, { onExcessProperty: "error", errors: "all" })
  return (input) =>
    Either.mapLeft(run(input ?? {}), (error) => new InvalidOptionsError({ subject, detail: formatIssue(error) }))
}

/**
 * The key by which `@taskscope/promise` (and anyone) tells a bad argument to one of Taskscope's
 * functions from a defect of the user's own code: it turns these into a `TypeError`, as JavaScript
 * libraries throw for a bad argument. @internal
 */
export const InvalidArgumentKey: unique symbol = Symbol.for("@taskscope/core/InvalidArgument")

/** An `IllegalArgumentException` for a bad argument to a Taskscope function, marked as such. @internal */
export const invalidArgument = (message: string): Cause.IllegalArgumentException => {
  const error = new Cause.IllegalArgumentException(message)
  Object.defineProperty(error, InvalidArgumentKey, { value: true })
  return error
}

/** @internal */
export const decodeOrDie = <A, I>(subject: string, schema: Schema.Schema<A, I>): (input: unknown) => A => {
  const run = decode(subject, schema)
  return (input) => {
    const decoded = run(input)
    if (Either.isRight(decoded)) return decoded.right
    throw invalidArgument(`${subject}: ${decoded.left.detail}`)
  }
}

/** @internal */
export const orDie = <A, I>(subject: string, schema: Schema.Schema<A, I>, input: unknown): Effect.Effect<A> =>
  Effect.suspend(() => Effect.succeed(decodeOrDie(subject, schema)(input)))
