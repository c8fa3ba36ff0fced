/**
 * Explicit resource management without an import-time side effect. The well-known symbols where
 * the runtime has them; else the registered `Symbol.for("Symbol.asyncDispose")` (and `…dispose`),
 * which other polyfills use too. `ensure` installs them on `Symbol` — as TypeScript's documentation
 * suggests — the first time a disposable is made, so that `await using` finds them: a side effect
 * of making a group, never of importing the package.
 * @internal
 */
type Symbols = { asyncDispose?: symbol; dispose?: symbol }

/** @internal */
export const asyncDispose: typeof Symbol.asyncDispose = ((Symbol as Symbols).asyncDispose ??
  Symbol.for("Symbol.asyncDispose")) as typeof Symbol.asyncDispose

/** @internal */
export const dispose: typeof Symbol.dispose = ((Symbol as Symbols).dispose ??
  Symbol.for("Symbol.dispose")) as typeof Symbol.dispose

let installed = false

/** @internal */
export const ensure = (): void => {
  if (installed) return
  installed = true
  const symbols = Symbol as Symbols
  if (typeof symbols.asyncDispose !== "symbol") Object.defineProperty(Symbol, "asyncDispose", { value: asyncDispose })
  if (typeof symbols.dispose !== "symbol") Object.defineProperty(Symbol, "dispose", { value: dispose })
}
