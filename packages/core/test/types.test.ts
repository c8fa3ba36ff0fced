// The mistakes newcomers make with TaskGroup's types, and the error each must give: a typo in the
// mode lists the valid modes, a renamed option is named, a Promise gets a hint, and a supervise
// group's error type is enforced. Compiled with the TypeScript compiler, as a user's editor would.
import { assert, describe, expect, it } from "@effect/vitest"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const file = fileURLToPath(new URL("./types/mistakes.ts", import.meta.url))

const diagnostics = () => {
  const program = ts.createProgram([file], {
    strict: true,
    exactOptionalPropertyTypes: true,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts"],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    noEmit: true,
    types: []
  })
  const source = program.getSourceFile(file)!
  return ts.getPreEmitDiagnostics(program, source).map((d) => {
    const line = source.getLineAndCharacterOfPosition(d.start ?? 0).line
    // the label is the comment above the statement: "// MODE: …"
    const label = source.text.split("\n").slice(0, line).reverse().find((l) => /^\/\/ [A-Z]+:/.test(l))
    return { label: label?.slice(3, label.indexOf(":")), text: ts.flattenDiagnosticMessageText(d.messageText, "\n") }
  })
}

describe("TaskGroup's types say what went wrong", () => {
  it("each mistake gets its own error, and the correct uses none", { timeout: 60_000 }, () => {
    const found = diagnostics()
    const of = (label: string) => found.filter((d) => d.label === label).map((d) => d.text).join("\n---\n")
    assert.match(of("MODE"), /Did you mean '"failFast"'\?/)
    assert.match(of("LEFTOVER"), /'maxConcurrent' does not exist in type 'Options</)
    assert.match(
      of("PROMISE"),
      /TaskGroup\.scoped: got a Promise, not an Effect — wrap it in Effect\.tryPromise/
    )
    assert.isAtMost(of("PROMISE").split("\n").length, 3, "a short error")
    assert.match(of("SPAWN"), /not assignable to type 'Boom'/)
    assert.strictEqual(of("OK"), "")
    expect(found.map((d) => d.label).sort()).toStrictEqual(["LEFTOVER", "MODE", "PROMISE", "SPAWN"])
  })
})
