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
  main,
  noStack,
  runApp,
  runInTerminal,
  silentPort,
  startRedis,
  stripAnsi,
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
    "Redis: not there at start, no such database, or a port that never answers, is one line naming the URL",
    async () => {
      const nowhere = `redis://127.0.0.1:${await deadPort()}`
      const silent = await silentPort()
      const redis = await startRedis()
      const [down, badDb, mute] = await Promise.all([
        runApp(["--redis", nowhere, "--rounds", "1", "--out", tempFile()]),
        runApp(["--redis", `${redis.url}/99`, "--rounds", "1", "--out", tempFile()]),
        runApp(["--redis", `redis://127.0.0.1:${silent.port}`, "--rounds", "1", "--out", tempFile()])
      ])
      silent.close()
      await redis.stop("SIGTERM")
      assert.strictEqual(down.code, 1, down.stderr)
      assert.match(
        down.stderr,
        new RegExp(`^price-fetcher: cannot connect to Redis: connection refused by ${nowhere}: .+\\n$`)
      )
      assert.strictEqual(badDb.code, 1, badDb.stderr)
      assert.match(
        badDb.stderr,
        new RegExp(
          `^price-fetcher: cannot connect to Redis: the database in the URL does not exist on ${redis.url}/99 .+\\n$`
        )
      )
      // told within a second of asking (was: nothing for 14.8 s, then "gave up after 2s")
      assert.strictEqual(mute.code, 1, mute.stderr)
      assert.match(
        mute.stderr,
        /^price-fetcher: cannot connect to Redis: redis:\/\/127\.0\.0\.1:\d+ accepted the connection but did not answer within 800ms: .*1 attempt in \d+ms\)\n$/
      )
      const tookMs = Number(mute.stderr.match(/1 attempt in (\d+)ms/)![1])
      assert.isBelow(tookMs, 1_000)
      for (const r of [down, badDb, mute]) {
        noStack(r)
        assert.strictEqual(r.stdout, "", "a run that never started prints no summary")
        assert.isBelow(r.wallMs, 10_000)
      }
    },
    60_000
  )

  it(
    "Redis killed mid-run and restarted: 'lost' within a second, 'back' once, one each; prices again after it",
    async () => {
      const redis = await startRedis()
      const file = tempFile()
      let killedAt = 0, lostAt = 0, restartedAt = Infinity, backAt = 0
      const flaky = await runApp([
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
          if (killedAt === 0 && (all.match(/"fetched"/g) ?? []).length >= 6) {
            killedAt = Date.now()
            // lose it for 4 s, then bring it back on the same port
            void redis.stop("SIGKILL").then(() => new Promise((r) => setTimeout(r, 4_000))).then(() => {
              restartedAt = Date.now()
              return redis.start()
            })
          }
        },
        onStderr: (all) => {
          if (lostAt === 0 && all.includes("Redis lost")) lostAt = Date.now()
          if (backAt === 0 && all.includes("Redis back")) backAt = Date.now()
        }
      })
      await redis.stop("SIGTERM")
      assert.strictEqual(flaky.code, 0, flaky.stderr)
      noStack(flaky)
      // every line is the app's: no logger's raw line, no client library's text
      for (const line of lines(flaky.stderr)) assert.match(line, /^price-fetcher: [A-Za-z]/)
      assert.notMatch(flaky.stderr, /timestamp=|level=|fiber=#|Please report/)
      const said = lines(flaky.stderr).map((l) => l.replace(/^price-fetcher: /, ""))
      expect(said.filter((l) => l.startsWith("Redis")).map((l) => l.split(":")[0])).toStrictEqual([
        "Redis lost",
        expect.stringMatching(/^Redis back after \d+\.\ds$/)
      ])
      // a killed server's kernel closes its sockets: a FIN ("closed"), or a RST when a command the
      // client had just sent was still unread ("reset"; seen once in CI)
      assert.match(
        said.find((l) => l.startsWith("Redis lost"))!,
        /the server closed the connection|reset the connection/
      )
      console.log(`killed: told ${lostAt - killedAt} ms later; restarted: told ${backAt - restartedAt} ms later`)
      assert.isBelow(lostAt - killedAt, 1_000 + SLACK_MS / 3)
      assert.isBelow(backAt - restartedAt, 1_000 + SLACK_MS / 3)
      const saved = checkFile(flaky, file)
      // prices came again once Redis was back, and the summary has no problem left
      assert.isAbove(saved.filter((p) => p.at > restartedAt).length, 0)
      expect(summaryOf(flaky)!.problems).toStrictEqual([])
    },
    60_000
  )

  it(
    "Redis frozen (SIGSTOP) mid-run: 'lost' within a second; Ctrl-C then exits within --grace + the margin, every price saved",
    async () => {
      const redis = await startRedis()
      const file = tempFile()
      let frozenAt = 0, lostAt = 0
      const r = await runApp([
        "--json",
        "--redis",
        redis.url,
        "--symbols",
        "BTC,ETH",
        "--grace",
        "2s",
        "--out",
        file
      ], {
        onStdout: (all) => {
          if (frozenAt === 0 && (all.match(/"fetched"/g) ?? []).length >= 6) {
            frozenAt = Date.now()
            redis.signal("SIGSTOP")
          }
        },
        onStderr: (all) => {
          if (lostAt === 0 && all.includes("Redis lost")) lostAt = Date.now()
        },
        // Ctrl-C a second after Redis was said to be lost, with requests on their way
        signals: ["SIGINT"],
        signalWhen: () => lostAt > 0 && Date.now() - lostAt > 1_000
      })
      redis.signal("SIGCONT")
      await redis.stop("SIGTERM")
      console.log(`frozen: told ${lostAt - frozenAt} ms later; exit ${r.afterSignalMs} ms after Ctrl-C`)
      assert.strictEqual(r.code, 0, r.stderr)
      noStack(r)
      for (const line of lines(r.stderr)) assert.match(line, /^price-fetcher: [A-Za-z]/)
      assert.match(
        r.stderr,
        /Redis lost: no answer to PING within 500ms: the server is stopped, overloaded or unreachable/
      )
      assert.isBelow(lostAt - frozenAt, 1_000 + SLACK_MS / 3)
      // the grace, plus runMain's margin: nothing waits on the frozen server (was: grace + 2.25 s)
      assert.isDefined(r.afterSignalMs)
      assert.isBelow(r.afterSignalMs!, 2_000 + 500 + SLACK_MS / 3)
      assert.strictEqual(summaryOf(r)!.reason, "SIGINT")
      assert.isAbove(checkFile(r, file).length, 0)
    },
    60_000
  )

  it(
    "Ctrl-C while connecting to a Redis that never answers: 'stopping…' at once, the summary, exit 0",
    async () => {
      const silent = await silentPort()
      const file = tempFile()
      const r = await runInTerminal(
        `exec '${process.execPath}' '${main}' --redis redis://127.0.0.1:${silent.port} --grace 1s --out '${file}'`,
        { columns: 100, rows: 30, ctrlC: (output) => output.includes("connecting to Redis at") }
      )
      silent.close()
      const screen = stripAnsi(r.output)
      assert.strictEqual(r.code, 0, screen.slice(-2000))
      assert.isDefined(r.stoppingAfterMs, screen.slice(-2000))
      assert.isBelow(r.stoppingAfterMs!, 500)
      assert.isBelow(r.afterCtrlCMs!, 1_000 + 500 + SLACK_MS / 3)
      assert.match(screen, /Summary \(SIGINT, [\d.]+s, run [0-9a-f]{8}\)/)
      assert.match(screen, /rounds 0 · prices saved 0/)
      assert.notInclude(screen, "cannot connect")
    },
    60_000
  )
})
