#!/usr/bin/env node
/**
 * The Taskscope demo: a rate-limited crypto price fetcher with an embedded mock exchange and
 * graceful shutdown. Run with --help for the flags.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Limiter, Shutdown, Timeline, WorkQueue } from "@taskscope/core"
import { Runtime } from "@taskscope/platform-node"
import { Redis, RedisLimiter } from "@taskscope/redis"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs"
import { type Config, parse, usage } from "./config.js"
import * as Fetcher from "./fetcher.js"
import * as Mock from "./server.js"
import { renderServerCounters, renderSummary, renderTable, spreadOf, type Summary } from "./ui.js"

const write = (text: string) => Effect.sync(() => process.stdout.write(text))

const fatal = (message: string) =>
  Effect.sync(() => {
    process.stderr.write(`price-fetcher: ${message}\n`)
    process.exit(1)
  })

/** `--serve-exchange`: only the mock exchange, for several fetchers to share; prints its counters at the end. */
const serveExchange = (config: Config) =>
  Effect.scoped(Effect.gen(function*() {
    const shutdown = yield* Shutdown.Shutdown
    const mock = yield* Mock.start({ faults: config.faults, seed: config.seed, port: config.port })
    yield* write(
      config.json
        ? JSON.stringify({ exchange: mock.url }) + "\n"
        : `mock exchange at ${mock.url} — run fetchers with --exchange ${mock.url}; Ctrl-C to stop\n`
    )
    yield* shutdown.requested
    yield* write(
      config.json
        ? JSON.stringify({ server: mock.counters }) + "\n"
        : renderServerCounters(mock.counters) + "\n"
    )
  }))

const program = (config: Config) =>
  Effect.scoped(Effect.gen(function*() {
    const shutdown = yield* Shutdown.Shutdown
    const started = Date.now()
    const mock = config.source === "mock" && config.exchange === undefined
      ? yield* Mock.start({ faults: config.faults, seed: config.seed })
      : undefined
    const stats = Fetcher.makeStats()
    const table: Fetcher.Table = new Map()
    const tty = process.stdout.isTTY === true && !config.json

    // fetched prices go through a queue to one consumer that writes the file and the aggregate
    const queue = yield* WorkQueue.bounded<Fetcher.Price>(1024, { name: "prices" })
    // O_APPEND and one write() per whole line: a crash can never leave a torn line
    const fd = openSync(config.out, "a")
    const writer = yield* Effect.forkScoped(WorkQueue.consume(queue, { concurrency: 1 }, (price) =>
      Effect.sync(() => {
        writeSync(fd, JSON.stringify(price) + "\n")
        stats.fetched++
        const row = table.get(price.symbol) ?? {}
        row[price.exchange] = { price: price.price, at: price.at }
        table.set(price.symbol, row)
        if (config.json) process.stdout.write(JSON.stringify({ fetched: price }) + "\n")
      })))

    const fetcher = yield* Fetcher.make({
      config,
      stats,
      baseUrl: (exchange) =>
        config.exchange !== undefined
          ? `${config.exchange}/${exchange.name}`
          : mock === undefined
          ? exchange.liveBase
          : `${mock.url}/${exchange.name}`,
      emit: (price) => Effect.orDie(queue.put(price))
    })

    let stopping = false
    const lastRound = { timeline: yield* Timeline.make() }
    const poller = yield* Effect.fork(Effect.gen(function*() {
      for (let n = 1; n <= config.rounds && !stopping; n++) {
        if (Date.now() - started >= Duration.toMillis(config.duration)) break
        stats.rounds = n
        lastRound.timeline = yield* Timeline.make()
        yield* fetcher.round(n, lastRound.timeline)
        if (!tty && !config.json) {
          yield* write(
            `round ${n}: saved ${stats.fetched} prices · requests ${stats.requests} · retries ${stats.retries} · 429s ${stats.rateLimited} · timeouts ${stats.timeouts}\n`
          )
        }
        if (n < config.rounds && !stopping) yield* Effect.sleep(config.interval)
      }
    }))

    const painter = tty
      ? yield* Effect.forkScoped(Effect.forever(
        Effect.zipRight(
          write(`\x1b[H\x1b[2J${renderTable(table, stats, Date.now(), Date.now() - started, config)}\n`),
          Effect.sleep(500)
        )
      ))
      : undefined

    // shutdown phases: stop polling → let the round in flight finish within the grace → flush → report
    yield* shutdown.register("stopIntake", "poller", Effect.sync(() => (stopping = true)))
    yield* shutdown.register("drain", "round in flight", Fiber.await(poller))
    yield* shutdown.register("interrupt", "poller", Fiber.interrupt(poller))
    yield* shutdown.register(
      "flush",
      "prices file",
      Effect.gen(function*() {
        yield* queue.shutdown()
        yield* Fiber.await(writer)
        fsyncSync(fd)
        closeSync(fd)
      })
    )
    let reason = "finished"
    yield* shutdown.register(
      "report",
      "summary",
      Effect.gen(function*() {
        if (painter !== undefined) {
          yield* Fiber.interrupt(painter)
          yield* write(`\x1b[H\x1b[2J${renderTable(table, stats, Date.now(), Date.now() - started, config)}\n\n`)
        }
        const summary: Summary = {
          rounds: stats.rounds,
          fetched: stats.fetched,
          requests: stats.requests,
          retries: stats.retries,
          rateLimited: stats.rateLimited,
          timeouts: stats.timeouts,
          errors: stats.errors,
          hedges: stats.hedges,
          file: config.out,
          elapsedMs: Date.now() - started,
          reason,
          ...(mock === undefined ? {} : { server: mock.counters })
        }
        if (config.json) {
          const spreads = Object.fromEntries(Array.from(table, ([symbol, row]) => [symbol, spreadOf(row) ?? null]))
          yield* write(JSON.stringify({ summary: { ...summary, spreadsBp: spreads } }) + "\n")
        } else {
          if (config.timeline) {
            yield* write(
              `Timeline of the last round:\n${
                Timeline.toAscii(yield* lastRound.timeline.entries, { width: 50, maxRows: 40 })
              }\n\n`
            )
          }
          yield* write(renderSummary(summary) + "\n")
        }
      })
    )

    // run until the rounds or the duration are done, or a signal asks us to stop
    const stoppedBy = yield* Effect.raceFirst(
      Effect.as(Fiber.await(poller), Option.none<string>()),
      Effect.map(shutdown.requested, Option.some)
    )
    reason = Option.getOrElse(stoppedBy, () => "finished")
    if (Option.isNone(stoppedBy)) yield* shutdown.request("finished")
    yield* shutdown.run({ grace: config.grace })
  }))

const args = process.argv.slice(2)
const parsed = parse(args, process.env)
if (Either.isLeft(parsed)) {
  process.stderr.write(`price-fetcher: ${parsed.left.message}\n`)
  process.exit(2)
} else if (parsed.right === "help") {
  process.stdout.write(usage + "\n")
} else {
  const config = parsed.right
  // in memory, or shared with every fetcher on the same Redis server: one Layer decides
  const limiters = config.redis === undefined
    ? Limiter.layerMemory
    : RedisLimiter.layer.pipe(
      Layer.provide(Redis.layer({ url: config.redis, prefix: "price-fetcher", retryFor: "10 seconds" }))
    )
  const main = config.serveExchange ? serveExchange(config) : program(config)
  Runtime.runMain(
    main.pipe(
      Effect.provide(Layer.merge(NodeHttpClient.layer, limiters)),
      // Redis not reachable at start, or a bad Redis URL: one line, exit 1
      Effect.catchTags({
        BackendError: (e) => fatal(`--redis: ${e.message}`),
        InvalidOptionsError: (e) => fatal(e.message)
      })
    ),
    { grace: Duration.sum(config.grace, Duration.seconds(2)) }
  )
}
