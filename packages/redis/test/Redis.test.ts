// Each way a connection can be wrong, against a real redis-server (or a real non-Redis server) on a
// free loopback port: the error says what is wrong and where, without the password.
import { assert, describe, it } from "@effect/vitest"
import { Redis } from "@taskscope/redis"
import { Effect, Layer } from "effect"
import { createServer, type Server, type Socket } from "node:net"
import { freePort, startRedis } from "./redisServer.js"

/** Builds the connection layer and returns its error (a BackendError or InvalidOptionsError). */
const connectError = (options: Redis.Options) =>
  Effect.gen(function*() {
    const t0 = Date.now()
    const error = yield* Effect.flip(Effect.scoped(Layer.build(Redis.layer(options))))
    return { error, ms: Date.now() - t0 }
  })

/** A plain TCP server on a free loopback port (not Redis): `onConnection` decides what it does. */
const sockets = new Set<Socket>()
const server = (onConnection: (socket: Socket) => void) =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: Server; readonly port: number }>((resume) => {
      const s = createServer((socket) => {
        sockets.add(socket)
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

describe("Redis.layer: what is wrong, and where", () => {
  it.scopedLive("connection refused: retried for retryFor, then says nobody listens there", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(() => freePort())
      const { error, ms } = yield* connectError({ url: `redis://127.0.0.1:${port}`, retryFor: "300 millis" })
      assert.strictEqual(error._tag, "BackendError")
      assert.strictEqual(
        error.message,
        `redis connect: unavailable: connection refused by redis://127.0.0.1:${port}: is redis-server running there? (gave up after 300ms)`
      )
      assert.isAtLeast(ms, 250)
      assert.isAtMost(ms, 3000)
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

  it.scopedLive("no password for a server that needs one: says to put it in the URL", () =>
    Effect.gen(function*() {
      const redis = yield* redisServer({ password: "s3cret" })
      const { error } = yield* connectError({ url: `redis://127.0.0.1:${redis.port}` })
      assert.strictEqual(
        error.message,
        `redis connect: protocol: redis://127.0.0.1:${redis.port} requires a password and none was given (put it in the URL: redis://:password@host:port)`
      )
    }))

  it.scopedLive("a database index the server does not have fails at once (ioredis alone would go on with database 0)", () =>
    Effect.gen(function*() {
      const redis = yield* redisServer({})
      const { error, ms } = yield* connectError({ url: `${redis.url}/99` })
      assert.strictEqual(
        error.message,
        `redis connect: protocol: the database in the URL does not exist on ${redis.url}/99 (ERR DB index is out of range)`
      )
      assert.isAtMost(ms, 2000)
    }))

  it.scopedLive("a port that is not Redis (a server that answers in another protocol) fails at once", () =>
    Effect.gen(function*() {
      const http = yield* server((socket) => {
        socket.end("HTTP/1.1 400 Bad Request\r\n\r\n")
      })
      const { error, ms } = yield* connectError({ url: `redis://127.0.0.1:${http.port}` })
      assert.match(
        error.message,
        new RegExp(
          `^redis connect: protocol: redis://127\\.0\\.0\\.1:${http.port} is not a Redis server: it answered in another protocol .*check the port$`
        )
      )
      assert.isAtMost(ms, 2000)
    }))

  it.scopedLive("a port that accepts and never answers: no hang, says so after the time limits", () =>
    Effect.gen(function*() {
      const silent = yield* server(() => {})
      const { error, ms } = yield* connectError({
        url: `redis://127.0.0.1:${silent.port}`,
        commandTimeout: "200 millis",
        retryFor: "100 millis"
      })
      assert.match(
        error.message,
        new RegExp(
          `^redis connect: unavailable: no answer from redis://127\\.0\\.0\\.1:${silent.port} in time .*is it a Redis server\\?`
        )
      )
      assert.isAtMost(ms, 5000)
    }))

  it.scopedLive("TLS mismatch: rediss:// to a plain server, and redis:// to a TLS port", () =>
    Effect.gen(function*() {
      const plain = yield* redisServer({})
      const toPlain = yield* connectError({
        url: plain.url.replace("redis://", "rediss://"),
        commandTimeout: "300 millis",
        retryFor: "100 millis"
      })
      assert.match(
        toPlain.error.message,
        new RegExp(
          `^redis connect: unavailable: no answer from rediss://127\\.0\\.0\\.1:${plain.port} in time .*is TLS enabled on that port\\? A plain server needs redis://`
        )
      )
      const tls = yield* redisServer({ tls: true })
      const toTls = yield* connectError({
        url: tls.url.replace("rediss://", "redis://"),
        retryFor: "100 millis"
      })
      assert.match(
        toTls.error.message,
        new RegExp(`redis://127\\.0\\.0\\.1:${tls.port} reset the connection .*use rediss:// there`)
      )
      // and a TLS port with a certificate nobody signed: the certificate is the problem
      const selfSigned = yield* connectError({ url: tls.url })
      assert.match(
        selfSigned.error.message,
        new RegExp(
          `^redis connect: protocol: the TLS certificate of rediss://127\\.0\\.0\\.1:${tls.port} was rejected: self-signed certificate`
        )
      )
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
    }))
})
