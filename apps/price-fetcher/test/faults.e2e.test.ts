/**
 * End to end, when things go wrong: the built app against exchanges that are dead, answer garbage,
 * hang, ask for a pause of days or quote 0, and against a Redis that is not there or goes away
 * mid-run. Each run must end by --duration + --grace and say in one line what went wrong.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import type { ServerResponse } from "node:http"
import { type ExchangeName, exchangeNames, render } from "../src/exchanges.js"
import {
  checkFile,
  deadPort,
  fakeExchange,
  lines,
  noStack,
  runApp,
  startRedis,
  summaryOf,
  tempFile
} from "./helpers.js"

const SLACK_MS = 1_500

/** The exchange a request is for: the first part of its path. */
const exchangeOf = (url: string | undefined) => (url ?? "/").split("/")[1] as ExchangeName

describe("price-fetcher when things go wrong", () => {
  it(
    "a dead, a garbage, a hanging, a pause-for-days and a zero-quoting exchange: each run ends by --duration + --grace, exit 1, one line per problem",
    async () => {
      const dead = await deadPort()
      const garbage = await fakeExchange((_, res) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.end("<html>502 Bad Gateway</html>")
      })
      const hung: Array<ServerResponse> = []
      const hanging = await fakeExchange((_, res) => void hung.push(res))
      const pausing = await fakeExchange((_, res) => {
        res.writeHead(429, { "retry-after": "999999" })
        res.end("slow down")
      })
      const zero = await fakeExchange((req, res) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify(render(exchangeOf(req.url), "BTC", 0)))
      })
      const common = ["--json", "--symbols", "BTC,ETH", "--duration", "4s", "--grace", "1s", "--timeout", "1s"]
      const run = (url: string, extra: ReadonlyArray<string> = []) => {
        const file = tempFile()
        return runApp([...common, ...extra, "--exchange", url, "--out", file]).then((r) => ({ r, file }))
      }
      const results = await Promise.all([
        run(`http://127.0.0.1:${dead}`),
        run(garbage.url),
        run(hanging.url),
        run(pausing.url, ["--max-pause", "1s"]),
        run(zero.url)
      ])
      await Promise.all([garbage, hanging, pausing, zero].map((s) => s.close()))
      const expected = [
        (name: string) => `${name} unreachable at http://127.0.0.1:${dead}/${name}: connection refused`,
        (name: string) => `${name} sends malformed replies: the body is not JSON`,
        (name: string) => `${name} not answering: requests time out after 1s`,
        (name: string) => `${name} asked to pause for 999999s; pausing 1s (--max-pause)`,
        (name: string) =>
          name === "binance"
            ? `${name} sends malformed replies: price: a price must be more than zero, got "0.00"`
            : name === "coinbase"
            ? `${name} sends malformed replies: data.amount: a price must be more than zero, got "0.00"`
            : `${name} sends malformed replies: result.XXBTZUSD.c.0: a price must be more than zero, got "0.00"`
      ]
      results.forEach(({ file, r }, i) => {
        const label = ["dead", "garbage", "hanging", "pausing", "zero"][i]
        assert.strictEqual(r.code, 1, `${label}: ${r.stderr}`)
        noStack(r)
        const said = lines(r.stderr).map((l) => l.replace(/^price-fetcher: /, ""))
        for (const name of exchangeNames) assert.include(said, expected[i](name), `${label}: ${r.stderr}`)
        assert.match(said.at(-1)!, /^no price fetched: /, label)
        assert.strictEqual(lines(r.stderr).length, 4, `${label}: one line per exchange, one to end: ${r.stderr}`)
        const summary = summaryOf(r)!
        assert.strictEqual(summary.fetched, 0)
        assert.strictEqual(readFileSync(file, "utf8"), "")
        assert.isAtMost(summary.elapsedMs, 4_000 + 1_000 + SLACK_MS, `${label}: ran past --duration + --grace`)
      })
      assert.isAbove(hung.length, 0)
    },
    60_000
  )

  it(
    "Redis: not there at start, or no such database, is one line naming the URL; lost mid-run and back is said when it happens",
    async () => {
      const nowhere = `redis://127.0.0.1:${await deadPort()}`
      const redis = await startRedis()
      const file = tempFile()
      let killed = false
      let restartedAt = Infinity
      // (before the server is stopped and started again below)
      const badDb = await runApp(["--redis", `${redis.url}/99`, "--rounds", "1", "--out", tempFile()])
      const [down, flaky] = await Promise.all([
        runApp(["--redis", nowhere, "--rounds", "1", "--out", tempFile()]),
        runApp([
          "--json",
          "--redis",
          redis.url,
          "--symbols",
          "BTC,ETH",
          "--duration",
          "12s",
          "--grace",
          "2s",
          "--out",
          file
        ], {
          onStdout: (all) => {
            if (!killed && (all.match(/"fetched"/g) ?? []).length >= 6) {
              killed = true
              // lose it for 4 s, then bring it back on the same port
              void redis.stop().then(() => new Promise((r) => setTimeout(r, 4_000))).then(() => {
                restartedAt = Date.now()
                return redis.start()
              })
            }
          }
        })
      ])
      await redis.stop("SIGTERM")

      assert.strictEqual(down.code, 1)
      assert.match(
        down.stderr,
        new RegExp(`^price-fetcher: cannot connect to Redis: connection refused by ${nowhere}: .+\\n$`)
      )
      assert.isBelow(down.wallMs, 10_000)
      noStack(down)
      // a database index the server does not have
      assert.strictEqual(badDb.code, 1)
      assert.match(
        badDb.stderr,
        new RegExp(
          `^price-fetcher: cannot connect to Redis: the database in the URL does not exist on ${redis.url}/99 .+\\n$`
        )
      )
      noStack(badDb)

      assert.strictEqual(flaky.code, 0, flaky.stderr)
      noStack(flaky)
      const said = lines(flaky.stderr)
      const lost = said.findIndex((l) => l.startsWith("price-fetcher: Redis lost: "))
      const back = said.findIndex((l) => l === "price-fetcher: Redis back: the shared limits are reachable again")
      assert.isAtLeast(lost, 0, flaky.stderr)
      assert.isAbove(back, lost, flaky.stderr)
      const saved = checkFile(flaky, file)
      // prices came again once Redis was back, and the summary has no problem left
      assert.isAbove(saved.filter((p) => p.at > restartedAt).length, 0)
      expect(summaryOf(flaky)!.problems).toStrictEqual([])
    },
    60_000
  )
})
