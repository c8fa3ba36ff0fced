import type * as CoreTask from "@taskscope/core/Task"
import * as TaskApi from "@taskscope/core/Task"
import type * as TaskResult from "@taskscope/core/TaskResult"
import type * as Task from "../Task.js"
import type { Call } from "./bridge.js"
import { runPromise, runSync, toThrown } from "./runtime.js"

/** Where a task's signal and its group's caller signal are found when it is cancelled. @internal */
export class TaskCell {
  call: Call | undefined = undefined
  constructor(readonly outer: AbortSignal | undefined) {}
  /** What awaiting the task rejects with when it was cancelled. */
  cancelledReason(): unknown {
    const signal = this.call?.controller?.signal
    if (signal?.aborted) return signal.reason
    if (this.outer?.aborted) return this.outer.reason
    return undefined
  }
}

/**
 * A promise-API task: a core task, awaited through a promise made only when someone awaits it —
 * so a task nobody awaits never makes an unhandled rejection (its group reports its failure).
 * @internal
 */
export class TaskImpl<A> implements Task.Task<A> {
  promise: Promise<A> | undefined = undefined
  constructor(
    readonly core: CoreTask.Task<A, unknown> | undefined,
    readonly cell: TaskCell,
    readonly taskName: string,
    readonly cancelled: () => unknown
  ) {}

  get id(): number {
    return this.core?.id ?? -1
  }

  get name(): string {
    return this.core?.name ?? this.taskName
  }

  get state(): Task.State {
    return this.core === undefined ? "cancelled" : runSync(this.core.state)
  }

  get done(): boolean {
    const state = this.state
    return state !== "queued" && state !== "running"
  }

  toPromise(): Promise<A> {
    if (this.promise !== undefined) return this.promise
    const core = this.core
    this.promise = core === undefined
      ? Promise.reject(this.cancelled())
      : new Promise<A>((resolve, reject) => {
        runSync(TaskApi.onDone(core, (result: TaskResult.TaskResult<A, unknown>) => {
          switch (result._tag) {
            case "Succeeded":
              return resolve(result.value)
            case "Cancelled":
              return reject(this.cell.cancelledReason() ?? this.cancelled())
            default:
              return reject(toThrown(result.cause, this.cell.outer))
          }
        }))
      })
    return this.promise
  }

  then<B = A, C = never>(
    onfulfilled?: ((value: A) => B | PromiseLike<B>) | null,
    onrejected?: ((reason: any) => C | PromiseLike<C>) | null
  ): Promise<B | C> {
    return this.toPromise().then(onfulfilled, onrejected)
  }

  catch<C = never>(onrejected?: ((reason: any) => C | PromiseLike<C>) | null): Promise<A | C> {
    return this.toPromise().catch(onrejected)
  }

  finally(onfinally?: (() => void) | null): Promise<A> {
    return this.toPromise().finally(onfinally)
  }

  cancel(): Promise<void> {
    return this.core === undefined ? Promise.resolve() : runPromise(this.core.cancel)
  }

  get [Symbol.toStringTag](): string {
    return "Task"
  }

  toJSON(): unknown {
    return { _id: "Task", id: this.id, name: this.name, state: this.state }
  }
}
