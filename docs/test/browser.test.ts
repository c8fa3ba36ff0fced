/**
 * The built site in a real browser (Debian's Chromium through playwright-core), read the way a
 * newcomer reads it:
 *
 * - every page loads without console errors, every image loads, and every internal link — and
 *   every `#anchor` it points at — resolves;
 * - at desktop width (1400 px) no code block or table needs a horizontal scroll, and no page shows the test
 *   harness (`export const expected`, `export const runs`, twoslash's cut markers);
 * - the API reference shows declarations whose every parameter has a type, and no empty table;
 * - at phone width (390 px): the asyncio map is stacked rows with the differences on screen (no
 *   table scrolls sideways), no picture's text is under 11 px, and a terminal frame is not wrapped;
 * - the search ranks a guide above the API reference's sub-headings;
 * - screenshots of the home page, getting started, asyncio, Timeline, the TaskGroup API page and
 *   Benchmarks, at desktop and mobile width (and a page in dark mode), are saved to
 *   docs/test-results (ignored by git) for review.
 *
 * Set DOCS_DIST to test another build of the site.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { extname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { type Browser, chromium, type Page } from "playwright-core"
import ts from "typescript"
import { afterAll, beforeAll } from "vitest"

const docs = fileURLToPath(new URL("..", import.meta.url))
const dist = process.env.DOCS_DIST ?? join(docs, ".vitepress", "dist")
const results = join(docs, "test-results")
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"

const DESKTOP = { width: 1400, height: 900 }
const MOBILE = { width: 390, height: 844 }

const types: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".css": "text/css",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".woff2": "font/woff2",
  ".png": "image/png"
}

/** Resolves a URL path the way VitePress's cleanUrls expect: /a/b → a/b.html, /a/ → a/index.html. */
const fileFor = (path: string): string | undefined => {
  const clean = decodeURIComponent(path.split(/[?#]/)[0])
  for (const candidate of [clean, `${clean}.html`, join(clean, "index.html")]) {
    const file = join(dist, candidate)
    if (file.startsWith(dist) && existsSync(file) && statSync(file).isFile()) return file
  }
  return undefined
}

const pagesOf = (dir: string, prefix = ""): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? entry.name === "assets" ? [] : pagesOf(join(dir, entry.name), `${prefix}/${entry.name}`)
      : entry.name.endsWith(".html") && entry.name !== "404.html"
      ? [`${prefix}/${entry.name.replace(/\.html$/, "").replace(/^index$/, "")}`]
      : []
  )

/** The page's path as links name it: /guide/x, /api/core/ (cleanUrls, no .html). */
const canonical = (pathname: string) => decodeURIComponent(pathname).replace(/\.html$/, "").replace(/\/index$/, "/")

/** What a newcomer would see that they should not: code blocks cut off, harness code, broken images. */
const inspect = (page: Page) =>
  page.evaluate(() => {
    const blocks = Array.from(document.querySelectorAll(".vp-doc div[class*='language-'] pre"))
    const scrolling = blocks
      .filter((pre) => pre.scrollWidth > pre.clientWidth + 1)
      .map((pre) => {
        const lines = Array.from(pre.querySelectorAll(".line")).map((l) => l.textContent ?? "")
        const longest = lines.reduce((a, b) => (b.length > a.length ? b : a), "")
        return `${pre.scrollWidth - pre.clientWidth}px too wide: ${longest.trim().slice(0, 90)}`
      })
    const tables = Array.from(document.querySelectorAll(".vp-doc table"))
      .filter((table) => table.scrollWidth > (table.parentElement?.clientWidth ?? Infinity) + 1)
      .map((table) =>
        `${table.scrollWidth - table.parentElement!.clientWidth}px too wide: ${
          (table.querySelector("th")?.textContent ?? "").trim()
        } …`
      )
    const text = (document.querySelector(".VPContent") as HTMLElement | null)?.innerText ?? ""
    const harness = ["export const expected", "export const runs", "export const signal", "---cut", "selfTimed"]
      .filter((marker) => text.includes(marker))
    const images = Array.from(document.images)
      .filter((img) => !img.complete || img.naturalWidth === 0)
      .map((img) => img.getAttribute("src") ?? "(no src)")
    const ids = Array.from(document.querySelectorAll("[id]")).map((e) => e.id)
    return { scrolling: [...scrolling, ...tables], harness, images, ids }
  })

/** The parameters of a TypeScript declaration that have no type (`(group) => …`). */
export const untypedParameters = (declaration: string): Array<string> => {
  const file = ts.createSourceFile("declaration.ts", declaration, ts.ScriptTarget.Latest, true)
  const found: Array<string> = []
  const visit = (node: ts.Node) => {
    if (ts.isParameter(node) && node.type === undefined) found.push(node.getText())
    ts.forEachChild(node, visit)
  }
  visit(file)
  return found
}

/**
 * What an API page shows that says nothing: declarations (and the types in tables) with an untyped
 * parameter, tables with no rows or with a column of nothing but "–", the old "Call Signature"
 * headings with their tables.
 */
const inspectApi = (page: Page) =>
  page.evaluate(() => {
    const declarations = Array.from(document.querySelectorAll(".vp-doc .api-signature pre"))
      .map((pre) => (pre as HTMLElement).innerText)
    const entries = Array.from(document.querySelectorAll(".vp-doc h3")).length
    const tables = Array.from(document.querySelectorAll(".vp-doc table")).flatMap((table) => {
      const rows = Array.from(table.querySelectorAll("tbody tr")).map((tr) =>
        Array.from(tr.querySelectorAll("td")).map((td) => (td.textContent ?? "").trim())
      )
      const header = Array.from(table.querySelectorAll("thead th")).map((th) => (th.textContent ?? "").trim())
      if (rows.length === 0) return [`a table with no rows: ${header.join(" | ")}`]
      const empty = header.filter((_, i) => rows.every((cells) => ["", "-", "–", "—"].includes(cells[i] ?? "")))
      const untyped = rows.flat().filter((cell) => /^\(\s*\w+(?:\s*,\s*\w+)*\s*\)\s*=>/.test(cell))
      return [
        ...empty.map((column) => `a column with nothing in it: "${column}" in ${header.join(" | ")}`),
        ...untyped.map((cell) => `a table cell with an untyped parameter: ${cell}`)
      ]
    })
    const callSignatures = Array.from(document.querySelectorAll(".vp-doc h4, .vp-doc h5"))
      .filter((h) => /^(Call Signature|Type Parameters|Parameters|Returns)/.test((h.textContent ?? "").trim()))
      .map((h) => (h.textContent ?? "").trim())
    return { declarations, entries, tables, callSignatures }
  })

/** At phone width: tables that scroll sideways, and the cells of a stacked table that are off screen. */
const inspectPhone = (page: Page) =>
  page.evaluate(() => {
    const width = document.documentElement.clientWidth
    const tables = Array.from(document.querySelectorAll(".vp-doc table"))
      .filter((table) => table.scrollWidth > (table.parentElement?.clientWidth ?? Infinity) + 1)
      .map((table) =>
        `${table.scrollWidth - table.parentElement!.clientWidth}px too wide: ${
          (table.querySelector("th")?.textContent ?? "").trim()
        } …`
      )
    const offscreen = Array.from(document.querySelectorAll(".vp-doc .asyncio-map td"))
      .filter((td) => {
        const box = td.getBoundingClientRect()
        return box.width === 0 || box.left < 0 || box.right > width + 1
      })
      .map((td) => (td.textContent ?? "").trim().slice(0, 60))
    // every visible text of an inline picture, at the size it is drawn on screen
    const small = Array.from(document.querySelectorAll(".vp-doc svg text"))
      .filter((text) => (text as SVGGraphicsElement).getClientRects().length > 0)
      .map((text) => {
        const element = text as SVGTextElement
        const matrix = element.getScreenCTM()
        const size = parseFloat(getComputedStyle(element).fontSize) * Math.hypot(matrix?.a ?? 1, matrix?.b ?? 0)
        return { size, text: (element.textContent ?? "").trim() }
      })
      .filter(({ size }) => size < 11 - 0.01)
      .map(({ size, text }) => `${size.toFixed(1)} px: ${text}`)
    // terminal output (text blocks) keeps its lines: a wrapped 80-column frame is unreadable
    const wrapped = Array.from(document.querySelectorAll(".vp-doc div.language-text pre"))
      .filter((pre) => getComputedStyle(pre).whiteSpace !== "pre")
      .map((pre) => ((pre as HTMLElement).innerText.split("\n")[0] ?? "").slice(0, 60))
    return { tables, offscreen, small, wrapped }
  })

let server: Server
let base = ""
let browser: Browser

/**
 * Builds the site (typedoc + VitePress) in a child process, without blocking this worker: a
 * synchronous build held the event loop for minutes, so that vitest's own report to the main
 * process timed out ("[vitest-worker]: Timeout calling onTaskUpdate", issue 28).
 */
const build = () =>
  new Promise<void>((resolve, reject) => {
    const child = spawn("pnpm", ["--filter", "@taskscope/docs", "build"], { cwd: docs, stdio: "inherit" })
    child.on("error", reject)
    child.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`pnpm --filter @taskscope/docs build: exit ${code ?? signal}`)))
  })

beforeAll(async () => {
  if (!existsSync(join(dist, "index.html"))) await build()
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is needed for the docs browser test: apt-get install -y chromium (or set CHROMIUM_PATH)`)
  }
  server = createServer((req, res) => {
    const file = fileFor(req.url ?? "/")
    if (file === undefined) {
      res.writeHead(404).end("not found")
      return
    }
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync"
    ]
  })
  mkdirSync(results, { recursive: true })
  // the build, when there is none yet: measured 188 s on this 2-core machine with a load of 8 and
  // 352 s with a load of 20 (a fresh clone's first `pnpm test`); 600 s leaves room for both
}, 600_000)

afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => server?.close(resolve))
})

describe("the documentation site in Chromium", () => {
  it(
    "every page: loads cleanly, images load, links and anchors resolve, no code block or table scrolls on a desktop",
    async () => {
      const pages = pagesOf(dist)
      assert.isAtLeast(pages.length, 30, "the guides and the API reference are there")
      const context = await browser.newContext({ viewport: DESKTOP })
      const problems: Array<string> = []
      const anchors = new Map<string, Set<string>>() // page → ids on it
      const wanted: Array<{ from: string; page: string; id: string }> = []
      const seen = new Set<string>()
      for (const path of pages) {
        const page = await context.newPage()
        page.on("console", (message) => {
          if (message.type() === "error") problems.push(`${path}: console error: ${message.text()}`)
        })
        page.on("pageerror", (error) => problems.push(`${path}: page error: ${error.message}`))
        page.on("response", (response) => {
          if (response.status() >= 400) problems.push(`${path}: ${response.status()} for ${response.url()}`)
        })
        page.on("requestfailed", (request) => problems.push(`${path}: failed to load ${request.url()}`))
        const response = await page.goto(base + path, { waitUntil: "load" })
        assert.strictEqual(response?.status(), 200, path)
        const { harness, ids, images, scrolling } = await inspect(page)
        for (const s of scrolling) problems.push(`${path}: a code block or table scrolls at 1400 px: ${s}`)
        for (const h of harness) problems.push(`${path}: shows the test harness: "${h}"`)
        for (const i of images) problems.push(`${path}: an image did not load: ${i}`)
        anchors.set(canonical(new URL(page.url()).pathname), new Set(ids))
        const links = await page.$$eval("a[href]", (as) => as.map((a) => (a as unknown as { href: string }).href))
        for (const link of links) {
          const url = new URL(link)
          if (url.origin !== base) continue
          if (!seen.has(url.pathname)) {
            seen.add(url.pathname)
            if (fileFor(url.pathname) === undefined) problems.push(`${path}: broken link to ${url.pathname}`)
          }
          if (url.hash.length > 1) {
            wanted.push({
              from: path,
              page: canonical(url.pathname),
              id: decodeURIComponent(url.hash.slice(1))
            })
          }
        }
        await page.close()
      }
      await context.close()
      for (const { from, id, page } of wanted) {
        const ids = anchors.get(page)
        if (ids !== undefined && !ids.has(id)) problems.push(`${from}: link to ${page}#${id}, which has no such anchor`)
      }
      expect([...new Set(problems)]).toStrictEqual([])
    },
    900_000
  )

  it(
    "the API reference: every declaration's parameters have a type; no empty table, no bare signature tables",
    async () => {
      const pages = pagesOf(dist).filter((p) => p.startsWith("/api/"))
      assert.isAtLeast(pages.length, 20)
      const context = await browser.newContext({ viewport: DESKTOP })
      const page = await context.newPage()
      const problems: Array<string> = []
      let declarations = 0
      for (const path of pages) {
        await page.goto(base + path, { waitUntil: "load" })
        const found = await inspectApi(page)
        declarations += found.declarations.length
        for (const declaration of found.declarations) {
          const untyped = untypedParameters(declaration)
          if (untyped.length > 0) {
            problems.push(
              `${path}: untyped parameter ${untyped.join(", ")} in ${declaration.slice(0, 80)}`
            )
          }
        }
        for (const t of found.tables) problems.push(`${path}: ${t}`)
        for (const h of found.callSignatures) {
          problems.push(
            `${path}: a "${h}" heading (typedoc's bare signature tables)`
          )
        }
        // a namespace page declares what it documents
        if (/\/namespaces\//.test(path) && found.entries > 0 && found.declarations.length === 0) {
          problems.push(`${path}: ${found.entries} entries and no declaration`)
        }
      }
      await context.close()
      assert.isAtLeast(declarations, 200, "declarations on the API pages")
      expect(problems).toStrictEqual([])
    },
    600_000
  )

  it(
    "on a phone (390 px): the asyncio map is stacked rows, pictures' text is at least 11 px, terminal frames keep their lines",
    async () => {
      const context = await browser.newContext({ viewport: MOBILE })
      const page = await context.newPage()
      const problems: Array<string> = []
      await page.goto(base + "/guide/asyncio", { waitUntil: "load" })
      const asyncio = await inspectPhone(page)
      for (const t of asyncio.tables) problems.push(`/guide/asyncio: a table scrolls sideways at 390 px: ${t}`)
      for (const o of asyncio.offscreen) problems.push(`/guide/asyncio: a cell of the map is off screen: ${o}`)
      const cells = await page.$$eval(".vp-doc .asyncio-map td", (tds) => tds.length)
      assert.isAtLeast(cells, 60, "the map's cells")
      // every "What differs" cell is labelled and readable in its card
      const differs = await page.$$eval(
        ".vp-doc .asyncio-map td:nth-child(3)",
        (tds) =>
          tds.filter((td) => td.getAttribute("data-label") === "What differs" && td.getBoundingClientRect().width > 200)
            .length
      )
      assert.strictEqual(differs, cells / 3, "each row's differences, labelled, at a readable width")
      for (const path of pagesOf(dist).filter((p) => !p.startsWith("/api/"))) {
        await page.goto(base + path, { waitUntil: "load" })
        const { small, wrapped } = await inspectPhone(page)
        for (const s of small) problems.push(`${path}: picture text under 11 px at 390 px: ${s}`)
        for (const w of wrapped) problems.push(`${path}: terminal output wraps at 390 px: ${w}`)
      }
      await context.close()
      expect(problems).toStrictEqual([])
    },
    600_000
  )

  it(
    "code groups stay in step: a tab chosen in one is chosen in every group that has it, also on the next page",
    async () => {
      const context = await browser.newContext({ viewport: DESKTOP })
      const page = await context.newPage()
      await page.goto(base + "/guide/asyncio", { waitUntil: "networkidle" })
      const chosen = () =>
        page.$$eval(".vp-code-group", (groups) =>
          groups.map((g) => {
            const input = g.querySelector<HTMLInputElement>(".tabs input:checked")
            return (g.querySelector(`label[for="${input?.id}"]`)?.textContent ?? "").trim()
          }))
      const before = await chosen()
      assert.isAtLeast(before.length, 10)
      assert.isTrue(before.every((label) => label !== "Taskscope"), `the first tab is Python's: ${before}`)
      await page.click(".vp-code-group >> nth=0 >> .tabs label:has-text('Taskscope')")
      const after = await chosen()
      expect(after, "every group shows Taskscope").toStrictEqual(after.map(() => "Taskscope"))
      // the next page remembers it
      await page.goto(base + "/guide/from-effect", { waitUntil: "networkidle" })
      await page.goto(base + "/guide/asyncio", { waitUntil: "networkidle" })
      expect(await chosen()).toStrictEqual(after)
      await context.close()
    },
    60_000
  )

  it(
    "Benchmarks: every table states its samples, machine and load; Bottleneck's timer-bound rows say so; ratios within the noise are marked",
    async () => {
      const data = JSON.parse(readFileSync(join(docs, "..", "bench", "results", "latest.json"), "utf8")) as {
        results: Array<
          {
            group: string
            name: string
            ours?: boolean
            opsPerSec?: number
            ms?: number
            spread?: number
            samples?: number
            timedOut?: boolean
            vs?: Array<{ peer: string; missing?: boolean }>
          }
        >
      }
      const page = await browser.newPage({ viewport: DESKTOP })
      await page.goto(base + "/benchmarks", { waitUntil: "networkidle" })
      const groups = await page.$$eval(".bench-group", (gs) =>
        gs.map((g) => ({
          name: (g.querySelector("h3")?.textContent ?? "").replace(/\u200b/g, "").trim(),
          conditions: (g.querySelector(".bench-conditions")?.textContent ?? "").trim(),
          noise: Array.from(g.querySelectorAll(".bench-takeaway li")).map((li) => ({
            text: (li.textContent ?? "").trim(),
            marked: li.classList.contains("noise")
          })),
          timerRows: Array.from(g.querySelectorAll(".bench-row.timer .bench-name")).map((n) =>
            (n.textContent ?? "").trim()
          ),
          caveat: (g.querySelector(".bench-caveat")?.textContent ?? "").trim()
        })))
      const names = [...new Set(data.results.map((r) => r.group))]
      expect(groups.map((g) => g.name), "one table per group of results").toStrictEqual(names)
      for (const g of groups) {
        assert.match(g.conditions, /samples? per row|one measurement/, g.name)
        assert.match(g.conditions, /Node v?\d+/, g.name)
        assert.match(g.conditions, /load average [\d.]+ at the start/, g.name)
        const bottleneck = data.results.filter((r) =>
          r.group === g.name && /^Bottleneck( reservoir)? \(400/.test(r.name)
        )
        assert.strictEqual(g.timerRows.length, bottleneck.length, `${g.name}: timer-bound rows`)
        if (bottleneck.length > 0) assert.match(g.caveat, /timer/, g.name)
      }
      // within the noise, recomputed here: both medians' ranges (± half the range) overlap
      const value = (r: { opsPerSec?: number; ms?: number }) => r.opsPerSec ?? r.ms ?? 0
      let marked = 0
      for (const row of data.results.filter((r) => r.ours && r.vs)) {
        for (const v of row.vs!.filter((v) => !v.missing)) {
          const peer = data.results.find((r) => r.group === row.group && r.name === v.peer)!
          const spreads = [row, peer].map((
            r
          ) => (r.samples! > 1 && typeof r.spread === "number" ? r.spread / 100 : undefined))
          const decidable = spreads.every((s) => s !== undefined) && !row.timedOut && !peer.timedOut
          const overlap = decidable &&
            value(row) * (1 - spreads[0]!) <= value(peer) * (1 + spreads[1]!) &&
            value(peer) * (1 - spreads[1]!) <= value(row) * (1 + spreads[0]!)
          const item = groups.find((g) => g.name === row.group)!.noise.find((n) =>
            // the peer's name whole: "× p-queue" is not "× p-queue.addAll"
            n.text.startsWith(`${row.name}:`) &&
            (n.text.includes(`× ${v.peer} `) || n.text.endsWith(`× ${v.peer}`))
          )
          assert.isDefined(item, `${row.group}: ${row.name} ÷ ${v.peer} is listed`)
          assert.strictEqual(item!.marked, overlap, `${row.group}: ${row.name} ÷ ${v.peer}`)
          if (overlap) marked++
        }
      }
      assert.isAbove(marked, 0, "some ratios of this run are within the noise")
      await page.close()
    },
    60_000
  )

  it("edit links open the file a page is made from; pages say when that file last changed", async () => {
    const page = await browser.newPage({ viewport: DESKTOP })
    for (
      const [path, file] of [
        ["/guide/asyncio", "/edit/main/docs/guide/asyncio.md"],
        ["/api/core/namespaces/TaskGroup", "/edit/main/packages/core/src/TaskGroup.ts"],
        ["/api/promise/", "/edit/main/packages/promise/src/index.ts"]
      ]
    ) {
      await page.goto(base + path, { waitUntil: "load" })
      const edit = await page.$eval(".edit-link a", (a) => (a as unknown as { href: string }).href).catch(() => "")
      assert.isTrue(edit.endsWith(file), `${path}: edit link ${edit}`)
      const updated = await page.$eval(".last-updated", (e) => (e.textContent ?? "").trim()).catch(() => "")
      assert.match(updated, /Last updated.*\d{4}/, path)
    }
    await page.close()
  }, 60_000)

  it("the search ranks a guide above the API reference", async () => {
    const page = await browser.newPage({ viewport: DESKTOP })
    await page.goto(base + "/", { waitUntil: "networkidle" })
    for (
      const [query, guide] of [["TaskGroup", "/guide/"], ["deadline", "/guide/deadline"], ["semaphore", "/guide/"]]
    ) {
      await page.click(".VPNavBarSearch button")
      await page.waitForSelector("#localsearch-input")
      await page.fill("#localsearch-input", query)
      await page.waitForSelector(".VPLocalSearchBox .result", { timeout: 15_000 })
      await page.waitForTimeout(300) // the results settle as the query is debounced
      const hrefs = await page.$$eval(".VPLocalSearchBox a.result", (as) => as.map((a) => a.getAttribute("href") ?? ""))
      assert.isAbove(hrefs.length, 0, query)
      assert.isTrue(
        hrefs[0].startsWith(guide),
        `"${query}": the first result is ${hrefs[0]} (all: ${hrefs.slice(0, 5).join(", ")})`
      )
      await page.keyboard.press("Escape")
    }
    await page.close()
  }, 60_000)

  it(
    "screenshots of home, getting started, asyncio, Timeline, the TaskGroup API and Benchmarks, desktop and mobile",
    async () => {
      const shots = [
        ["home", "/"],
        ["getting-started", "/guide/getting-started"],
        ["asyncio", "/guide/asyncio"],
        ["timeline", "/guide/timeline"],
        ["api-taskgroup", "/api/core/namespaces/TaskGroup"],
        ["benchmarks", "/benchmarks"]
      ] as const
      const saved: Array<string> = []
      for (const [width, viewport, scheme] of [["desktop", DESKTOP, "light"], ["mobile", MOBILE, "light"]] as const) {
        const context = await browser.newContext({ viewport, colorScheme: scheme })
        for (const [name, path] of shots) {
          const page = await context.newPage()
          await page.goto(base + path, { waitUntil: "networkidle" })
          // the page itself never scrolls sideways, on a phone either (code blocks may)
          const overflow = await page.evaluate(() =>
            document.documentElement.scrollWidth - document.documentElement.clientWidth
          )
          assert.strictEqual(overflow, 0, `${path} at ${viewport.width} px is ${overflow} px too wide`)
          const file = join(results, `${name}-${width}.png`)
          await page.screenshot({ path: file, fullPage: true })
          saved.push(file)
          await page.close()
        }
        await context.close()
      }
      const dark = await browser.newContext({ viewport: DESKTOP, colorScheme: "dark" })
      const page = await dark.newPage()
      await page.goto(base + "/guide/concepts", { waitUntil: "networkidle" })
      assert.isTrue(await page.evaluate(() => document.documentElement.classList.contains("dark")))
      await page.screenshot({ path: join(results, "concepts-dark.png"), fullPage: true })
      saved.push(join(results, "concepts-dark.png"))
      await dark.close()
      for (const file of saved) assert.isAbove(statSync(file).size, 10_000, file)
    },
    120_000
  )
})
