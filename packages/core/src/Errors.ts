/**
 * Errors shared by every module.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"

/**
 * Options given to a constructor were rejected by their Schema. `message` names the option and the
 * rule it broke, e.g. `TaskGroup options: maxConcurrent: Expected a positive integer or Infinity, actual 0`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TaskGroup } from "@taskscope/core"
 *
 * const program = TaskGroup.scoped(() => Effect.void, { maxConcurrent: 0 }).pipe(
 *   Effect.catchTag("InvalidOptionsError", (e) => Effect.logError(e.message))
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidOptionsError extends Data.TaggedError("InvalidOptionsError")<{
  /** Which API rejected the options, e.g. `"TaskGroup"`. */
  readonly subject: string
  /** The human-readable explanation produced by the Schema decoder. */
  readonly detail: string
}> {
  override get message(): string {
    return `${this.subject} options: ${this.detail}`
  }
}
