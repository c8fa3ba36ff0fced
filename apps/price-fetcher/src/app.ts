/**
 * The application: the command line, the run, and its graceful shutdown.
 * `main.ts` loads this module after it has installed its early signal handlers.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import {
  Deadline,
  Limiter,
  Shutdown,
  Timeline,
  WorkQueue
} from "@taskscope/core"
import { Runtime, Signals } from "@taskscope/platform-node"
import { Redis, RedisLimiter } from "@taskscope/redis"
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { randomBytes } from "node:crypto"
import { type Config, parse } from "./config.js"
import * as Fetcher from "./fetcher.js"
import * as Mock from "./server.js"
import {
  renderRound,
  renderServerCounters,
  renderSummary,
  renderTable,
  spreadOf,
  type Summary
} from "./ui.js"
import * as Writer from "./writer.js"

/** What the table and stderr say once a signal asked to stop, naming how to force it. */
export const stoppingLine = (signal: Signals.Signal) =>
  `stopping… (${Signals.describe(signal).force})`

/** A failure the user is told about in one line on stderr; the exit code is 1. */
export class Fatal
  extends Data.TaggedError("Fatal")<{ readonly message: string }>
{}

/**
 * stdout that survives its reader going away (`--json | head -1`): after EPIPE
 * nothing more is written and `onClosed` is called once.
 */
const makeOutput = (stream: NodeJS.WriteStream) => {
  let closed = false
  let failure: string | undefined
  let onClosed = () => {}
  const close = (e: NodeJS.ErrnoException) => {
    if (closed) return
    closed = true
    // a reader that went away is not an error; a full disk or a file-size limit
    // on stdout is
    if (e.code !== "EPIPE" && e.code !== "ERR_STREAM_DESTROYED") {
      failure = `cannot write to stdout: ${e.message}`
    }
    onClosed()
  }
  stream.on("error", close)
  return {
    isTTY: stream.isTTY === true,
    width:
      () => (stream.isTTY === true && stream.columns > 0 ? stream.columns : 80),
    write: (text: string) => {
      if (closed) return
      try {
        stream.write(text)
      } catch (e) {
        close(e as NodeJS.ErrnoException)
      }
    },
    onClose: (f: () => void) => {
      onClosed = f
    },
    failure: () => failure
  }
}

type Output = ReturnType<typeof makeOutput>

const stderrLine = (message: string) => {
  try {
    process.stderr.write(`price-fetcher: ${message}\n`)
  } catch {
    // stderr is gone too: nothing left to tell
  }
}

/** The HTTP client, keeping connections open between requests. */
const httpClient = NodeHttpClient.layerWithoutAgent.pipe(
  Layer.provide(NodeHttpClient.makeAgentLayer({ keepAlive: true }))
)

/** `--serve-exchange`: only the mock exchange, for several fetchers to share; prints its counters at the end. */
const serveExchange = (config: Config, out: Output) =>
  Effect.scoped(Effect.gen(function*() {
    const shutdown = yield* Shutdown.Shutdown
    const mock = yield* Mock.start({
      faults: config.faults,
      seed: config.seed,
      port: config.port
    })
    out.write(
      config.json
        ? JSON.stringify({ exchange: mock.url }) + "\n"
        : `mock exchange at ${mock.url} — run fetchers with --exchange ${mock.url}; Ctrl-C to stop\n`
    )
    yield* shutdown.requested
    out.write(
      config.json
        ? JSON.stringify({ server: mock.counters }) + "\n"
        : renderServerCounters(mock.counters, out.width()) + "\n"
    )
  }))

/**
 * How long the requests cut off at the end of the grace period may take to
 * clean up (give their permits back) before the run goes on to flush and
 * report. In memory that takes microseconds; with Redis gone it would take the
 * client's whole retry budget, and flush and report must fit in runMain's
 * margin after the deadline.
 */
const CLEANUP = "200 millis"
const program = (config: Config, out: Output, announced: boolean) =>
  Effect.scoped(Effect.gen(function*() {
    const shutdown = yield* Shutdown.Shutdown
    const started = Date.now()
    const deadline = started + Duration.toMillis(config.duration)
    const runId = randomBytes(4).toString("hex")
    const tty = out.isTTY && !config.json
    out.onClose(() =>
      Effect.runFork(shutdown.request("stdout closed", { grace: 0 }))
    )

    // what went wrong (and what recovered): in the live table on a terminal,
    // else one line on stderr
    const alerts: Array<string> = []
    const problems = new Map<string, string>()
    const tell = (line: string) => {
      alerts.push(line)
      if (!tty) stderrLine(line)
    }
    const report: Fetcher.Alerts = {
      problem: (key, message) => {
        problems.set(key, message)
        tell(message)
      },
      resolved: (key, message) => {
        if (problems.delete(key)) tell(message)
      },
      notice: (message) => {
        if (!alerts.includes(message)) tell(message)
      }
    }

    const mock = config.source === "mock" && config.exchange === undefined
      ? yield* Mock.start({ faults: config.faults, seed: config.seed })
      : undefined
    const stats = Fetcher.makeStats()
    const table: Fetcher.Table = new Map()

    // fetched prices go through a queue to one consumer that writes the file
    // and the table
    const file = yield* Writer.open(config.out, { append: config.append })
    const queue = yield* WorkQueue.bounded<Fetcher.Price>(1024, {
      name: "prices"
    })
    let writeError: Writer.WriteError | undefined
    const writer = yield* Effect.forkScoped(
      WorkQueue.consume(
        queue,
        { concurrency: 1 },
        (price) =>
          writeError !== undefined
            ? Effect.void
            : file.append(JSON.stringify({ run: runId, ...price })).pipe(
              Effect.map(() => {
                // counted once its whole line is in the file
                stats.fetched = file.lines()
                const row = table.get(price.symbol) ?? {}
                row[price.exchange] = { price: price.price, at: price.at }
                table.set(price.symbol, row)
                if (config.json) {
                  out.write(
                    JSON.stringify({ fetched: { run: runId, ...price } }) + "\n"
                  )
                }
              }),
              Effect.catchAll((e) =>
                Effect.suspend(() => {
                  writeError = e
                  // nothing more can be saved: stop the run
                  return shutdown.request("write failed")
                })
              )
            )
      )
    )

    const fetcher = yield* Fetcher.make({
      config,
      stats,
      alerts: report,
      baseUrl: (exchange) =>
        config.exchange !== undefined
          ? `${config.exchange}/${exchange.name}`
          : mock === undefined
          ? exchange.liveBase
          : `${mock.url}/${exchange.name}`,
      emit: (price) => Effect.orDie(queue.put(price))
    })

    let stopping = false
    let status = "Ctrl-C to stop"
    const frame = () =>
      renderTable({
        table,
        stats,
        now: Date.now(),
        elapsedMs: Date.now() - started,
        config,
        status,
        alerts,
        width: out.width()
      })
    // repaint in place: home, each line cleared to its end, then the rest of
    // the screen
    const paint = (text: string) =>
      out.write(`\x1b[H${text.split("\n").join("\x1b[K\n")}\x1b[K\n\x1b[J`)

    const lastRound = { timeline: yield* Timeline.make() }
    const poller = yield* Effect.fork(Effect.gen(function*() {
      if (config.source === "mock" && !(yield* shutdown.isRequested)) {
        yield* fetcher.warmUp
      }
      for (
        let n = 1;
        n <= config.rounds && !stopping && !(yield* shutdown.isRequested);
        n++
      ) {
        stats.rounds = n
        lastRound.timeline = yield* Timeline.make()
        yield* fetcher.round(n, lastRound.timeline)
        if (!tty && !config.json) {
          out.write(renderRound(n, stats, out.width()) + "\n")
        }
        // the pause between rounds ends early when shutdown is requested
        if (n < config.rounds) {
          yield* Effect.raceFirst(
            Effect.sleep(config.interval),
            shutdown.requested
          )
        }
      }
    }))
    // #region duration
    // --duration is a bound: when it is over, the run stops as on Ctrl-C (the
    // round in flight gets the grace)
    yield* Effect.forkScoped(Effect.zipRight(
      Effect.sleep(Duration.millis(Math.max(0, deadline - Date.now()))),
      shutdown.request("finished")
    ))
    // #endregion duration

    if (tty) out.write("\x1b[2J")
    const painter = tty
      ? yield* Effect.forkScoped(
        Effect.forever(Effect.zipRight(
          Effect.sync(() => paint(frame())),
          Effect.sleep(500)
        ))
      )
      : undefined
    // after the first Ctrl-C, say so at once (the entry module has said it for
    // a signal during start-up)
    yield* Effect.forkScoped(
      Effect.flatMap(shutdown.requested, (reason) =>
        Effect.sync(() => {
          if (!Signals.isSignal(reason)) return
          status = stoppingLine(reason)
          if (tty) paint(frame())
          else if (!announced) stderrLine(status)
        }))
    )

    // shutdown phases: stop polling → let the round in flight finish within the
    // grace → flush → report
    // #region shutdown
    yield* shutdown.register(
      "stopIntake",
      "poller",
      Effect.sync(() => (stopping = true))
    )
    yield* shutdown.register("drain", "round in flight", Fiber.await(poller))
    yield* shutdown.register(
      "interrupt",
      "poller",
      // the poller's cleanup gets CLEANUP, then the run goes on without it
      Fiber.interrupt(poller).pipe(Deadline.moveOnAfter(CLEANUP))
    )
    yield* shutdown.register(
      "flush",
      "prices file",
      Effect.gen(function*() {
        yield* queue.shutdown()
        yield* Fiber.await(writer)
        if (writeError === undefined) {
          yield* file.sync.pipe(
            Effect.catchAll((e) => Effect.sync(() => (writeError = e)))
          )
        }
      })
    )
    // #endregion shutdown
    let reason = "finished"
    yield* shutdown.register(
      "report",
      "summary",
      Effect.gen(function*() {
        if (painter !== undefined) {
          yield* Fiber.interrupt(painter)
          paint(frame())
          out.write("\n")
        }
        const summary: Summary = {
          run: runId,
          rounds: stats.rounds,
          fetched: file.lines(),
          requests: stats.requests,
          retries: stats.retries,
          rateLimited: stats.rateLimited,
          timeouts: stats.timeouts,
          errors: stats.errors,
          hedges: stats.hedges,
          stalls: stats.stalls,
          file: config.out,
          elapsedMs: Date.now() - started,
          reason,
          problems: Array.from(problems.values()),
          ...(mock === undefined ? {} : { server: mock.counters })
        }
        if (config.json) {
          const spreads = Object.fromEntries(
            Array.from(
              table,
              ([symbol, row]) => [symbol, spreadOf(row) ?? null]
            )
          )
          out.write(
            JSON.stringify({ summary: { ...summary, spreadsBp: spreads } }) +
              "\n"
          )
        } else {
          if (config.timeline) {
            out.write(
              `Timeline of the last round:\n${
                Timeline.toAscii(yield* lastRound.timeline.entries, {
                  width: 50,
                  maxRows: 40
                })
              }\n\n`
            )
          }
          out.write(renderSummary(summary, out.width()) + "\n")
        }
      })
    )

    // #region run
    // run until the rounds are done, the duration is over, or a signal asks us
    // to stop
    yield* Effect.raceFirst(
      Effect.zipRight(Fiber.await(poller), shutdown.request("finished")),
      shutdown.requested
    )
    reason = yield* shutdown.requested
    // the reader of our output is gone (`| head -1`): stop without waiting for
    // the round in flight
    yield* shutdown.run()
    // #endregion run

    if (writeError !== undefined) {
      return yield* new Fatal({ message: writeError.message })
    }
    const stdoutFailure = out.failure()
    if (stdoutFailure !== undefined) {
      return yield* new Fatal({ message: stdoutFailure })
    }
    // requests were made and not one answer was a price: that run failed,
    // whatever the reason
    if (file.lines() === 0 && stats.requests > 0) {
      const [first, ...more] = problems.size > 0
        ? problems.values()
        : alerts.slice(-1)
      return yield* new Fatal({
        message: first === undefined
          ? `no price fetched in ${stats.requests} requests${
            stats.stalls === 0
              ? ""
              : ` (the process froze ${stats.stalls} times; each paused the exchanges for 1 s)`
          }`
          : `no price fetched: ${first}${
            more.length === 0 ? "" : ` (and ${more.length} more problems)`
          }`
      })
    }
  }))

/** Every failure as one line on stderr (exit 1); a defect too, never a stack trace on stdout. */
const speak =
  (redis: string | undefined) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
    self.pipe(
      Effect.catchAllCause((cause) => {
        if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause)
        const failure = Cause.failureOption(cause)
        const error = failure._tag === "Some"
          ? failure.value as { _tag?: string; message?: string }
          : undefined
        let message: string
        if (error?._tag === "BackendError" && redis !== undefined) {
          // the client's detail names the server (its password hidden) and what
          // is wrong: "connection refused by redis://127.0.0.1:6390: is
          // redis-server running there?"
          message = `cannot connect to Redis: ${
            (error as unknown as { detail: string }).detail
          }`
        } else if (
          error?._tag === "InvalidOptionsError" && redis !== undefined
        ) {
          message = `--redis: ${error.message}`
        } else if (error !== undefined) {
          message = error.message ?? String(error)
        } else {
          const defect = Cause.squash(cause)
          message = `unexpected error: ${
            defect instanceof Error ? defect.message : String(defect)
          }`
        }
        stderrLine(Fetcher.oneLine(message, 300))
        return Effect.failCause(cause)
      })
    )

/**
 * Reads the command line and runs. `announced`: a signal arrived while the
 * application was loading, and `main.ts` has said "stopping…" already.
 */
export const run = (argv: ReadonlyArray<string>, announced: boolean): void => {
  void Effect.runPromise(
    parse(argv, process.env, (line) => process.stderr.write(line))
  ).then((parsed) => {
    if (parsed._tag === "Invalid") return process.exit(2)
    if (parsed._tag === "Done") return process.exit(0)
    const config = parsed.config
    const out = makeOutput(process.stdout)
    // in memory, or shared with every fetcher on the same Redis server: one
    // Layer decides
    const limiters = config.redis === undefined
      ? Limiter.layerMemory
      : RedisLimiter.layer.pipe(
        // a short retry budget: an unreachable server is reported within
        // seconds, at start and mid-run
        Layer.provide(
          Redis.layer({
            url: config.redis,
            prefix: "price-fetcher",
            retryFor: "2 seconds"
          })
        )
      )
    const main = config.serveExchange
      ? serveExchange(config, out)
      : program(config, out, announced)
    Runtime.runMain(
      main.pipe(
        Effect.provide(Layer.merge(httpClient, limiters)),
        speak(config.redis),
        // library warnings go to stderr, never into --json output
        Effect.provide(
          Logger.replace(
            Logger.defaultLogger,
            Logger.withConsoleError(Logger.logfmtLogger)
          )
        )
      ),
      { grace: config.grace, reportErrors: false }
    )
  })
}
