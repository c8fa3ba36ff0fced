import { Errors } from "@taskscope/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

/** A positive, finite duration: milliseconds or a string such as "5 seconds". */
export const PositiveDuration = Schema.Union(Schema.Number, Schema.String).pipe(
  Schema.filter((input) => {
    const d = Duration.decodeUnknown(input)
    return d._tag === "Some" && Duration.isFinite(d.value) && Duration.toMillis(d.value) > 0
  }, { message: (issue) => `Expected a positive duration such as "5 seconds", actual ${String(issue.actual)}` })
)

/** A decoded optional duration, or the default. */
export const durationOr = (value: string | number | undefined, fallback: Duration.DurationInput): Duration.Duration =>
  Duration.decode((value ?? fallback) as Duration.DurationInput)

/** Decodes options with `schema`; the first issue becomes an `InvalidOptionsError` of `subject`. */
export const decode = <A, I>(subject: string, schema: Schema.Schema<A, I>) => {
  const run = Schema.decodeUnknownEither(schema, { onExcessProperty: "error", errors: "all" })
  return (input: unknown): Effect.Effect<A, Errors.InvalidOptionsError> =>
    Either.match(run(input ?? {}), {
      onLeft: (error) => {
        const issue = ParseResult.ArrayFormatter.formatErrorSync(error).find((i) =>
          !i.message.startsWith("Expected undefined")
        )
        const detail = issue === undefined
          ? ParseResult.TreeFormatter.formatErrorSync(error)
          : issue.path.length > 0
          ? `${issue.path.join(".")}: ${issue.message}`
          : issue.message
        return Effect.fail(new Errors.InvalidOptionsError({ subject, detail }))
      },
      onRight: Effect.succeed
    })
}
