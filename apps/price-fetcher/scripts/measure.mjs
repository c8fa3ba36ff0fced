#!/usr/bin/env node
// Measures what the price fetcher promises, over many real runs of the built binary, and prints the
// exchange's own counts. Takes minutes, so it is not part of `pnpm test` (the e2e suite runs a short
// version). Usage, from the repository root after `pnpm exec tsc -b`:
//
//   node apps/price-fetcher/scripts/measure.mjs interrupted 20   # 20 runs, heavy faults, SIGINT/SIGTERM at random moments
//   node apps/price-fetcher/scripts/measure.mjs long 5 30        # 5 runs of 30 s each, heavy faults
//   node apps/price-fetcher/scripts/measure.mjs fleet 20 4       # 20 times: 4 fetchers sharing limits on Redis
//   node apps/price-fetcher/scripts/measure.mjs all
//
// Every run must: exit 0; save exactly the prices it reported, once each, whole lines; and the
// exchange must count 0 breaches of its limits and 0 requests during a Retry-After it sent.
import { startRedis } from "@taskscope/test-support"
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url))
const dir = mkdtempSync(join(tmpdir(), "price-fetcher-measure-"))

const run = (args, { signalAfterMs, signalAfterPrices, signal = "SIGINT", onLine } = {}) =>
  new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(process.execPath, [main, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    let stdout = "", stderr = "", signalledAt
    if (signalAfterMs !== undefined) {
      setTimeout(() => {
        signalledAt = Date.now()
        child.kill(signal)
      }, signalAfterMs)
    }
    child.stdout.on("data", (c) => {
      stdout += c
      if (onLine !== undefined) onLine(stdout)
      if (
        signalAfterPrices !== undefined && signalledAt === undefined &&
        (stdout.match(/"fetched"/g) ?? []).length >= signalAfterPrices
      ) {
        signalledAt = Date.now()
        child.kill(signal)
      }
    })
    child.stderr.on("data", (c) => (stderr += c))
    child.on("exit", (code) => {
      const now = Date.now()
      resolve({
        code,
        stdout,
        stderr,
        wallMs: now - started,
        afterSignalMs: signalledAt === undefined ? undefined : now - signalledAt
      })
    })
  })

const lines = (text) => text.split("\n").filter((l) => l.length > 0)
const json = (text) => lines(text).flatMap((l) => (l.startsWith("{") ? [JSON.parse(l)] : []))

/** Checks one fetcher's run; returns its problems (empty when every promise held). */
const check = (r, file) => {
  const problems = []
  const out = json(r.stdout)
  const summary = out.find((o) => o.summary !== undefined)?.summary
  if (r.code !== 0) {
    const about = summary === undefined
      ? ""
      : ` (${summary.reason}, rounds ${summary.rounds}, requests ${summary.requests}, errors ${summary.errors}, ` +
        `${summary.elapsedMs} ms)`
    problems.push(`exit ${r.code}: ${r.stderr.trim().split("\n").join(" / ")}${about}`)
  }
  if (summary === undefined) return [...problems, "no summary"]
  let saved = []
  try {
    saved = lines(readFileSync(file, "utf8")).map((l) => JSON.parse(l))
  } catch (e) {
    problems.push(`file: ${e.message}`)
  }
  const ids = saved.map((p) => p.id)
  const reported = out.filter((o) => o.fetched !== undefined).map((o) => o.fetched.id)
  if (new Set(ids).size !== ids.length) problems.push("a price saved twice")
  if (summary.fetched !== saved.length) problems.push(`summary says ${summary.fetched}, file has ${saved.length}`)
  if ([...reported].sort().join() !== [...ids].sort().join()) problems.push("reported and saved prices differ")
  return problems
}

const serverProblems = (server) =>
  Object.entries(server).flatMap(([name, c]) => [
    ...(c.breaches > 0 ? [`${name}: ${c.breaches} breaches (max ${c.maxPerSecond}/s of ${c.limit}/s)`] : []),
    ...(c.duringPause > 0 ? [`${name}: ${c.duringPause} requests during a Retry-After`] : [])
  ])

const totals = () => ({
  runs: 0,
  failed: 0,
  requests: 0,
  breaches: 0,
  duringPause: 0,
  injected429: 0,
  hangs: 0,
  lateReads: 0,
  // requests the app counted against those the exchange received
  counted: 0
})
const add = (t, server) => {
  for (const c of Object.values(server)) {
    t.requests += c.requests
    t.breaches += c.breaches
    t.duringPause += c.duringPause
    t.injected429 += c.injected429
    t.hangs += c.hangs
    t.lateReads += c.lateReads ?? 0
  }
}
const report = (name, t, extra = "") =>
  console.log(
    `${name}: ${
      t.runs - t.failed
    }/${t.runs} runs held every promise · ${t.requests} requests counted by the exchange · ` +
      `breaches ${t.breaches} · during Retry-After ${t.duringPause} · injected 429s ${t.injected429} · hangs ${t.hangs} · ` +
      `read late (not judged) ${t.lateReads} · requests the fetchers counted ${t.counted}${extra}`
  )

const interrupted = async (n) => {
  const t = totals()
  const afterSignal = []
  for (let i = 0; i < n; i++) {
    const file = join(dir, `interrupted-${i}.jsonl`)
    const grace = 2000
    const r = await run(
      ["--json", "--faults", "heavy", "--seed", String(1000 + i), "--grace", `${grace}ms`, "--out", file],
      // at a random moment of the run: after 1 to 120 prices (up to a few rounds in)
      { signalAfterPrices: 1 + Math.floor(Math.random() * 120), signal: i % 2 === 0 ? "SIGINT" : "SIGTERM" }
    )
    const problems = check(r, file)
    const summary = json(r.stdout).find((o) => o.summary !== undefined)?.summary
    if (summary?.server !== undefined) {
      add(t, summary.server)
      problems.push(...serverProblems(summary.server))
    }
    t.counted += summary?.requests ?? 0
    if (r.afterSignalMs !== undefined && r.afterSignalMs > grace + 1500) {
      problems.push(`exit ${r.afterSignalMs} ms after the signal (grace ${grace} ms)`)
    }
    afterSignal.push(r.afterSignalMs)
    t.runs++
    if (problems.length > 0) {
      t.failed++
      console.log(`  run ${i}: ${problems.join("; ")}`)
    }
  }
  const signalled = afterSignal.filter((ms) => ms !== undefined)
  report(
    `${n} interrupted runs (heavy faults, --grace 2s)`,
    t,
    ` · signalled ${signalled.length} · signal to exit: max ${Math.max(...signalled)} ms, median ${
      signalled.sort((a, b) => a - b)[signalled.length >> 1]
    } ms`
  )
  return t.failed === 0 && t.breaches === 0 && t.duringPause === 0
}

const long = async (n, seconds) => {
  const t = totals()
  for (let i = 0; i < n; i++) {
    const file = join(dir, `long-${i}.jsonl`)
    const r = await run([
      "--json",
      "--faults",
      "heavy",
      "--seed",
      String(2000 + i),
      "--duration",
      `${seconds}s`,
      "--out",
      file
    ])
    const problems = check(r, file)
    const summary = json(r.stdout).find((o) => o.summary !== undefined)?.summary
    if (summary?.server !== undefined) {
      add(t, summary.server)
      problems.push(...serverProblems(summary.server))
    }
    t.counted += summary?.requests ?? 0
    t.runs++
    if (problems.length > 0) {
      t.failed++
      console.log(`  run ${i}: ${problems.join("; ")}`)
    }
  }
  report(`${n} runs of ${seconds} s (heavy faults)`, t)
  return t.failed === 0 && t.breaches === 0 && t.duringPause === 0
}

const fleet = async (n, processes) => {
  // ready when it says so (a fixed wait was a race on a busy machine)
  const redis = await startRedis()
  const port = redis.port
  const t = totals()
  try {
    for (let i = 0; i < n; i++) {
      // the exchange in a process of its own, as in the scaling-out guide
      let url
      const exchange = spawn(process.execPath, [
        main,
        "--serve-exchange",
        "--json",
        "--faults",
        "light",
        "--seed",
        String(i)
      ], {
        stdio: ["ignore", "pipe", "pipe"]
      })
      let exchangeOut = ""
      await new Promise((resolve) =>
        exchange.stdout.on("data", (c) => {
          exchangeOut += c
          const first = json(exchangeOut)[0]
          if (first?.exchange !== undefined && url === undefined) {
            url = first.exchange
            resolve()
          }
        })
      )
      const results = await Promise.all(Array.from({ length: processes }, (_, p) => {
        const file = join(dir, `fleet-${i}-${p}.jsonl`)
        return run([
          "--exchange",
          url,
          "--redis",
          `redis://127.0.0.1:${port}`,
          "--json",
          "--symbols",
          "BTC,ETH,SOL,XRP",
          "--rounds",
          "3",
          "--interval",
          "10ms",
          "--out",
          file
        ]).then((r) => ({ r, file }))
      }))
      const exited = new Promise((resolve) => exchange.on("exit", resolve))
      exchange.kill("SIGINT")
      await exited
      const server = json(exchangeOut).find((o) => o.server !== undefined)?.server ?? {}
      add(t, server)
      for (const { r } of results) {
        t.counted += json(r.stdout).find((o) => o.summary !== undefined)?.summary?.requests ?? 0
      }
      const problems = [...results.flatMap(({ file, r }) => check(r, file)), ...serverProblems(server)]
      t.runs++
      if (problems.length > 0) {
        t.failed++
        console.log(`  run ${i}: ${problems.join("; ")}`)
      }
    }
  } finally {
    await redis.stop()
  }
  report(`${n} runs of ${processes} fetchers sharing limits on Redis`, t)
  return t.failed === 0 && t.breaches === 0 && t.duringPause === 0
}

const [what = "all", a, b] = process.argv.slice(2)
let ok = true
if (what === "interrupted" || what === "all") ok = (await interrupted(Number(a ?? 20))) && ok
if (what === "long" || what === "all") {
  ok = (await long(Number((what === "all" ? undefined : a) ?? 5), Number(b ?? 30))) && ok
}
if (what === "fleet" || what === "all") {
  ok = (await fleet(Number((what === "all" ? undefined : a) ?? 20), Number(b ?? 4))) && ok
}
rmSync(dir, { recursive: true, force: true })
process.exit(ok ? 0 : 1)
