import { Executor } from "@taskscope/core"
import { Effect } from "effect"
const N = 100000, C = 8
const task = () => Promise.resolve()
for (let r = 0; r < 4; r++) {
  const t0 = process.cpuUsage()
  await Effect.runPromise(Effect.scoped(Effect.flatMap(Executor.make({ concurrency: C, queueCapacity: Infinity }), (ex) =>
    Effect.zipRight(Effect.suspend(() => { const spec = { name: "t", effect: Effect.promise(task) }; return Effect.repeatN(ex.submit(spec), N - 1) }), ex.onIdle))))
  const t = process.cpuUsage(t0)
  console.log("core Executor submit+onIdle", Math.round(N / ((t.user + t.system) / 1e6)).toLocaleString("en"), "ops/s cpu")
}
