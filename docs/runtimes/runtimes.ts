/**
 * Runs the smoke suite (smoke.ts) on every runtime of the matrix and returns what each gave:
 *
 * - Node: the sources, with `node --import tsx` (Node 20 has no TypeScript of its own);
 * - Bun and Deno: the same sources, with the binaries of the npm packages `bun` and `deno`
 *   (devDependencies of the docs: each ships its binary as a platform package, so the install
 *   downloads nothing else);
 * - Chromium: bundled by esbuild for the browser and loaded in a page (Debian's Chromium through
 *   playwright-core).
 *
 * Each resolves `@taskscope/core` and `@taskscope/promise` as a user's program would: through
 * node_modules to the packages' built `dist/` (run `tsc -b` first).
 */
import { execFileSync, spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:http"
import { createRequire } from "node:module"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))
const docs = join(here, "..")
const require = createRequire(join(docs, "package.json"))

export interface RuntimeResult {
  readonly id: "node" | "bun" | "deno" | "chromium"
  readonly name: string
  readonly version: string
  /** How it was run, for the page. */
  readonly how: string
  readonly results: Record<string, string>
}

/** The binary a platform package of `bun` or `deno` ships for this machine. */
const platformBinary = (pkg: "bun" | "deno"): string => {
  const arch = process.arch === "x64" ? "x64" : process.arch === "arm64" ? (pkg === "bun" ? "aarch64" : "arm64") : ""
  const platform = pkg === "bun"
    ? `@oven/bun-${process.platform}-${arch}`
    : `@deno/${process.platform}-${arch}${process.platform === "linux" ? "-glibc" : ""}`
  const from = createRequire(require.resolve(`${pkg}/package.json`))
  let manifest: string
  try {
    manifest = from.resolve(`${platform}/package.json`)
  } catch {
    throw new Error(`${pkg}: its npm package has no binary for ${process.platform}/${process.arch} (${platform})`)
  }
  return pkg === "bun" ? join(dirname(manifest), "bin", "bun") : join(dirname(manifest), "deno")
}

const run = (file: string, args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = process.env) =>
  new Promise<string>((resolve, reject) => {
    const child = spawn(file, [...args], { cwd: docs, env, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`${file} ${args.join(" ")}: no answer within 120 s\n${stdout}\n${stderr}`))
    }, 120_000)
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("close", (code) => {
      clearTimeout(timer)
      const line = stdout.trim().split("\n").at(-1) ?? ""
      if (code !== 0 || !line.startsWith("{")) {
        reject(new Error(`${file} ${args.join(" ")}: exit ${code}\n${stdout}\n${stderr}`))
      } else resolve(line)
    })
  })

export const onNode = async (): Promise<RuntimeResult> => {
  const tsx = require.resolve("tsx")
  const out = await run(process.execPath, ["--import", tsx, "runtimes/main.ts"])
  return {
    id: "node",
    name: "Node",
    version: process.version.slice(1),
    how: "node --import tsx docs/runtimes/main.ts",
    results: JSON.parse(out)
  }
}

export const onBun = async (): Promise<RuntimeResult> => {
  const bun = platformBinary("bun")
  const version = execFileSync(bun, ["--version"], { encoding: "utf8" }).trim()
  const out = await run(bun, ["runtimes/main.ts"], { ...process.env, BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0" })
  return { id: "bun", name: "Bun", version, how: "bun docs/runtimes/main.ts", results: JSON.parse(out) }
}

export const onDeno = async (): Promise<RuntimeResult> => {
  const deno = platformBinary("deno")
  const cache = mkdtempSync(join(tmpdir(), "taskscope-deno-"))
  try {
    const env = { ...process.env, DENO_DIR: cache, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" }
    const version = execFileSync(deno, ["--version"], { encoding: "utf8", env }).split("\n")[0].split(" ")[1]
    // no --allow-* flag: the suite needs no permission; --sloppy-imports maps `./smoke.js` to smoke.ts
    const out = await run(deno, ["run", "--sloppy-imports", "runtimes/main.ts"], env)
    return {
      id: "deno",
      name: "Deno",
      version,
      how: "deno run --sloppy-imports docs/runtimes/main.ts",
      results: JSON.parse(out)
    }
  } finally {
    rmSync(cache, { recursive: true, force: true })
  }
}

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"

export const inChromium = async (): Promise<RuntimeResult> => {
  const esbuild = await import("esbuild")
  const { chromium } = await import("playwright-core")
  const dir = mkdtempSync(join(tmpdir(), "taskscope-browser-"))
  try {
    mkdirSync(dir, { recursive: true })
    const entry = join(dir, "entry.ts")
    writeFileSync(
      entry,
      `import { run } from ${JSON.stringify(join(here, "smoke.ts"))}\n;(globalThis as any).smoke = run()\n`
    )
    await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      outfile: join(dir, "smoke.js"),
      absWorkingDir: docs,
      logLevel: "silent"
    })
    const files: Record<string, { type: string; body: string }> = {
      "/": { type: "text/html", body: `<!doctype html><script type="module" src="/smoke.js"></script>` },
      "/smoke.js": { type: "text/javascript", body: readFileSync(join(dir, "smoke.js"), "utf8") }
    }
    const server = createServer((req, res) => {
      const file = files[req.url ?? "/"]
      if (file === undefined) res.writeHead(404).end()
      else res.writeHead(200, { "content-type": file.type }).end(file.body)
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const browser = await chromium.launch({
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
    try {
      const page = await browser.newPage()
      const errors: Array<string> = []
      page.on("pageerror", (error) => errors.push(error.message))
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { waitUntil: "load" })
      await page.waitForFunction(() => (globalThis as { smoke?: unknown }).smoke !== undefined, undefined, {
        timeout: 30_000
      })
      const results = await page.evaluate(() =>
        (globalThis as unknown as { smoke: Promise<Record<string, string>> }).smoke
      )
      if (errors.length > 0) throw new Error(`Chromium: page errors: ${errors.join("; ")}`)
      return {
        id: "chromium",
        name: "Chromium",
        version: browser.version(),
        how: "bundled by esbuild (platform: browser), loaded in a page",
        results
      }
    } finally {
      await browser.close()
      await new Promise((resolve) => server.close(resolve))
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Where the Runtimes page reads the matrix from; rewritten by `UPDATE_RUNTIMES=1`. */
export const resultsFile = join(here, "results.json")
