/**
 * Configuration from flags and environment variables, validated: a bad value is one clear line that
 * names the flag, and exit code 2.
 */
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import { defaultSymbols } from "./exchanges.js"

export type Faults = "none" | "light" | "heavy"

export interface Config {
  readonly duration: Duration.Duration
  readonly rounds: number
  readonly interval: Duration.Duration
  readonly symbols: ReadonlyArray<string>
  readonly concurrency: number
  readonly timeout: Duration.Duration
  readonly hedgeAfter: Duration.Duration
  readonly grace: Duration.Duration
  readonly out: string
  readonly json: boolean
  readonly source: "mock" | "live"
  readonly faults: Faults
  readonly timeline: boolean
  readonly seed: number
  /** Share each exchange's limits with every fetcher on this Redis server. */
  readonly redis: string | undefined
  /** The base URL of a mock exchange that is already running (instead of embedding one). */
  readonly exchange: string | undefined
  /** Only run the mock exchange, on `port`, until Ctrl-C. */
  readonly serveExchange: boolean
  readonly port: number
}

export class ConfigError {
  readonly _tag = "ConfigError"
  constructor(readonly message: string) {}
}

export const usage = `Usage: price-fetcher [options]

  --duration <time>     how long to run (default 20s)
  --rounds <n>          stop after n polling rounds (default: no limit)
  --interval <time>     pause between rounds (default 1s)
  --symbols <list>      comma-separated base assets (default: 12 pairs)
  --concurrency <n>     requests in flight at most (default 8)
  --timeout <time>      deadline per request (default 2s)
  --hedge-after <time>  start a backup request after this long (default 600ms)
  --grace <time>        on Ctrl-C, how long in-flight requests may finish (default 5s)
  --out <file>          the JSON-lines file of fetched prices (default prices.jsonl)
  --json                print each price as a JSON line instead of the table
  --source mock|live    the embedded mock exchange (default) or the real public APIs
  --faults none|light|heavy   fault injection in the mock (default light)
  --timeline            print a timeline of the last round at the end
  --seed <n>            the mock's random seed

Scaling out (several fetchers, one exchange, shared limits):
  --serve-exchange      only run the mock exchange and print its URL (until Ctrl-C)
  --port <n>            the port for --serve-exchange (default: a free one)
  --exchange <url>      fetch from a mock exchange that is already running
  --redis <url>         share each exchange's rate limit, concurrency and Retry-After pauses
                        with every fetcher using this Redis server, e.g. redis://127.0.0.1:6379

Every flag can also be set as an environment variable: PRICE_FETCHER_<FLAG>, e.g. PRICE_FETCHER_DURATION=30s.
Times: 500ms, 2s, 1.5m, or a number of milliseconds.`

const parseTime = (flag: string, raw: string): Either.Either<Duration.Duration, ConfigError> => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(raw.trim())
  if (m === null) return Either.left(new ConfigError(`--${flag}: expected a time like 500ms, 2s or 1.5m, got "${raw}"`))
  const n = Number(m[1])
  const ms = m[2] === "s" ? n * 1000 : m[2] === "m" ? n * 60_000 : n
  if (!Number.isFinite(ms) || ms <= 0) {
    return Either.left(new ConfigError(`--${flag}: must be more than zero, got "${raw}"`))
  }
  return Either.right(Duration.millis(ms))
}

const parseInt_ = (flag: string, raw: string, min: number, max: number): Either.Either<number, ConfigError> => {
  const n = Number(raw)
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n < min || n > max) {
    return Either.left(new ConfigError(`--${flag}: expected a whole number from ${min} to ${max}, got "${raw}"`))
  }
  return Either.right(n)
}

const flags = [
  "duration",
  "rounds",
  "interval",
  "symbols",
  "concurrency",
  "timeout",
  "hedge-after",
  "grace",
  "out",
  "json",
  "source",
  "faults",
  "timeline",
  "seed",
  "redis",
  "exchange",
  "serve-exchange",
  "port",
  "help"
] as const
const booleans = new Set(["json", "timeline", "help", "serve-exchange"])

export const parse = (
  argv: ReadonlyArray<string>,
  env: Record<string, string | undefined>
): Either.Either<Config | "help", ConfigError> => {
  const raw = new Map<string, string>()
  for (const flag of flags) {
    const value = env[`PRICE_FETCHER_${flag.toUpperCase().replace(/-/g, "_")}`]
    if (value !== undefined && value !== "") raw.set(flag, value)
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    // `pnpm demo -- --flag` passes the separator on
    if (arg === "--") continue
    if (!arg.startsWith("--")) return Either.left(new ConfigError(`unexpected argument "${arg}" (see --help)`))
    const [name, inline] = arg.slice(2).split("=", 2) as [string, string | undefined]
    if (!(flags as ReadonlyArray<string>).includes(name)) {
      return Either.left(new ConfigError(`--${name}: unknown flag (see --help)`))
    }
    if (booleans.has(name)) {
      raw.set(name, inline ?? "true")
      continue
    }
    const value = inline ?? argv[++i]
    if (value === undefined) return Either.left(new ConfigError(`--${name}: needs a value`))
    raw.set(name, value)
  }
  if (raw.get("help") === "true") return Either.right("help")
  return Either.gen(function*() {
    const time = (flag: string, dflt: string) => parseTime(flag, raw.get(flag) ?? dflt)
    const bool = (flag: string) => {
      const v = raw.get(flag) ?? "false"
      if (v !== "true" && v !== "false" && v !== "1" && v !== "0") {
        return Either.left(new ConfigError(`--${flag}: expected true or false, got "${v}"`))
      }
      return Either.right(v === "true" || v === "1")
    }
    const oneOf = <T extends string>(flag: string, options: ReadonlyArray<T>, dflt: T) => {
      const v = raw.get(flag) ?? dflt
      return (options as ReadonlyArray<string>).includes(v)
        ? Either.right(v as T)
        : Either.left(new ConfigError(`--${flag}: expected one of ${options.join(", ")}, got "${v}"`))
    }
    const symbolsRaw = raw.get("symbols")
    const symbols = symbolsRaw === undefined ? defaultSymbols : symbolsRaw.split(",").map((s) => s.trim().toUpperCase())
    if (symbols.length === 0 || symbols.some((s) => !/^[A-Z0-9]{2,10}$/.test(s))) {
      return yield* Either.left(
        new ConfigError(`--symbols: expected a comma-separated list of assets like BTC,ETH, got "${symbolsRaw}"`)
      )
    }
    const redis = raw.get("redis")
    if (redis !== undefined && !/^rediss?:\/\/[^\s/]+/.test(redis)) {
      return yield* Either.left(new ConfigError(`--redis: expected a URL like redis://127.0.0.1:6379, got "${redis}"`))
    }
    const exchange = raw.get("exchange")?.replace(/\/+$/, "")
    if (exchange !== undefined && !/^https?:\/\/[^\s/]+$/.test(exchange)) {
      return yield* Either.left(
        new ConfigError(`--exchange: expected a URL like http://127.0.0.1:8080, got "${exchange}"`)
      )
    }
    const out = raw.get("out") ?? "prices.jsonl"
    if (out.trim() === "") return yield* Either.left(new ConfigError(`--out: needs a file name`))
    return {
      duration: yield* time("duration", "20s"),
      rounds: raw.has("rounds") ? yield* parseInt_("rounds", raw.get("rounds")!, 1, 1_000_000) : Infinity,
      interval: yield* time("interval", "1s"),
      symbols,
      concurrency: yield* parseInt_("concurrency", raw.get("concurrency") ?? "8", 1, 256),
      timeout: yield* time("timeout", "2s"),
      hedgeAfter: yield* time("hedge-after", "600ms"),
      grace: yield* time("grace", "5s"),
      out,
      json: yield* bool("json"),
      source: yield* oneOf("source", ["mock", "live"] as const, "mock"),
      faults: yield* oneOf("faults", ["none", "light", "heavy"] as const, "light"),
      timeline: yield* bool("timeline"),
      seed: yield* parseInt_("seed", raw.get("seed") ?? "42", 0, 2 ** 31),
      redis,
      exchange,
      serveExchange: yield* bool("serve-exchange"),
      port: yield* parseInt_("port", raw.get("port") ?? "0", 0, 65535)
    } satisfies Config
  })
}
