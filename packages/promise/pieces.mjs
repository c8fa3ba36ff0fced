import { Executor, Task } from "@taskscope/core"
import { Effect, Scope, Exit } from "effect"
import { fromCall } from "./dist/internal/bridge.js"
const N = 100000, C = 8
const task = () => Promise.resolve()
const variant = process.argv[2]
const make = () => Effect.runSync(Effect.flatMap(Scope.make(), (s) => Scope.extend(Executor.make({ concurrency: C, queueCapacity: Infinity, spans: false, priority: "higherFirst" }), s)))
for (let r = 0; r < 4; r++) {
  globalThis.gc?.()
  const ex = make()
  const t0 = process.cpuUsage()
  for (let i = 0; i < N; i++) {
    let effect
    if (variant === "A") effect = Effect.promise(task)
    else effect = fromCall(() => task())
    const sub = ex.submit({ name: "t", effect, priority: 0 })
    if (variant === "C") Effect.runSyncExit(Effect.flatMap(sub, (t) => Task.onDone(t, () => {})))
    else if (variant === "D") { let res; const p = new Promise((r) => res = r); Effect.runSyncExit(Effect.flatMap(sub, (t) => Task.onDone(t, (x) => res(x)))) }
    else Effect.runSyncExit(sub)
  }
  await Effect.runPromise(ex.onIdle)
  const t = process.cpuUsage(t0)
  console.log(variant, Math.round(N / ((t.user + t.system) / 1e6)).toLocaleString("en"), "ops/s cpu")
}
