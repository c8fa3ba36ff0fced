import { Executor, limit } from "@taskscope/promise"
const N = 100000, C = 8
const which = process.argv[2]
const task = () => Promise.resolve()
for (let r = 0; r < 3; r++) {
  if (which === "limit") { const l = limit(C); const ps = []; for (let i = 0; i < N; i++) ps.push(l(task)); await Promise.all(ps) }
  else { const q = new Executor({ concurrency: C }); for (let i = 0; i < N; i++) q.add(task); await q.onIdle() }
}
