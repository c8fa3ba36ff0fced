import * as Effect from "effect/Effect"

/**
 * Fibers waiting for a condition that some state change makes true (a group with no child left, a
 * queue with no unfinished item). `wait` returns at once when the condition already holds; `release`
 * wakes every waiter. An interrupted waiter leaves the list.
 * @internal
 */
export class WaitList {
  waiters: Array<() => void> = []

  wait(ready: () => boolean): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      if (ready()) return resume(Effect.void)
      const waiter = () => resume(Effect.void)
      this.waiters.push(waiter)
      return Effect.sync(() => {
        const i = this.waiters.indexOf(waiter)
        if (i >= 0) this.waiters.splice(i, 1)
      })
    })
  }

  release(): void {
    if (this.waiters.length === 0) return
    const waiters = this.waiters
    this.waiters = []
    for (let i = 0; i < waiters.length; i++) waiters[i]()
  }
}
