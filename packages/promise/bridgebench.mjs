import { Deadline } from "@taskscope/core"
import { Effect, Context, Clock } from "effect"
import { fromCall } from "./dist/internal/bridge.js"
const N = 200000
const task = () => Promise.resolve()
const V = {
  P: () => Effect.async((resume) => { task().then(() => resume(Effect.void), (e) => resume(Effect.fail(e))) }),
  V1: () => fromCall(() => task()),
  V2: () => Effect.uninterruptibleMask((restore) => Effect.withFiberRuntime((fiber) => {
    const out = task()
    const settled = Effect.async((resume) => { out.then(() => resume(Effect.void), (e) => resume(Effect.fail(e))) })
    return Effect.onInterrupt(restore(settled), () => Effect.void)
  })),
  V3: () => Effect.withFiberRuntime((fiber) => {
    const out = task()
    const settled = Effect.async((resume) => { out.then(() => resume(Effect.void), (e) => resume(Effect.fail(e))) })
    return Effect.onInterrupt(settled, () => Effect.void)
  }),
  V4: () => Effect.withFiberRuntime((fiber) => Effect.async((resume) => {
    const out = task()
    out.then(() => resume(Effect.void), (e) => resume(Effect.fail(e)))
    return Effect.void
  })),
  D: () => Effect.flatMap(Deadline.current, () => Effect.void),
}
for (let r = 0; r < 3; r++) for (const [name, mk] of Object.entries(V)) {
  if (process.argv[2] && !process.argv[2].split(",").includes(name)) continue
  globalThis.gc?.()
  const t0 = process.cpuUsage()
  await Effect.runPromise(Effect.suspend(() => { let i = 0; const loop = Effect.suspend(() => mk()); return Effect.repeatN(loop, N - 1) }))
  const t = process.cpuUsage(t0)
  console.log(name.padEnd(3), ((t.user + t.system) / N).toFixed(2), "µs per call")
}
