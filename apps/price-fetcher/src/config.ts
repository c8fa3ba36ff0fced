/**
 * The command line, with @effect/cli: typed flags, each also read from its `PRICE_FETCHER_<FLAG>`
 * variable (named in `--help`); `--version`, `--completions`. A bad value is one line naming the flag,
 * and exit code 2.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Config_ from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { defaultSymbols } from "./exchanges.js"

/** The flags, as @effect/cli decoded them (`rounds`: Infinity when not given). */
export interface Config extends Omit<Command.Command.ParseConfig<typeof flags>, "rounds"> {
  readonly rounds: number
}

/** Each flag, and whether it takes a value (for the mistakes @effect/cli calls "unknown argument"). */
const takesValue = new Map<string, boolean>()

const variable = (flag: string) => `PRICE_FETCHER_${flag.toUpperCase().replaceAll("-", "_")}`

/** Describes the flag, with its variable, read when the flag is not given. */
const flag = <A>(options: Options.Options<A>, name: string, description: string, config: Config_.Config<A>) => {
  takesValue.set(`--${name}`, !Options.isBool(options))
  const described = Options.withDescription(options, `${description} Variable: ${variable(name)}.`)
  return Options.withFallbackConfig(described, config)
}

/** Refuses a value of the flag that is not `expected`, in one line naming the flag. */
const check = <A>(name: string, expected: string, ok: (value: A) => boolean) =>
  Options.withSchema(
    Schema.declare((u): u is A => ok(u as A)).annotations({
      message: (issue) => `--${name}: expected ${expected}, got ${JSON.stringify(issue.actual)}`
    })
  )

const text = (name: string, pseudo: string, description: string, fallback?: string) =>
  flag(Options.text(name).pipe(Options.withPseudoName(pseudo)), name, description, Config_.string(variable(name)))
    .pipe(fallback === undefined ? (o) => o : Options.withDefault(fallback))

const millisOf = (raw: string): number => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(raw.trim())
  return m === null ? NaN : Number(m[1]) * (m[2] === "m" ? 60_000 : m[2] === "s" ? 1000 : 1)
}

/** A time like 500ms, 2s or 1.5m (a plain number is milliseconds); zero only where `zero` allows it. */
const time = (name: string, description: string, fallback: string, zero = false) =>
  text(name, "time", `${description} Default ${fallback}.`, fallback).pipe(
    check(
      name,
      `a time like 500ms, 2s or 1.5m${zero ? "" : ", more than zero"}`,
      (raw: string) => millisOf(raw) > (zero ? -1 : 0)
    ),
    Options.map((raw) => Duration.millis(millisOf(raw)))
  )

const integer = (name: string, description: string, min: number, max: number) =>
  flag(Options.integer(name).pipe(Options.withPseudoName("n")), name, description, Config_.integer(variable(name)))
    .pipe(check(name, `a whole number from ${min} to ${max}`, (n: number) => n >= min && n <= max))

/** A URL like `example`, or its TLS twin; `new URL` refuses a port above 65535 (`redis://127.0.0.1:99999`). */
const url = (name: string, description: string, example: string) =>
  text(name, "url", description).pipe(
    check(name, `a URL like ${example}`, (raw: string) => {
      const [u, like] = [URL.canParse(raw) ? new URL(raw) : undefined, new URL(example).protocol]
      return u !== undefined && [like, like.replace(":", "s:")].includes(u.protocol) && u.hostname !== "" &&
        u.search === "" && (like === "redis:" ? /^(\/\d+)?$/ : /^\/?$/).test(u.pathname) && // a database, or no path
        !/^\w+:\/\/[^/]*:(\/|$)/.test(raw) // no empty port: `http://127.0.0.1:`
    }),
    Options.map((raw) => raw.replace(/\/+$/, "")),
    Options.optional,
    Options.map(Option.getOrUndefined)
  )

const choice = <const C extends ReadonlyArray<string>>(name: string, text: string, choices: C, fallback: C[number]) =>
  flag(Options.choice(name, choices), name, `${text} Default ${fallback}.`, Config_.literal(...choices)(variable(name)))
    .pipe(Options.withDefault(fallback))

const toggle = (name: string, description: string) =>
  flag(Options.boolean(name), name, description, Config_.boolean(variable(name)))

const flags = {
  duration: time("duration", "How long to fetch; the run ends by then plus --grace.", "20s"),
  rounds: integer("rounds", "Stop after n polling rounds. Default: no limit.", 1, 1_000_000).pipe(Options.optional),
  interval: time("interval", "The pause between rounds.", "1s"),
  // assets, upper-cased; one given twice is kept once, in its first place
  symbols: text("symbols", "list", `Comma-separated base assets. Default ${defaultSymbols}.`, `${defaultSymbols}`).pipe(
    check(
      "symbols",
      "a list of assets like BTC,ETH",
      (raw: string) => /^[A-Za-z0-9]{2,10}(,[A-Za-z0-9]{2,10})*$/.test(raw)
    ),
    Options.map((raw) => [...new Set(raw.toUpperCase().split(","))])
  ),
  concurrency: integer("concurrency", "Requests in flight at most. Default 8.", 1, 256).pipe(Options.withDefault(8)),
  timeout: time("timeout", "The deadline of one request.", "2s"),
  hedgeAfter: time("hedge-after", "Send a backup request when an answer takes this long.", "600ms"),
  grace: time("grace", "On Ctrl-C or at the end, how long requests in flight may finish.", "5s", true),
  maxPause: time("max-pause", "The longest Retry-After honoured; a longer one is cut to this.", "10s"),
  // Options.text: Options.file refuses what is not a regular file (/dev/full, a named pipe)
  out: text("out", "file", "The JSON-lines file of prices, new each run. Default prices.jsonl.", "prices.jsonl"),
  append: toggle("append", "Add to --out instead of starting it anew (each line carries its run's id)."),
  json: toggle("json", "Print JSON lines (each price, then the summary) instead of the table."),
  source: choice("source", "The embedded mock exchange, or the real public APIs.", ["mock", "live"], "mock"),
  faults: choice("faults", "Fault injection in the mock exchange.", ["none", "light", "heavy"], "light"),
  timeline: toggle("timeline", "Print a timeline of the last round at the end."),
  seed: integer("seed", "The mock exchange's random seed. Default 42.", 0, 2 ** 31).pipe(Options.withDefault(42)),
  redis: url(
    "redis",
    "Share each exchange's limits with every fetcher on this Redis server.",
    "redis://127.0.0.1:6379"
  ),
  exchange: url("exchange", "Fetch from a mock exchange already running (--serve-exchange).", "http://127.0.0.1:8080"),
  serveExchange: toggle("serve-exchange", "Only run the mock exchange and print its URL, until Ctrl-C."),
  port: integer("port", "The port of the mock exchange. Default: a free one.", 0, 65535).pipe(Options.withDefault(0))
}

/**
 * What @effect/cli reports as "Received unknown argument" although the flag is known: a flag given twice,
 * or one without its value (`--out --json` is not a file named `--json`). And `--wizard`, which asks its
 * questions, without a terminal to ask them on.
 */
const misuse = (args: ReadonlyArray<string>): string | undefined => {
  const seen = new Map<string, string>()
  for (let i = 0; i < args.length; i++) {
    const [name, inline] = args[i].includes("=") ? [args[i].slice(0, args[i].indexOf("=")), "="] : [args[i], undefined]
    if (name === "--wizard" && process.stdin.isTTY !== true) {
      return "--wizard asks its questions on a terminal, and stdin is not one: give the flags instead (see --help)"
    }
    const valued = takesValue.get(name)
    if (valued === undefined) continue
    const value = inline !== undefined ? args[i].slice(name.length + 1) : valued ? args[++i] ?? "" : ""
    if (valued && inline === undefined && (value === "" || value.startsWith("--"))) {
      return `${name}: needs a value${value === "" ? "" : `, got the flag "${value}"`}`
    }
    if (seen.has(name)) {
      return `${name} is given twice${valued ? ` (${seen.get(name)}, then ${value})` : ""}: give it once`
    }
    seen.set(name, value)
  }
  return undefined
}

// eslint-disable-next-line no-control-regex
const ansi = /\x1b\[[0-9;]*m/g

export type Parsed =
  | { readonly _tag: "Run"; readonly config: Config }
  | { readonly _tag: "Exit"; readonly exitCode: 0 | 2 } // --help, --version; or a mistake, told

/**
 * Reads the command line (without `node` and the script) and the environment. Help goes to stdout
 * (without colours when piped); a mistake is one line, `price-fetcher: …`, given to `writeError`.
 */
export const parse = (
  argv: ReadonlyArray<string>,
  env: Record<string, string | undefined>,
  writeError: (line: string) => void
): Effect.Effect<Parsed> =>
  Effect.suspend(() => {
    // `pnpm demo -- --flag` passes the separator on
    const args = argv[0] === "--" ? argv.slice(1) : argv
    const mistake = misuse(args)
    if (mistake !== undefined) {
      writeError(`price-fetcher: ${mistake}\n`)
      return Effect.succeed<Parsed>({ _tag: "Exit", exitCode: 2 })
    }
    let config: Config | undefined
    const command = Command.make("price-fetcher", flags, (f) =>
      Effect.sync(() => {
        config = { ...f, rounds: Option.getOrElse(f.rounds, () => Infinity) }
      })).pipe(Command.withDescription(
        "Polls crypto prices from Binance, Coinbase and Kraken (an embedded mock exchange by default) through " +
          "rate limits, deadlines, retries and hedged requests; Ctrl-C stops it gracefully."
      ))
    const base = Effect.runSync(Console.consoleWith(Effect.succeed))
    const console: Console.Console = {
      ...base,
      log: (...a) => base.log(...(process.stdout.isTTY ? a : a.map((x) => String(x).replace(ansi, "")))),
      // each of @effect/cli's messages on one line
      error: (...a) =>
        Effect.sync(() => writeError(`price-fetcher: ${a.join(" ").replace(ansi, "").replace(/\s+/g, " ").trim()}\n`))
    }
    const provider = ConfigProvider.fromMap(new Map(Object.entries(env).filter((e): e is [string, string] => !!e[1])))
    return Command.run(command, { name: "price-fetcher", version: "0.3.0" })(["node", "price-fetcher", ...args]).pipe(
      Effect.map((): Parsed => config === undefined ? { _tag: "Exit", exitCode: 0 } : { _tag: "Run", config }),
      Effect.catchAll(() => Effect.succeed<Parsed>({ _tag: "Exit", exitCode: 2 })),
      Effect.withConfigProvider(provider),
      Effect.withConsole(console),
      Effect.provide(NodeContext.layer)
    )
  })
