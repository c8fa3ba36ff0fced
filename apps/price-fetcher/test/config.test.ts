import { assert, describe, expect, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { type Config, parse } from "../src/config.js"

/** Parses `argv` and `env`; returns the config, or the one error line written. */
const read = (argv: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const errors: Array<string> = []
    const parsed = yield* parse(argv, env, (line) => errors.push(line))
    return { parsed, errors }
  })

const config = (argv: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.map(read(argv, env), ({ errors, parsed }): Config => {
    expect(errors).toStrictEqual([])
    if (parsed._tag !== "Run") throw new Error(`not a run: exit ${parsed.exitCode}`)
    return parsed.config
  })

describe("configuration (@effect/cli)", () => {
  it.effect("reads flags and environment, flags first; '--' from pnpm is accepted", () =>
    Effect.gen(function*() {
      const c = yield* config(["--", "--duration", "30s", "--symbols=btc,eth", "--json"], {
        PRICE_FETCHER_CONCURRENCY: "4",
        PRICE_FETCHER_DURATION: "5s"
      })
      assert.strictEqual(Duration.toMillis(c.duration), 30_000)
      expect(c.symbols).toStrictEqual(["BTC", "ETH"])
      assert.strictEqual(c.concurrency, 4)
      assert.isTrue(c.json)
      assert.strictEqual(c.rounds, Infinity)
      assert.isFalse(c.append)
      assert.strictEqual(Duration.toMillis(c.maxPause), 10_000)
      assert.strictEqual(Duration.toMillis(c.hedgeAfter), 600)
      assert.strictEqual(c.faults, "light")
      assert.strictEqual(c.out, "prices.jsonl")
      const fromEnv = yield* config([], { PRICE_FETCHER_ROUNDS: "3", PRICE_FETCHER_JSON: "true" })
      assert.strictEqual(fromEnv.rounds, 3)
      assert.isTrue(fromEnv.json)
    }))

  it.effect("scaling-out flags: --redis, --exchange, --serve-exchange, --port", () =>
    Effect.gen(function*() {
      const c = yield* config(
        [
          "--redis",
          "redis://10.0.0.5:6379/2",
          "--exchange",
          "http://127.0.0.1:8080/",
          "--serve-exchange",
          "--port=8080"
        ],
        { PRICE_FETCHER_REDIS: "redis://ignored:1" }
      )
      assert.strictEqual(c.redis, "redis://10.0.0.5:6379/2")
      assert.strictEqual(c.exchange, "http://127.0.0.1:8080")
      assert.isTrue(c.serveExchange)
      assert.strictEqual(c.port, 8080)
      assert.strictEqual((yield* config(["--redis", "rediss://user:pw@host:6380"])).redis, "rediss://user:pw@host:6380")
      const plain = yield* config([])
      assert.isUndefined(plain.redis)
      assert.isUndefined(plain.exchange)
      assert.isFalse(plain.serveExchange)
    }))

  it.effect("duplicate symbols are merged, in their first place", () =>
    Effect.gen(function*() {
      const c = yield* config(["--symbols", "eth,BTC,Eth,btc,SOL"])
      expect(c.symbols).toStrictEqual(["ETH", "BTC", "SOL"])
    }))

  it.effect("--grace may be 0 (interrupt at once); --append and --max-pause", () =>
    Effect.gen(function*() {
      const c = yield* config(["--grace", "0", "--append", "--max-pause", "2s"])
      assert.strictEqual(Duration.toMillis(c.grace), 0)
      assert.isTrue(c.append)
      assert.strictEqual(Duration.toMillis(c.maxPause), 2_000)
    }))

  it.effect("each mistake gets one line naming the flag, and exit code 2", () =>
    Effect.gen(function*() {
      const cases: Array<[Array<string>, Record<string, string>, string | RegExp]> = [
        [["--duration", "soon"], {}, `--duration: expected a time like 500ms, 2s or 1.5m, more than zero, got "soon"`],
        [["--concurrency", "0"], {}, "--concurrency: expected a whole number from 1 to 256, got 0"],
        // @effect/cli's own words for a value that is no integer at all
        [["--concurrency", "zero"], {}, "'zero' is not a integer"],
        [["--rounds", "2.5"], {}, "'2.5' is not a integer"],
        [["--source", "moon"], {}, "Expected one of the following cases: mock, live"],
        [["--faults", "all"], {}, "Expected one of the following cases: none, light, heavy"],
        [["--symbols", "BTC,,ETH"], {}, `--symbols: expected a list of assets like BTC,ETH, got "BTC,,ETH"`],
        [["--bogus"], {}, "Received unknown argument: '--bogus'"],
        [["extra"], {}, "Received unknown argument: 'extra'"],
        [["--out"], {}, "--out: needs a value"],
        // a flag is never taken as the value of the flag before it
        [["--out", "--json"], {}, `--out: needs a value, got the flag "--json"`],
        // given twice: @effect/cli would call the second one an unknown argument
        [["--duration", "2s", "--duration", "3s"], {}, "--duration is given twice (2s, then 3s): give it once"],
        [["--json", "--rounds", "1", "--json"], {}, "--json is given twice: give it once"],
        [["--grace", "-1s"], {}, `--grace: expected a time like 500ms, 2s or 1.5m, got "-1s"`],
        [[], { PRICE_FETCHER_GRACE: "1 week" }, `--grace: expected a time like 500ms, 2s or 1.5m, got "1 week"`],
        [[], { PRICE_FETCHER_CONCURRENCY: "0" }, "--concurrency: expected a whole number from 1 to 256, got 0"],
        [[], { PRICE_FETCHER_JSON: "maybe" }, /^\(Invalid data at PRICE_FETCHER_JSON: .*"maybe".*\)$/],
        [
          ["--redis", "127.0.0.1:6379"],
          {},
          `--redis: expected a URL like redis://127.0.0.1:6379, got "127.0.0.1:6379"`
        ],
        // a port above 65535: `new URL` refuses it, and so do we (it was "unexpected error: Invalid URL")
        [
          ["--redis", "redis://127.0.0.1:99999"],
          {},
          /^--redis: expected a URL like .*, got "redis:\/\/127.0.0.1:99999"$/
        ],
        [["--redis", "redis://127.0.0.1:6379/db1"], {}, /^--redis: expected a URL/],
        [["--redis", "http://127.0.0.1:6379"], {}, /^--redis: expected a URL/],
        [["--exchange", "ftp://x"], {}, `--exchange: expected a URL like http://127.0.0.1:8080, got "ftp://x"`],
        [["--exchange", "http://127.0.0.1:"], {}, /^--exchange: expected a URL/],
        [["--exchange", "http://127.0.0.1:8080/v1"], {}, /^--exchange: expected a URL/],
        [["--port", "70000"], {}, "--port: expected a whole number from 0 to 65535, got 70000"],
        [["--max-pause", "0"], {}, `--max-pause: expected a time like 500ms, 2s or 1.5m, more than zero, got "0"`],
        // stdin is not a terminal here (vitest's worker)
        [["--wizard"], {}, /^--wizard asks its questions on a terminal, and stdin is not one/]
      ]
      for (const [argv, env, message] of cases) {
        const { errors, parsed } = yield* read(argv, env)
        const label = `${argv.join(" ")} ${JSON.stringify(env)}`
        expect(parsed, label).toStrictEqual({ _tag: "Exit", exitCode: 2 })
        assert.strictEqual(errors.length, 1, `${label}: ${errors.join("")}`)
        assert.match(errors[0], /^price-fetcher: .*\n$/)
        const said = errors[0].slice("price-fetcher: ".length, -1)
        if (typeof message === "string") assert.strictEqual(said, message, label)
        else assert.match(said, message, label)
      }
    }))

  it.effect("--version and --help end with exit code 0", () =>
    Effect.gen(function*() {
      for (const argv of [["--version"], ["--help"]]) {
        const { errors, parsed } = yield* read(argv)
        expect(parsed).toStrictEqual({ _tag: "Exit", exitCode: 0 })
        expect(errors).toStrictEqual([])
      }
    }))
})
