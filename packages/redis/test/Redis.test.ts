// Each way a connection can be wrong, against a real redis-server (or a real non-Redis server) on a
// free loopback port: the error says what is wrong, what was tried (without the password, with or
// without TLS) and how long it really took; nothing reaches stdout or stderr. Real time is the point.
import { assert, describe, expect, it } from "@effect/vitest"
import { Limiter } from "@taskscope/core"
import { Redis, RedisLimiter } from "@taskscope/redis"
import { deadPort, startRedis } from "@taskscope/test-support"
import { Duration, Effect, Layer, Option, Stream } from "effect"
import { Redis as IORedis } from "ioredis"
import { createServer, type Server, type Socket, Socket as NetSocket } from "node:net"
import { afterEach, beforeEach, vi } from "vitest"

/** Builds the connection layer and returns its error (a BackendError or InvalidOptionsError). */
const connectError = (options: Redis.Options) =>
  Effect.gen(function*() {
    const t0 = Date.now()
    const error = yield* Effect.flip(Effect.scoped(Layer.build(Redis.layer(options))))
    return { error, ms: Date.now() - t0 }
  })

/** The time the message says it took ("in 340ms", "in 1.02s"), in milliseconds. */
const reportedMs = (message: string): number => {
  const found = / in (\d+(?:\.\d+)?)(ms|s)\)$/.exec(message)
  assert.isNotNull(found, `no duration in ${JSON.stringify(message)}`)
  return Number(found![1]) * (found![2] === "s" ? 1000 : 1)
}

/** The duration in the message is the real one (to the 10 ms it is shown with, and the test's own overhead). */
const assertRealDuration = (message: string, measuredMs: number) => {
  const reported = reportedMs(message)
  assert.isAtMost(reported, measuredMs + 10, message)
  assert.isAtLeast(reported, measuredMs - 25, `${message}: measured ${measuredMs} ms`)
}

/** A plain TCP server on a free loopback port (not Redis): `onConnection` decides what it does. */
const sockets = new Set<Socket>()
const server = (onConnection: (socket: Socket) => void) =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: Server; readonly port: number }>((resume) => {
      const s = createServer((socket) => {
        sockets.add(socket)
        socket.on("error", () => {})
        socket.on("close", () => sockets.delete(socket))
        onConnection(socket)
      })
      s.listen(0, "127.0.0.1", () => {
        const address = s.address()
        resume(Effect.succeed({ server: s, port: typeof address === "object" && address ? address.port : 0 }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        // sockets kept open by the peer would hold the close
        for (const socket of sockets) socket.destroy()
      })
  )

const redisServer = (options: Parameters<typeof startRedis>[0]) =>
  Effect.acquireRelease(Effect.promise(() => startRedis(options)), (s) => Effect.promise(() => s.stop()))

/**
 * A TCP proxy in front of the Redis on `port`: `reply` may change what the server sends back;
 * `resetAll()` resets (a TCP RST) every connection, and every one made after.
 */
const proxyTo = (port: number, reply: (chunk: Buffer) => Buffer = (chunk) => chunk) =>
  Effect.gen(function*() {
    const clients = new Set<Socket>()
    const upstreams = new Set<Socket>()
    let resetting = false
    const proxy = yield* server((client) => {
      if (resetting) {
        client.resetAndDestroy()
        return
      }
      clients.add(client)
      const upstream = new NetSocket()
      upstreams.add(upstream)
      upstream.on("error", () => client.destroy())
      upstream.connect(port, "127.0.0.1")
      client.on("data", (chunk: Buffer) => upstream.write(chunk))
      upstream.on("data", (chunk: Buffer) => client.write(reply(chunk)))
      client.on("close", () => {
        clients.delete(client)
        upstream.destroy()
      })
      upstream.on("close", () => client.destroy())
    })
    yield* Effect.addFinalizer(() => Effect.sync(() => upstreams.forEach((u) => u.destroy())))
    return {
      port: proxy.port,
      resetAll: () => {
        resetting = true
        for (const client of clients) client.resetAndDestroy()
      }
    }
  })

// the library writes nothing to stdout or stderr, whatever goes wrong: every test below checks it
let written: Array<string> = []
beforeEach(() => {
  written = []
  const record = (stream: string) => (chunk: unknown) => {
    written.push(`${stream}: ${String(chunk)}`)
    return true
  }
  vi.spyOn(process.stdout, "write").mockImplementation(record("stdout"))
  vi.spyOn(process.stderr, "write").mockImplementation(record("stderr"))
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: Array<unknown>) => {
      written.push(`console.${method}: ${args.map(String).join(" ")}`)
    })
  }
})
afterEach(() => {
  vi.restoreAllMocks()
  expect(written, "the library wrote to stdout or stderr").toStrictEqual([])
})

describe("Redis.layer: what is wrong, what was tried, how long it took", () => {
  it.scopedLive("connection refused: at once by default; tried again for retryFor, and says how long it really took", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(() => deadPort())
      const once = yield* connectError({ url: `redis://127.0.0.1:${port}` })
      assert.strictEqual(
        once.error.message,
        `redis connect: unavailable: connection refused by redis://127.0.0.1:${port}: is redis-server running there? (tried redis://127.0.0.1:${port} without TLS: 1 attempt in ${
          reportedMs(once.error.message)
        }ms)`
      )
      // (one attempt: not tried again)
      assert.isAtMost(once.ms, 1000)
      const { error, ms } = yield* connectError({ url: `redis://127.0.0.1:${port}`, retryFor: "300 millis" })
      assert.match(
        error.message,
        new RegExp(
          `^redis connect: unavailable: connection refused by redis://127\\.0\\.0\\.1:${port}: is redis-server running there\\? \\(tried redis://127\\.0\\.0\\.1:${port} without TLS: \\d+ attempts in `
        )
      )
      assertRealDuration(error.message, ms)
      assert.isAtLeast(ms, 300)
      assert.isAtMost(ms, 1000)
    }))

  it.scopedLive("a wrong password fails at once, and the message never shows the password", () =>
    Effect.gen(function*() {
      const redis = yield* redisServer({ password: "s3cret" })
      const { error, ms } = yield* connectError({ url: `redis://:wrong-pw@127.0.0.1:${redis.port}` })
      assert.strictEqual(error._tag, "BackendError")
      assert.match(
        error.message,
        new RegExp(
          `^redis connect: protocol: authentication failed at redis://127\\.0\\.0\\.1:${redis.port}: wrong user name or password`
        )
      )
      assert.notInclude(error.message, "wrong-pw")
      assert.isAtMost(ms, 2000, "not retried")
      // a user name stays, the password goes
      const named = yield* connectError({ url: `redis://default:wrong-pw@127.0.0.1:${redis.port}` })
      assert.include(named.error.message, `redis://default@127.0.0.1:${redis.port}`)
      assert.notInclude(named.error.message, "wrong-pw")
      // and the right password connects
      const ok = yield* Effect.scoped(Effect.map(
        Layer.build(Redis.layer({ url: redis.url })),
        (context) => context.unsafeMap.size
      ))
      assert.isAtLeast(ok, 1)
    }))

  it.scopedLive("a password for a server that needs none connects, and the client library prints nothing", () =>
    Effect.gen(function*() {
      const redis = yield* redisServer({})
      const url = redis.url.replace("redis://", "redis://:unneeded@")
      const state = yield* Effect.scoped(
        Effect.flatMap(Layer.build(Redis.layer({ url })), (context) => Effect.provide(Redis.connectionState, context))
      )
      assert.strictEqual(state._tag, "Connected")
    }))

  it.scopedLive("a user who may not run INFO connects, and the client library's warning about it never shows", () =>
    Effect.gen(function*() {
      const redis = yield* redisServer({})
      yield* Effect.acquireUseRelease(
        Effect.sync(() => new IORedis(redis.url, { lazyConnect: true })),
        (admin) => Effect.promise(() => admin.call("ACL", "SETUSER", "limited", "on", ">pw", "~*", "+@all", "-info")),
        (admin) => Effect.sync(() => admin.disconnect())
      )
      const url = redis.url.replace("redis://", "redis://limited:pw@")
      const context = yield* Layer.build(RedisLimiter.layer.pipe(Layer.provideMerge(Redis.layer({ url }))))
      const limiter = yield* Effect.provide(
        Effect.flatMap(Limiter.Limiters, (l) => l.make({ name: "acl", concurrency: 1 })),
        context
      )
      assert.strictEqual(yield* limiter.withPermit(Effect.succeed("ran")), "ran")
    }))

  it.scopedLive("no password for a server that needs one: says to put it in the URL", () =>
    Effect.gen(function*() {
      const redis = yield* redisServer({ password: "s3cret" })
      const { error } = yield* connectError({ url: `redis://127.0.0.1:${redis.port}` })
      assert.match(
        error.message,
        new RegExp(
          `^redis connect: protocol: redis://127\\.0\\.0\\.1:${redis.port} requires a password and none was given \\(put it in the URL: redis://:password@host:port\\) \\(tried redis://127\\.0\\.0\\.1:${redis.port} without TLS: 1 attempt in \\d+ms\\)$`
        )
      )
    }))

  it.scopedLive("a database index the server does not have fails at once (ioredis alone would go on with database 0)", () =>
    Effect.gen(function*() {
      const redis = yield* redisServer({})
      const { error, ms } = yield* connectError({ url: `${redis.url}/99` })
      assert.match(
        error.message,
        new RegExp(
          `^redis connect: protocol: the database in the URL does not exist on redis://127\\.0\\.0\\.1:${redis.port}/99 \\(ERR DB index is out of range\\)`
        )
      )
      assert.isAtMost(ms, 2000)
    }))

  it.scopedLive("a port that is not Redis: says what it answered, without the client library's own words", () =>
    Effect.gen(function*() {
      const http = yield* server((socket) => {
        socket.end("HTTP/1.1 400 Bad Request\r\n\r\n")
      })
      const { error, ms } = yield* connectError({ url: `redis://127.0.0.1:${http.port}` })
      assert.match(
        error.message,
        new RegExp(
          `^redis connect: protocol: redis://127\\.0\\.0\\.1:${http.port} is not a Redis server: it answered in another protocol \\(its first byte was "H"\\); check the port \\(tried`
        )
      )
      // ioredis adds "Please report this." to a reply it cannot parse: not meant for our users
      assert.notInclude(error.message, "report")
      assert.isAtMost(ms, 2000)
    }))

  it.scopedLive("a port that accepts and never answers: says so within a second (connectTimeout)", () =>
    Effect.gen(function*() {
      const silent = yield* server(() => {})
      // and retryFor does not make it wait longer: a port that never answers is not starting up
      const { error, ms } = yield* connectError({ url: `redis://127.0.0.1:${silent.port}`, retryFor: "5 seconds" })
      assert.match(
        error.message,
        new RegExp(
          `^redis connect: unavailable: redis://127\\.0\\.0\\.1:${silent.port} accepted the connection but did not answer within 800ms: is it a Redis server, and is it running \\(not stopped or overloaded\\)\\? \\(tried redis://127\\.0\\.0\\.1:${silent.port} without TLS: 1 attempt in `
        )
      )
      assertRealDuration(error.message, ms)
      assert.isAtLeast(ms, 800)
      assert.isAtMost(ms, 1000)
    }))

  it.scopedLive("TLS mismatch: rediss:// to a plain server says the TLS handshake failed, within a second", () =>
    Effect.gen(function*() {
      const plain = yield* redisServer({})
      const toPlain = yield* connectError({ url: plain.url.replace("redis://", "rediss://") })
      assert.match(
        toPlain.error.message,
        new RegExp(
          `^redis connect: unavailable: the TLS handshake with rediss://127\\.0\\.0\\.1:${plain.port} failed: no TLS answer within 800ms: is TLS enabled on that port\\? A plain server needs redis:// \\(tried rediss://127\\.0\\.0\\.1:${plain.port} over TLS: 1 attempt in `
        )
      )
      assertRealDuration(toPlain.error.message, toPlain.ms)
      assert.isAtMost(toPlain.ms, 1000)
      const tls = yield* redisServer({ tls: true })
      const toTls = yield* connectError({ url: tls.url.replace("rediss://", "redis://") })
      assert.match(
        toTls.error.message,
        new RegExp(`redis://127\\.0\\.0\\.1:${tls.port} reset the connection .*use rediss:// there`)
      )
      assert.include(toTls.error.message, "without TLS")
      // and a TLS port with a certificate nobody signed: the certificate is the problem
      const selfSigned = yield* connectError({ url: tls.url })
      assert.match(
        selfSigned.error.message,
        new RegExp(
          `^redis connect: protocol: the TLS certificate of rediss://127\\.0\\.0\\.1:${tls.port} was rejected: self-signed certificate`
        )
      )
      assert.include(selfSigned.error.message, "over TLS")
    }))

  it.scopedLive("options are checked before connecting: an InvalidOptionsError naming the option", () =>
    Effect.gen(function*() {
      const url = yield* connectError({ url: "http://:pw@nope" })
      assert.strictEqual(url.error._tag, "InvalidOptionsError")
      assert.strictEqual(
        url.error.message,
        `Redis options: url: Expected a redis:// or rediss:// URL, actual "http://nope"`
      )
      const timeout = yield* connectError({ url: "redis://127.0.0.1:1", commandTimeout: "soon" as never })
      assert.match(timeout.error.message, /^Redis options: commandTimeout: Expected a finite, positive duration/)
      const ping = yield* connectError({ url: "redis://127.0.0.1:1", pingTimeout: 0 })
      assert.match(ping.error.message, /^Redis options: pingTimeout: Expected a finite, positive duration/)
    }))
})

describe("Redis.connectionChanges: the state of the connection", () => {
  it.scopedLive("Connected from the start; Lost when the server is killed, Connected when it is back; a typed error meanwhile", () =>
    Effect.gen(function*() {
      const redis = yield* Effect.promise(() => startRedis({}))
      yield* Effect.addFinalizer(() => Effect.promise(() => redis.stop("SIGKILL")))
      const context = yield* Layer.build(Redis.layer({ url: redis.url }))
      const first = yield* Effect.provide(Redis.connectionState, context)
      assert.strictEqual(first._tag, "Connected")
      assert.isTrue(first._tag === "Connected" && Option.isNone(first.downtime))
      const seen: Array<Redis.ConnectionState> = []
      yield* Effect.forkScoped(
        Stream.runForEach(Redis.connectionChanges, (s) => Effect.sync(() => seen.push(s))).pipe(
          Effect.provide(context)
        )
      )
      yield* Effect.sleep("50 millis")
      const t0 = Date.now()
      yield* Effect.promise(() => redis.stop("SIGKILL"))
      while (seen.length < 2 && Date.now() - t0 < 5000) yield* Effect.sleep("5 millis")
      const lost = seen[1]
      assert.isTrue(lost !== undefined && Redis.ConnectionState.$is("Lost")(lost), String(lost?._tag))
      assert.isAtMost(Date.now() - t0, 1000)
      if (lost?._tag === "Lost") {
        assert.strictEqual(lost.error.reason, "unavailable")
        assert.include(lost.error.detail, `${redis.url} without TLS`)
      }
      yield* Effect.promise(() => redis.start())
      const t1 = Date.now()
      while (seen.length < 3 && Date.now() - t1 < 5000) yield* Effect.sleep("5 millis")
      const back = seen[2]
      assert.strictEqual(back?._tag, "Connected")
      if (back?._tag === "Connected" && lost?._tag === "Lost") {
        // the downtime is the real one: from the loss to the recovery
        const downtime = Option.getOrThrow(back.downtime)
        assert.strictEqual(Duration.toMillis(downtime), back.since.getTime() - lost.since.getTime())
      }
      expect(seen.map((s) => s._tag)).toStrictEqual(["Connected", "Lost", "Connected"])
    }))

  it.scopedLive("a connection that worked and is reset: the server went away — no advice to use TLS", () =>
    Effect.gen(function*() {
      const redis = yield* redisServer({})
      // a server killed with a command unread resets the connection (a TCP RST): the proxy does
      const proxy = yield* proxyTo(redis.port)
      const context = yield* Layer.build(Redis.layer({ url: `redis://127.0.0.1:${proxy.port}` }))
      const seen: Array<Redis.ConnectionState> = []
      yield* Effect.forkScoped(
        Stream.runForEach(Redis.connectionChanges, (s) => Effect.sync(() => seen.push(s))).pipe(
          Effect.provide(context)
        )
      )
      yield* Effect.sleep("50 millis")
      proxy.resetAll()
      const t0 = Date.now()
      while (seen.length < 2 && Date.now() - t0 < 5000) yield* Effect.sleep("5 millis")
      const lost = seen[1]
      assert.strictEqual(lost?._tag, "Lost")
      if (lost?._tag === "Lost") {
        assert.include(lost.error.detail, "reset the connection", lost.error.detail)
        assert.include(lost.error.detail, "the server stopped, restarted or dropped this client?", lost.error.detail)
        assert.notInclude(lost.error.detail, "rediss://", lost.error.detail)
      }
    }))

  it.scopedLive("a reply the client library cannot parse: a typed error in our words, never its own", () =>
    Effect.gen(function*() {
      const redis = yield* redisServer({})
      // a proxy in front of the server that can slip a byte no Redis sends into the replies
      let corrupt = false
      const proxy = yield* proxyTo(redis.port, (chunk) => corrupt ? Buffer.concat([Buffer.from("?"), chunk]) : chunk)
      const context = yield* Layer.build(
        RedisLimiter.layer.pipe(Layer.provideMerge(Redis.layer({ url: `redis://127.0.0.1:${proxy.port}` })))
      )
      const limiter = yield* Effect.provide(
        Effect.flatMap(Limiter.Limiters, (l) => l.make({ name: "parse", concurrency: 1 })),
        context
      )
      corrupt = true
      const error = yield* Effect.flip(limiter.withPermit(Effect.void))
      assert.strictEqual(error._tag, "BackendError")
      assert.notInclude(error.message, "report", error.message)
      assert.include(error.message, `redis://127.0.0.1:${proxy.port}`)
      const state = yield* Effect.provide(Redis.connectionState, context)
      assert.strictEqual(state._tag, "Lost")
      if (state._tag === "Lost") {
        assert.notInclude(state.error.detail, "report", state.error.detail)
        assert.include(state.error.detail, "is not a Redis server", `${state.error.detail} / ${error.message}`)
      }
    }))
})
