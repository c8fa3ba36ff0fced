// quick throughput check: Executor (promise facade) vs p-queue, limit vs p-limit
import { Executor, limit } from "@taskscope/promise"
import pLimit from "p-limit"
import PQueue from "p-queue"

const N = Number(process.argv[2] ?? 100_000)
const C = Number(process.argv[3] ?? 8)
const cpu = async (fn) => {
  const t0 = process.cpuUsage(); const w0 = performance.now()
  await fn()
  const t = process.cpuUsage(t0); const w = performance.now() - w0
  return { cpuMs: (t.user + t.system) / 1000, wallMs: w }
}
const task = () => Promise.resolve()
const cases = {
  "p-queue": async () => { const q = new PQueue({ concurrency: C }); for (let i = 0; i < N; i++) q.add(task); await q.onIdle() },
  "Executor": async () => { const q = new Executor({ concurrency: C }); for (let i = 0; i < N; i++) q.add(task); await q.onIdle() },
  "p-limit": async () => { const l = pLimit(C); const ps = []; for (let i = 0; i < N; i++) ps.push(l(task)); await Promise.all(ps) },
  "limit": async () => { const l = limit(C); const ps = []; for (let i = 0; i < N; i++) ps.push(l(task)); await Promise.all(ps) },
}
const only = process.argv[4]?.split(",")
for (let r = 0; r < 3; r++) {
  for (const [name, fn] of Object.entries(cases)) {
    if (only && !only.includes(name)) continue
    globalThis.gc?.()
    const { cpuMs, wallMs } = await cpu(fn)
    console.log(`${name.padEnd(10)} ${Math.round(N / (wallMs / 1000)).toLocaleString("en").padStart(10)} ops/s wall, ${Math.round(N / (cpuMs / 1000)).toLocaleString("en").padStart(10)} ops/s cpu`)
  }
}
