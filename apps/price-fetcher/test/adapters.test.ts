import { assert, describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { readFileSync } from "node:fs"
import { binance, coinbase, exchangeNames, exchanges, kraken, render } from "../src/exchanges.js"

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"))

describe("exchange adapters", () => {
  it("parse recorded responses of each exchange", () => {
    expect(binance.parse(fixture("binance-ticker-price.json"), "BTC")).toStrictEqual(Either.right(64231.52))
    expect(coinbase.parse(fixture("coinbase-spot.json"), "BTC")).toStrictEqual(Either.right(64198.235))
    expect(kraken.parse(fixture("kraken-ticker.json"), "BTC")).toStrictEqual(Either.right(64210.1))
  })

  it("build the live request paths", () => {
    assert.strictEqual(binance.path("ETH"), "/api/v3/ticker/price?symbol=ETHUSDT")
    assert.strictEqual(coinbase.path("ETH"), "/v2/prices/ETH-USD/spot")
    assert.strictEqual(kraken.path("BTC"), "/0/public/Ticker?pair=XBTUSD")
  })

  it("reject malformed bodies and exchange errors with a typed error", () => {
    const bad = binance.parse({ symbol: "BTCUSDT", price: "not a number" }, "BTC")
    assert.isTrue(Either.isLeft(bad) && bad.left._tag === "MalformedResponse" && bad.left.exchange === "binance")
    const krakenError = kraken.parse(fixture("kraken-error.json"), "BTC")
    assert.isTrue(Either.isLeft(krakenError))
    assert.isTrue(Either.isLeft(coinbase.parse("<html>", "BTC")))
  })

  it("a price of 0 is a malformed reply, said in one line", () => {
    for (const name of exchangeNames) {
      for (const zero of [0, 0.000001]) {
        const parsed = exchanges[name].parse(render(name, "BTC", zero), "BTC")
        assert.isTrue(Either.isLeft(parsed), `${name} quoting ${zero}`)
        if (Either.isLeft(parsed)) {
          assert.match(parsed.left.detail, /a price must be more than zero, got "0\.00"$/)
          assert.notInclude(parsed.left.detail, "\n")
        }
      }
    }
  })

  it("the mock renders what the adapters read", () => {
    for (const name of exchangeNames) {
      for (const base of ["BTC", "DOGE", "ETH"]) {
        const parsed = exchanges[name].parse(render(name, base, 123.456), base)
        assert.isTrue(Either.isRight(parsed), `${name} ${base}`)
        if (Either.isRight(parsed)) assert.approximately(parsed.right, 123.456, 0.01)
      }
    }
  })
})
