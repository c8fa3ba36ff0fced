// Loaded before every test file of every project (vitest.shared.ts).
import { addEqualityTesters } from "@effect/vitest"
import { beforeEach, chai } from "vitest"

// `expect(...).toEqual/toStrictEqual` compare values that implement Effect's `Equal` (Option, Either, Exit,
// Cause, HashSet, Chunk, Duration, Data classes…) with `Equal.equals`, structurally inside, so
// `Option.none()` and `Option.some(1)` differ wherever they sit (an Exit, an array, an object) and equal
// values built apart are equal (a Cause's parallel parts in any order, a HashSet in any insertion order).
// chai's `assert.deepStrictEqual` cannot tell `Option.none()` from `Option.some(1)`: eslint.config.mjs
// forbids it in tests.
addEqualityTesters()

// A failed assertion inside an Effect whose scope then cannot close (a finalizer that waits on the
// TestClock, an async function that ignores its abort signal) is reported by vitest only as "Test timed
// out": the assertion's own message is printed here when that happens.
const failed: Array<unknown> = []
const assertion = chai.Assertion.prototype as { assert: (...args: Array<unknown>) => void }
const original = assertion.assert
assertion.assert = function(this: unknown, ...args: Array<unknown>) {
  try {
    return original.apply(this, args)
  } catch (error) {
    failed.push(error)
    throw error
  }
}
beforeEach(({ onTestFailed }) => {
  failed.length = 0
  onTestFailed(({ task }) => {
    const timedOut = task.result?.errors?.some((e) => /timed out in \d+ms/.test(String(e?.message)))
    if (timedOut && failed.length > 0) {
      console.error(`${task.name}: timed out after a failed assertion (the test's scope could not close):\n`, failed[0])
    }
  })
})
