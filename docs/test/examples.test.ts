/**
 * Every example on the site is a real file in docs/examples, and the page shows only its
 * `// #region example` — the user's code, ending with how to run it and what it prints. Here each
 * example is run and its result compared with what the page says:
 *
 * - `// → value` (a JavaScript literal, possibly over several comment lines): the value the program
 *   returns, compared with `deepStrictEqual`;
 * - `// Output:` followed by comment lines: the exact text the run line prints.
 *
 * How it runs, from the harness exports below the region (never shown on the page):
 * - by default on the TestClock (forked, the clock moved on by an hour, joined);
 * - `export const runs = "live"`: on the real clock (worker threads, a real Redis server);
 * - `export const runs = "subprocess"`: as its own Node process (`node --import tsx`, calling the
 *   exported `main`, i.e. the example's run line), with `export const signal` sent once the output
 *   contains `signal.after`; its stdout is compared with the `// Output:` block.
 *
 * Files named `*.test.ts` in docs/examples are real vitest suites (the Testing page shows one) and
 * run as part of this project.
 *
 * The shape of an example file:
 *
 *     // #region example
 *     import …                                     ← what the page shows, at 80 columns
 *     const program = …
 *     // ---cut-start---
 *     // dprint-ignore
 *     export const main = () =>                    ← hidden by twoslash: importing the file
 *     // ---cut-end---                               must not run it, the harness does
 *     Effect.runPromise(program).then(console.log) ← the run line, type-checked on the page
 *     // → value                                   ← what it prints, checked here
 *     // #endregion example
 *     export { program }                           ← harness exports, never shown
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import { spawn } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { inject } from "vitest"

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string
  }
}

const dir = new URL("../examples/", import.meta.url)
const docs = fileURLToPath(new URL("..", import.meta.url))
const files = readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts")).sort()

/** The lines of the `example` region, as the page shows them. */
export const regionOf = (source: string): Array<string> | undefined => {
  const lines = source.split("\n")
  const start = lines.findIndex((l) => l.trim() === "// #region example")
  const end = lines.findIndex((l) => l.trim() === "// #endregion example")
  return start < 0 || end < start ? undefined : lines.slice(start + 1, end)
}

/** What the page says the example gives: `// → value` or `// Output:` text. */
export const statedResult = (
  region: ReadonlyArray<string>
):
  | { readonly kind: "value"; readonly value: unknown }
  | { readonly kind: "output"; readonly text: string }
  | undefined =>
{
  const arrow = region.findIndex((l) => l.startsWith("// → "))
  if (arrow >= 0) {
    const text = [region[arrow].slice("// → ".length), ...region.slice(arrow + 1).map((l) => l.replace(/^\/\/ ?/, ""))]
      .join("\n")
    return { kind: "value", value: new Function(`return (${text})`)() }
  }
  const output = region.findIndex((l) => l.trim() === "// Output:")
  if (output >= 0) {
    return { kind: "output", text: region.slice(output + 1).map((l) => l.replace(/^\/\/ ?/, "")).join("\n") }
  }
  return undefined
}

/** The run line: the last line of code in the region says how to run the example. */
const runLine = /^(Effect\.runPromise\(.*\)\.then\(console\.log\)|Runtime\.runMain\(|\w+\(\)\.then\(console\.log\))/

const runSubprocess = (file: string, signal: { readonly after: string; readonly send: NodeJS.Signals }) =>
  new Promise<{ stdout: string; code: number | null }>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", `(await import(${JSON.stringify(file)})).main()`],
      { cwd: docs, stdio: ["ignore", "pipe", "pipe"] }
    )
    let stdout = ""
    let stderr = ""
    let sent = false
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`${file} did not exit within 30 s\nstdout:\n${stdout}\nstderr:\n${stderr}`))
    }, 30_000)
    child.stdout.on("data", (chunk) => {
      stdout += chunk
      if (!sent && stdout.includes(signal.after)) {
        sent = true
        child.kill(signal.send)
      }
    })
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("close", (code) => {
      clearTimeout(timer)
      if (!sent) reject(new Error(`${file} exited before printing ${signal.after}\n${stdout}\n${stderr}`))
      else resolve({ stdout, code })
    })
  })

describe("documentation examples", () => {
  it("there are examples", () => {
    assert.isAtLeast(files.length, 20)
  })

  for (const file of files) {
    const source = readFileSync(new URL(file, dir), "utf8")
    const region = regionOf(source) ?? []

    it(`${file}: the page shows the user's code at 80 columns, ending with how to run it`, () => {
      assert.isAbove(region.length, 0, "an `// #region example` … `// #endregion example` region")
      const long = source.split("\n").filter((l) => l.length > 80)
      expect(long, "lines longer than 80 columns").toStrictEqual([])
      const shown = region.join("\n")
      for (const harness of ["export const expected", "export const runs", "export const signal", "selfTimed"]) {
        assert.notInclude(shown, harness, "harness code stays out of the page")
      }
      const code = region.filter((l) => l.trim() !== "" && !l.startsWith("//"))
      assert.match(code[code.length - 1] ?? "", runLine, "the region ends with the run line")
      assert.isDefined(statedResult(region), "a `// → value` or `// Output:` block states the result")
    })

    it.effect(`${file}: gives what the page says`, () =>
      Effect.gen(function*() {
        const stated = statedResult(region)!
        const url = new URL(file, dir)
        // the Redis examples read REDIS_URL, as a user's program would
        process.env.REDIS_URL = inject("redisUrl")
        const harness = yield* Effect.promise(() => import(url.href))
        if (harness.runs === "subprocess") {
          const { code, stdout } = yield* Effect.promise(() => runSubprocess(fileURLToPath(url), harness.signal))
          assert.strictEqual(code, 0, stdout)
          assert.strictEqual(stated.kind, "output")
          assert.strictEqual(stdout.trimEnd(), stated.kind === "output" ? stated.text.trimEnd() : "")
          return
        }
        let result: unknown
        if (harness.runs === "live") {
          result = yield* Effect.promise(() => Effect.runPromise(harness.program as Effect.Effect<unknown, unknown>))
        } else {
          const fiber = yield* Effect.fork(harness.program as Effect.Effect<unknown, unknown>)
          yield* TestClock.adjust("1 hour")
          result = yield* Fiber.join(fiber)
        }
        if (stated.kind === "value") expect(result).toStrictEqual(stated.value)
        else assert.strictEqual(String(result), stated.text)
      }), 60_000)
  }
})
