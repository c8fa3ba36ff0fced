import { Redis } from "@taskscope/redis"
import { Effect, Layer } from "effect"
import net from "node:net"
const junk = net.createServer((s) => { s.end("HTTP/1.1 400 Bad Request\r\n\r\n") })
await new Promise((r) => junk.listen(0, "127.0.0.1", r))
for (const url of [`redis://127.0.0.1:1`, `redis://127.0.0.1:${junk.address().port}`]) {
  const t0 = Date.now()
  const exit = await Effect.runPromiseExit(Effect.scoped(Layer.build(Redis.layer({ url, retryFor: "300 millis" }))).pipe(Effect.timeout("5 seconds")))
  console.log(url, Date.now() - t0, String(exit))
}
junk.close()
