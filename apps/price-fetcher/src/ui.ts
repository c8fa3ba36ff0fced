/** Terminal output: the live table, plain log lines, and the summary. */
import type { Config } from "./config.js"
import { type ExchangeName, exchangeNames } from "./exchanges.js"
import type { Stats, Table } from "./fetcher.js"
import type { ExchangeCounters } from "./server.js"

const fmt = (n: number) => (n >= 100 ? n.toFixed(2) : n >= 1 ? n.toFixed(3) : n.toFixed(5))

export const spreadOf = (row: Partial<Record<ExchangeName, { price: number }>>): number | undefined => {
  const prices = exchangeNames.map((e) => row[e]?.price).filter((p): p is number => p !== undefined)
  if (prices.length < 2) return undefined
  const min = Math.min(...prices), max = Math.max(...prices)
  return ((max - min) / min) * 10_000
}

/** The live table: symbol × exchange, last price, its age, the spread in basis points, and the counters. */
export const renderTable = (table: Table, stats: Stats, now: number, elapsedMs: number, config: Config): string => {
  const header = `${"symbol".padEnd(8)}${exchangeNames.map((e) => e.padStart(14)).join("")}${"age".padStart(8)}${
    "spread".padStart(10)
  }`
  const rows = config.symbols.map((symbol) => {
    const row = table.get(symbol) ?? {}
    const cells = exchangeNames.map((e) => (row[e] === undefined ? "—" : fmt(row[e]!.price)).padStart(14)).join("")
    const newest = Math.max(...exchangeNames.map((e) => row[e]?.at ?? 0))
    const age = newest === 0 ? "—" : `${((now - newest) / 1000).toFixed(1)}s`
    const spread = spreadOf(row)
    return `${symbol.padEnd(8)}${cells}${age.padStart(8)}${
      (spread === undefined ? "—" : `${spread.toFixed(1)}bp`).padStart(10)
    }`
  })
  const counters = `round ${stats.rounds}  ·  ${
    (elapsedMs / 1000).toFixed(0)
  }s  ·  requests ${stats.requests}  ·  retries ${stats.retries}  ·  429s ${stats.rateLimited}  ·  timeouts ${stats.timeouts}  ·  hedges ${stats.hedges}  ·  in flight ${stats.inFlight}  ·  saved ${stats.fetched}`
  return ["Taskscope price fetcher — Ctrl-C to stop", "", header, ...rows, "", counters].join("\n")
}

export interface Summary {
  readonly rounds: number
  readonly fetched: number
  readonly requests: number
  readonly retries: number
  readonly rateLimited: number
  readonly timeouts: number
  readonly errors: number
  readonly hedges: number
  readonly file: string
  readonly elapsedMs: number
  readonly reason: string
  readonly server?: Record<ExchangeName, ExchangeCounters>
}

export const renderSummary = (s: Summary): string => {
  const lines = [
    `Summary (${s.reason}, ${(s.elapsedMs / 1000).toFixed(1)}s)`,
    `  rounds ${s.rounds} · prices saved ${s.fetched} → ${s.file}`,
    `  requests ${s.requests} · retries ${s.retries} · 429s ${s.rateLimited} · timeouts ${s.timeouts} · errors ${s.errors} · hedged ${s.hedges}`
  ]
  if (s.server !== undefined) lines.push(renderServerCounters(s.server))
  return lines.join("\n")
}

export const renderServerCounters = (server: Record<ExchangeName, ExchangeCounters>): string => {
  const lines = ["  mock exchange (server-side counts):"]
  for (const name of exchangeNames) {
    const c = server[name]
    lines.push(
      `    ${name.padEnd(9)} requests ${
        String(c.requests).padStart(5)
      } · max ${c.maxPerSecond}/s of ${c.limit}/s · breaches ${c.breaches} · during Retry-After ${c.duringPause} · injected 429 ${c.injected429}, 5xx ${c.injected5xx}, malformed ${c.malformed}, hangs ${c.hangs}, dropped ${c.dropped}`
    )
  }
  return lines.join("\n")
}
