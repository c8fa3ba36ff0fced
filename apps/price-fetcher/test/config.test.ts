import { assert, describe, it } from "@effect/vitest"
import { Duration, Either } from "effect"
import { parse } from "../src/config.js"

describe("configuration", () => {
  it("reads flags and environment, flags first", () => {
    const config = parse(["--", "--duration", "30s", "--symbols=btc,eth", "--json"], {
      PRICE_FETCHER_CONCURRENCY: "4",
      PRICE_FETCHER_DURATION: "5s"
    })
    assert.isTrue(Either.isRight(config))
    if (Either.isRight(config) && config.right !== "help") {
      assert.strictEqual(Duration.toMillis(config.right.duration), 30_000)
      assert.deepStrictEqual(config.right.symbols, ["BTC", "ETH"])
      assert.strictEqual(config.right.concurrency, 4)
      assert.isTrue(config.right.json)
      assert.strictEqual(config.right.rounds, Infinity)
    }
  })

  it("scaling-out flags: --redis, --exchange, --serve-exchange, --port", () => {
    const config = parse(
      ["--redis", "redis://10.0.0.5:6379/2", "--exchange", "http://127.0.0.1:8080/", "--serve-exchange", "--port=8080"],
      { PRICE_FETCHER_REDIS: "redis://ignored:1" }
    )
    assert.isTrue(Either.isRight(config))
    if (Either.isRight(config) && config.right !== "help") {
      assert.strictEqual(config.right.redis, "redis://10.0.0.5:6379/2")
      assert.strictEqual(config.right.exchange, "http://127.0.0.1:8080")
      assert.isTrue(config.right.serveExchange)
      assert.strictEqual(config.right.port, 8080)
    }
    const plain = parse([], {})
    if (Either.isRight(plain) && plain.right !== "help") {
      assert.isUndefined(plain.right.redis)
      assert.isUndefined(plain.right.exchange)
      assert.isFalse(plain.right.serveExchange)
    }
  })

  it("each bad value gets one clear message naming the flag", () => {
    const cases: Array<[Array<string>, Record<string, string>, RegExp]> = [
      [["--duration", "soon"], {}, /^--duration: expected a time like 500ms, 2s or 1.5m, got "soon"$/],
      [["--concurrency", "0"], {}, /^--concurrency: expected a whole number from 1 to 256, got "0"$/],
      [["--rounds", "2.5"], {}, /^--rounds: expected a whole number/],
      [["--source", "moon"], {}, /^--source: expected one of mock, live, got "moon"$/],
      [["--faults", "all"], {}, /^--faults: expected one of none, light, heavy/],
      [["--symbols", "BTC,,ETH"], {}, /^--symbols: expected a comma-separated list/],
      [["--bogus"], {}, /^--bogus: unknown flag/],
      [["--out"], {}, /^--out: needs a value$/],
      [[], { PRICE_FETCHER_GRACE: "-1s" }, /^--grace: expected a time/],
      [[], { PRICE_FETCHER_JSON: "maybe" }, /^--json: expected true or false/],
      [["--redis", "127.0.0.1:6379"], {}, /^--redis: expected a URL like redis:\/\/127\.0\.0\.1:6379/],
      [["--exchange", "ftp://x"], {}, /^--exchange: expected a URL like http:\/\/127\.0\.0\.1:8080/],
      [["--port", "70000"], {}, /^--port: expected a whole number from 0 to 65535/]
    ]
    for (const [argv, env, message] of cases) {
      const result = parse(argv, env)
      assert.isTrue(Either.isLeft(result), argv.join(" "))
      if (Either.isLeft(result)) assert.match(result.left.message, message)
    }
  })
})
