// Runs one example on the real clock: `pnpm example <name>` (which builds first), or
// `node examples/run.mjs <name>` after a build. Without a name, lists them.
import { Effect } from "effect"
import { existsSync, readdirSync, readFileSync } from "node:fs"

const src = new URL("./src/", import.meta.url)
const dist = new URL("./dist/", import.meta.url)
const names = readdirSync(src).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3)).sort()
const name = process.argv[2]

if (name === undefined || !names.includes(name)) {
  if (name !== undefined) console.error(`no example "${name}"\n`)
  console.log("usage: pnpm example <name>\n")
  for (const n of names) {
    // the first line of the doc comment: what the program is
    const summary = /\/\*\*\n \* (.*)/.exec(readFileSync(new URL(`${n}.ts`, src), "utf8"))?.[1] ?? ""
    console.log(`  ${n.padEnd(22)} ${summary}`)
  }
  process.exit(name === undefined ? 0 : 1)
}
if (!existsSync(new URL(`${name}.js`, dist))) {
  console.error(`examples/dist/${name}.js is missing: build first (pnpm example ${name} does)`)
  process.exit(1)
}
const { main } = await import(new URL(`${name}.js`, dist).href)
Effect.runPromise(main).catch((error) => {
  console.error(error)
  process.exit(1)
})
