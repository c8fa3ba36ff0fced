// #region example
import { NodeSdk } from "@effect/opentelemetry"
import {
  InMemorySpanExporter,
  SimpleSpanProcessor
} from "@opentelemetry/sdk-trace-base"
import { TaskGroup } from "@taskscope/core"
import { Effect } from "effect"

// Install a tracer (here: OpenTelemetry with an in-memory exporter; in
// production an OTLP exporter) and every TaskGroup becomes a span, with a
// span per child below it — no change to the code that spawns them.
const exporter = new InMemorySpanExporter()
const Tracing = NodeSdk.layer(() => ({
  resource: { serviceName: "price-fetcher" },
  spanProcessor: new SimpleSpanProcessor(exporter)
}))

const round = TaskGroup.scoped(
  (group) =>
    Effect.forEach(
      ["BTC", "ETH"],
      (symbol) =>
        group.spawn(Effect.sleep("10 millis"), { name: `fetch ${symbol}` })
    ),
  {
    name: "round"
  }
)

const program = Effect.gen(function*() {
  yield* round
  return exporter.getFinishedSpans().map((span) => span.name)
}).pipe(Effect.provide(Tracing))

// ---cut-start---
// dprint-ignore
export const main = () =>
// ---cut-end---
Effect.runPromise(program).then(console.log)
// → ["fetch BTC", "fetch ETH", "TaskGroup round"]
// #endregion example

export { program }
export const runs = "live"
