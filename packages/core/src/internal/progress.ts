import * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type * as Progress from "../Progress.js"
import type { Listener, ListenerSource } from "./taskGroup.js"

class Node {
  total = 0
  done = 0
  readonly children: Array<Node> = []
  constructor(readonly name: string) {}
  snapshot(): Progress.Snapshot {
    const children = this.children.map((c) => c.snapshot())
    return {
      name: this.name,
      done: children.reduce((n, c) => n + c.done, this.done),
      total: children.reduce((n, c) => n + c.total, this.total),
      children
    }
  }
}

/** A tracker is a lifecycle listener of the groups it is given to: one more in total per child, one more done per end. @internal */
export class TrackerImpl implements Progress.Tracker, ListenerSource {
  constructor(
    readonly node: Node,
    readonly root: Node,
    readonly ref: SubscriptionRef.SubscriptionRef<Progress.Snapshot>
  ) {}

  get name(): string {
    return this.node.name
  }

  publish(): void {
    Effect.runSync(SubscriptionRef.set(this.ref, this.root.snapshot()))
  }

  addNow(n: number): void {
    this.node.total += n
    this.publish()
  }

  advanceNow(n: number): void {
    this.node.done += n
    this.publish()
  }

  add(n = 1): Effect.Effect<void> {
    return Effect.sync(() => this.addNow(n))
  }

  advance(n = 1): Effect.Effect<void> {
    return Effect.sync(() => this.advanceNow(n))
  }

  child(name: string): Effect.Effect<Progress.Tracker> {
    return Effect.sync(() => {
      const child = new Node(name)
      this.node.children.push(child)
      this.publish()
      return new TrackerImpl(child, this.root, this.ref)
    })
  }

  get snapshot(): Effect.Effect<Progress.Snapshot> {
    return Effect.sync(() => this.node.snapshot())
  }

  get changes(): Stream.Stream<Progress.Snapshot> {
    return this.ref.changes
  }

  listenerFor(): Listener {
    return { onQueued: () => this.addNow(1), onEnded: () => this.advanceNow(1) }
  }
}

/** @internal */
export const make = (name: string): Effect.Effect<Progress.Tracker> =>
  Effect.map(SubscriptionRef.make<Progress.Snapshot>({ name, done: 0, total: 0, children: [] }), (ref) => {
    const root = new Node(name)
    return new TrackerImpl(root, root, ref)
  })
