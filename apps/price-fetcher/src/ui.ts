/**
 * What the user sees. On a terminal, the live table: repainted in place twice a second, never wider
 * or taller than the terminal ("+N more" when the symbols do not fit). Otherwise a line per round, and
 * each problem as a line on stderr; with `--json`, JSON lines. Then the summary. Its state: a few Refs.
 */
import { type Shutdown, Timeline } from "@taskscope/core"
import { Signals } from "@taskscope/platform-node"
import { Redis } from "@taskscope/redis"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as HashSet from "effect/HashSet"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Record from "effect/Record"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { randomBytes } from "node:crypto"
import type { Config } from "./config.js"
import { type ExchangeName, exchangeNames, oneLine } from "./exchanges.js"
import { metrics, type Price } from "./fetcher.js"
import type { ExchangeCounters } from "./server.js"

/** What went wrong, and what recovered, as the user is told. */
export interface Alerts {
  /** `source` failed with `kind`: told after `after` failures in a row of that kind. */
  readonly failed: (source: string, kind: string, message: string, after: number) => Effect.Effect<void>
  /** `source` works again: told if its problem was (by default "<source> answers again"). */
  readonly answered: (source: string, message?: string) => Effect.Effect<void>
  /** Told once. */
  readonly notice: (message: string) => Effect.Effect<void>
}

/** The last price of a symbol on each exchange. */
export type Row = Partial<Record<ExchangeName, { readonly price: number; readonly at: number }>>

/** The fetcher's metrics, the rounds started and the prices saved (whole lines in the file). */
export type Counts = Readonly<Record<keyof typeof metrics | "rounds" | "fetched", number>>

export interface View {
  readonly status: string // "Ctrl-C to stop", "connecting to Redis at …", "stopping… (…)"
  readonly symbols: ReadonlyArray<string>
  readonly table: ReadonlyMap<string, Row>
  readonly counts: Counts
  readonly now: number
  readonly elapsedMs: number
  readonly alerts: ReadonlyArray<string> // newest last
}

/** Cuts a line to `width` characters (the last one an ellipsis). */
export const fit = (line: string, width: number): string =>
  line.length <= width ? line : line.slice(0, Math.max(0, width - 1)) + "…"

/** Joins `items` with " · " into lines of at most `width` characters, breaking only between items. */
export const wrap = (items: ReadonlyArray<string>, width: number, indent = "", first = indent): Array<string> =>
  items.slice(1).reduce((lines, item) => {
    const joined = `${lines[lines.length - 1]} · ${item}`
    return joined.length <= width ? [...lines.slice(0, -1), joined] : [...lines, indent + item]
  }, [first + items[0]]).map((l) => fit(l, width))

const fmt = (n: number) => n >= 100 ? n.toFixed(2) : n >= 1 ? n.toFixed(3) : n.toFixed(5)

/** The spread across exchanges in basis points, when two or more have a price. */
export const spreadOf = (row: Row): number | undefined => {
  const prices = exchangeNames.flatMap((e) => row[e] === undefined ? [] : [row[e].price])
  return prices.length < 2 ? undefined : (Math.max(...prices) / Math.min(...prices) - 1) * 10_000
}

const counterItems = (c: Counts) =>
  [`requests ${c.requests}`, `retries ${c.retries}`, `hedged ${c.hedges}`, `429s ${c.rateLimited}`]
    .concat(`timeouts ${c.timeouts}`, `errors ${c.errors}`)

/** The live table in at most `height` lines of at most `width` characters; alerts (up to 4) before symbols. */
export const frame = (v: View, width: number, height: number): Array<string> => {
  const header = `symbol  ${exchangeNames.map((e) => e.padStart(14)).join("")}${"age".padStart(8)}${
    "spread".padStart(10)
  }`
  const rows = v.symbols.map((symbol) => {
    const row = v.table.get(symbol) ?? {}
    const prices = exchangeNames.map((e) => (row[e] === undefined ? "—" : fmt(row[e].price)).padStart(14)).join("")
    const newest = Math.max(0, ...exchangeNames.map((e) => row[e]?.at ?? 0))
    const age = newest === 0 ? "—" : `${((v.now - newest) / 1000).toFixed(1)}s`
    const spread = spreadOf(row)
    return `${symbol.padEnd(8)}${prices}${age.padStart(8)}${
      (spread === undefined ? "—" : `${spread.toFixed(1)}bp`).padStart(10)
    }`
  })
  const { counts } = v
  const time = `${(v.elapsedMs / 1000).toFixed(0)}s`
  const counters = wrap([`round ${counts.rounds}`, time, ...counterItems(counts), `saved ${counts.fetched}`], width)
  const alerts = v.alerts.slice(-Math.min(4, Math.max(0, height - counters.length - 5))).map((a) => `! ${a}`)
  const room = height - 4 - counters.length - alerts.length
  const shown = rows.length <= room
    ? rows
    : [...rows.slice(0, Math.max(0, room - 1)), `+${rows.length - room + 1} more`]
  const lines = [`Taskscope price fetcher — ${v.status}`, "", header, ...shown, "", ...counters, ...alerts]
  return lines.slice(0, height).map((line) => fit(line, width))
}

export interface Summary extends Counts {
  readonly run: string // this run's id, also on every line it wrote
  readonly file: string
  readonly elapsedMs: number
  readonly reason: string
  readonly problems: ReadonlyArray<string> // what is still wrong at the end, one line each
  readonly server?: Record<ExchangeName, ExchangeCounters>
}

export const summary = (s: Summary, width: number): string =>
  [
    fit(`Summary (${s.reason}, ${(s.elapsedMs / 1000).toFixed(1)}s, run ${s.run})`, width),
    ...wrap([`rounds ${s.rounds}`, `prices saved ${s.fetched} → ${s.file}`, `given up ${s.failed}`], width, "  ", "  "),
    ...wrap(counterItems(s), width, "  ", "  "),
    ...(s.server === undefined ? [] : [serverCounters(s.server, width)])
  ].join("\n")

export const serverCounters = (server: Record<ExchangeName, ExchangeCounters>, width: number): string =>
  ["  mock exchange (server-side counts):"].concat(...exchangeNames.map((name) => {
    const c = server[name]
    const items = [`requests ${c.requests}`, `max ${c.maxPerSecond}/s of ${c.limit}/s`, `breaches ${c.breaches}`]
      .concat(`during Retry-After ${c.duringPause}`, `injected 429 ${c.injected429}`, `5xx ${c.injected5xx}`)
      .concat(`malformed ${c.malformed}`, `hangs ${c.hangs}`, `dropped ${c.dropped}`)
    return wrap(
      c.lateReads > 0 ? [...items, `read late ${c.lateReads}`] : items,
      width,
      " ".repeat(14),
      `    ${name.padEnd(10)}`
    )
  })).join("\n")

const stderrLine = (message: string) => process.stderr.write(`price-fetcher: ${message}\n`)

/** The width of the output: the terminal's, or 80. */
export const columns = () => (process.stdout.isTTY && process.stdout.columns > 0 ? process.stdout.columns : 80)

/**
 * stdout that survives its reader going away (`--json | head -1`): after that nothing more is written,
 * and `onClose` is told once, with the failure unless the reader merely left.
 */
export const stdout = (onClose: (failure: string | undefined) => void) => {
  let open = true
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (open) {
      onClose(e.code === "EPIPE" || e.code === "ERR_STREAM_DESTROYED" ? undefined : `cannot write to stdout: ${e}`)
    }
    open = false
  })
  return (text: string) => void (open && process.stdout.write(text))
}

type Streak = { readonly kind: string; readonly count: number; readonly told: string | undefined }

/** Every failure of the program as one line on stderr (exit 1): never a stack trace. */
export const failed = (cause: Cause.Cause<unknown>) =>
  Effect.sync(() => {
    type Known = { readonly _tag?: string; readonly message?: string; readonly detail?: string }
    const e = Option.getOrUndefined(Cause.failureOption(cause)) as Known | undefined
    const said = e === undefined ? `unexpected error: ${Cause.pretty(cause)}` : e.message ?? String(e)
    if (!Cause.isInterruptedOnly(cause)) {
      stderrLine(oneLine(e?._tag === "BackendError" ? `cannot connect to Redis: ${e.detail}` : said, 300))
    }
  })

/** The screen of a run, for the scope of the run. `announced`: main.ts has said "stopping…" while loading. */
export const make = (config: Config, shutdown: Shutdown.Shutdown, announced: boolean) =>
  Effect.gen(function*() {
    const startedAt = yield* Clock.currentTimeMillis
    const run = randomBytes(4).toString("hex")
    const tty = process.stdout.isTTY === true && !config.json
    const broken = yield* Ref.make<string | undefined>(undefined) // stdout; with its reader gone the run stops
    const write = stdout((failure) =>
      Effect.runFork(Effect.zipRight(Ref.set(broken, failure), shutdown.request("stdout closed", { grace: 0 })))
    )
    const [rounds, fetched] = [yield* Ref.make(0), yield* Ref.make(0)]
    const lastRound = yield* Ref.make(Option.none<Timeline.Timeline>()) // for --timeline
    const table = yield* Ref.make<ReadonlyMap<string, Row>>(new Map())
    const alerts = yield* Ref.make<ReadonlyArray<string>>([])
    const streaks = yield* Ref.make<ReadonlyMap<string, Streak>>(new Map()) // per source: failures in a row of one kind
    const status = yield* Ref.make(
      config.redis === undefined ? "Ctrl-C to stop" : `connecting to Redis at ${config.redis}…`
    )
    const counts: Effect.Effect<Counts> = Effect.all({
      rounds: Ref.get(rounds),
      fetched: Ref.get(fetched),
      ...Record.map(metrics, (counter) => Effect.map(Metric.value(counter), (state) => state.count))
    })

    // repainted in place: home, each line cleared to its end, then the rest of the screen; never taller than
    // the terminal, so nothing scrolls into its history. One column spare: a line that fills the last column
    // leaves the cursor waiting to wrap.
    const paint = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const state = yield* Effect.all({
        status: Ref.get(status),
        table: Ref.get(table),
        counts,
        alerts: Ref.get(alerts)
      })
      const view: View = { ...state, symbols: config.symbols, now, elapsedMs: now - startedAt }
      write(`\x1b[H${frame(view, columns() - 1, process.stdout.rows || 24).join("\x1b[K\n")}\x1b[K\x1b[J`)
    })
    if (tty) write("\x1b[2J")
    const painter = tty ? yield* Effect.forkScoped(Effect.repeat(paint, Schedule.spaced("500 millis"))) : undefined

    // in the table on a terminal, else a line on stderr
    const tell = (line: string) =>
      Effect.zipRight(Ref.update(alerts, (a) => [...a, line]), tty ? Effect.void : Effect.sync(() => stderrLine(line)))
    const told: Alerts = {
      failed: (source, kind, message, after) =>
        Effect.flatMap(
          Ref.modify(streaks, (m) => {
            const last = m.get(source)
            const count = last?.kind === kind ? last.count + 1 : 1
            const now = count === after && last?.told !== message
            return [now, new Map(m).set(source, { kind, count, told: now ? message : last?.told })]
          }),
          (now) => now ? tell(message) : Effect.void
        ),
      answered: (source, message = `${source} answers again`) =>
        Effect.flatMap(
          Ref.modify(
            streaks,
            (m) => [m.get(source)?.told !== undefined, new Map([...m].filter(([s]) => s !== source))]
          ),
          (wasTold) => wasTold ? tell(message) : Effect.void
        ),
      notice: (message) => Effect.flatMap(Ref.get(alerts), (a) => a.includes(message) ? Effect.void : tell(message))
    }
    // the libraries' warnings (a lease that expired while Redis was away...) are told the same way
    yield* Effect.locallyScopedWith(FiberRef.currentLoggers, () =>
      HashSet.make(Logger.make(({ logLevel, message }) => {
        if (LogLevel.greaterThanEqual(logLevel, LogLevel.Warning)) {
          Effect.runSync(tell(oneLine([message].flat().join(" "))))
        }
      })))
    const problems = Effect.map(Ref.get(streaks), (m) => [...m.values()].flatMap((s) => s.told ?? [])) // still wrong

    // the first Ctrl-C (SIGTERM, SIGHUP) is said at once, with how to force the exit
    yield* Effect.forkScoped(Effect.flatMap(shutdown.requested, (reason) => {
      if (!Signals.isSignal(reason)) return Effect.void
      const line = `stopping… (${Signals.describe(reason).force})`
      return Effect.zipRight(
        Ref.set(status, line),
        tty ? paint : announced ? Effect.void : Effect.sync(() => stderrLine(line))
      )
    }))

    const withoutIt = " (no request is sent without the shared limits)"
    return {
      run,
      alerts: told,
      /** Round `n` starts: its Timeline. */
      roundStarted: (n: number) =>
        Effect.tap(Timeline.make(), (t) => Effect.all([Ref.set(rounds, n), Ref.set(lastRound, Option.some(t))])),
      connected: Ref.update(status, (s) => s.startsWith("connecting") ? "Ctrl-C to stop" : s),
      /** Redis's losses and returns, told as they happen (one of each per outage). */
      watchRedis: Layer.scopedDiscard(Effect.forkScoped(Stream.runForEach(
        Stream.drop(Redis.connectionChanges, 1),
        Redis.ConnectionState.$match({
          Lost: ({ error }) => told.failed("Redis", "lost", `Redis lost: ${oneLine(error.detail)}${withoutIt}`, 1),
          Connected: ({ downtime }) => {
            const seconds = (Duration.toMillis(Option.getOrElse(downtime, () => Duration.zero)) / 1000).toFixed(1)
            return told.answered("Redis", `Redis back after ${seconds}s: the shared limits are reachable again`)
          }
        })
      ))),
      /** A price is in the file. */
      saved: (p: Price) =>
        Effect.all([
          Ref.update(fetched, (n) => n + 1),
          Ref.update(table, (t) => new Map(t).set(p.symbol, { ...t.get(p.symbol), [p.exchange]: p })),
          Effect.sync(() => config.json && write(JSON.stringify({ fetched: { run, ...p } }) + "\n"))
        ]),
      /** Round `n` is over: a line, when the output is not a terminal. */
      roundDone: (n: number) =>
        Effect.flatMap(counts, (c) => {
          const line = wrap([`saved ${c.fetched} prices`, ...counterItems(c)], columns(), "  ", `round ${n}: `)
          return Effect.sync(() => tty || config.json || write(`${line.join("\n")}\n`))
        }),
      /** The last frame, the timeline of the last round (--timeline), and the summary. */
      report: (server?: Record<ExchangeName, ExchangeCounters>) =>
        Effect.gen(function*() {
          const reason = yield* shutdown.requested
          if (painter !== undefined) yield* Effect.zipRight(Fiber.interrupt(painter), paint)
          if (painter !== undefined) write("\n")
          const elapsedMs = (yield* Clock.currentTimeMillis) - startedAt
          const s: Summary = { run, ...(yield* counts), file: config.out, elapsedMs, reason, problems: yield* problems }
          const all = server === undefined ? s : { ...s, server }
          if (config.json) {
            const spreadsBp = Record.map(Record.fromEntries(yield* Ref.get(table)), (row) => spreadOf(row) ?? null)
            return write(JSON.stringify({ summary: { ...all, spreadsBp } }) + "\n")
          }
          const round = yield* Ref.get(lastRound)
          if (config.timeline && Option.isSome(round)) {
            const ascii = Timeline.toAscii(yield* round.value.entries, { width: 50, maxRows: 40 })
            write(`Timeline of the last round:\n${ascii}\n\n`)
          }
          write(summary(all, columns()) + "\n")
        }),
      /** Why the run failed, if it did: stdout broke, or requests were made and not one answer was a price. */
      failure: Effect.gen(function*() {
        const c = yield* counts
        if ((yield* Ref.get(broken)) !== undefined || c.fetched > 0 || c.requests + c.failed === 0) {
          return yield* Ref.get(broken)
        }
        const [first, ...more] = yield* problems
        const cause = first ?? (yield* Ref.get(alerts)).at(-1)
        return cause === undefined
          ? `no price fetched in ${c.requests} requests`
          : `no price fetched: ${cause}${more.length === 0 ? "" : ` (and ${more.length} more problems)`}`
      })
    }
  })
