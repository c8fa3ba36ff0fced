/**
 * The command line, with @effect/cli: flags (also from `PRICE_FETCHER_<FLAG>` environment
 * variables), `--help`/`-h`, `--version`, `--completions bash|zsh|fish`. Every bad value is one line
 * that names the flag, and exit code 2.
 */
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Config_ from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
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
  /** The longest Retry-After the fetcher honours; a longer one is cut to this. */
  readonly maxPause: Duration.Duration
  readonly out: string
  /** Keep the lines already in `out` (each line carries its run's id); by default a run starts a new file. */
  readonly append: boolean
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

const invalid = (message: string) => Effect.fail(ValidationError.invalidValue(HelpDoc.p(message)))

/** A flag with a value, from the command line or else `PRICE_FETCHER_<FLAG>`, checked by `check`. */
const valued = <A>(
  flag: string,
  pseudo: string,
  description: string,
  fallback: string | undefined,
  check: (raw: string) => Either.Either<A, string>
) =>
  Options.text(flag).pipe(
    Options.withPseudoName(pseudo),
    Options.withDescription(
      `${description}${fallback === undefined || description.includes("default") ? "" : ` (default ${fallback})`}`
    ),
    Options.withFallbackConfig(Config_.string(`PRICE_FETCHER_${flag.toUpperCase().replace(/-/g, "_")}`)),
    Options.optional,
    Options.mapEffect((value) => {
      const raw = Option.getOrUndefined(value) ?? fallback
      if (raw === undefined) return Effect.succeed(undefined as A)
      // `--out --json`: a flag is never the value of another flag
      if (/^--?[a-z]/i.test(raw)) return invalid(`--${flag}: needs a value, got the flag "${raw}"`)
      return Either.match(check(raw), {
        onLeft: (message) => invalid(`--${flag}: ${message}`),
        onRight: Effect.succeed
      })
    })
  )

/** A switch: `--json`, or `PRICE_FETCHER_JSON=true|false|1|0`. */
const bool = (flag: string, description: string) =>
  Options.boolean(flag).pipe(
    Options.withDescription(description),
    Options.withFallbackConfig(
      Config_.string(`PRICE_FETCHER_${flag.toUpperCase().replace(/-/g, "_")}`).pipe(
        Config_.mapOrFail((v) =>
          v === "true" || v === "1"
            ? Either.right(true)
            : v === "false" || v === "0" || v === ""
            ? Either.right(false)
            : Either.left(ConfigError.InvalidData([], `--${flag}: expected true or false, got "${v}"`))
        )
      )
    )
  )

export const parseTime = (
  raw: string,
  options: { readonly zero?: boolean } = {}
): Either.Either<Duration.Duration, string> => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(raw.trim())
  if (m === null) return Either.left(`expected a time like 500ms, 2s or 1.5m, got "${raw}"`)
  const n = Number(m[1])
  const ms = m[2] === "s" ? n * 1000 : m[2] === "m" ? n * 60_000 : n
  if (!Number.isFinite(ms) || ms < 0 || (ms === 0 && options.zero !== true)) {
    return Either.left(`must be more than zero, got "${raw}"`)
  }
  return Either.right(Duration.millis(ms))
}

const whole = (min: number, max: number) => (raw: string): Either.Either<number, string> => {
  const n = Number(raw)
  return /^\d+$/.test(raw.trim()) && Number.isInteger(n) && n >= min && n <= max
    ? Either.right(n)
    : Either.left(`expected a whole number from ${min} to ${max}, got "${raw}"`)
}

const oneOf = <T extends string>(choices: ReadonlyArray<T>) => (raw: string): Either.Either<T, string> =>
  (choices as ReadonlyArray<string>).includes(raw)
    ? Either.right(raw as T)
    : Either.left(`expected one of ${choices.join(", ")}, got "${raw}"`)

/** Assets, upper-cased; a symbol given twice is kept once (in its first place). */
export const parseSymbols = (raw: string): Either.Either<ReadonlyArray<string>, string> => {
  const symbols = raw.split(",").map((s) => s.trim().toUpperCase())
  if (symbols.length === 0 || symbols.some((s) => !/^[A-Z0-9]{2,10}$/.test(s))) {
    return Either.left(`expected a comma-separated list of assets like BTC,ETH, got "${raw}"`)
  }
  return Either.right(Array.from(new Set(symbols)))
}

const url = (example: string, pattern: RegExp) => (raw: string): Either.Either<string, string> => {
  const trimmed = raw.replace(/\/+$/, "")
  return pattern.test(trimmed) ? Either.right(trimmed) : Either.left(`expected a URL like ${example}, got "${raw}"`)
}

const text = (raw: string): Either.Either<string, string> =>
  raw.trim() === "" ? Either.left("needs a file name") : Either.right(raw)

const flags = {
  duration: valued("duration", "time", "how long to run; the run ends by then plus --grace", "20s", parseTime),
  rounds: valued("rounds", "n", "stop after n polling rounds (default: no limit)", undefined, whole(1, 1_000_000)),
  interval: valued("interval", "time", "the pause between rounds", "1s", parseTime),
  symbols: valued(
    "symbols",
    "list",
    "comma-separated base assets (default: 12 of them, BTC,ETH,SOL...)",
    defaultSymbols.join(","),
    parseSymbols
  ),
  concurrency: valued("concurrency", "n", "requests in flight at most", "8", whole(1, 256)),
  timeout: valued("timeout", "time", "the deadline of one request", "2s", parseTime),
  hedgeAfter: valued("hedge-after", "time", "start a backup request after this long", "600ms", parseTime),
  grace: valued(
    "grace",
    "time",
    "on Ctrl-C (or at the end of --duration), how long requests in flight may finish",
    "5s",
    (raw) => parseTime(raw, { zero: true })
  ),
  maxPause: valued("max-pause", "time", "the longest Retry-After honoured; longer ones are cut", "10s", parseTime),
  out: valued("out", "file", "the JSON-lines file of fetched prices (a new file each run)", "prices.jsonl", text),
  append: bool("append", "add to --out instead of starting it anew (each line carries its run id)"),
  json: bool("json", "print JSON lines (each price, then the summary) instead of the table"),
  source: valued(
    "source",
    "mock|live",
    "the embedded mock exchange or the real public APIs",
    "mock",
    oneOf(["mock", "live"] as const)
  ),
  faults: valued(
    "faults",
    "none|light|heavy",
    "fault injection in the mock",
    "light",
    oneOf(["none", "light", "heavy"] as const)
  ),
  timeline: bool("timeline", "print a timeline of the last round at the end"),
  seed: valued("seed", "n", "the mock's random seed", "42", whole(0, 2 ** 31)),
  redis: valued(
    "redis",
    "url",
    "share each exchange's limits and Retry-After pauses with every fetcher on this Redis server",
    undefined,
    url("redis://127.0.0.1:6379", /^rediss?:\/\/([^\s/@]+@)?[^\s/:@]+(:\d{1,5})?(\/\d+)?$/)
  ),
  exchange: valued(
    "exchange",
    "url",
    "fetch from a mock exchange that is already running (see --serve-exchange)",
    undefined,
    url("http://127.0.0.1:8080", /^https?:\/\/[^\s/:@]+(:\d{1,5})?$/)
  ),
  serveExchange: bool("serve-exchange", "only run the mock exchange and print its URL (until Ctrl-C)"),
  port: valued("port", "n", "the port for --serve-exchange (default: a free one)", "0", whole(0, 65535))
}

export const command = (onConfig: (config: Config) => Effect.Effect<void>) =>
  Command.make("price-fetcher", flags, (f) =>
    onConfig({
      ...f,
      rounds: f.rounds ?? Infinity
    } as Config)).pipe(
      Command.withDescription(
        "Polls crypto prices from Binance, Coinbase and Kraken (an embedded mock exchange by default) through " +
          "rate limits, deadlines, retries and hedged requests; Ctrl-C stops it gracefully."
      )
    )

// eslint-disable-next-line no-control-regex
const ansi = /\x1b\[[0-9;]*m/g

const flagNames = new Set(Object.keys(flags).map((k) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)))

/** The parser's messages, said the way this app says the others. */
export const reword = (text: string): string => {
  const unknown = /^Received unknown argument: '(.*)'$/.exec(text)
  if (unknown !== null) {
    const arg = unknown[1]
    if (arg.startsWith("--") && flagNames.has(arg.slice(2))) return `${arg}: needs a value`
    return arg.startsWith("-") ? `${arg}: unknown flag (see --help)` : `unexpected argument "${arg}" (see --help)`
  }
  const env = /^\(?Invalid data at [A-Z_]+: "(.*)"\)?$/.exec(text)
  return env !== null ? env[1] : text
}

/** The parser's output: errors as one line, `price-fetcher: <message>`; help without colours when piped. */
const cliConsole = (writeError: (line: string) => void): Console.Console => {
  const base = Effect.runSync(Console.consoleWith(Effect.succeed))
  return {
    ...base,
    log: (...args: ReadonlyArray<unknown>) =>
      process.stdout.isTTY === true ? base.log(...args) : base.log(...args.map((a) => String(a).replace(ansi, ""))),
    error: (...args: ReadonlyArray<unknown>) =>
      Effect.sync(() => {
        const text = args.map(String).join(" ").replace(ansi, "").replace(/\s+/g, " ").trim()
        if (text !== "") writeError(`price-fetcher: ${reword(text)}\n`)
      })
  }
}

export type Parsed =
  | { readonly _tag: "Run"; readonly config: Config }
  | { readonly _tag: "Done" } // --help, --version, --completions
  | { readonly _tag: "Invalid" } // the message has been written

/**
 * Reads the command line (`argv` without `node` and the script) and the environment. Help and
 * errors are written with `write` (errors as one line).
 */
export const parse = (
  argv: ReadonlyArray<string>,
  env: Record<string, string | undefined>,
  writeError: (line: string) => void
): Effect.Effect<Parsed> =>
  Effect.suspend(() => {
    let config: Config | undefined
    // `pnpm demo -- --flag` passes the separator on
    const args = argv[0] === "--" ? argv.slice(1) : argv
    const cli = Command.run(command((c) => Effect.sync(() => (config = c))), {
      name: "price-fetcher",
      version: "0.2.0"
    })
    const defined = Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)
    return cli(["node", "price-fetcher", ...args]).pipe(
      Effect.map((): Parsed => (config === undefined ? { _tag: "Done" } : { _tag: "Run", config })),
      Effect.catchAll(() => Effect.succeed<Parsed>({ _tag: "Invalid" })),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(defined))),
      Effect.withConsole(cliConsole(writeError)),
      Effect.provide(NodeContext.layer)
    )
  })
