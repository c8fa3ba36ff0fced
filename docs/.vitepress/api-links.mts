/**
 * Guide prose → API reference. Every public symbol written as code in a guide's prose is linked to
 * its API entry: `TaskGroup.scoped`, `Deadline.within(effect, t)`, `TaskGroup` (the namespace
 * page), `TimeoutError` (an error of the Errors module), and `group.spawn` / `task.join` (members
 * of the type the usual variable name stands for). The symbols and their URLs are the ones typedoc
 * wrote to api/symbols.json.
 *
 * A symbol that names one of our modules but no export of it (`TaskGroup.scope` after a rename, a
 * typo) is a dead symbol, and so is a link into the API reference whose anchor no entry has: the
 * build fails on either, listing them (`deadSymbols`, read by the config's buildEnd).
 *
 * Code in code blocks, in headings and inside links is left alone; `task.cancel()` is not linked to
 * a property `cancel` (a call of something that cannot be called is someone else's: asyncio's).
 */
import { existsSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"

interface Entry {
  readonly url: string
  readonly callable: boolean
}
interface Member extends Entry {
  readonly members: Record<string, Entry>
}
interface Module {
  readonly url: string
  readonly members: Record<string, Member>
}
type Symbols = Record<string, Record<string, Module>>

/** The type a variable name in the guides stands for: `group` → `TaskGroup.TaskGroup`. */
const receivers: Record<string, readonly [string, string]> = {
  group: ["TaskGroup", "TaskGroup"],
  task: ["Task", "Task"],
  queue: ["WorkQueue", "WorkQueue"],
  limiter: ["Limiter", "Limiter"],
  executor: ["Executor", "Executor"],
  event: ["Event", "Event"],
  shutdown: ["Shutdown", "Shutdown"],
  timeline: ["Timeline", "Timeline"],
  tracker: ["Progress", "Tracker"],
  probe: ["Orphans", "FinalizerProbe"],
  scope: ["Deadline", "CancelScope"]
}

/**
 * The packages a page's names belong to, in order: the async/await page speaks the promise package
 * (then the core's); every other page the Effect packages' (where `Queue` or `TimeoutError` is never
 * the promise package's).
 */
const packagesFor = (page: string, all: ReadonlyArray<string>): ReadonlyArray<string> =>
  page === "guide/from-async-await.md"
    ? ["@taskscope/promise", ...all.filter((p) => p !== "@taskscope/promise")]
    : page === "changelog.md"
    ? ["@taskscope/core", ...all.filter((p) => p !== "@taskscope/core")]
    : ["@taskscope/core", ...all.filter((p) => p !== "@taskscope/core" && p !== "@taskscope/promise")]

/** Pages about every package at once, where any package's own exports may be named (`TaskGroup.run`). */
const allPackagesPages = new Set(["changelog.md"])

/** Effect's own module names (`Runtime`, `Queue`): a name we share with Effect may be Effect's. */
const effectModules = (() => {
  try {
    const require = createRequire(import.meta.url)
    const pkg = JSON.parse(readFileSync(require.resolve("effect/package.json"), "utf8")) as {
      exports: Record<string, unknown>
    }
    return new Set(Object.keys(pkg.exports).filter((k) => /^\.\/[A-Z]/.test(k)).map((k) => k.slice(2)))
  } catch {
    return new Set<string>()
  }
})()

export const deadSymbols: Array<string> = []

export const loadSymbols = (file: URL): Symbols | undefined =>
  existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Symbols) : undefined

/** Every URL the API reference has an entry at (pages and anchors). */
const urlsOf = (symbols: Symbols): Set<string> => {
  const urls = new Set<string>()
  for (const modules of Object.values(symbols)) {
    for (const module of Object.values(modules)) {
      urls.add(module.url)
      for (const member of Object.values(module.members)) {
        urls.add(member.url)
        for (const inner of Object.values(member.members)) urls.add(inner.url)
      }
    }
  }
  return urls
}

const symbolPattern = /^([A-Za-z_$][\w$]*)((?:\.[A-Za-z_$][\w$]*)*)(\(.*\))?$/s

/**
 * Where a code span points in the API reference: a URL, `"dead"` for one of our modules' names
 * with no such export, or `undefined` for anything else (Effect's, Python's, a local variable).
 */
export const resolve = (
  symbols: Symbols,
  code: string,
  packages: ReadonlyArray<string>,
  anyPackage = false
): string | "dead" | undefined => {
  const match = symbolPattern.exec(code.trim())
  if (match === null) return undefined
  const [, head, rest, call] = match
  const path = rest === "" ? [] : rest.slice(1).split(".")

  // a bare error name: the Errors module's, in the page's order of packages
  if (path.length === 0 && call === undefined && /Error$/.test(head)) {
    for (const p of packages) {
      const error = symbols[p]?.Errors?.members[head]
      if (error !== undefined) return error.url
    }
  }

  // `Module.member`: a namespace of ours (`TaskGroup.scoped`), or a package's own export with
  // members (the promise package's `TaskGroup.run`), package by package in the page's order
  // (a package's top-level exports only on its own pages: elsewhere `TimeoutError` or `Queue` is
  // the page's own package's, or Python's)
  let ours = false
  for (const p of packages) {
    const value = /^[A-Z]/.test(head) && (anyPackage || p === packages[0]) ? symbols[p]?.[""]?.members[head] : undefined
    const module = symbols[p]?.[head]
    if (value === undefined && module === undefined) continue
    ours = true
    if (path.length === 0) return call === undefined ? (value ?? module)!.url : undefined
    const [first, second] = path
    // the value's own members, the module's exports, a type in the namespace beside a value of
    // the module's name (`Executor.Options`), then a field the module's types share (`TaskResult.attempts`)
    const member: Entry | Member | undefined = value?.members[first] ?? module?.members[first] ??
      module?.members[head]?.members[first]
    if (member !== undefined) {
      if (path.length === 1) return member.url
      const inner = "members" in member ? (member as Member).members[second] : undefined
      if (path.length === 2 && inner !== undefined) return inner.url
      continue
    }
    if (path.length === 1 && module !== undefined) {
      const holder = Object.values(module.members).find((m) => m.members[first] !== undefined)
      if (holder !== undefined) return holder.members[first].url
    }
  }
  // one of Effect's modules by the same name (`Runtime.runFork`, `Queue.bounded`) is not ours
  if (ours) return effectModules.has(head) ? undefined : "dead"

  const receiver = receivers[head]
  if (receiver !== undefined && path.length === 1) {
    for (const p of packages) {
      const type = (p === packages[0] ? symbols[p]?.[""]?.members[receiver[1]] : undefined) ??
        symbols[p]?.[receiver[0]]?.members[receiver[1]]
      const member = type?.members[path[0]]
      if (member !== undefined && (call === undefined || member.callable)) return member.url
    }
    return undefined
  }

  // on the async/await page, the promise package's functions
  if (path.length === 0 && packages[0] === "@taskscope/promise") {
    const fn = symbols[packages[0]]?.[""]?.members[head]
    if (fn !== undefined) return fn.url
  }
  return undefined
}

interface Token {
  type: string
  tag: string
  content: string
  children: Array<Token> | null
  attrGet(name: string): string | null
  attrSet(name: string, value: string): void
}
interface State {
  tokens: Array<Token>
  env: { relativePath?: string }
  Token: new(type: string, tag: string, nesting: number) => Token
}
interface Md {
  core: { ruler: { push(name: string, rule: (state: State) => void): void } }
}

/** The markdown-it plugin: links code spans in the guides' prose, and records dead symbols and anchors. */
export const apiLinks = (symbols: Symbols | undefined) => (md: Md) => {
  if (symbols === undefined) return
  const known = urlsOf(symbols)
  const all = Object.keys(symbols)
  md.core.ruler.push("taskscope-api-links", (state) => {
    const page = state.env.relativePath ?? ""
    if (page.startsWith("api/")) return
    const packages = packagesFor(page, all)
    const anyPackage = allPackagesPages.has(page)
    let inHeading = false
    for (const block of state.tokens) {
      if (block.type === "heading_open") inHeading = true
      if (block.type === "heading_close") inHeading = false
      if (block.type !== "inline" || block.children === null) continue
      const out: Array<Token> = []
      let linkDepth = 0
      for (const token of block.children) {
        if (token.type === "link_open") {
          linkDepth++
          const href = token.attrGet("href") ?? ""
          if (href.startsWith("/api/")) {
            const target = href.replace(/\.(html|md)(?=#|$)/, "")
            if (target.includes("#") && !known.has(target)) {
              deadSymbols.push(`${page}: a link to ${href}, which the API reference has no entry for`)
            }
          }
        }
        if (token.type === "link_close") linkDepth--
        if (token.type === "code_inline" && linkDepth === 0 && !inHeading) {
          const url = resolve(symbols, token.content, packages, anyPackage)
          if (url === "dead") {
            deadSymbols.push(`${page}: \`${token.content}\` names no export of the API reference`)
          } else if (url !== undefined) {
            const open = new state.Token("link_open", "a", 1)
            open.attrSet("href", url)
            open.attrSet("class", "api-link")
            out.push(open, token, new state.Token("link_close", "a", -1))
            continue
          }
        }
        out.push(token)
      }
      block.children = out
    }
  })
}
