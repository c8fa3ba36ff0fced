import { Executor } from "@taskscope/promise"
import PQueue from "p-queue"
const N = 100000
const task = () => Promise.resolve()
for (const [name, make] of [["p-queue", () => new PQueue({ concurrency: 8, autoStart: false })], ["Executor", () => new Executor({ concurrency: 8, autoStart: false })]]) {
  gc(); gc()
  const before = process.memoryUsage().heapUsed
  const q = make()
  const ps = []
  for (let i = 0; i < N; i++) ps.push(q.add(task))
  q.size
  gc(); gc()
  const after = process.memoryUsage().heapUsed
  console.log(name, Math.round((after - before) / N), "B per queued task")
  q.start(); await q.onIdle()
}
