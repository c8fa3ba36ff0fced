// The worker-thread side of Offload: loads the module it was given and runs its exported functions
// on request. Messages in: { id, fn, args }. Messages out: { id, ok: true, value } or
// { id, ok: false, error: { name, message, stack } }.
import { parentPort, workerData } from "node:worker_threads"

const module = await import(workerData.module)

parentPort.on("message", async ({ id, fn, args }) => {
  try {
    const f = module[fn]
    if (typeof f !== "function") throw new TypeError(`the offload module has no exported function "${fn}"`)
    const value = await f(...args)
    parentPort.postMessage({ id, ok: true, value })
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error))
    parentPort.postMessage({ id, ok: false, error: { name: e.name, message: e.message, stack: e.stack } })
  }
})
parentPort.postMessage({ ready: true })
