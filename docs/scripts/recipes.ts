/**
 * The Recipes page, written at build time (`pnpm docs:build` runs this first) from examples/: the
 * classic asyncio learning programs, each file's opening comment (what it is, the Python it
 * translates) and its TypeScript, side by side, then what it prints — from a run of the built
 * program here, on Effect's TestClock, as examples/test/examples.test.ts runs it and checks every
 * line. The TypeScript is shown formatted at 80 columns (the files are at 120).
 *
 * Written to docs/guide/recipes.md (not committed).
 */
import { createFromBuffer } from "@dprint/formatter"
import { getPath } from "@dprint/typescript"
import { Effect, Fiber, TestClock, TestContext } from "effect"
import { readdirSync, readFileSync, writeFileSync } from "node:fs"

const examples = new URL("../../examples/", import.meta.url)
const dprint = createFromBuffer(readFileSync(getPath()))
const format = (code: string) =>
  dprint.formatText({
    filePath: "example.ts",
    fileText: code,
    overrideConfig: {
      indentWidth: 2,
      lineWidth: 80,
      semiColons: "asi",
      quoteStyle: "alwaysDouble",
      trailingCommas: "never",
      operatorPosition: "maintain",
      "arrowFunction.useParentheses": "force"
    }
  })

/** A program's printed lines, run on the TestClock (the clock moved on by an hour). */
const transcript = (program: Effect.Effect<unknown, unknown>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const console = yield* Effect.console
    const capture = {
      ...console,
      log: (...args: ReadonlyArray<unknown>) => Effect.sync(() => lines.push(args.join(" ")))
    }
    const fiber = yield* Effect.fork(Effect.withConsole(program, capture))
    yield* TestClock.adjust("1 hour")
    yield* Fiber.join(fiber)
    return lines
  }).pipe(Effect.provide(TestContext.TestContext))

/** The examples that need real threads and real time: shown without a transcript. */
const live = new Set(["cpu-bound"])

interface Recipe {
  readonly name: string
  readonly title: string
  readonly about: string
  readonly python: string
  readonly code: string
  readonly lines: ReadonlyArray<string> | undefined
}

const recipeOf = async (name: string): Promise<Recipe> => {
  const source = readFileSync(new URL(`src/${name}.ts`, examples), "utf8")
  const header = /^\/\*\*\n([\s\S]*?)\n \*\/\n/.exec(source)
  if (header === null) throw new Error(`recipes: examples/src/${name}.ts has no opening comment`)
  const comment = header[1].split("\n").map((l) => l.replace(/^ \* ?/, "")).join("\n")
  const python = /```python\n([\s\S]*?)```/.exec(comment)?.[1]
  if (python === undefined) throw new Error(`recipes: examples/src/${name}.ts has no Python block`)
  const [title, ...rest] = comment.replace(/```python\n[\s\S]*?```/, "").trim().split("\n")
  const about = rest.join("\n").trim().replace(/\n{3,}/g, "\n\n")
  const code = format(source.slice(header[0].length).trim() + "\n")
  let lines: ReadonlyArray<string> | undefined
  if (!live.has(name)) {
    const { main } = await import(new URL(`dist/${name}.js`, examples).href)
    lines = await Effect.runPromise(transcript(main as Effect.Effect<unknown, unknown>))
  }
  return { name, title: title.trim().replace(/\.$/, ""), about, python, code, lines }
}

// in the order of examples/README.md's table, then any the table does not list
const files = readdirSync(new URL("src/", examples)).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3)).sort()
const listed = [...readFileSync(new URL("README.md", examples), "utf8").matchAll(/\]\(src\/([\w-]+)\.ts\)/g)]
  .map((m) => m[1])
  .filter((n) => files.includes(n))
const names = [...listed, ...files.filter((n) => !listed.includes(n))]
const recipes = await Promise.all(names.map(recipeOf))

const page = [
  "---",
  "# written from examples/src: each program's file is the place to edit it",
  "editLink: false",
  "pageClass: recipes-page",
  "---",
  "",
  "# Recipes: the asyncio programs",
  "",
  "The programs people write to learn asyncio — a task executor, producer–consumer with `join`,",
  "graceful shutdown, a rate-limited fetcher, `as_completed`, `run_in_executor` — each beside its",
  "Taskscope translation. They live in the repository's `examples/` folder; run one on the real",
  "clock with `pnpm example <name>` (`pnpm example` lists them).",
  "",
  "What each prints below comes from running the TypeScript when this site was built, on Effect's",
  "TestClock; the test suite runs every one the same way and checks each line, timestamps included.",
  "The Python prints the same lines on a real clock, except where a program's comment says how it",
  "differs. (The Python is shown for comparison; the test suite does not run it.)",
  "",
  ...recipes.flatMap((r) => [
    `## ${r.title} {#${r.name}}`,
    "",
    r.about,
    "",
    "::: code-group",
    "",
    "```python [asyncio]",
    r.python.trimEnd(),
    "```",
    "",
    "```ts [Taskscope]",
    r.code.trimEnd(),
    "```",
    "",
    ":::",
    "",
    ...(r.lines === undefined
      ? [`Run it: \`pnpm example ${r.name}\` (real worker threads and real time, so the figures vary).`]
      : [
        `What it prints (\`pnpm example ${r.name}\`):`,
        "",
        "```text",
        ...r.lines,
        "```"
      ]),
    ""
  ])
].join("\n")

writeFileSync(new URL("../guide/recipes.md", import.meta.url), page.trimEnd() + "\n")
console.log(`recipes: ${recipes.length} programs`)
