import { Executor } from "@taskscope/core"
import { Effect, Scope } from "effect"
const N = 100000
const shared = Effect.void
gc(); gc()
const before = process.memoryUsage().heapUsed
const ex = Effect.runSync(Effect.flatMap(Scope.make(), (s) => Scope.extend(Executor.make({ concurrency: 8, queueCapacity: Infinity, autoStart: false, spans: false, priority: "higherFirst" }), s)))
const specs = []
for (let i = 0; i < N; i++) specs.push({ name: String(i), effect: shared, priority: 0 })
Effect.runSync(Effect.forEach(specs, (s) => ex.submit(s), { discard: true }))
specs.length = 0
gc(); gc()
console.log("core:", Math.round((process.memoryUsage().heapUsed - before) / N), "B per queued task (shared effect)")
