import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { InvalidOptionsError } from "../Errors.js"

/** @internal */
export const PositiveIntOrInfinity = Schema.Number.pipe(
  Schema.filter((n) => n === Infinity || (Number.isInteger(n) && n > 0), {
    message: (issue) => `Expected a positive integer or Infinity, actual ${String(issue.actual)}`
  })
)

/** @internal */
export const decodeOptions = <A, I>(subject: string, schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknownEither(schema, { onExcessProperty: "error", errors: "first" })
  return (input: unknown): Either.Either<A, InvalidOptionsError> =>
    Either.mapLeft(
      decode(input ?? {}),
      (error) => new InvalidOptionsError({ subject, detail: ParseResult.TreeFormatter.formatErrorSync(error) })
    )
}

/** @internal */
export const decodeOptionsEffect = <A, I>(subject: string, schema: Schema.Schema<A, I>) => {
  const decode = decodeOptions(subject, schema)
  return (input: unknown): Effect.Effect<A, InvalidOptionsError> => Effect.suspend(() => decode(input))
}
