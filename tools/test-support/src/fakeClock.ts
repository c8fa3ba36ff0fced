/**
 * For tests that run a peer library and ours side by side on vitest's fake clock (both read
 * `Date.now` and `setTimeout`; the Executor through Effect's live Clock). A separate entry point
 * (`@taskscope/test-support/fake-clock`): it imports vitest, which the scripts using the main entry
 * point do not have loaded.
 * @module
 */
import { afterEach, beforeEach, vi } from "vitest"

/**
 * Runs `body` while the fake clock advances `stepMs` at a time, until it settles; fails if it has
 * not settled after `steps` steps (a scenario that hangs fails, with a message, rather than time out).
 */
export const untilSettled = async (
  body: () => Promise<void>,
  { stepMs = 10, steps = 2_000 }: { readonly stepMs?: number; readonly steps?: number } = {}
): Promise<void> => {
  let done = false
  let failure: { readonly error: unknown } | undefined = undefined
  body().then(() => (done = true), (error: unknown) => {
    failure = { error }
    done = true
  })
  for (let i = 0; i < steps && !done; i++) await vi.advanceTimersByTimeAsync(stepMs)
  if (failure !== undefined) throw (failure as { readonly error: unknown }).error
  if (!done) throw new Error(`the scenario did not settle within ${steps * stepMs} ms of the fake clock`)
}

/**
 * Inside a `describe`: each test runs on vitest's fake clock, starting at `now` (epoch ms; not 0,
 * and better not a round number, so that nothing counted from the epoch passes by luck).
 */
export const fakeClockEach = (now: number): void => {
  beforeEach(() => {
    vi.useFakeTimers({ now })
  })
  afterEach(() => {
    vi.useRealTimers()
  })
}
