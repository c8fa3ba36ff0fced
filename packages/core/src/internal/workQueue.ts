import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { InvalidOptionsError, QueueEmptyError, QueueFullError, QueueShutDownError, TaskDoneError } from "../Errors.js"
import * as Options from "../Options.js"
import * as TaskGroup from "../TaskGroup.js"
import type * as WorkQueue from "../WorkQueue.js"
import { Deque } from "./deque.js"
import { byPriority, MinHeap, type Prioritized } from "./heap.js"
import { Base } from "./inspectable.js"
import { noteWaiting } from "./registry.js"
import { WaitList } from "./waitList.js"

/** @internal */
export const TypeId: WorkQueue.TypeId = Symbol.for("@taskscope/core/WorkQueue") as WorkQueue.TypeId

/** The storage discipline of a queue. */
interface Buffer<A> {
  readonly size: number
  push(item: A): void
  pop(): A
  /** Puts a taken item back where it would be taken next among its peers. */
  giveBack(item: A): void
  drain(): Array<A>
  toArray(): Array<A>
}

class Fifo<A> implements Buffer<A> {
  readonly deque = new Deque<A>()
  get size() {
    return this.deque.size
  }
  push(item: A) {
    this.deque.push(item)
  }
  pop(): A {
    return this.deque.shift()!
  }
  giveBack(item: A) {
    this.deque.unshift(item)
  }
  drain(): Array<A> {
    return this.deque.clear()
  }
  toArray(): Array<A> {
    return this.deque.toArray()
  }
}

class Lifo<A> implements Buffer<A> {
  items: Array<A> = []
  get size() {
    return this.items.length
  }
  push(item: A) {
    this.items.push(item)
  }
  pop(): A {
    return this.items.pop()!
  }
  giveBack(item: A) {
    this.items.push(item)
  }
  drain(): Array<A> {
    const out = this.toArray()
    this.items = []
    return out
  }
  toArray(): Array<A> {
    return this.items.slice().reverse()
  }
}

/** Lowest priority first, FIFO among equal priorities. */
class Heap<A> implements Buffer<A> {
  readonly heap = new MinHeap<Prioritized<A>>(byPriority)
  seq = 0
  constructor(readonly priority: (a: A) => number) {}
  get size() {
    return this.heap.size
  }
  push(item: A) {
    this.heap.push({ value: item, priority: this.priority(item), seq: this.seq++ })
  }
  pop(): A {
    return this.heap.pop()!.value
  }
  /** Ahead of the items of its priority that were never taken. */
  back = 0
  giveBack(item: A) {
    this.heap.push({ value: item, priority: this.priority(item), seq: -(++this.back) })
  }
  drain(): Array<A> {
    return this.heap.clear().map((e) => e.value)
  }
  toArray(): Array<A> {
    return this.heap.sorted().map((e) => e.value)
  }
}

type Resume = (effect: Effect.Effect<void, QueueShutDownError>) => void

interface Waiter {
  resume: Resume | undefined
  /** Woken with a claim on an item (takers) or a slot (putters) that it must use or hand on. */
  woken: boolean
}

/** A FIFO of waiters with O(1) removal of the head and lazy removal of cancelled ones. */
class Waiters {
  items: Array<Waiter | undefined> = []
  head = 0
  count = 0
  add(w: Waiter) {
    this.items.push(w)
    this.count++
  }
  remove(w: Waiter) {
    const i = this.items.indexOf(w, this.head)
    if (i >= 0) {
      this.items[i] = undefined
      this.count--
    }
  }
  shift(): Waiter | undefined {
    while (this.head < this.items.length) {
      const w = this.items[this.head]
      this.items[this.head++] = undefined
      if (w !== undefined) {
        this.count--
        if (this.head === this.items.length) {
          this.items = []
          this.head = 0
        }
        return w
      }
    }
    this.items = []
    this.head = 0
    return undefined
  }
}

const OptionsSchema = Schema.Struct({
  capacity: Schema.optional(Options.PositiveIntOrInfinity),
  name: Schema.optional(Schema.String)
})

/** @internal */
export const decodeQueueOptions = Options.decode("WorkQueue", OptionsSchema)

const OPEN = 0
const SHUTDOWN = 1

/** @internal */
export class WorkQueueImpl<A> extends Base implements WorkQueue.WorkQueue<A> {
  readonly [TypeId]: WorkQueue.TypeId = TypeId
  state = OPEN
  /** Items in the buffer claimed by takers that were woken and have not popped yet. */
  claimed = 0
  /** Free slots reserved for putters that were woken and have not pushed yet. */
  reserved = 0
  readonly takers = new Waiters()
  readonly putters = new Waiters()
  /** Items put and not yet marked done (asyncio's `_unfinished_tasks`). */
  unfinished = 0
  /** Items taken and not yet marked done. */
  inFlight = 0
  readonly joiners = new WaitList()

  constructor(readonly name: string, readonly capacity: number, readonly buffer: Buffer<A>) {
    super()
  }

  // -- internals: every state change happens synchronously, in an uninterruptible step

  pushNow(item: A): void {
    this.buffer.push(item)
    this.unfinished++
    if (this.takers.count > 0 && this.buffer.size > this.claimed) this.wakeTaker()
  }

  popNow(): A {
    const item = this.buffer.pop()
    this.inFlight++
    if (this.putters.count > 0 && this.capacity - this.buffer.size - this.reserved > 0) this.wakePutter()
    return item
  }

  wakeTaker(): void {
    const waiter = this.takers.shift()
    if (waiter === undefined) return
    this.claimed++
    waiter.woken = true
    waiter.resume!(Effect.void)
  }

  wakePutter(): void {
    const waiter = this.putters.shift()
    if (waiter === undefined) return
    this.reserved++
    waiter.woken = true
    waiter.resume!(Effect.void)
  }

  get shutDownError() {
    return new QueueShutDownError({ queue: this.name })
  }

  wait(waiters: Waiters, onGiveBack: () => void): Effect.Effect<void, QueueShutDownError> {
    const waiter: Waiter = { resume: undefined, woken: false }
    return Effect.onInterrupt(
      Effect.async<void, QueueShutDownError>((resume) => {
        waiter.resume = resume
        waiters.add(waiter)
        return Effect.sync(() => {
          if (!waiter.woken) waiters.remove(waiter)
        })
      }),
      () =>
        Effect.sync(() => {
          // interrupted after it was woken: its claim passes to the next waiter, nothing is lost
          if (waiter.woken) onGiveBack()
        })
    )
  }

  // -- public operations

  put(item: A): Effect.Effect<void, QueueShutDownError> {
    return Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        if (this.state !== OPEN) return Effect.fail(this.shutDownError)
        if (this.capacity - this.buffer.size - this.reserved > 0) {
          this.pushNow(item)
          return Effect.void
        }
        const again: Effect.Effect<void, QueueShutDownError> = Effect.flatMap(
          restore(noteWaiting(
            this.wait(this.putters, () => {
              this.reserved--
              if (this.capacity - this.buffer.size - this.reserved > 0) this.wakePutter()
            }),
            "queue",
            this.name,
            `waiting for room in queue ${this.name} (full at ${this.capacity})`
          )),
          () =>
            Effect.suspend(() => {
              this.reserved--
              if (this.state !== OPEN) return Effect.fail(this.shutDownError)
              this.pushNow(item)
              return Effect.void
            })
        )
        return again
      })
    )
  }

  tryPut(item: A): Effect.Effect<void, QueueFullError | QueueShutDownError> {
    return Effect.suspend((): Effect.Effect<void, QueueFullError | QueueShutDownError> => {
      if (this.state !== OPEN) return Effect.fail(this.shutDownError)
      if (this.capacity - this.buffer.size - this.reserved <= 0 || this.putters.count > 0) {
        return Effect.fail(new QueueFullError({ queue: this.name, capacity: this.capacity }))
      }
      this.pushNow(item)
      return Effect.void
    })
  }

  get take(): Effect.Effect<A, QueueShutDownError> {
    return this.takeWith(Effect.succeed)
  }

  /**
   * Takes an item and runs `use` on it in the same uninterruptible step, so no interruption can fall
   * between the item leaving the queue and its owner holding it. `restore` makes parts of `use`
   * interruptible again.
   */
  takeWith<B, E, R>(
    use: (
      item: A,
      restore: <X, Y, Z>(effect: Effect.Effect<X, Y, Z>) => Effect.Effect<X, Y, Z>
    ) => Effect.Effect<B, E, R>
  ): Effect.Effect<B, E | QueueShutDownError, R> {
    return Effect.uninterruptibleMask((restore) =>
      Effect.suspend((): Effect.Effect<B, E | QueueShutDownError, R> => {
        if (this.buffer.size > this.claimed) return use(this.popNow(), restore)
        if (this.state !== OPEN) return Effect.fail(this.shutDownError)
        return Effect.flatMap(
          restore(noteWaiting(
            this.wait(this.takers, () => {
              this.claimed--
              if (this.buffer.size > this.claimed) this.wakeTaker()
            }),
            "queue",
            this.name,
            `waiting for an item from queue ${this.name}`
          )),
          () =>
            Effect.suspend((): Effect.Effect<B, E | QueueShutDownError, R> => {
              this.claimed--
              // an immediate shutdown emptied the buffer after this taker was woken
              if (this.buffer.size === 0) return Effect.fail(this.shutDownError)
              return use(this.popNow(), restore)
            })
        )
      })
    )
  }

  process<B, E, R>(use: (item: A) => Effect.Effect<B, E, R>): Effect.Effect<B, E | QueueShutDownError, R> {
    return this.takeWith((item, restore) =>
      Effect.onExit(restore(use(item)), (exit) =>
        Effect.sync(() => {
          // done when `use` succeeded or failed; given back when it was only interrupted
          if (Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)) this.unsafeGiveBack(item)
          else this.unsafeTaskDone()
        }))
    )
  }

  /** A taken item goes back to the queue, not done: the next taker gets it. */
  unsafeGiveBack(item: A): void {
    this.inFlight--
    this.buffer.giveBack(item)
    if (this.takers.count > 0 && this.buffer.size > this.claimed) this.wakeTaker()
  }

  get tryTake(): Effect.Effect<A, QueueEmptyError | QueueShutDownError> {
    return Effect.suspend((): Effect.Effect<A, QueueEmptyError | QueueShutDownError> => {
      if (this.buffer.size > this.claimed) return Effect.succeed(this.popNow())
      if (this.state !== OPEN) return Effect.fail(this.shutDownError)
      return Effect.fail(new QueueEmptyError({ queue: this.name }))
    })
  }

  get taskDone(): Effect.Effect<void, TaskDoneError> {
    return Effect.suspend(() => {
      if (this.inFlight === 0) return Effect.fail(new TaskDoneError({ queue: this.name }))
      this.inFlight--
      this.unfinished--
      if (this.unfinished === 0) this.releaseJoiners()
      return Effect.void
    })
  }

  /** Marks one taken item done without the error check, for `consume`. */
  unsafeTaskDone(): void {
    if (this.inFlight === 0) return
    this.inFlight--
    this.unfinished--
    if (this.unfinished === 0) this.releaseJoiners()
  }

  releaseJoiners(): void {
    this.joiners.release()
  }

  get join(): Effect.Effect<void> {
    return Effect.suspend(() =>
      this.unfinished === 0 ? Effect.void : noteWaiting(
        this.joiners.wait(() => this.unfinished === 0),
        "queue",
        this.name,
        `joining queue ${this.name}: ${this.unfinished} items not done`
      )
    )
  }

  shutdown(options?: WorkQueue.ShutdownOptions): Effect.Effect<Array<A>> {
    return Effect.sync(() => {
      this.state = SHUTDOWN
      let removed: Array<A> = []
      if (options?.immediate === true) {
        removed = this.buffer.drain()
        this.unfinished -= removed.length
        if (this.unfinished === 0) this.releaseJoiners()
      }
      // putters fail; takers fail once nothing is left for them
      const fail = Effect.fail(this.shutDownError)
      for (let w = this.putters.shift(); w !== undefined; w = this.putters.shift()) w.resume!(fail)
      while (this.takers.count > 0 && this.buffer.size > this.claimed) this.wakeTaker()
      for (let w = this.takers.shift(); w !== undefined; w = this.takers.shift()) w.resume!(fail)
      return removed
    })
  }

  get size(): Effect.Effect<number> {
    return Effect.sync(() => this.buffer.size)
  }

  get isEmpty(): Effect.Effect<boolean> {
    return Effect.sync(() => this.buffer.size === 0)
  }

  get isFull(): Effect.Effect<boolean> {
    return Effect.sync(() => this.buffer.size >= this.capacity)
  }

  get isShutdown(): Effect.Effect<boolean> {
    return Effect.sync(() => this.state !== OPEN)
  }

  get stats(): Effect.Effect<WorkQueue.Stats> {
    return Effect.sync(() => ({
      size: this.buffer.size,
      capacity: this.capacity,
      unfinished: this.unfinished,
      inFlight: this.inFlight,
      waitingTakers: this.takers.count,
      waitingPutters: this.putters.count,
      shutdown: this.state !== OPEN
    }))
  }

  get snapshot(): Effect.Effect<Array<A>> {
    return Effect.sync(() => this.buffer.toArray())
  }

  toJSON(): unknown {
    return { _id: "WorkQueue", name: this.name, size: this.buffer.size, capacity: this.capacity }
  }
}

const decoded = <A>(
  options: { readonly name?: string | undefined; readonly capacity?: number | undefined },
  buffer: Buffer<A>,
  defaultCapacity: number
) => new WorkQueueImpl<A>(options.name ?? "WorkQueue", options.capacity ?? defaultCapacity, buffer)

/** A FIFO queue from options that come from outside: a bad value is a typed error. @internal */
export const make = <A>(options?: WorkQueue.Options): Effect.Effect<WorkQueue.WorkQueue<A>, InvalidOptionsError> =>
  Effect.suspend(() => Either.map(decodeQueueOptions(options), (o) => decoded(o, new Fifo<A>(), Infinity)))

const checkBounded = Options.decodeOrDie(
  "WorkQueue.bounded",
  Schema.Struct({ capacity: Options.PositiveIntOrInfinity, name: Schema.optional(Schema.String) })
)
const checkUnbounded = Options.decodeOrDie(
  "WorkQueue.unbounded",
  Schema.Struct({ name: Schema.optional(Schema.String) })
)
const checkLifo = Options.decodeOrDie("WorkQueue.lifo", OptionsSchema)
const checkPriority = Options.decodeOrDie(
  "WorkQueue.priority",
  Schema.extend(
    OptionsSchema,
    Schema.Struct({
      priority: Schema.declare((u): u is (item: any) => number => typeof u === "function", {
        description: "a function"
      })
    })
  )
)

/** @internal */
export const bounded = <A>(
  capacity: number,
  options?: { readonly name?: string }
): Effect.Effect<WorkQueue.WorkQueue<A>> =>
  Effect.sync(() => decoded(checkBounded({ ...options, capacity }), new Fifo<A>(), Infinity))

/** @internal */
export const unbounded = <A>(options?: { readonly name?: string }): Effect.Effect<WorkQueue.WorkQueue<A>> =>
  Effect.sync(() => decoded(checkUnbounded(options), new Fifo<A>(), Infinity))

/** @internal */
export const lifo = <A>(options?: WorkQueue.Options): Effect.Effect<WorkQueue.WorkQueue<A>> =>
  Effect.sync(() => decoded(checkLifo(options), new Lifo<A>(), Infinity))

/** @internal */
export const priority = <A>(
  options: WorkQueue.Options & { readonly priority: (item: A) => number }
): Effect.Effect<WorkQueue.WorkQueue<A>> =>
  Effect.sync(() => decoded(checkPriority(options), new Heap<A>(options.priority), Infinity))

const checkConsume = Options.decodeOrDie(
  "WorkQueue.consume",
  Schema.Struct({ concurrency: Options.PositiveInt, name: Schema.optional(Schema.String) })
)

/** @internal */
export const consume = <A, BE, E, R>(
  queue: WorkQueue.WorkQueue<A, BE>,
  options: WorkQueue.ConsumeOptions,
  handler: (item: A) => Effect.Effect<unknown, E, R>
): Effect.Effect<WorkQueue.ConsumeReport<A, E>, BE, R> =>
  Effect.suspend((): Effect.Effect<WorkQueue.ConsumeReport<A, E>, BE, R> => {
    const { concurrency, name } = checkConsume(options)
    let processed = 0
    const failed: Array<WorkQueue.ItemFailure<A, E>> = []
    // the queue settles the item however the handler ends: done on success or failure, given back
    // when the handler is interrupted
    const step = queue.process((item) =>
      Effect.matchCauseEffect(handler(item), {
        // an interrupted handler stays interrupted, so that `process` gives its item back
        onFailure: (cause) =>
          Cause.isInterruptedOnly(cause) ? Effect.failCause(cause) : Effect.sync(() => {
            processed++
            failed.push({ item, cause })
          }),
        onSuccess: () =>
          Effect.sync(() => {
            processed++
          })
      })
    )
    const worker: Effect.Effect<void, BE, R> = Effect.catchIf(
      Effect.forever(step),
      (e): e is QueueShutDownError => e instanceof QueueShutDownError,
      () => Effect.void
    ) as Effect.Effect<void, BE, R>
    return Effect.map(
      TaskGroup.scoped(
        (group) =>
          Effect.forEach(
            Array.from({ length: concurrency }),
            (_, i) => group.spawn(worker, { name: `${name ?? queue.name}-worker-${i + 1}` }),
            { discard: true }
          ),
        { name: name ?? `${queue.name} consumers` }
      ),
      () => ({ processed, failed })
    ) as Effect.Effect<WorkQueue.ConsumeReport<A, E>, BE, R>
  })

// ---------------------------------------------------------------------------------------------
// the in-memory WorkQueues service

/** @internal */
export const makeMemoryProvider = (): WorkQueue.WorkQueues => {
  const queues = new Map<string, WorkQueueImpl<any>>()
  return {
    backend: "memory",
    open: <A, I>(
      name: string,
      _schema: Schema.Schema<A, I>,
      options?: { readonly capacity?: number }
    ): Effect.Effect<WorkQueue.WorkQueue<A>, InvalidOptionsError, Scope.Scope> =>
      Effect.suspend(() =>
        Effect.flatMap(decodeQueueOptions({ ...options, name }), (o) => {
          const capacity = o.capacity ?? Infinity
          const found = queues.get(name)
          if (found !== undefined) {
            return found.capacity === capacity
              ? Effect.succeed(found as WorkQueueImpl<A>)
              : Effect.fail(openConflict(name, found.capacity, capacity))
          }
          const queue = decoded(o, new Fifo<A>(), Infinity)
          queues.set(name, queue)
          return Effect.succeed(queue)
        })
      )
  }
}

const openConflict = (name: string, was: number, now: number): InvalidOptionsError =>
  new InvalidOptionsError({
    subject: "WorkQueues.open",
    detail:
      `"${name}" was opened with capacity ${was}; this call asks for ${now} (one name, one queue: use another name, or the same capacity)`
  })
