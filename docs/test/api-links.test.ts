/**
 * Guide prose → API reference (.vitepress/api-links.mts): the public symbols written as code in the
 * guides are linked to their API entries, and a name of one of our modules that is no export of it
 * is a dead symbol, on which `pnpm docs:build` fails. Checked here on the symbols typedoc writes
 * (api/symbols.json; made here with typedoc when no build has made it).
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { beforeAll } from "vitest"
import { apiLinks, deadSymbols, loadSymbols, resolve } from "../.vitepress/api-links.mjs"

const docs = fileURLToPath(new URL("..", import.meta.url))
const symbolsFile = new URL("../api/symbols.json", import.meta.url)
let symbols: NonNullable<ReturnType<typeof loadSymbols>>

const render = (page: string, text: string) => {
  // markdown-it as VitePress uses it (a dependency of vitepress)
  const require = createRequire(createRequire(join(docs, "package.json")).resolve("vitepress/package.json"))
  const MarkdownIt = require("markdown-it")
  const md = new MarkdownIt({ html: true })
  md.use(apiLinks(symbols))
  return md.render(text, { relativePath: page }) as string
}

beforeAll(() => {
  if (!existsSync(symbolsFile)) execFileSync("pnpm", ["exec", "typedoc"], { cwd: docs, stdio: "inherit" })
  symbols = loadSymbols(symbolsFile)!
}, 300_000)

describe("public symbols in the guides link to the API reference", () => {
  it("resolves module members, the types' members, receivers and errors; Effect's own names are left alone", () => {
    const core = ["@taskscope/core", "@taskscope/platform-node", "@taskscope/redis"]
    assert.strictEqual(
      resolve(symbols, "TaskGroup.scoped(body, options)", core),
      "/api/core/namespaces/TaskGroup#scoped"
    )
    assert.strictEqual(resolve(symbols, "TaskGroup", core), "/api/core/namespaces/TaskGroup")
    assert.strictEqual(resolve(symbols, "group.spawn(effect)", core), "/api/core/namespaces/TaskGroup#spawn")
    assert.strictEqual(resolve(symbols, "TimeoutError", core), "/api/core/namespaces/Errors#timeouterror")
    assert.strictEqual(resolve(symbols, "Runtime.runMain", core), "/api/platform-node/namespaces/Runtime#runmain")
    // Effect's Runtime and Queue, asyncio's task.cancel(): not ours
    assert.isUndefined(resolve(symbols, "Runtime.runFork", core))
    assert.isUndefined(resolve(symbols, "Effect.all(…, { concurrency })", core))
    assert.isUndefined(resolve(symbols, "task.cancel()", core))
    // the promise package's names on its own page
    const promise = ["@taskscope/promise", "@taskscope/core"]
    assert.strictEqual(resolve(symbols, "TaskGroup.run(body)", promise), "/api/promise/#property-run")
    assert.strictEqual(resolve(symbols, "TaskGroup", promise), "/api/promise/#taskgroup")
    assert.isUndefined(resolve(symbols, "gather", core))
  })

  it("a renamed or misspelt export is a dead symbol", () => {
    const core = ["@taskscope/core", "@taskscope/platform-node", "@taskscope/redis"]
    assert.strictEqual(resolve(symbols, "TaskGroup.spawnChild", core), "dead")
    assert.strictEqual(resolve(symbols, "Deadline.withinn(effect, d)", core), "dead")
    deadSymbols.length = 0
    const html = render("guide/x.md", "Use `TaskGroup.scope` or [this](/api/core/namespaces/TaskGroup#nope).")
    assert.notInclude(html, "api-link")
    expect(deadSymbols).toStrictEqual([
      "guide/x.md: `TaskGroup.scope` names no export of the API reference",
      "guide/x.md: a link to /api/core/namespaces/TaskGroup#nope, which the API reference has no entry for"
    ])
    deadSymbols.length = 0
  })

  it("every guide page: its symbols are linked, none is dead; code blocks, headings and links are left alone", () => {
    deadSymbols.length = 0
    let links = 0
    const pages = [
      "index.md",
      ...readdirSync(join(docs, "guide")).filter((f) => f.endsWith(".md")).map((f) => `guide/${f}`)
    ]
    for (const page of pages) {
      const html = render(page, readFileSync(join(docs, page), "utf8"))
      links += [...html.matchAll(/class="api-link"/g)].length
      assert.notMatch(html, /<h\d[^>]*>[^<]*<a href="\/api\/[^"]*" class="api-link"/, `${page}: a link in a heading`)
      for (const [block] of html.matchAll(/<pre[^>]*>[\s\S]*?<\/pre>/g)) {
        assert.notInclude(block, "api-link", `${page}: a link in a code block`)
      }
    }
    expect([...new Set(deadSymbols)]).toStrictEqual([])
    assert.isAbove(links, 300, "symbols linked in the guides")
  })
})
