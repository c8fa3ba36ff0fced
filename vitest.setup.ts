// Loaded before every test file of every project (vitest.shared.ts): `expect(...).toEqual/toStrictEqual`
// compare values that implement Effect's `Equal` (Option, Either, Exit, Cause, HashSet, Chunk, Duration,
// Data classes…) with `Equal.equals`, structurally inside, so `Option.none()` and `Option.some(1)` differ
// wherever they sit (an Exit, an array, an object) and equal values built apart are equal (a Cause's
// parallel parts in any order, a HashSet in any insertion order). chai's `assert.deepStrictEqual` cannot
// tell `Option.none()` from `Option.some(1)`: eslint.config.mjs forbids it in tests.
import { addEqualityTesters } from "@effect/vitest"

addEqualityTesters()
