// Taskscope benchmarks: Taskscope and its peers measured in the same process, case by case.
// Usage: node --expose-gc bench/src/run.mjs [--quick] [--only 1,5,8]
// Results: bench/results/latest.{md,json} (quick.* with --quick; none with --only).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { cpus, loadavg } from "node:os"
import { case1, case2, case3, case4, case5, case6 } from "./cases.mjs"
import { case8 } from "./deadline.mjs"
import { makeHarness } from "./harness.mjs"
import { case7, redisServer } from "./redis.mjs"
import { compare, markdown } from "./report.mjs"

const args = process.argv.slice(2)
const quick = args.includes("--quick")
const onlyAt = args.indexOf("--only")
const only = onlyAt >= 0 ? new Set((args[onlyAt + 1] ?? "").split(",").map(Number)) : undefined
const cases = { 1: case1, 2: case2, 3: case3, 4: case4, 5: case5, 6: case6, 7: undefined, 8: case8 }
if (only !== undefined && ([...only].some((n) => !(n in cases)) || only.size === 0)) {
  process.stderr.write(`--only takes case numbers among ${Object.keys(cases).join(", ")}, e.g. --only 1,5\n`)
  process.exit(2)
}
for (const a of args) {
  if (a.startsWith("--") && a !== "--quick" && a !== "--only") {
    process.stderr.write(`unknown option ${a} (known: --quick, --only N[,N…])\n`)
    process.exit(2)
  }
}
if (globalThis.gc === undefined) {
  process.stderr.write("run with node --expose-gc (pnpm bench does): memory and timings need a GC between samples\n")
  process.exit(2)
}
const wanted = (n) => only === undefined || only.has(n)
// quick: about a twentieth of the work, a smoke test (never a pass/fail timing)
const scale = quick ? 0.05 : 1
const h = makeHarness({ quick })

const started = performance.now()
// the 1-minute load average before and after: above the core count, something else was running
const loadStart = loadavg()[0]
const cpu = `${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}`
process.stderr.write(`Taskscope benchmarks${quick ? " (quick)" : ""}: node ${process.version}, ${cpu}\n`)
const timed = async (n, f) => {
  const start = performance.now()
  await f()
  process.stderr.write(`  (case ${n}: ${Math.round((performance.now() - start) / 1000)} s)\n`)
}
for (const n of [1, 2, 3, 4, 5, 6]) if (wanted(n)) await timed(n, () => cases[n]({ h, quick, scale }))
if (wanted(7)) {
  await timed(7, async () => {
    const server = await redisServer()
    if (server === undefined) {
      process.stderr.write("  7. skipped: no redis-server (install Debian's redis-server, or set REDIS_URL)\n")
    } else {
      try {
        await case7({ measure: h.measure, quick, url: server.url })
      } finally {
        await server.stop()
      }
    }
  })
}
if (wanted(8)) await timed(8, () => case8({ h, quick }))

const version = (pkg) =>
  JSON.parse(readFileSync(new URL(`../node_modules/${pkg}/package.json`, import.meta.url), "utf8")).version
const meta = {
  date: new Date().toISOString(),
  quick,
  node: process.version,
  cpu,
  versions: Object.fromEntries(
    ["effect", "p-limit", "p-queue", "bottleneck", "bullmq", "ioredis", "tinybench"].map((p) => [p, version(p)])
  ),
  samples: h.samples,
  warmups: h.warmups,
  seconds: Math.round((performance.now() - started) / 1000),
  load: { start: Number(loadStart.toFixed(2)), end: Number(loadavg()[0].toFixed(2)) }
}
const targets = compare(h.rows)
const report = markdown({ meta, rows: h.rows, notes: h.notes, targets })
if (only === undefined) {
  const name = quick ? "quick" : "latest"
  mkdirSync(new URL("../results/", import.meta.url), { recursive: true })
  writeFileSync(new URL(`../results/${name}.md`, import.meta.url), report)
  writeFileSync(
    new URL(`../results/${name}.json`, import.meta.url),
    JSON.stringify({ meta, targets, results: h.rows, notes: Object.fromEntries(h.notes) }, null, 2) + "\n"
  )
}
process.stdout.write(report)
