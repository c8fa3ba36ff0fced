/**
 * The queues a group keeps its waiting runs in. A run knows whether it is still queued, so it can
 * leave in O(1) — lazily, skipped when it reaches the head — when it is cancelled or removed.
 * @internal
 */
export interface Queued {
  /** Lower runs first (the sign is the queue owner's business). */
  priority: number
  /** Arrival order: FIFO among equal priorities. */
  seq: number
  /** Still waiting in the queue. */
  queued: boolean
  /** Which push put it where it is: an entry left behind by an earlier push is stale. */
  stamp: number
}

/** @internal */
export interface RunQueue<R extends Queued> {
  /** Runs still waiting. */
  readonly size: number
  push(run: R): void
  /** Takes the next run that may start now, if any. */
  shift(): R | undefined
  /** The run `shift` would take. */
  peek(): R | undefined
  /** Takes a waiting run out of the queue; false when it was not waiting. */
  remove(run: R): boolean
  /** Takes every waiting run out, in the order they would have run. */
  clear(): Array<R>
  /** Waiting runs, in the order they will run. */
  toArray(): Array<R>
}

let stamps = 0

/** First in, first out; removed runs are skipped when they reach the head. @internal */
export class FifoQueue<R extends Queued> implements RunQueue<R> {
  items: Array<R | undefined> = []
  stamps: Array<number> = []
  head = 0
  size = 0

  push(run: R): void {
    run.queued = true
    run.stamp = ++stamps
    this.items.push(run)
    this.stamps.push(run.stamp)
    this.size++
  }

  private live(i: number): boolean {
    const run = this.items[i]!
    return run.queued && run.stamp === this.stamps[i]
  }

  private skip(): void {
    const items = this.items
    while (this.head < items.length && !this.live(this.head)) items[this.head++] = undefined
    if (this.head === items.length) {
      if (items.length > 0) {
        this.items = []
        this.stamps = []
        this.head = 0
      }
    } else if (this.head > 1024 && this.head * 2 > items.length) {
      this.items = items.slice(this.head)
      this.stamps = this.stamps.slice(this.head)
      this.head = 0
    }
  }

  peek(): R | undefined {
    if (this.size === 0) return undefined
    this.skip()
    return this.items[this.head]
  }

  shift(): R | undefined {
    if (this.size === 0) return undefined
    this.skip()
    const run = this.items[this.head]!
    this.items[this.head++] = undefined
    run.queued = false
    this.size--
    return run
  }

  remove(run: R): boolean {
    if (!run.queued) return false
    run.queued = false
    this.size--
    return true
  }

  clear(): Array<R> {
    const out = this.toArray()
    for (const run of out) run.queued = false
    this.items = []
    this.stamps = []
    this.head = 0
    this.size = 0
    return out
  }

  toArray(): Array<R> {
    const out: Array<R> = []
    for (let i = this.head; i < this.items.length; i++) {
      if (this.live(i)) out.push(this.items[i]!)
    }
    return out
  }
}

/**
 * By priority (lowest first), FIFO among equals: one FIFO per priority, the priorities kept
 * sorted. O(1) per run when most runs share a few priorities (the common case).
 * @internal
 */
export class PriorityQueue<R extends Queued> implements RunQueue<R> {
  readonly buckets = new Map<number, FifoQueue<R>>()
  /** The priorities that have a bucket, ascending. */
  priorities: Array<number> = []
  size = 0

  push(run: R): void {
    let bucket = this.buckets.get(run.priority)
    if (bucket === undefined) {
      bucket = new FifoQueue<R>()
      this.buckets.set(run.priority, bucket)
      const ps = this.priorities
      let i = ps.length
      while (i > 0 && ps[i - 1] > run.priority) i--
      ps.splice(i, 0, run.priority)
    }
    bucket.push(run)
    this.size++
  }

  private first(): FifoQueue<R> | undefined {
    const ps = this.priorities
    while (ps.length > 0) {
      const bucket = this.buckets.get(ps[0])!
      if (bucket.size > 0) return bucket
      this.buckets.delete(ps[0])
      ps.shift()
    }
    return undefined
  }

  peek(): R | undefined {
    return this.size === 0 ? undefined : this.first()?.peek()
  }

  shift(): R | undefined {
    if (this.size === 0) return undefined
    const run = this.first()?.shift()
    if (run !== undefined) this.size--
    return run
  }

  remove(run: R): boolean {
    const bucket = this.buckets.get(run.priority)
    if (bucket === undefined || !bucket.remove(run)) return false
    this.size--
    return true
  }

  clear(): Array<R> {
    const out: Array<R> = []
    for (const p of this.priorities) out.push(...this.buckets.get(p)!.clear())
    this.buckets.clear()
    this.priorities = []
    this.size = 0
    return out
  }

  toArray(): Array<R> {
    const out: Array<R> = []
    for (const p of this.priorities) out.push(...this.buckets.get(p)!.toArray())
    return out
  }
}
