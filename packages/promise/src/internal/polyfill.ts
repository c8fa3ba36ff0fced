/**
 * `Symbol.asyncDispose` for runtimes that lack it (older Node 20 releases, some browsers), as
 * TypeScript's documentation suggests: `await using` looks it up on `Symbol`. The well-known
 * symbol where there is one; else the registered `Symbol.for("Symbol.asyncDispose")`, which other
 * polyfills use too. The only side effect of this package.
 * @internal
 */
if (typeof (Symbol as { asyncDispose?: symbol }).asyncDispose !== "symbol") {
  Object.defineProperty(Symbol, "asyncDispose", { value: Symbol.for("Symbol.asyncDispose") })
}

export {}
