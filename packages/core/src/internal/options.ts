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

/** The first issue as `path: message`, e.g. `maxConcurrent: Expected a positive integer, actual 0`. */
const formatIssue = (error: ParseResult.ParseError): string => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  // optional fields are unions with `undefined`: prefer the issue of the real type
  const issue = issues.find((i) => !i.message.startsWith("Expected undefined")) ?? issues[0]
  if (issue === undefined) return ParseResult.TreeFormatter.formatErrorSync(error)
  return issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message
}

/** @internal */
export const decodeOptions = <A, I>(subject: string, schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknownEither(schema, { onExcessProperty: "error", errors: "all" })
  return (input: unknown): Either.Either<A, InvalidOptionsError> =>
    Either.mapLeft(
      decode(input ?? {}),
      (error) => new InvalidOptionsError({ subject, detail: formatIssue(error) })
    )
}
