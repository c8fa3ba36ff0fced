import { Executor } from "@taskscope/core"
import { Effect, Scope } from "effect"
import { fromCall } from "./dist/internal/bridge.js"
const N = 100000, C = 8
const task = () => Promise.resolve()
const variant = process.argv[2]
const make = () => Effect.runSync(Effect.flatMap(Scope.make(), (s) => Scope.extend(Executor.make({ concurrency: C, queueCapacity: Infinity, spans: false, priority: "higherFirst" }), s)))
const plainAsync = () => Effect.async((resume) => { task().then(() => resume(Effect.void), (e) => resume(Effect.fail(e))) })
for (let r = 0; r < 4; r++) {
  globalThis.gc?.()
  const ex = make()
  const t0 = process.cpuUsage()
  const specs = []
  for (let i = 0; i < N; i++) {
    let effect
    if (variant === "A") effect = Effect.promise(task)
    else if (variant === "P") effect = plainAsync()
    else if (variant === "B") effect = fromCall(() => task())
    else if (variant === "C") { let res; const p = new Promise((r) => res = r); effect = Effect.onExit(fromCall(() => task()), (exit) => Effect.sync(() => res(exit))) }
    specs.push({ name: "t", effect, priority: 0 })
  }
  Effect.runSync(Effect.forEach(specs, (s) => ex.submit(s), { discard: true }))
  await Effect.runPromise(ex.onIdle)
  const t = process.cpuUsage(t0)
  console.log(variant, Math.round(N / ((t.user + t.system) / 1e6)).toLocaleString("en"), "ops/s cpu")
}
