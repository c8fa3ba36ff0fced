/**
 * A binary min-heap ordered by `less`; used for priority queues (WorkQueue.priority, the Executor).
 * @internal
 */
export class MinHeap<T> {
  items: Array<T> = []
  constructor(readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length
  }

  peek(): T | undefined {
    return this.items[0]
  }

  push(item: T): void {
    const items = this.items
    let i = items.length
    items.push(item)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.less(items[i], items[parent])) break
      ;[items[i], items[parent]] = [items[parent], items[i]]
      i = parent
    }
  }

  pop(): T | undefined {
    const items = this.items
    if (items.length === 0) return undefined
    const top = items[0]
    const last = items.pop()!
    if (items.length > 0) {
      items[0] = last
      let i = 0
      const n = items.length
      while (true) {
        const l = 2 * i + 1, r = l + 1
        let m = i
        if (l < n && this.less(items[l], items[m])) m = l
        if (r < n && this.less(items[r], items[m])) m = r
        if (m === i) break
        ;[items[i], items[m]] = [items[m], items[i]]
        i = m
      }
    }
    return top
  }

  /** Every item in pop order, without removing them. */
  sorted(): Array<T> {
    return this.items.slice().sort((a, b) => (this.less(a, b) ? -1 : this.less(b, a) ? 1 : 0))
  }

  /** Removes and returns every item, in pop order. */
  clear(): Array<T> {
    const out = this.sorted()
    this.items = []
    return out
  }
}

/** An entry ordered by priority, then by insertion order (stable). @internal */
export interface Prioritized<A> {
  readonly value: A
  readonly priority: number
  readonly seq: number
}

/** @internal */
export const byPriority = <A>(a: Prioritized<A>, b: Prioritized<A>): boolean =>
  a.priority < b.priority || (a.priority === b.priority && a.seq < b.seq)
