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

/**
 * A shared backend (e.g. Redis for `@taskscope/redis`) could not carry out an operation: it stayed
 * out of reach for longer than the configured retry budget (`reason: "unavailable"`), did not answer
 * in time (`"timeout"`), or answered with something unexpected (`"protocol"`). In-memory limiters and
 * queues never fail with it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors } from "@taskscope/core"
 *
 * const program = Effect.fail(
 *   new Errors.BackendError({ backend: "redis", operation: "XADD", reason: "unavailable", detail: "connection refused" })
 * ).pipe(Effect.catchTag("BackendError", (e) => Effect.logWarning(e.message)))
 * ```
 *
 * @since 0.2.0
 * @category errors
 */
export class BackendError extends Data.TaggedError("BackendError")<{
  /** Which backend, e.g. `"redis"`. */
  readonly backend: string
  /** What was being done, e.g. a command name. */
  readonly operation: string
  readonly reason: "unavailable" | "timeout" | "protocol"
  readonly detail: string
}> {
  override get message(): string {
    return `${this.backend} ${this.operation}: ${this.reason}: ${this.detail}`
  }
}
