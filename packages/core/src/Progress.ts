/**
 * Hierarchical progress: "n of m done", rolled up a tree of trackers, as a value and a Stream.
 *
 * Pass a tracker to a TaskGroup (`{ progress }`): each spawned child adds one to its total and each
 * child that ends adds one to done. Make child trackers for nested groups; a parent's snapshot
 * includes its children.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import * as internal from "./internal/progress.js"

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
export const make: (name: string) => Effect.Effect<Tracker> = internal.make

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
