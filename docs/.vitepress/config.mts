import { execFileSync } from "node:child_process"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { type DefaultTheme, defineConfig } from "vitepress"
import { apiLinks, deadSymbols, loadSymbols } from "./api-links.mjs"
import { tableLabels } from "./table-labels.mjs"
import { twoslash } from "./twoslash.mjs"

const read = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8"))

// the version and repository of @taskscope/core, shown in the nav
const core = read("../../packages/core/package.json")
const repository: string = (typeof core.repository === "object" ? core.repository.url : core.repository ?? "")
  .replace(/^git\+/, "")
  .replace(/\.git$/, "") || "https://github.com/taskscope/taskscope"

const root = new URL("../../", import.meta.url)

/**
 * The repository files a page is made from, for its edit link and its last-updated date: a guide
 * is its own markdown file; an API page is its module's source (`api/core/namespaces/TaskGroup.md`
 * → `packages/core/src/TaskGroup.ts`); the Changelog is the changesets and CHANGELOG files.
 */
const sourcesOf = (page: string): Array<string> => {
  const api = /^api\/([\w-]+)\/(?:namespaces\/([\w]+?)(?:-\d+)?|index)\.md$/.exec(page)
  if (api !== null) return [`packages/${api[1]}/src/${api[2] ?? "index"}.ts`]
  if (page === "api/index.md") return ["packages"]
  if (page === "guide/recipes.md") return ["examples/src", "examples/README.md"]
  if (page === "changelog.md") {
    return [".changeset", ...readdirSync(new URL("packages/", root)).map((p) => `packages/${p}/CHANGELOG.md`)]
  }
  return [`docs/${page}`]
}

/** The time of the last commit that touched these files (git's), or undefined outside a clone. */
const lastCommit = (files: ReadonlyArray<string>): number | undefined => {
  try {
    const out = execFileSync("git", ["log", "-1", "--format=%at", "--", ...files], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"]
    }).trim()
    return out === "" ? undefined : Number(out) * 1000
  } catch {
    return undefined
  }
}

// the API sidebar written by typedoc-vitepress-theme, one entry per package with its namespaces
type Item = DefaultTheme.SidebarItem
const apiSidebar: Array<Item> = existsSync(new URL("../api/typedoc-sidebar.json", import.meta.url))
  ? (read("../api/typedoc-sidebar.json") as Array<Item>).map((pkg, i) => ({
    ...pkg,
    collapsed: i > 0,
    items: (pkg.items ?? []).flatMap((group) => group.text === "Namespaces" ? group.items ?? [] : [group])
  }))
  : []

const guide: Array<Item> = [
  {
    text: "Start",
    items: [
      { text: "Getting started", link: "/guide/getting-started" },
      { text: "Structured concurrency", link: "/guide/concepts" },
      { text: "Coming from asyncio / Trio", link: "/guide/asyncio" },
      { text: "Cheat sheet", link: "/guide/cheat-sheet" },
      { text: "From plain Effect", link: "/guide/from-effect" },
      { text: "From async/await", link: "/guide/from-async-await" }
    ]
  },
  {
    text: "Modules",
    items: [
      { text: "TaskGroup and Task", link: "/guide/task-group" },
      { text: "Concurrent", link: "/guide/concurrent" },
      { text: "Deadline", link: "/guide/deadline" },
      { text: "Retry", link: "/guide/retry" },
      { text: "Limiter", link: "/guide/limiter" },
      { text: "WorkQueue", link: "/guide/work-queue" },
      { text: "Event", link: "/guide/event" },
      { text: "Executor", link: "/guide/executor" },
      { text: "Shutdown", link: "/guide/shutdown" },
      { text: "Timeline", link: "/guide/timeline" },
      { text: "Progress", link: "/guide/progress" },
      { text: "Offload", link: "/guide/offload" }
    ]
  },
  {
    text: "More",
    items: [
      { text: "Testing", link: "/guide/testing" },
      { text: "Inspecting a running program", link: "/guide/inspect" },
      { text: "Recipes: the asyncio programs", link: "/guide/recipes" },
      { text: "Scaling out (Redis)", link: "/guide/scaling-out" },
      { text: "The price fetcher", link: "/guide/price-fetcher" },
      { text: "FAQ and troubleshooting", link: "/guide/faq" },
      { text: "Runtimes", link: "/guide/runtimes" },
      { text: "Benchmarks", link: "/benchmarks" },
      { text: "Changelog", link: "/changelog" }
    ]
  }
]

export default defineConfig({
  title: "Taskscope",
  description: "Structured concurrency for TypeScript on Effect 3",
  cleanUrls: true,
  head: [["link", { rel: "icon", type: "image/svg+xml", href: "/favicon.svg" }]],
  // parts/ holds markdown partials imported by pages (the home page's example), not pages
  srcExclude: ["parts/**", "README.md"],
  vite: { build: { chunkSizeWarningLimit: 4000 } },
  // the date of the last commit to the page's sources (transformPageData), shown under each page
  lastUpdated: true,
  markdown: {
    codeTransformers: [twoslash()],
    // guide prose links every public symbol to its API entry (api/symbols.json, written by typedoc)
    config: (md) => {
      md.use(apiLinks(loadSymbols(new URL("../api/symbols.json", import.meta.url))))
      md.use(tableLabels)
    }
  },
  buildEnd() {
    const dead = [...new Set(deadSymbols)]
    if (dead.length > 0) {
      throw new Error(`Dead API symbols in the guides (rename them, or fix the API):\n${dead.join("\n")}`)
    }
  },
  // API pages get their own class: their signatures and the doc comments' examples wrap
  transformPageData(pageData) {
    if (pageData.relativePath.startsWith("api/")) {
      pageData.frontmatter.pageClass = [pageData.frontmatter.pageClass, "api-page"].filter(Boolean).join(" ")
    }
    // generated pages (the API reference, the Changelog) are dated by the files they are made from
    const sources = sourcesOf(pageData.relativePath)
    const when = lastCommit(sources)
    if (when !== undefined) pageData.lastUpdated = when
    // and edited there (the edit link's pattern runs in the browser: it reads this, nothing else)
    pageData.frontmatter.editUrl = `${repository}/edit/main/${sources[0]}`
  },
  themeConfig: {
    // not a VitePress option: read by pages (the benchmarks link to bench/README.md)
    ...({ repository } as {}),
    nav: [
      { text: "Guide", link: "/guide/getting-started", activeMatch: "^/guide/(?!asyncio)" },
      { text: "From asyncio / Trio", link: "/guide/asyncio" },
      { text: "API", link: "/api/", activeMatch: "^/api/" },
      { text: "Benchmarks", link: "/benchmarks" },
      {
        text: `v${core.version}`,
        items: [
          { text: "Changelog", link: "/changelog" },
          { text: "Runtimes", link: "/guide/runtimes" },
          { text: "Effect 3 (effect ^3.22)", link: "https://effect.website" },
          { text: "Repository", link: repository }
        ]
      }
    ],
    socialLinks: [{ icon: "github", link: repository, ariaLabel: "Taskscope's repository" }],
    // "Edit this page" opens the file the page is made from: a guide's markdown, an API page's source
    editLink: {
      pattern: ({ frontmatter }) => String(frontmatter.editUrl ?? ""),
      text: "Edit this page"
    },
    lastUpdated: { text: "Last updated", formatOptions: { dateStyle: "medium" } },
    search: {
      provider: "local",
      options: {
        // API pages: their h4–h6 (Call Signature, Parameters, Returns …) are not search sections
        _render(src, env, md) {
          const html = md.render(src, env)
          return env.relativePath.startsWith("api/")
            ? html.replace(/<h([4-6])[^>]*>([\s\S]*?)<\/h\1>/g, "<p>$2</p>")
            : html
        },
        miniSearch: {
          searchOptions: {
            // guides before the API reference; an API page's own title before its members
            boostDocument: (id: string, _term: string, stored?: Record<string, unknown>) =>
              !id.startsWith("/api/")
                ? 2
                : Array.isArray(stored?.titles) && stored.titles.length > 1
                ? 0.25
                : 0.6
          }
        }
      }
    },
    sidebar: {
      "/guide/": guide,
      "/benchmarks": guide,
      "/changelog": guide,
      "/api/": [{ text: "API reference", link: "/api/", items: apiSidebar }]
    },
    outline: [2, 3],
    footer: {
      message: `Taskscope v${core.version} · MIT · every example on this site is a file the test suite runs`
    }
  }
})
