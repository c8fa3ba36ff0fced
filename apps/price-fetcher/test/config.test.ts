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
    if (parsed._tag !== "Run") throw new Error(`not a run: ${parsed._tag}`)
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

  it.effect("each bad value gets one line naming the flag", () =>
    Effect.gen(function*() {
      const cases: Array<[Array<string>, Record<string, string>, RegExp]> = [
        [["--duration", "soon"], {}, /^--duration: expected a time like 500ms, 2s or 1.5m, got "soon"$/],
        [["--concurrency", "0"], {}, /^--concurrency: expected a whole number from 1 to 256, got "0"$/],
        [["--rounds", "2.5"], {}, /^--rounds: expected a whole number/],
        [["--source", "moon"], {}, /^--source: expected one of mock, live, got "moon"$/],
        [["--faults", "all"], {}, /^--faults: expected one of none, light, heavy/],
        [["--symbols", "BTC,,ETH"], {}, /^--symbols: expected a comma-separated list/],
        [["--bogus"], {}, /^--bogus: unknown flag \(see --help\)$/],
        [["extra"], {}, /^unexpected argument "extra"/],
        [["--out"], {}, /^--out: needs a value$/],
        // a flag is never taken as the value of the flag before it
        [["--out", "--json"], {}, /^--out: needs a value, got the flag "--json"$/],
        [["--grace", "-1s"], {}, /^--grace: expected a time like/],
        [[], { PRICE_FETCHER_GRACE: "1 week" }, /^--grace: expected a time/],
        [[], { PRICE_FETCHER_JSON: "maybe" }, /^--json: expected true or false, got "maybe"$/],
        [["--redis", "127.0.0.1:6379"], {}, /^--redis: expected a URL like redis:\/\/127\.0\.0\.1:6379/],
        [["--redis", "redis://127.0.0.1:6379/db1"], {}, /^--redis: expected a URL/],
        [["--exchange", "ftp://x"], {}, /^--exchange: expected a URL like http:\/\/127\.0\.0\.1:8080/],
        [["--exchange", "http://127.0.0.1:"], {}, /^--exchange: expected a URL/],
        [["--port", "70000"], {}, /^--port: expected a whole number from 0 to 65535/],
        [["--max-pause", "0"], {}, /^--max-pause: must be more than zero/]
      ]
      for (const [argv, env, message] of cases) {
        const { errors, parsed } = yield* read(argv, env)
        assert.strictEqual(parsed._tag, "Invalid", argv.join(" "))
        assert.strictEqual(errors.length, 1, `${argv.join(" ")}: ${errors.join("")}`)
        assert.match(errors[0], /^price-fetcher: .*\n$/)
        assert.match(errors[0].slice("price-fetcher: ".length, -1), message)
      }
    }))
})
