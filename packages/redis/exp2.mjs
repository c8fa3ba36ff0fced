import { Redis } from "ioredis"
const tryUrl = (url, label, extra = {}) => new Promise((resolve) => { const t0 = Date.now(); const errors = []; let done = false
  const timer = setTimeout(() => { if (!done) { console.log(label, "HUNG", errors); r.disconnect(); resolve() } }, 6000)
  const r = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 2000, commandTimeout: 1000, retryStrategy: (t) => t > 1 ? null : 50, ...extra })
  r.on("error", (e) => errors.push(`${e.name}:${e.code}:${e.message}`))
  r.connect().then(() => r.ping()).then((x) => { done = true; clearTimeout(timer); console.log(label, Date.now()-t0, "OK", x, errors); r.disconnect(); resolve() },
    (e) => { done = true; clearTimeout(timer); console.log(label, Date.now()-t0, "FAIL", e.name, e.code, e.message, "events:", errors.slice(0,3)); r.disconnect(); resolve() })
})
await tryUrl(`redis://127.0.0.1:6398`, "plain-to-tls")
await tryUrl(`rediss://127.0.0.1:6398`, "tls-selfsigned")
await tryUrl(`rediss://127.0.0.1:6398`, "tls-ok", { tls: { rejectUnauthorized: false } })
await tryUrl(`rediss://:secret@127.0.0.1:6399`, "tls-to-plain")
