/**
 * Hierarchical progress: "n of m done", rolled up a tree of trackers, as a value and a Stream.
 *
 * Pass a tracker to a TaskGroup (`{ progress }`): each spawned child adds one to its total and each
 * child that ends adds one to done. Make child trackers for nested groups; a parent's snapshot
 * includes its children.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"

/**
 * @since 0.1.0
 * @category models
 */
export interface Snapshot {
  readonly name: string
  /** Done and total, including every descendant. */
  readonly done: number
  readonly total: number
  readonly children: ReadonlyArray<Snapshot>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Tracker {
  readonly name: string
  /** Adds work to the total. */
  add(n?: number): Effect.Effect<void>
  /** Marks work done. */
  advance(n?: number): Effect.Effect<void>
  /** A child tracker whose counts roll up into this one. */
  child(name: string): Effect.Effect<Tracker>
  readonly snapshot: Effect.Effect<Snapshot>
  /** The root's snapshot, now and on every change. */
  readonly changes: Stream.Stream<Snapshot>
  /** @internal */
  unsafeAdd(n: number): void
  /** @internal */
  unsafeAdvance(n: number): void
}

class Node {
  total = 0
  done = 0
  readonly children: Array<Node> = []
  constructor(readonly name: string) {}
  snapshot(): Snapshot {
    const children = this.children.map((c) => c.snapshot())
    return {
      name: this.name,
      done: children.reduce((n, c) => n + c.done, this.done),
      total: children.reduce((n, c) => n + c.total, this.total),
      children
    }
  }
}

const tracker = (node: Node, root: Node, ref: SubscriptionRef.SubscriptionRef<Snapshot>): Tracker => {
  const publish = () => Effect.runSync(SubscriptionRef.set(ref, root.snapshot()))
  return {
    name: node.name,
    add: (n = 1) => Effect.sync(() => (node.total += n, publish())),
    advance: (n = 1) => Effect.sync(() => (node.done += n, publish())),
    child: (name) =>
      Effect.sync(() => {
        const child = new Node(name)
        node.children.push(child)
        publish()
        return tracker(child, root, ref)
      }),
    snapshot: Effect.sync(() => node.snapshot()),
    changes: ref.changes,
    unsafeAdd: (n) => {
      node.total += n
      publish()
    },
    unsafeAdvance: (n) => {
      node.done += n
      publish()
    }
  }
}

/**
 * Makes a root tracker.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Progress, TaskGroup } from "@taskscope/core"
 *
 * const program = Effect.gen(function*() {
 *   const progress = yield* Progress.make("crawl")
 *   yield* Effect.fork(Stream.runForEach(progress.changes, (p) => Effect.log(`${p.done}/${p.total}`)))
 *   yield* TaskGroup.scoped((group) =>
 *     Effect.forEach([1, 2, 3], (page) => group.spawn(Effect.sleep(page * 100))), { progress })
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (name: string): Effect.Effect<Tracker> =>
  Effect.map(SubscriptionRef.make<Snapshot>({ name, done: 0, total: 0, children: [] }), (ref) => {
    const root = new Node(name)
    return tracker(root, root, ref)
  })

/**
 * `"n of m done"`, with a percentage.
 *
 * @example
 * ```ts
 * import { Progress } from "@taskscope/core"
 *
 * Progress.format({ name: "crawl", done: 3, total: 4, children: [] }) // "crawl: 3 of 4 done (75%)"
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const format = (snapshot: Snapshot): string =>
  `${snapshot.name}: ${snapshot.done} of ${snapshot.total} done (${
    snapshot.total === 0 ? 100 : Math.floor((snapshot.done / snapshot.total) * 100)
  }%)`
