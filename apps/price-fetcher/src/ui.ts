/**
 * Terminal output: the live table, plain log lines, and the summary. Every line fits the terminal's
 * width: counters are broken between items (never inside one), anything else too long is cut.
 */
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

/** Cuts a line to `width` characters (the last one an ellipsis). */
export const fit = (line: string, width: number): string =>
  line.length <= width ? line : line.slice(0, Math.max(0, width - 1)) + "…"

/**
 * Joins `items` with " · " into lines of at most `width` characters, breaking only between items;
 * continuation lines start with `indent`.
 */
export const wrap = (items: ReadonlyArray<string>, width: number, indent = "", first = indent): Array<string> => {
  const lines: Array<string> = []
  let line = first
  let empty = true
  for (const item of items) {
    const candidate = empty ? line + item : `${line} · ${item}`
    if (candidate.length <= width || empty) {
      line = candidate
    } else {
      lines.push(line)
      line = indent + item
    }
    empty = false
  }
  if (!empty) lines.push(line)
  return lines.map((l) => fit(l, width))
}

const counterItems = (stats: Stats) => [
  `requests ${stats.requests}`,
  `retries ${stats.retries}`,
  `429s ${stats.rateLimited}`,
  `timeouts ${stats.timeouts}`,
  `errors ${stats.errors}`,
  `hedged ${stats.hedges}`
]

export interface Frame {
  readonly table: Table
  readonly stats: Stats
  readonly now: number
  readonly elapsedMs: number
  readonly config: Config
  /** "stopping… (Ctrl-C again to force)" once shutdown was requested. */
  readonly status: string
  /** What went wrong and what recovered, newest last. */
  readonly alerts: ReadonlyArray<string>
  readonly width: number
}

/** The live table: symbol × exchange, last price, its age, the spread in basis points, and the counters. */
export const renderTable = (f: Frame): string => {
  const { stats, table, width } = f
  const header = `${"symbol".padEnd(8)}${exchangeNames.map((e) => e.padStart(14)).join("")}${"age".padStart(8)}${
    "spread".padStart(10)
  }`
  const rows = f.config.symbols.map((symbol) => {
    const row = table.get(symbol) ?? {}
    const cells = exchangeNames.map((e) => (row[e] === undefined ? "—" : fmt(row[e]!.price)).padStart(14)).join("")
    const newest = Math.max(...exchangeNames.map((e) => row[e]?.at ?? 0))
    const age = newest === 0 ? "—" : `${((f.now - newest) / 1000).toFixed(1)}s`
    const spread = spreadOf(row)
    return `${symbol.padEnd(8)}${cells}${age.padStart(8)}${
      (spread === undefined ? "—" : `${spread.toFixed(1)}bp`).padStart(10)
    }`
  })
  const counters = wrap(
    [
      `round ${stats.rounds}`,
      `${(f.elapsedMs / 1000).toFixed(0)}s`,
      ...counterItems(stats),
      `in flight ${stats.inFlight}`,
      `saved ${stats.fetched}`
    ],
    width
  )
  return [
    fit(`Taskscope price fetcher — ${f.status}`, width),
    "",
    fit(header, width),
    ...rows.map((r) => fit(r, width)),
    "",
    ...counters,
    ...f.alerts.slice(-4).map((a) => fit(`! ${a}`, width))
  ].join("\n")
}

/** One line per round when the output is not a terminal. */
export const renderRound = (round: number, stats: Stats, width: number): string =>
  wrap([`saved ${stats.fetched} prices`, ...counterItems(stats)], width, "  ", `round ${round}: `).join("\n")

export interface Summary {
  /** This run's id, also on every line it wrote. */
  readonly run: string
  readonly rounds: number
  /** Whole lines this run wrote to the file. */
  readonly fetched: number
  readonly requests: number
  readonly retries: number
  readonly rateLimited: number
  readonly timeouts: number
  readonly errors: number
  readonly hedges: number
  /** Times the process was frozen long enough to pause the exchanges (see the fetcher's stall guard). */
  readonly stalls: number
  readonly file: string
  readonly elapsedMs: number
  readonly reason: string
  /** What went wrong (an exchange unreachable, Redis lost...), one line each. */
  readonly problems: ReadonlyArray<string>
  readonly server?: Record<ExchangeName, ExchangeCounters>
}

export const renderSummary = (s: Summary, width: number): string => {
  const lines = [
    fit(`Summary (${s.reason}, ${(s.elapsedMs / 1000).toFixed(1)}s, run ${s.run})`, width),
    ...wrap([`rounds ${s.rounds}`, `prices saved ${s.fetched} → ${s.file}`], width, "  ", "  "),
    ...wrap(
      [
        `requests ${s.requests}`,
        `retries ${s.retries}`,
        `429s ${s.rateLimited}`,
        `timeouts ${s.timeouts}`,
        `errors ${s.errors}`,
        `hedged ${s.hedges}`,
        ...(s.stalls > 0 ? [`stalls ${s.stalls}`] : [])
      ],
      width,
      "  ",
      "  "
    )
  ]
  if (s.server !== undefined) lines.push(renderServerCounters(s.server, width))
  return lines.join("\n")
}

export const renderServerCounters = (server: Record<ExchangeName, ExchangeCounters>, width: number): string => {
  const lines = ["  mock exchange (server-side counts):"]
  for (const name of exchangeNames) {
    const c = server[name]
    lines.push(
      ...wrap(
        [
          `requests ${c.requests}`,
          `max ${c.maxPerSecond}/s of ${c.limit}/s`,
          `breaches ${c.breaches}`,
          `during Retry-After ${c.duringPause}`,
          `injected 429 ${c.injected429}`,
          `5xx ${c.injected5xx}`,
          `malformed ${c.malformed}`,
          `hangs ${c.hangs}`,
          `dropped ${c.dropped}`,
          ...(c.lateReads > 0 ? [`read late ${c.lateReads}`] : [])
        ],
        width,
        " ".repeat(14),
        `    ${name.padEnd(10)}`
      )
    )
  }
  return lines.join("\n")
}
