import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Task from "../Task.js"
import type * as Timeline from "../Timeline.js"
import { statusOf } from "./outcome.js"
import type { TaskImpl } from "./task.js"
import type { Listener, ListenerSource } from "./taskGroup.js"

/** A timeline is a lifecycle listener of the groups it is given to. @internal */
export class TimelineImpl implements Timeline.Timeline, ListenerSource {
  readonly recorded: Array<Timeline.Entry> = []
  constructor(readonly limit: number) {}

  record(task: TaskImpl<any, any>, exit: Exit.Exit<unknown, unknown>, group: string): void {
    this.recorded.push({
      id: task.id,
      name: task.name,
      group,
      startedAt: task.startedAt >= 0 ? task.startedAt : task.endedAt,
      endedAt: task.endedAt,
      outcome: statusOf(exit)
    })
    if (this.recorded.length > this.limit) this.recorded.splice(0, this.recorded.length - this.limit)
  }

  listenerFor(group: string): Listener {
    return { onEnded: (task, exit) => this.record(task, exit, group) }
  }

  get entries(): Effect.Effect<ReadonlyArray<Timeline.Entry>> {
    return Effect.sync(() => this.recorded.slice())
  }

  track(task: Task.Task<unknown, unknown>, group = "tasks"): Effect.Effect<void> {
    return Effect.sync(() => {
      const impl = task as TaskImpl<unknown, unknown>
      impl.addObserver((exit) => this.record(impl, exit, group))
    })
  }
}
