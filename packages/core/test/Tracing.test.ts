// OpenTelemetry: with a tracer installed, a TaskGroup is a span and each child a span below it.
import { NodeSdk } from "@effect/opentelemetry"
import { assert, describe, expect, it } from "@effect/vitest"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { TaskGroup } from "@taskscope/core"
import { Effect } from "effect"

const traced = <A, E>(effect: Effect.Effect<A, E>) => {
  const exporter = new InMemorySpanExporter()
  const layer = NodeSdk.layer(() => ({
    resource: { serviceName: "test" },
    spanProcessor: new SimpleSpanProcessor(exporter)
  }))
  // read before the layer closes: shutting the SDK down empties the exporter
  return Effect.provide(
    Effect.flatMap(
      Effect.exit(Effect.withSpan(effect, "test")),
      (exit) => Effect.sync(() => ({ exit, spans: exporter.getFinishedSpans().slice() }))
    ),
    layer
  )
}

describe("TaskGroup and OpenTelemetry", () => {
  it.live("a span per group and per child, each child parented by its group; a failure marks its span", () =>
    Effect.gen(function*() {
      const { spans } = yield* traced(
        TaskGroup.scoped((group) =>
          Effect.gen(function*() {
            yield* group.spawn(Effect.sleep(5), { name: "fetch BTC" })
            yield* group.spawn(Effect.sleep(5), { name: "fetch ETH" })
            yield* group.spawn(Effect.fail("boom").pipe(Effect.delay(20)), { name: "fetch SOL" })
          }), { name: "pollers", mode: "supervise", concurrency: 2 })
      )
      const byName = new Map(spans.map((s) => [s.name, s]))
      const group = byName.get("TaskGroup pollers")!
      assert.isDefined(group, spans.map((s) => s.name).join(", "))
      assert.strictEqual(group.parentSpanContext?.spanId, byName.get("test")!.spanContext().spanId)
      for (const name of ["fetch BTC", "fetch ETH", "fetch SOL"]) {
        const child = byName.get(name)!
        assert.isDefined(child, name)
        assert.strictEqual(child.parentSpanContext?.spanId, group.spanContext().spanId, name)
        expect(child.attributes["taskscope.group"]).toStrictEqual("pollers")
      }
      // status codes: 2 ERROR, 1 OK
      expect([byName.get("fetch SOL")!.status.code, byName.get("fetch BTC")!.status.code]).toStrictEqual([2, 1])
    }))

  it.live("without a tracer installed (Effect's own), no span is made for the group or a child", () =>
    Effect.gen(function*() {
      const seen = yield* TaskGroup.scoped((group) =>
        Effect.flatMap(group.spawn(Effect.option(Effect.currentSpan), { name: "quiet" }), (t) => t.join)
      )
      expect(seen._tag).toStrictEqual("None")
    }))
})
