// Real time is the point here: the limits are decided on the Redis server's clock.
import { assert, describe, expect, it } from "@effect/vitest"
import { Limiter } from "@taskscope/core"
import { RedisLimiter } from "@taskscope/redis"
import { Duration, Effect, Fiber, Layer } from "effect"
import { Redis as IORedis } from "ioredis"
import { eventually, inProcess, type Proc, processes, url } from "./helpers.js"

const maxInWindow = (starts: ReadonlyArray<number>, windowMs: number) => {
  const sorted = [...starts].sort((a, b) => a - b)
  let max = 0
  let j = 0
  for (let i = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= windowMs) j++
    max = Math.max(max, i - j + 1)
  }
  return max
}

describe("RedisLimiter", () => {
  it.scopedLive("a sliding window is shared: two processes together never exceed it in any window", () =>
    Effect.gen(function*() {
      const { procs: [a, b] } = yield* processes(2)
      const starts: Array<number> = []
      const proc = (layer: Proc) =>
        inProcess(
          layer,
          Effect.scoped(Effect.gen(function*() {
            const limiter = yield* RedisLimiter.make({
              name: "api",
              rate: { limit: 10, interval: "400 millis", algorithm: "slidingWindow" }
            })
            yield* Effect.forEach(
              Array.from({ length: 15 }),
              () => limiter.withPermit(Effect.sync(() => starts.push(Date.now()))),
              { concurrency: 5, discard: true }
            )
          }))
        )
      const t0 = Date.now()
      yield* Effect.all([proc(a!), proc(b!)], { concurrency: "unbounded" })
      const elapsed = Date.now() - t0
      assert.strictEqual(starts.length, 30)
      // 30 starts at 10 per 400 ms: the last batch cannot start before 800 ms
      assert.isAtLeast(elapsed, 780)
      // a start is seen here up to L ms after the server decided it (a round trip, a busy event
      // loop): k starts seen within 400 - L ms were decided within 400 ms, so k ≤ 10 (L = 150)
      assert.isAtMost(maxInWindow(starts, 250), 10)
    }))

  it.scopedLive("a token bucket (GCRA) allows the burst, then the rate", () =>
    Effect.gen(function*() {
      const { procs: [a] } = yield* processes(1)
      const t0 = Date.now()
      const times = yield* inProcess(
        a!,
        Effect.scoped(Effect.gen(function*() {
          const limiter = yield* RedisLimiter.make({
            name: "bucket",
            rate: { limit: 20, interval: "1 second", burst: 5 }
          })
          return yield* Effect.forEach(Array.from({ length: 9 }), () =>
            limiter.withPermit(Effect.sync(() => Date.now() - t0)))
        }))
      )
      // the burst of 5 goes at once (5 round trips), then one per 50 ms: the 9th not before 200 ms
      assert.isAtLeast(times[8]!, 190)
      assert.isBelow(times[4]! - times[0]!, (times[8]! - times[4]!) / 2)
    }))

  it.scopedLive("permits are shared and granted in arrival order across processes", () =>
    Effect.gen(function*() {
      const { procs: [a, b] } = yield* processes(2)
      let running = 0
      let peak = 0
      const order: Array<string> = []
      const job = (limiter: Limiter.Limiter<any>, id: string) =>
        limiter.withPermit(
          Effect.sync(() => {
            order.push(id)
            peak = Math.max(peak, ++running)
          }).pipe(Effect.zipRight(Effect.sleep("60 millis")), Effect.ensuring(Effect.sync(() => running--)))
        )
      yield* Effect.scoped(Effect.gen(function*() {
        const la = yield* inProcess(a!, RedisLimiter.make({ name: "pool", concurrency: 1, pollInterval: "5 millis" }))
        const lb = yield* inProcess(b!, RedisLimiter.make({ name: "pool", concurrency: 1, pollInterval: "5 millis" }))
        yield* la.acquire()
        // queue in a known order: b1, a2, b3 (each registered before the next arrives)
        const fibers: Array<Fiber.RuntimeFiber<void, any>> = []
        for (const [limiter, id] of [[lb, "b1"], [la, "a2"], [lb, "b3"]] as const) {
          fibers.push(yield* Effect.fork(job(limiter, id)))
          const queued = fibers.length
          yield* eventually(Effect.map(la.stats, (s) => s.waiting === queued), `${id} to queue`)
        }
        assert.strictEqual((yield* la.stats).waiting, 3)
        yield* la.release()
        yield* Fiber.joinAll(fibers)
        const stats = yield* lb.stats
        assert.strictEqual(stats.held, 0)
        assert.strictEqual(stats.waiting, 0)
      }))
      expect(order).toStrictEqual(["b1", "a2", "b3"])
      assert.strictEqual(peak, 1)
    }))

  it.scopedLive("an interrupted waiter leaves no ticket and no permit behind", () =>
    Effect.gen(function*() {
      const { procs: [a] } = yield* processes(1)
      yield* inProcess(
        a!,
        Effect.gen(function*() {
          const limiter = yield* RedisLimiter.make({ name: "x", concurrency: 2, pollInterval: "5 millis" })
          yield* limiter.acquire({ permits: 2 })
          const waiters = yield* Effect.forEach(
            Array.from({ length: 5 }),
            () => Effect.fork(limiter.withPermit(Effect.never)),
            { concurrency: "unbounded" }
          )
          yield* eventually(Effect.map(limiter.stats, (s) => s.waiting === 5), "5 waiters")
          // interrupt them while the permits come free: some may have been granted just before
          yield* limiter.release(2)
          yield* Effect.forEach(waiters, Fiber.interrupt, { concurrency: "unbounded" })
          const stats = yield* limiter.stats
          assert.strictEqual(stats.waiting, 0)
          assert.strictEqual(stats.held, 0)
          assert.strictEqual(stats.available, 2)
          assert.isTrue(yield* limiter.tryAcquire({ permits: 2 }))
          assert.isFalse(yield* limiter.tryAcquire())
        })
      )
    }))

  it.scopedLive("pause in one process stops every process", () =>
    Effect.gen(function*() {
      const { procs: [a, b] } = yield* processes(2)
      const la = yield* inProcess(a!, RedisLimiter.make({ name: "p", rate: { limit: 100, interval: "1 second" } }))
      const lb = yield* inProcess(b!, RedisLimiter.make({ name: "p", rate: { limit: 100, interval: "1 second" } }))
      yield* la.pause("300 millis")
      const t0 = Date.now()
      assert.isFalse(yield* lb.tryAcquire())
      yield* lb.withPermit(Effect.void)
      assert.isAtLeast(Date.now() - t0, 280)
      assert.isTrue(yield* la.tryAcquire())
    }))

  it.scopedLive("the permits of a process that stops renewing come back after the lease time-to-live", () =>
    Effect.gen(function*() {
      const { procs: [a, b] } = yield* processes(2)
      const lb = yield* inProcess(b!, RedisLimiter.make({ name: "lease", concurrency: 1, leaseTtl: "300 millis" }))
      // process a takes the permit and dies without releasing: its heartbeat stops with its scope's fiber
      const dead = yield* Effect.fork(
        inProcess(
          a!,
          Effect.scoped(Effect.gen(function*() {
            const la = yield* RedisLimiter.make({ name: "lease", concurrency: 1, leaseTtl: "300 millis" })
            yield* la.acquire()
            // hold it well past the TTL: the heartbeat keeps it
            yield* Effect.sleep("600 millis")
            ;(la as unknown as { leases: Array<unknown> }).leases.length = 0 // forget it, as a killed process would: no renewal, no release
            yield* Effect.never
          }))
        )
      )
      yield* Effect.sleep("500 millis")
      assert.isFalse(yield* lb.tryAcquire(), "held while the heartbeat runs")
      const t0 = Date.now()
      yield* lb.acquire()
      const waited = Date.now() - t0
      assert.isAtLeast(waited, 50)
      assert.isAtMost(waited, 900)
      yield* Fiber.interrupt(dead)
    }))

  it.scopedLive("a permit held by withPermit for longer than leaseTtl is renewed: no other process gets it", () =>
    Effect.gen(function*() {
      const { procs: [a, b] } = yield* processes(2)
      const options = { name: "renewed", concurrency: 1, leaseTtl: "300 millis" } as const
      const la = yield* inProcess(a!, RedisLimiter.make(options))
      const lb = yield* inProcess(b!, RedisLimiter.make(options))
      const held = yield* Effect.makeLatch(false)
      const holder = yield* Effect.fork(la.withPermit(Effect.zipRight(held.open, Effect.sleep("1 second"))))
      yield* held.await
      // three lease lifetimes later the permit is still held, by the same process
      yield* Effect.sleep("900 millis")
      assert.isFalse(yield* lb.tryAcquire(), "the lease expired while it was held")
      yield* Fiber.join(holder)
      assert.isTrue(yield* lb.tryAcquire())
    }))

  it.scopedLive("options are decoded once, with the rules of Limiter.make; a Duration is a duration", () =>
    Effect.gen(function*() {
      const { procs: [a] } = yield* processes(1)
      const invalid = yield* Effect.flip(inProcess(a!, RedisLimiter.make({ name: "v", concurrency: -1 })))
      assert.strictEqual(invalid._tag, "InvalidOptionsError")
      assert.strictEqual(
        invalid.message,
        "RedisLimiter options: concurrency: Expected a non-negative integer or Infinity, actual -1"
      )
      const noTtl = yield* Effect.flip(inProcess(a!, RedisLimiter.make({ name: "v", leaseTtl: "soon" as never })))
      assert.match(noTtl.message, /^RedisLimiter options: leaseTtl: Expected a finite, positive duration/)
      const noName = yield* Effect.flip(inProcess(a!, RedisLimiter.make({ name: "" })))
      assert.match(noName.message, /^RedisLimiter options: name:/)
      // the old options module rejected a Duration value its type accepts
      const limiter = yield* inProcess(
        a!,
        RedisLimiter.make({
          name: "d",
          concurrency: 1,
          leaseTtl: Duration.seconds(5),
          pollInterval: Duration.millis(5)
        })
      )
      yield* limiter.withPermit(Effect.void)
    }))

  it.scopedLive("a keyed limiter honours its options, names its keys name:key, and closes idle keys' handles", () =>
    Effect.gen(function*() {
      const { prefix, procs: [a] } = yield* processes(1)
      const keyed = yield* inProcess(
        a!,
        RedisLimiter.keyed("rate", (_: string) => ({ concurrency: 1 }), { idleTimeout: "200 millis" })
      )
      yield* keyed.withPermit("binance", Effect.void)
      assert.strictEqual((yield* keyed.get("kraken")).name, "rate:kraken")
      assert.strictEqual(yield* keyed.size, 2)
      // the state is in Redis under the key's name
      const r = yield* Effect.acquireRelease(
        Effect.sync(() => new IORedis(url)),
        (c) => Effect.sync(() => c.disconnect())
      )
      assert.strictEqual(yield* Effect.promise(() => r.get(`{${prefix}:limiter:rate:binance}:capacity`)), "1")
      // held: never evicted; idle: its handle is closed
      const holder = yield* Effect.fork(keyed.withPermit("binance", Effect.never))
      yield* eventually(Effect.map(keyed.stats, (s) => s.get("binance")?.held === 1), "the permit is held")
      yield* Effect.sleep("450 millis")
      assert.strictEqual(yield* keyed.size, 1, "kraken was idle; binance is in use")
      yield* Fiber.interrupt(holder)
      yield* Effect.sleep("450 millis")
      assert.strictEqual(yield* keyed.size, 0)
      const bad = yield* Effect.flip(inProcess(a!, RedisLimiter.keyed("x", () => ({}), { idleTimeout: 0 })))
      assert.match(bad.message, /^RedisLimiter\.keyed options: idleTimeout:/)
    }))

  it.scopedLive("the Limiters service: the same code on layerMemory and on RedisLimiter.layer", () =>
    Effect.gen(function*() {
      const program = Effect.scoped(Effect.gen(function*() {
        const limiters = yield* Limiter.Limiters
        const l1 = yield* limiters.make({ name: "svc", concurrency: 2 })
        const l2 = yield* limiters.make({ name: "svc", concurrency: 2 })
        yield* l1.acquire()
        yield* l2.acquire()
        const full = yield* l1.tryAcquire()
        const keyed = yield* limiters.keyed("hosts", (_: string) => ({ concurrency: 1 }))
        const out = yield* keyed.withPermit("a", Effect.succeed("ok"))
        return { full, out, backend: limiters.backend }
      }))
      const memory = yield* Effect.provide(program, Limiter.layerMemory)
      const shared = yield* Effect.provide(
        program,
        RedisLimiter.layer.pipe(Layer.provide(Layer.succeedContext((yield* processes(1)).procs[0]!)))
      )
      expect(memory).toStrictEqual({ full: false, out: "ok", backend: "memory" })
      expect(shared).toStrictEqual({ full: false, out: "ok", backend: "redis" })
    }))
})
