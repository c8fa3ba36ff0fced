/**
 * A FIFO queue on an array with a moving head: O(1) push and shift, compacted as the head advances.
 * @internal
 */
export class Deque<T> {
  items: Array<T | undefined> = []
  head = 0

  get size(): number {
    return this.items.length - this.head
  }

  push(item: T): void {
    this.items.push(item)
  }

  /** Puts `item` back at the front (it will be the next `shift`). */
  unshift(item: T): void {
    if (this.head > 0) this.items[--this.head] = item
    else this.items.unshift(item)
  }

  peek(): T | undefined {
    return this.items[this.head]
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined
    const item = this.items[this.head]
    this.items[this.head++] = undefined
    if (this.head === this.items.length) {
      this.items = []
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }

  forEach(f: (item: T) => void): void {
    for (let i = this.head; i < this.items.length; i++) f(this.items[i] as T)
  }

  toArray(): Array<T> {
    return this.items.slice(this.head) as Array<T>
  }

  /** Removes and returns every item, in order. */
  clear(): Array<T> {
    const out = this.toArray()
    this.items = []
    this.head = 0
    return out
  }
}
