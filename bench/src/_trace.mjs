import { createHook } from "node:async_hooks"
const live = new Map()
createHook({
  init(id, type, trigger, resource) { if (type === "Timeout" || type === "TCPWRAP" || type === "PROCESSWRAP") live.set(id, { type, stack: new Error().stack.split("\n").slice(2, 12).join("\n"), resource }) },
  destroy(id) { live.delete(id) }
}).enable()
process.on("beforeExit", () => {})
globalThis.__dumpHandles = () => {
  for (const [id, { type, stack, resource }] of live) {
    if (type === "Timeout" && (resource._destroyed || !resource.hasRef?.())) continue
    process.stderr.write(`--- ${type} ${id} ${resource._idleTimeout ?? ""}\n${stack}\n`)
  }
}
setTimeout(() => globalThis.__dumpHandles(), 3000 + 4000).unref()
