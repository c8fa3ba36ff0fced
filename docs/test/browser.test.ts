/**
 * The built site in a real browser (Debian's Chromium through playwright-core): every page loads
 * without console errors, every internal link resolves, the search finds "TaskGroup", and
 * screenshots of the home page and of one guide are saved to docs/test-results for review.
 */
import { assert, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { extname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { type Browser, chromium } from "playwright-core"
import { afterAll, beforeAll } from "vitest"

const docs = fileURLToPath(new URL("..", import.meta.url))
const dist = join(docs, ".vitepress", "dist")
const results = join(docs, "test-results")
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"

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

let server: Server
let base = ""
let browser: Browser

beforeAll(async () => {
  if (!existsSync(join(dist, "index.html"))) {
    execFileSync("pnpm", ["--filter", "@taskscope/docs", "build"], { cwd: docs, stdio: "inherit" })
  }
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
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => server?.close(resolve))
})

describe("the documentation site in Chromium", () => {
  it("every page loads without console errors, and every internal link resolves", async () => {
    const pages = pagesOf(dist)
    assert.isAtLeast(pages.length, 20, "the guides and the API reference are there")
    const context = await browser.newContext()
    const broken: Array<string> = []
    const errors: Array<string> = []
    const seen = new Set<string>()
    for (const path of pages) {
      const page = await context.newPage()
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(`${path}: ${message.text()}`)
      })
      page.on("pageerror", (error) => errors.push(`${path}: ${error.message}`))
      const response = await page.goto(base + path, { waitUntil: "load" })
      assert.strictEqual(response?.status(), 200, path)
      const links = await page.$$eval(
        "a[href]",
        (anchors) => anchors.map((a) => (a as unknown as { href: string }).href)
      )
      for (const link of links) {
        const url = new URL(link)
        if (url.origin !== base || seen.has(url.pathname)) continue
        seen.add(url.pathname)
        if (fileFor(url.pathname) === undefined) broken.push(`${path} → ${url.pathname}`)
      }
      await page.close()
    }
    await context.close()
    assert.deepStrictEqual(errors, [], `console errors:\n${errors.join("\n")}`)
    assert.deepStrictEqual(broken, [], "broken internal links")
  }, 400_000)

  it("the search finds TaskGroup; screenshots of the home page and a guide", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    await page.goto(base + "/", { waitUntil: "networkidle" })
    await page.screenshot({ path: join(results, "home.png"), fullPage: true })
    await page.click(".VPNavBarSearch button")
    await page.waitForSelector("#localsearch-input")
    await page.fill("#localsearch-input", "TaskGroup")
    await page.waitForSelector(".VPLocalSearchBox .result", { timeout: 15_000 })
    const titles = await page.$$eval(".VPLocalSearchBox .result", (results) => results.map((r) => r.textContent ?? ""))
    assert.isTrue(titles.some((t) => t.includes("TaskGroup")), titles.join(" | "))
    await page.keyboard.press("Escape")
    await page.goto(base + "/guide/task-group", { waitUntil: "networkidle" })
    assert.strictEqual((await page.textContent("h1"))?.replace(/[\u200b\s]+$/, ""), "TaskGroup and Task")
    await page.screenshot({ path: join(results, "guide-task-group.png"), fullPage: true })
    await page.close()
    assert.isTrue(existsSync(join(results, "home.png")) && existsSync(join(results, "guide-task-group.png")))
  }, 60_000)
})
