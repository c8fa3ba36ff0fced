/**
 * The application: the run and its graceful shutdown. `main.ts` loads this
 * module once it has installed the one signal handler.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Limiter, Shutdown, WorkQueue } from "@taskscope/core"
import { Runtime } from "@taskscope/platform-node"
import { Redis, RedisLimiter } from "@taskscope/redis"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import { type Config, parse } from "./config.js"
import * as Fetcher from "./fetcher.js"
import * as Mock from "./server.js"
import * as Ui from "./ui.js"
import * as Writer from "./writer.js"

/** A failure told in one line on stderr; the exit code is 1. */
class Fatal extends Data.TaggedError("Fatal")<{ readonly message: string }> {}

const program = (config: Config, announced: boolean) =>
  Effect.scoped(Effect.gen(function*() {
    const shutdown = yield* Shutdown.Shutdown
    const ui = yield* Ui.make(config, shutdown, announced)
    // the exchanges' limits: in memory, or shared with every fetcher on the
    // same Redis server (whose losses are told). Ctrl-C stops connecting.
    const limits = config.redis === undefined
      ? Limiter.layerMemory
      : Layer.merge(RedisLimiter.layer, ui.watchRedis).pipe(Layer.provide(
        Redis.layer({ url: config.redis, prefix: "price-fetcher" })
      ))
    const connected = yield* Effect.raceFirst(
      Effect.asSome(Layer.build(limits)),
      Effect.as(shutdown.requested, Option.none())
    )
    yield* ui.connected
    const embedded = config.source === "mock" && config.exchange === undefined
    const mock = Option.isSome(connected) && embedded
      ? yield* Mock.start(config)
      : undefined
    yield* shutdown.register("report", "summary", ui.report(mock?.counters))

    const writeError = yield* Ref.make<Writer.WriteError | undefined>(undefined)
    if (Option.isSome(connected)) {
      const file = yield* Writer.open(config.out, config)
      // #region save
      // prices go through a queue to one writer; a price counts once its
      // whole line is in the file. A failed write stops the fetchers at once.
      const queue = yield* WorkQueue.bounded<Fetcher.Price>(1024, {
        name: "prices"
      })
      const stopFetching = yield* Deferred.make<void>()
      const save = (price: Fetcher.Price) =>
        file.append(JSON.stringify({ run: ui.run, ...price })).pipe(
          Effect.zipRight(ui.saved(price)),
          Effect.catchAll((e) =>
            Effect.all([
              Ref.set(writeError, e),
              Deferred.succeed(stopFetching, undefined),
              shutdown.request("write failed", { grace: 0 })
            ])
          )
        )
      const writer = yield* Effect.forkScoped(WorkQueue.consume(
        queue,
        { concurrency: 1 },
        (price) =>
          Effect.flatMap(
            Ref.get(writeError),
            (failed) => failed === undefined ? save(price) : Effect.void
          )
      ))
      // #endregion save

      const fetcher = yield* Fetcher.make({
        config,
        alerts: ui.alerts,
        baseUrl: (exchange) =>
          config.exchange !== undefined
            ? `${config.exchange}/${exchange.name}`
            : mock === undefined
            ? exchange.liveBase
            : `${mock.url}/${exchange.name}`
      }).pipe(Effect.provide(connected.value))

      // #region rounds
      // rounds until --rounds, the end of --duration (counted from the first
      // round), or a request to stop
      const polling = Effect.gen(function*() {
        const finished = shutdown.request("finished")
        for (let n = 1; n <= config.rounds; n++) {
          if (yield* shutdown.isRequested) break
          if (n === 1) {
            yield* Effect.forkScoped(
              Effect.zipRight(Effect.sleep(config.duration), finished)
            )
          }
          const timeline = yield* ui.roundStarted(n)
          yield* fetcher.round(n, (p) => Effect.orDie(queue.put(p)), timeline)
          yield* queue.join // the round's prices are in the file
          yield* ui.roundDone(n)
          if (n < config.rounds) {
            yield* Effect.raceFirst(
              Effect.sleep(config.interval),
              shutdown.requested
            )
          }
        }
        yield* finished
      })
      const loop = yield* Effect.forkScoped(
        Effect.raceFirst(polling, Deferred.await(stopFetching))
      )
      // #endregion rounds

      // #region shutdown
      // the round in flight may finish within the grace, then it is cut off:
      // its cleanup runs on while every price fetched is written and synced,
      // and the summary printed (the run waits for it as it ends)
      yield* shutdown.register("drain", "round", Fiber.await(loop))
      yield* shutdown.register("interrupt", "round", Fiber.interruptFork(loop))
      yield* shutdown.register(
        "flush",
        "prices file",
        Effect.gen(function*() {
          yield* queue.shutdown()
          yield* Fiber.await(writer)
          if ((yield* Ref.get(writeError)) === undefined) {
            yield* Effect.catchAll(file.sync, (e) => Ref.set(writeError, e))
          }
        })
      )
      // #endregion shutdown
    }

    // #region run
    // until the rounds are done, --duration is over, a write failed, or a
    // signal came
    yield* shutdown.requested
    yield* shutdown.run()
    // #endregion run

    const failure = (yield* Ref.get(writeError))?.message ?? (yield* ui.failure)
    if (failure !== undefined) return yield* new Fatal({ message: failure })
  }))

/**
 * Reads the command line and runs. `announced`: a signal came while the app
 * was loading, and `main.ts` has said "stopping…" already.
 */
export const run = (argv: ReadonlyArray<string>, announced: boolean) =>
  Effect.runPromise(
    parse(argv, process.env, (line) => process.stderr.write(line))
  ).then((parsed) => {
    if (parsed._tag !== "Run") return process.exit(parsed.exitCode)
    const { config } = parsed
    // the HTTP client keeps its connections open between requests
    const io = NodeHttpClient.layerWithoutAgent.pipe(
      Layer.provide(NodeHttpClient.makeAgentLayer({ keepAlive: true })),
      Layer.merge(NodeFileSystem.layer)
    )
    const main = config.serveExchange
      ? Mock.serve(config)
      : program(config, announced)
    Runtime.runMain(
      Effect.provide(Effect.tapErrorCause(main, Ui.failed), io),
      { grace: config.grace, reportErrors: false }
    )
  })
