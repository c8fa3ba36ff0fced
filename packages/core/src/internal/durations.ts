import * as DateTime from "effect/DateTime"
import * as Options from "./options.js"

/**
 * A duration in milliseconds, negative allowed, `Infinity` for "no deadline"; dies with a message
 * naming `subject` on NaN or garbage (a bad literal at a call site is a programmer error).
 * @internal
 */
export const millisOrDie = (subject: string, input: unknown): number => {
  const ms = Options.toMillis(input)
  if (ms === undefined || ms === -Infinity) {
    throw Options.invalidArgument(
      `${subject}: Expected a duration (milliseconds, a Duration, or a string like "5 seconds"; Infinity for none), actual ${
        typeof input === "string" ? JSON.stringify(input) : String(input)
      }`
    )
  }
  return ms
}

/** An instant in epoch milliseconds from a number, a Date or a DateTime; dies on anything else. @internal */
export const instantOrDie = (subject: string, instant: unknown): number => {
  const ms = typeof instant === "number"
    ? instant
    : instant instanceof Date
    ? instant.getTime()
    : DateTime.isDateTime(instant)
    ? DateTime.toEpochMillis(instant)
    : Number.NaN
  if (Number.isNaN(ms)) {
    throw Options.invalidArgument(
      `${subject}: Expected an instant (epoch milliseconds, a Date or a DateTime), actual ${String(instant)}`
    )
  }
  return ms
}
