/**
 * Where the docs say a behaviour is "as in asyncio" or "as in Trio", a Python program checks it.
 *
 * Each file in docs/test/claims is one such check: the page and the words it backs (`# page:` and
 * `# quote:`, one pair per place the claim is made), what it needs (`# requires: trio` or
 * `# requires: python 3.13`), optionally a signal to send once a line is printed
 * (`# signal: SIGTERM after: serving`) and how the process must end (`# exit: 0`, the default, or
 * the signal that ended it), and what it prints, after `# Output:`.
 *
 * The test fails when a page says "as in asyncio", "as asyncio …", "same as Trio", "like Trio" …
 * where no claim quotes it, when a quote is no longer on its page (the words changed: check the
 * claim again), or when Python does not do what the claim says. Programs that need what this
 * interpreter lacks (Trio, Python 3.13) are skipped with the reason.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { spawn, spawnSync } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const docs = fileURLToPath(new URL("..", import.meta.url))
const dir = join(docs, "test", "claims")
const files = readdirSync(dir).filter((f) => f.endsWith(".py")).sort()

const python = (() => {
  const probe = spawnSync("python3", ["-c", "import sys; print(sys.version_info[0] * 100 + sys.version_info[1])"])
  if (probe.status !== 0) return undefined
  const trio = spawnSync("python3", ["-c", "import trio"]).status === 0
  return { version: Number(String(probe.stdout).trim()), trio }
})()

/**
 * The files a claim can be made in: every page of the site but the generated ones, and the files
 * those are generated from — the examples/ programs (the Recipes page), the changesets (the
 * Changelog) and the public modules' doc comments (the API reference).
 */
const generated = new Set(["changelog.md", "guide/recipes.md"])
const packageSources = readdirSync(join(docs, "..", "packages")).flatMap((pkg) => {
  const src = join(docs, "..", "packages", pkg, "src")
  return readdirSync(src).filter((f) => f.endsWith(".ts")).map((f) => `../packages/${pkg}/src/${f}`)
})
const pages = [
  ...readdirSync(docs).filter((f) => f.endsWith(".md")),
  ...readdirSync(join(docs, "guide")).filter((f) => f.endsWith(".md")).map((f) => `guide/${f}`),
  ...readdirSync(join(docs, "..", "examples", "src")).filter((f) => f.endsWith(".ts")).map((f) =>
    `../examples/src/${f}`
  ),
  ...readdirSync(join(docs, "..", ".changeset")).filter((f) => f.endsWith(".md")).map((f) => `../.changeset/${f}`),
  ...packageSources
].filter((page) => !generated.has(page))

/**
 * Claims known to be wrong, each with the reason, until the words are fixed where they are (here:
 * packages' sources, which the docs do not edit). The test fails once the words are gone, so that
 * the exception goes with them.
 */
const knownWrong: ReadonlyArray<{ readonly page: string; readonly quote: string; readonly why: string }> = []
/**
 * A page's text with its line breaks and runs of spaces made single spaces, as quotes are written
 * (and, in a source file, without the ` * ` that starts each line of a doc comment).
 */
const textOf = (page: string) => {
  const text = readFileSync(join(docs, page), "utf8")
  return (page.endsWith(".ts") ? text.replace(/^\s*\*(?!\/) ?/gm, "") : text).replace(/\s+/g, " ")
}

/** The words that claim a peer's behaviour. */
const claimWords = /\b(?:as|like)(?: in)? (?:asyncio|Trio)\b/gi

interface Claim {
  readonly file: string
  readonly quotes: ReadonlyArray<{ readonly page: string; readonly quote: string }>
  readonly requires: ReadonlyArray<string>
  readonly signal?: { readonly send: NodeJS.Signals; readonly after: string }
  readonly exit: string
  readonly output: string
}

const parse = (file: string): Claim => {
  const lines = readFileSync(join(dir, file), "utf8").split("\n")
  const header = (name: string) =>
    lines.filter((l) => l.startsWith(`# ${name}: `)).map((l) => l.slice(`# ${name}: `.length).trim())
  const pagesOf = header("page")
  const quotes = header("quote")
  if (pagesOf.length !== quotes.length) throw new Error(`${file}: one # quote: per # page:`)
  const signal = header("signal")[0]
  const [send, after] = signal === undefined ? [] : signal.split(/\s+after:\s+/)
  const start = lines.findIndex((l) => l.trim() === "# Output:")
  if (start < 0) throw new Error(`${file}: no # Output: block`)
  const output = lines.slice(start + 1).filter((l) => l.startsWith("#")).map((l) => l.replace(/^# ?/, "")).join("\n")
  return {
    file,
    quotes: pagesOf.map((page, i) => ({ page, quote: quotes[i].replace(/\s+/g, " ") })),
    requires: header("requires"),
    ...(send === undefined ? {} : { signal: { send: send as NodeJS.Signals, after } }),
    exit: header("exit")[0] ?? "0",
    output
  }
}

const claims = files.map(parse)

/** Runs a claim's program: its stdout and how it ended (an exit code, or the signal that ended it). */
const run = (claim: Claim) =>
  new Promise<{ stdout: string; stderr: string; exit: string }>((resolve, reject) => {
    // -u: unbuffered, so that the line a signal waits for arrives; SIGINT as in a terminal even if
    // the test runner ignores it
    const child = spawn("python3", [
      "-u",
      "-c",
      "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); " +
      "runpy.run_path(sys.argv[1], run_name='__main__')",
      join(dir, claim.file)
    ], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    let sent = false
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`${claim.file} did not end within 30 s\n${stdout}\n${stderr}`))
    }, 30_000)
    child.stdout.on("data", (chunk) => {
      stdout += chunk
      if (claim.signal !== undefined && !sent && stdout.includes(claim.signal.after)) {
        sent = true
        child.kill(claim.signal.send)
      }
    })
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      resolve({ stdout, stderr, exit: signal ?? String(code) })
    })
  })

describe("the docs' claims about asyncio and Trio", () => {
  it("every 'as in asyncio' / 'as in Trio' on a page is backed by a claim", () => {
    const uncovered: Array<string> = []
    for (const page of pages) {
      const text = textOf(page)
      const quotes = [...claims.flatMap((c) => c.quotes), ...knownWrong]
      const spans = quotes.filter((q) => q.page === page).flatMap(({ quote }) => {
        const found: Array<[number, number]> = []
        for (let at = text.indexOf(quote); at >= 0; at = text.indexOf(quote, at + 1)) {
          found.push([at, at + quote.length])
        }
        return found
      })
      for (const match of text.matchAll(claimWords)) {
        const at = match.index!
        if (!spans.some(([from, to]) => from <= at && at + match[0].length <= to)) {
          uncovered.push(`${page}: "…${text.slice(Math.max(0, at - 60), at + 40).trim()}…"`)
        }
      }
    }
    expect(uncovered, "add a claim in docs/test/claims for each").toStrictEqual([])
  })

  it("the claims known to be wrong are still there (remove them here once the words are fixed)", () => {
    for (const { page, quote, why } of knownWrong) {
      assert.include(textOf(page), quote.replace(/\s+/g, " "), `fixed? then drop it from knownWrong (${why})`)
    }
  })

  it("every claim's words are still on its page", () => {
    const stale = claims.flatMap((c) =>
      c.quotes.filter((q) => !pages.includes(q.page) || !textOf(q.page).includes(q.quote))
        .map((q) => `${c.file}: "${q.quote}" is not on ${q.page}`)
    )
    expect(stale).toStrictEqual([])
  })

  for (const claim of claims) {
    const needsTrio = claim.requires.includes("trio")
    const needs313 = claim.requires.some((r) => /python 3\.13/.test(r))
    const version = python === undefined ? "" : `${Math.floor(python.version / 100)}.${python.version % 100}`
    const skip = python === undefined
      ? "no python3"
      : python.version < 311
      ? `needs Python 3.11, this is ${version}`
      : needs313 && python.version < 313
      ? `needs Python 3.13, this is ${version}`
      : needsTrio && !python.trio
      ? "needs trio (pip install trio)"
      : undefined
    const where = claim.quotes.map((q) => q.page).join(", ")
    it.skipIf(skip !== undefined)(
      `${claim.file} (${where})${skip ? ` — skipped: ${skip}` : ""}`,
      async () => {
        const { exit, stderr, stdout } = await run(claim)
        assert.strictEqual(exit, claim.exit, stderr)
        assert.strictEqual(stdout.trimEnd(), claim.output.trimEnd())
      },
      40_000
    )
  }
})
