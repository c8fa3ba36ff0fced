/**
 * The pictures that real programs draw, made at build time (`pnpm docs:build` runs this first):
 *
 * - `timeline.svg`: `Timeline.toSvg` of the Timeline page's own example (docs/examples/timeline.ts),
 *   run on the TestClock so that the bars are exactly the 100 ms the example sleeps;
 * - `price-fetcher-timeline.svg`: one polling round of the demo app against its mock exchange
 *   (real HTTP on loopback, light faults), as `pnpm demo -- --timeline` prints it in ASCII.
 *
 * They are written to docs/pictures/generated (not committed) and shown inline by the `Picture`
 * component, so that their labels take the page's text colour in dark mode.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Limiter, Timeline } from "@taskscope/core"
import { Effect, Fiber, Layer, TestClock, TestContext } from "effect"
import { mkdirSync, writeFileSync } from "node:fs"
import { parse } from "../../apps/price-fetcher/dist/config.js"
import * as Fetcher from "../../apps/price-fetcher/dist/fetcher.js"
import * as Mock from "../../apps/price-fetcher/dist/server.js"
import { recorded } from "../examples/timeline.js"

const out = new URL("../pictures/generated/", import.meta.url)

const write = (name: string, svg: string) =>
  Effect.sync(() => {
    writeFileSync(new URL(name, out), svg + "\n")
    console.log(`pictures: ${name} (${svg.length} bytes)`)
  })

const timeline = Effect.gen(function*() {
  const fiber = yield* Effect.fork(recorded)
  yield* TestClock.adjust("1 minute")
  const entries = yield* Fiber.join(fiber)
  yield* write("timeline.svg", Timeline.toSvg(entries, { width: 640 }))
}).pipe(Effect.provide(TestContext.TestContext))

const priceFetcher = Effect.scoped(Effect.gen(function*() {
  const parsed = yield* parse(["--faults", "light", "--seed", "7"], {}, (line) => process.stderr.write(line))
  if (parsed._tag !== "Run") return yield* Effect.dieMessage("price-fetcher config")
  const mock = yield* Mock.start({ faults: "light", seed: 7 })
  const fetcher = yield* Fetcher.make({
    config: parsed.config,
    alerts: { failed: () => Effect.void, answered: () => Effect.void, notice: () => Effect.void },
    baseUrl: (exchange) => `${mock.url}/${exchange.name}`
  })
  const recording = yield* Timeline.make()
  yield* fetcher.round(1, () => Effect.void, recording)
  const entries = yield* recording.entries
  yield* write("price-fetcher-timeline.svg", Timeline.toSvg(entries, { width: 640 }))
})).pipe(Effect.provide(Layer.merge(NodeHttpClient.layer, Limiter.layerMemory)))

mkdirSync(out, { recursive: true })
await Effect.runPromise(timeline)
await Effect.runPromise(priceFetcher)
