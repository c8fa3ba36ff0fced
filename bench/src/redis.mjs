// Case 7: limits and queues shared on Redis — @taskscope/redis against Bottleneck's Redis mode and BullMQ.
// Needs redis-server: REDIS_URL, or one started here on a free loopback port (nothing saved to disk).
import { WorkQueue } from "@taskscope/core"
import { Redis, RedisLimiter, RedisWorkQueue } from "@taskscope/redis"
import { startRedis } from "@taskscope/test-support"
import Bottleneck from "bottleneck"
import { Queue as BullQueue, Worker as BullWorker } from "bullmq"
import { Effect, Exit, Layer, Schema, Scope } from "effect"
import { Redis as IORedis } from "ioredis"
import { randomUUID } from "node:crypto"

/** A Redis server for the benchmark: REDIS_URL, or a redis-server started here (undefined if there is none). */
export const redisServer = async () => {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => {} }
  try {
    return await startRedis()
  } catch {
    return undefined
  }
}

export const case7 = async ({ measure, quick, url }) => {
  const N = quick ? 300 : 2000
  const { hostname: host, port } = new URL(url)
  const scope = Effect.runSync(Scope.make())
  const redis = await Effect.runPromise(
    Layer.buildWithScope(Redis.layer({ url, prefix: `bench-${randomUUID()}` }), scope)
  )
  const inRedis = (effect) => Effect.runPromise(Effect.provide(Effect.scoped(effect), redis))
  const client = new IORedis(url)
  const connection = new Bottleneck.IORedisConnection({ client })
  try {
    await measureAll({ measure, N, host, port, url, inRedis, connection })
  } finally {
    // Bottleneck's connection opened a second (subscriber) client of its own: closing only `client`
    // left that one reconnecting forever once the server stopped, and `pnpm bench` never exited
    await connection.disconnect(false)
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

const measureAll = async ({ N, connection, host, inRedis, measure, port }) => {
  // 7a. a shared rate limit that is never reached: the cost of asking Redis, 64 callers at once
  const bottleneckRate = "Bottleneck (Redis datastore, reservoir)"
  const bottleneckPermits = "Bottleneck (Redis datastore, maxConcurrent 8)"
  const bull = "BullMQ (Queue.add + Worker, concurrency 8)"
  const group = `7a. a rate limit shared on Redis (never reached), ${N.toLocaleString("en")} calls, 64 callers`
  let n = 0
  await measure(group, "RedisLimiter (sliding window)", N, () =>
    inRedis(Effect.gen(function*() {
      const l = yield* RedisLimiter.make({
        name: `sw-${n++}`,
        rate: { limit: 1e9, interval: "1 second", algorithm: "slidingWindow" }
      })
      yield* Effect.forEach(Array.from({ length: N }), () => l.withPermit(Effect.void), {
        concurrency: 64,
        discard: true
      })
    })), { ours: true, vs: [{ peer: bottleneckRate }] })
  await measure(group, "RedisLimiter (GCRA token bucket)", N, () =>
    inRedis(Effect.gen(function*() {
      const l = yield* RedisLimiter.make({ name: `tb-${n++}`, rate: { limit: 1e9, interval: "1 second" } })
      yield* Effect.forEach(Array.from({ length: N }), () => l.withPermit(Effect.void), {
        concurrency: 64,
        discard: true
      })
    })), { ours: true, vs: [{ peer: bottleneckRate }] })
  await measure(group, bottleneckRate, N, async () => {
    const limiter = new Bottleneck({
      id: `b-${n++}`,
      datastore: "ioredis",
      connection,
      reservoir: 1e9,
      clearDatastore: true
    })
    await limiter.ready()
    await Promise.all(Array.from({ length: N }, () => limiter.schedule(() => Promise.resolve())))
    await limiter.disconnect() // its heartbeat timer; the shared connection stays open
  })

  // 7b. shared concurrency: 8 permits, 64 callers, each holding its permit for a resolved promise
  const group2 = `7b. 8 permits shared on Redis, ${N.toLocaleString("en")} calls, 64 callers`
  await measure(group2, "RedisLimiter (leased permits)", N, () =>
    inRedis(Effect.gen(function*() {
      const l = yield* RedisLimiter.make({ name: `c-${n++}`, concurrency: 8, pollInterval: "5 millis" })
      yield* Effect.forEach(Array.from({ length: N }), () => l.withPermit(Effect.void), {
        concurrency: 64,
        discard: true
      })
    })), { ours: true, vs: [{ peer: bottleneckPermits }] })
  await measure(group2, bottleneckPermits, N, async () => {
    const limiter = new Bottleneck({
      id: `bc-${n++}`,
      datastore: "ioredis",
      connection,
      maxConcurrent: 8,
      clearDatastore: true
    })
    await limiter.ready()
    await Promise.all(Array.from({ length: N }, () => limiter.schedule(() => Promise.resolve())))
    await limiter.disconnect() // its heartbeat timer; the shared connection stays open
  })

  // 7c. a shared work queue: put N items, 8 workers process them, until every one is acknowledged
  const group3 = `7c. a work queue on Redis: put ${N.toLocaleString("en")} items, 8 workers, until all are done`
  const Item = Schema.Struct({ n: Schema.Number })
  await measure(group3, "RedisWorkQueue + WorkQueue.consume", N, () =>
    inRedis(Effect.gen(function*() {
      const q = yield* RedisWorkQueue.open(`q-${n++}`, Item)
      const pool = yield* Effect.fork(WorkQueue.consume(q, { concurrency: 8 }, () => Effect.void))
      yield* Effect.forEach(Array.from({ length: N }, (_, i) => ({ n: i })), (item) => q.put(item), {
        concurrency: 8,
        discard: true
      })
      yield* q.join
      yield* q.shutdown()
      const report = yield* pool.await
      if (report._tag !== "Success" || report.value.processed < 1) throw new Error("the pool failed")
    })), { ours: true, vs: [{ peer: bull }] })
  const bullConnection = { host, port: Number(port), maxRetriesPerRequest: null }
  await measure(group3, bull, N, async () => {
    const name = `bull-${n++}`
    const queue = new BullQueue(name, { connection: bullConnection })
    let done = 0
    let resolveAll
    const all = new Promise((resolve) => (resolveAll = resolve))
    const worker = new BullWorker(name, async () => {}, { connection: bullConnection, concurrency: 8 })
    worker.on("completed", () => {
      if (++done === N) resolveAll()
    })
    const puts = []
    for (let i = 0; i < N; i++) puts.push(queue.add("job", { n: i }, { removeOnComplete: true }))
    await Promise.all(puts)
    await all
    await worker.close()
    await queue.obliterate({ force: true })
    await queue.close()
  })
}
