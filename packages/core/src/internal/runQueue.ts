import { type Job, Kernel } from "./kernel.js"

/**
 * The line a group keeps its waiting runs in. The group asks it for the next run when it has a
 * slot (`peek`/`shift`) and gives a started run back when it ends (`release`).
 * @internal
 */
export interface RunQueue<R> {
  /** Runs still waiting. */
  readonly size: number
  push(run: R): void
  /** Takes the next run that may start now, if any (it is admitted: running until `release`). */
  shift(): R | undefined
  /** The run `shift` would take. */
  peek(): R | undefined
  /** Takes a waiting run out of the queue; false when it was not waiting. */
  remove(run: R): boolean
  /** Takes every waiting run out, in the order they would have run. */
  clear(): Array<R>
  /** Waiting runs, in the order they will run. */
  toArray(): Array<R>
  /** A run that `shift` took has ended. */
  release(run: R): void
}

/**
 * A group's line on the scheduling kernel: by priority (lower first), FIFO among equals — a group
 * that gives no priorities is FIFO. The group's worker pool bounds how many run; the kernel's
 * gates decide which runs next. A run that leaves the line is skipped lazily (O(1)).
 * @internal
 */
export class KernelQueue<R extends Job> implements RunQueue<R> {
  readonly kernel = new Kernel<R>()

  get size(): number {
    return this.kernel.size
  }

  push(run: R): void {
    this.kernel.push(run)
  }

  peek(): R | undefined {
    return this.kernel.peek(0)
  }

  shift(): R | undefined {
    return this.kernel.next(0)
  }

  remove(run: R): boolean {
    return this.kernel.remove(run)
  }

  clear(): Array<R> {
    return this.kernel.clear()
  }

  toArray(): Array<R> {
    return this.kernel.toArray()
  }

  release(run: R): void {
    this.kernel.release(run)
  }
}
