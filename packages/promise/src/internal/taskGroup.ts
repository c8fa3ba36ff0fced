import { TaskGroupClosedError } from "@taskscope/core/Errors"
import type * as CoreTask from "@taskscope/core/Task"
import * as CoreTaskGroup from "@taskscope/core/TaskGroup"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import { CancelledError } from "../Errors.js"
import type * as Task from "../Task.js"
import type * as TaskGroup from "../TaskGroup.js"
import { type AsyncFn, fromAsync, fromCall, isThenable } from "./bridge.js"
import { asyncDispose, ensure } from "./dispose.js"
import { currentSignal, linkRuntime, runPromise, runSync, runtimeHere, toThrown } from "./runtime.js"
import { TaskCell, TaskImpl } from "./task.js"

type CoreGroup = CoreTaskGroup.TaskGroup<"failFast", unknown>

const coreOptions = (
  options: TaskGroup.TaskGroup.Options | undefined
): { readonly name?: string; readonly concurrency?: number } => {
  if (options === undefined) return {}
  const out: { name?: string; concurrency?: number } = {}
  if (options.name !== undefined) out.name = options.name
  if (options.concurrency !== undefined) out.concurrency = options.concurrency
  return out
}

/** @internal */
export class GroupImpl implements TaskGroup.TaskGroup {
  constructor(
    readonly core: CoreGroup,
    /** The body's (or the block's) signal. */
    readonly signal: AbortSignal,
    /** Aborts the body's signal (with a reason that says why). */
    readonly abortBody: (reason: unknown) => void,
    /** The caller's signal, if any. */
    readonly outer: AbortSignal | undefined
  ) {}

  get name(): string {
    return this.core.name
  }

  spawn<A>(fn: AsyncFn<A>, options?: TaskGroup.TaskGroup.SpawnOptions): Task.Task<A> {
    if (typeof fn !== "function") {
      throw new TypeError(`TaskGroup.spawn: Expected a function (signal) => value or promise, actual ${String(fn)}`)
    }
    const cell = new TaskCell(this.outer)
    const name = options?.name
    const effect = Effect.onExit(
      fromCall<A>((call) => {
        cell.call = call
        return fn(call.signal)
      }),
      (exit) => {
        // failFast: a child's failure aborts the body's signal at once (the core cancels the rest)
        if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) {
          this.abortBody(
            new CancelledError(`The task group "${this.name}" was cancelled: a task failed`, {
              cause: toThrown(exit.cause, undefined)
            })
          )
        }
        return Effect.void
      }
    )
    const exit = Runtime.runSyncExit(Runtime.defaultRuntime)(
      this.core.spawn(effect, name === undefined ? undefined : { name })
    )
    if (Exit.isSuccess(exit)) {
      return new TaskImpl(exit.value as CoreTask.Task<A, unknown>, cell, name ?? "task", () => this.cancelledReason())
    }
    const error = Cause.failureOption(exit.cause)
    // Trio: spawning into a group that is being cancelled gives a task that is cancelled at once
    if (Option.isSome(error) && error.value instanceof TaskGroupClosedError && error.value.reason === "cancelling") {
      return new TaskImpl<A>(undefined, cell, name ?? "task", () => this.cancelledReason())
    }
    throw toThrown(exit.cause, undefined)
  }

  start<V>(
    fn: (signal: AbortSignal, ready: (value: V) => void) => unknown,
    options?: TaskGroup.TaskGroup.SpawnOptions
  ) {
    const name = options?.name
    return runPromise(
      this.core.start<V, unknown, unknown, never>(
        (ready) => fromAsync((signal) => fn(signal, (value) => runSync(ready(value)))),
        name === undefined ? undefined : { name }
      ),
      this.signal
    )
  }

  cancel(): void {
    this.abortBody(new CancelledError(`The task group "${this.name}" was cancelled`))
    runSync(this.core.cancel)
  }

  get stats(): TaskGroup.TaskGroup.Stats {
    return runSync(this.core.stats)
  }

  cancelledReason(): unknown {
    return this.outer?.aborted ? this.outer.reason : new CancelledError()
  }

  get [Symbol.toStringTag](): string {
    return "TaskGroup"
  }

  toJSON(): unknown {
    return { _id: "TaskGroup", name: this.name, ...this.stats }
  }
}

const abortWith = (controller: AbortController) => (reason: unknown) => {
  if (!controller.signal.aborted) controller.abort(reason)
}

/** @internal */
export const run = <A>(
  body: (group: TaskGroup.TaskGroup) => A | PromiseLike<A>,
  options?: TaskGroup.TaskGroup.Options
) => {
  if (typeof body !== "function") {
    return Promise.reject(
      new TypeError(`TaskGroup.run: Expected a function (group) => value or promise, actual ${String(body)}`)
    )
  }
  const outer = options?.signal
  // the body's value, even when it came after the group was cancelled: `cancel` is absorbed, and a
  // body that cancelled its group and then returned keeps its value
  let returned: { readonly value: A } | undefined = undefined
  const keep = (value: A) => {
    returned = { value }
  }
  return runPromise(
    Effect.map(
      CoreTaskGroup.scoped((core: CoreGroup) =>
        fromCall<A>((call) => {
          const out = body(new GroupImpl(core, call.signal, (reason) => call.abort(reason), outer))
          if (isThenable(out)) out.then(keep, () => {})
          else keep(out)
          return out
        }), coreOptions(options)),
      (value) => returned === undefined ? value : returned.value
    ),
    outer
  )
}

/** @internal */
export class OpenGroupImpl extends GroupImpl implements TaskGroup.OpenTaskGroup {
  closing: Promise<void> | undefined = undefined
  constructor(
    core: CoreGroup,
    readonly controller: AbortController,
    outer: AbortSignal | undefined,
    readonly scope: Scope.CloseableScope,
    readonly onAbort: (() => void) | undefined
  ) {
    super(core, controller.signal, abortWith(controller), outer)
  }

  close(): Promise<void> {
    if (this.closing === undefined) {
      this.closing = runPromise(Scope.close(this.scope, Exit.void)).then(
        () => {
          if (this.onAbort !== undefined) this.outer!.removeEventListener("abort", this.onAbort)
          if (this.outer?.aborted) throw this.outer.reason
        },
        (error) => {
          if (this.onAbort !== undefined) this.outer!.removeEventListener("abort", this.onAbort)
          throw error
        }
      )
    }
    return this.closing
  }

  [asyncDispose](): Promise<void> {
    return this.close()
  }
}

/** @internal */
export const open = (options?: TaskGroup.TaskGroup.Options): TaskGroup.OpenTaskGroup => {
  ensure()
  const outer = options?.signal
  if (outer?.aborted) throw outer.reason
  const runtime = runtimeHere(outer)
  const controller = new AbortController()
  linkRuntime(controller.signal, runtime)
  const made = Effect.flatMap(Scope.make(), (scope) =>
    Effect.map(
      Scope.extend(CoreTaskGroup.make(coreOptions(options)), scope),
      (core) => [scope, core] as const
    ))
  const [scope, core] = runSync(outer === undefined ? made : Effect.locally(made, currentSignal, outer), outer, runtime)
  let onAbort: (() => void) | undefined = undefined
  if (outer !== undefined) {
    onAbort = () => {
      abortWith(controller)(outer.reason)
      runSync(core.cancel)
    }
    outer.addEventListener("abort", onAbort, { once: true })
  }
  return new OpenGroupImpl(core, controller, outer, scope, onAbort)
}
