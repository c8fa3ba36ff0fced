import { existsSync, readFileSync } from "node:fs"
import { defineConfig } from "vitepress"
import { twoslash } from "./twoslash.mjs"

// the API sidebar written by typedoc-vitepress-theme
const apiSidebar = existsSync(new URL("../api/typedoc-sidebar.json", import.meta.url))
  ? JSON.parse(readFileSync(new URL("../api/typedoc-sidebar.json", import.meta.url), "utf8"))
  : []

const guide = [
  {
    text: "Start",
    items: [
      { text: "Getting started", link: "/guide/getting-started" },
      { text: "Structured concurrency", link: "/guide/concepts" },
      { text: "Coming from asyncio / Trio", link: "/guide/asyncio" }
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
      { text: "Scaling out (Redis)", link: "/guide/scaling-out" },
      { text: "The price fetcher", link: "/guide/price-fetcher" },
      { text: "Benchmarks", link: "/benchmarks" }
    ]
  }
]

export default defineConfig({
  title: "Taskscope",
  description: "Structured concurrency for TypeScript on Effect 3",
  cleanUrls: true,
  head: [["link", { rel: "icon", type: "image/svg+xml", href: "/favicon.svg" }]],
  vite: { build: { chunkSizeWarningLimit: 4000 } },
  lastUpdated: false,
  markdown: { codeTransformers: [twoslash()] },
  themeConfig: {
    nav: [
      { text: "Guide", link: "/guide/getting-started" },
      { text: "asyncio → Taskscope", link: "/guide/asyncio" },
      { text: "API", link: "/api/" },
      { text: "Benchmarks", link: "/benchmarks" }
    ],
    search: { provider: "local" },
    sidebar: {
      "/guide/": guide,
      "/benchmarks": guide,
      "/api/": [{ text: "API reference", items: apiSidebar }]
    },
    outline: [2, 3]
  }
})
