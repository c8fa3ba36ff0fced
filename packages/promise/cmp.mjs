import { Executor as CoreExecutor } from "@taskscope/core"
import { Executor } from "@taskscope/promise"
import { Effect, Scope } from "effect"
import PQueue from "p-queue"
const N = 100000, C = Number(process.argv[2] ?? 8)
const task = () => Promise.resolve()
const cases = {
  "p-queue": async () => { const q = new PQueue({ concurrency: C }); for (let i = 0; i < N; i++) q.add(task); await q.onIdle() },
  "core (promise effects)": async () => {
    const ex = Effect.runSync(Effect.flatMap(Scope.make(), (s) => Scope.extend(CoreExecutor.make({ concurrency: C, queueCapacity: Infinity, spans: false, priority: "higherFirst" }), s)))
    const specs = []
    for (let i = 0; i < N; i++) {
      let res; const p = new Promise((r) => res = r)
      specs.push({ name: String(i), effect: Effect.async((resume) => { task().then(() => { res(); resume(Effect.void) }) }), priority: 0 })
    }
    Effect.runSync(Effect.forEach(specs, (s) => ex.submit(s), { discard: true }))
    await Effect.runPromise(ex.onIdle)
  },
  "Executor": async () => { const q = new Executor({ concurrency: C }); for (let i = 0; i < N; i++) q.add(task); await q.onIdle() },
}
const res = {}
for (let r = 0; r < 5; r++) for (const [name, fn] of Object.entries(cases)) {
  globalThis.gc?.()
  const t0 = process.cpuUsage(); await fn(); const t = process.cpuUsage(t0)
  ;(res[name] ??= []).push(N / ((t.user + t.system) / 1e6))
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
for (const [k, v] of Object.entries(res)) console.log(k.padEnd(24), Math.round(med(v)).toLocaleString("en").padStart(9), "ops/s cpu (median of 5)", (med(v) / med(res["p-queue"])).toFixed(2) + "×")
