// The workspace's one way to compare values in tests: expect(actual).toStrictEqual(expected), made
// Effect-aware by vitest.setup.ts (Equal.equals on Option, Either, Exit, Cause, HashSet, Data…, structural
// inside). chai's assert.deepStrictEqual, which eslint.config.mjs forbids in tests, is shown beside it.
import { assert, describe, expect, it } from "@effect/vitest"
import { Cause, Chunk, Data, Duration, Either, Exit, HashMap, HashSet, Option } from "effect"

class Point extends Data.Class<{ readonly x: number }> {}
class Boom extends Data.TaggedError("Boom")<{ readonly reason: string }> {}

// pairs that must be told apart
const different: Array<readonly [string, unknown, unknown]> = [
  ["none / some(1)", Option.none(), Option.some(1)],
  ["some(1) / some(2)", Option.some(1), Option.some(2)],
  ["inside Exit.succeed", Exit.succeed(Option.none()), Exit.succeed(Option.some(1))],
  ["inside an array", [Option.none(), 3000], [Option.some(1), 3000]],
  ["inside an object", { started: Option.none() }, { started: Option.some(1) }],
  [
    "inside some, inside Exit",
    Exit.succeed(Option.some({ a: Option.none() })),
    Exit.succeed(Option.some({ a: Option.some(1) }))
  ],
  ["plain object inside some", Option.some({ a: 1 }), Option.some({ a: 2 })],
  ["right / left", Either.right(1), Either.left(1)],
  ["fail x / fail y", Exit.fail("x"), Exit.fail("y")],
  ["die / fail", Exit.die("x"), Exit.fail("x")],
  ["die with other messages", Exit.die(new Error("a")), Exit.die(new Error("b"))],
  ["tagged errors", Exit.fail(new Boom({ reason: "a" })), Exit.fail(new Boom({ reason: "b" }))],
  ["HashSet", HashSet.make(1, 2), HashSet.make(1, 3)],
  ["HashMap", HashMap.make(["a", Option.none()]), HashMap.make(["a", Option.some(1)])],
  ["Data class", new Point({ x: 1 }), new Point({ x: 2 })],
  ["Chunk", Chunk.make(1, 2), Chunk.make(1, 3)],
  ["Duration", Duration.millis(1), Duration.millis(2)],
  ["undefined property", { a: 1, b: undefined }, { a: 1 }]
]

// equal values built apart, which must compare equal
const equal: Array<readonly [string, unknown, unknown]> = [
  ["some of a plain object", Option.some({ a: 1 }), Option.some({ a: 1 })],
  ["Exit of some of an array", Exit.succeed(Option.some([1, { b: 2 }])), Exit.succeed(Option.some([1, { b: 2 }]))],
  ["HashSet in another order", HashSet.make(1, 2), HashSet.make(2, 1)],
  ["Data class", new Point({ x: 1 }), new Point({ x: 1 })],
  ["die with the same Error", Exit.die(new Error("a")), Exit.die(new Error("a"))],
  ["tagged error", Exit.fail(new Boom({ reason: "a" })), Exit.fail(new Boom({ reason: "a" }))],
  [
    "parallel Cause in another order",
    Cause.parallel(Cause.fail(1), Cause.fail(2)),
    Cause.parallel(Cause.fail(2), Cause.fail(1))
  ]
]

const fails = (f: () => void) => {
  try {
    f()
    return false
  } catch {
    return true
  }
}

describe("comparing values in tests (issue 29)", () => {
  it("expect(...).toStrictEqual tells apart what differs, wherever an Option sits", () => {
    for (const [name, actual, expected] of different) {
      assert.isTrue(fails(() => expect(actual).toStrictEqual(expected)), name)
      assert.isTrue(fails(() => expect(expected).toStrictEqual(actual)), `${name}, reversed`)
    }
  })

  it("and accepts equal values built apart", () => {
    for (const [name, actual, expected] of equal) {
      assert.isFalse(fails(() => expect(actual).toStrictEqual(expected)), name)
    }
  })

  it("toMatchObject (the replacement for assert.deepInclude) sees an Option's difference too", () => {
    assert.isTrue(fails(() => expect({ a: Option.none(), b: 1 }).toMatchObject({ a: Option.some(1) })))
    expect({ a: Option.some(1), b: 1 }).toMatchObject({ a: Option.some(1) })
  })

  it("why chai's deep equality is forbidden in tests: it takes none for some(1)", () => {
    // chai compares an Option's iterator entries when their own keys differ; None's and Some's both
    // yield one opaque YieldWrap
    const chai = (a: unknown, b: unknown) => fails(() => (assert as any)["deepStrictEqual"](a, b))
    assert.isFalse(chai(Option.none(), Option.some(1)))
    assert.isFalse(chai(Exit.succeed(Option.none()), Exit.succeed(Option.some(1))))
  })
})
