import { Executor } from "@taskscope/promise"
const log = []
const queue = new Executor({ concurrency: 2 })
for (const event of ["add", "active", "empty", "idle", "pendingZero", "next"]) queue.on(event, () => log.push(`${event} size=${queue.size} pending=${queue.pending}`))
queue.on("completed", (v) => log.push(`completed ${v}`))
queue.on("error", (e) => log.push(`error ${e.message}`))
let release; const gate = new Promise((r) => release = r)
const jobs = [queue.add(async () => { await gate; return "a" }), queue.add(async () => { await gate; throw new Error("b") }).catch(() => {}), queue.add(async () => "c")]
log.push("--- added")
queueMicrotask(() => log.push("(microtask after add)"))
release()
await Promise.all(jobs)
console.log(log.join("\n"))
