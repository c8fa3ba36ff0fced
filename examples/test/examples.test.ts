/**
 * Every example runs here on the TestClock, and what it prints is compared line by line with the
 * lines the Python program in its comment prints (where they differ, the comment says how) — the
 * timestamps included, so each timing is asserted exactly. The examples avoid two tasks waking at
 * the same instant: neither asyncio nor Effect promises an order for those.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { Event } from "@taskscope/core"
import { Effect, Fiber, TestClock } from "effect"
import { readdirSync } from "node:fs"
import * as asCompleted from "../src/as-completed.js"
import * as cpuBound from "../src/cpu-bound.js"
import * as createTask from "../src/create-task.js"
import * as doneCallback from "../src/done-callback.js"
import * as executor from "../src/executor.js"
import * as gather from "../src/gather.js"
import * as gracefulShutdown from "../src/graceful-shutdown.js"
import * as priceFallback from "../src/price-fallback.js"
import * as producerConsumer from "../src/producer-consumer.js"
import * as rateLimitedFetcher from "../src/rate-limited-fetcher.js"
import * as retryAfter from "../src/retry-after.js"

/** Runs `program` with `console.log` captured: its result, and the lines it printed. */
const captured = <A, E>(program: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const console = yield* Effect.console
    const capture = {
      ...console,
      log: (...args: ReadonlyArray<unknown>) => Effect.sync(() => lines.push(args.join(" ")))
    }
    const result = yield* Effect.withConsole(program, capture)
    return { lines, result }
  })

/** The lines `program` prints, the TestClock moved on until it is done. */
const transcript = <A, E>(program: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(captured(program))
    yield* TestClock.adjust("1 hour")
    return (yield* Fiber.join(fiber)).lines
  })

const expectTranscript = <A, E>(program: Effect.Effect<A, E>, expected: ReadonlyArray<string>) =>
  Effect.map(transcript(program), (lines) => expect(lines).toStrictEqual(expected))

describe("the asyncio examples", () => {
  it("each example has a test here", () => {
    const files = readdirSync(new URL("../src/", import.meta.url)).filter((f) => f.endsWith(".ts")).sort()
    expect(files).toStrictEqual([
      "as-completed.ts",
      "cpu-bound.ts",
      "create-task.ts",
      "done-callback.ts",
      "executor.ts",
      "gather.ts",
      "graceful-shutdown.ts",
      "price-fallback.ts",
      "producer-consumer.ts",
      "rate-limited-fetcher.ts",
      "retry-after.ts"
    ])
  })

  it.effect("as_completed", () =>
    expectTranscript(asCompleted.main, [
      "[ 1.0s] small.txt downloaded",
      "[ 2.0s] mid.zip downloaded",
      "[ 3.0s] big.iso downloaded",
      "[ 3.0s] all downloaded"
    ]))

  it.effect("gather with return_exceptions", () =>
    expectTranscript(gather.main, [
      // every outcome at once, when the slowest is done, in the order given
      "[ 3.0s] /users: 200 OK",
      "[ 3.0s] ConnectionError: /orders: connection reset",
      "[ 3.0s] /stock: 200 OK"
    ]))

  it.effect("create_task, done, result, cancel", () =>
    expectTranscript(createTask.main, [
      "[ 0.0s] short started",
      "[ 0.0s] long started",
      "[ 1.0s] short cleaned up",
      "[ 2.0s] short done=true result=1",
      "[ 2.0s] long done=false",
      // cancel waits for the cleanup, then the task is cancelled
      "[ 2.0s] long cleaned up",
      "[ 2.0s] long cancelled=true"
    ]))

  it.effect("add_done_callback", () =>
    expectTranscript(doneCallback.main, [
      "[ 1.0s] resize returned 10",
      "[ 2.0s] import failed: bad row 17",
      "[ 3.0s] backup was cancelled"
    ]))

  it.effect("producer-consumer with task_done and join", () =>
    expectTranscript(producerConsumer.main, [
      // two orders being packed, two in the queue (capacity 2): order 5 waits for room until 0.8 s
      "[ 0.0s] queued order 1",
      "[ 0.0s] queued order 2",
      "[ 0.0s] queued order 3",
      "[ 0.0s] queued order 4",
      "[ 0.8s] fast packer packed order 1",
      "[ 0.8s] queued order 5",
      "[ 1.5s] slow packer packed order 2",
      "[ 1.6s] fast packer packed order 3",
      "[ 2.4s] fast packer packed order 5",
      // join() returns when the last order is done, not when the queue is empty (at 1.6 s)
      "[ 3.0s] slow packer packed order 4",
      "[ 3.0s] all orders packed"
    ]))

  it.effect("graceful shutdown on an Event", () =>
    Effect.gen(function*() {
      const stop = yield* Event.make()
      // the "signal" arrives at 2.5 s, in the middle of a unit of work
      const signal = Effect.zipRight(Effect.sleep("2500 millis"), stop.set)
      const lines = yield* transcript(Effect.zipRight(Effect.fork(signal), gracefulShutdown.program(stop)))
      expect(lines).toStrictEqual([
        "[ 0.0s] fetcher: working",
        "[ 0.0s] writer: working",
        "[ 0.8s] writer: working",
        "[ 1.0s] fetcher: working",
        "[ 1.6s] writer: working",
        "[ 2.0s] fetcher: working",
        "[ 2.4s] writer: working",
        // both waits end with the event, not at the end of their unit (3.0 s, 3.2 s)
        "[ 2.5s] fetcher: flushing",
        "[ 2.5s] writer: flushing",
        "[ 2.8s] writer: stopped",
        // the group waits for the slower flush
        "[ 3.0s] fetcher: stopped",
        "[ 3.0s] all workers stopped"
      ])
    }))

  it.effect("graceful shutdown: main stops on its own after 3.5 s without a signal", () =>
    Effect.map(transcript(gracefulShutdown.main), (lines) => {
      assert.strictEqual(lines.at(-1), "[ 4.0s] all workers stopped")
      assert.include(lines, "[ 3.5s] writer: flushing")
    }))

  it.effect("a rate-limited fetcher", () =>
    expectTranscript(rateLimitedFetcher.main, [
      // at most 2 starts in any 1-second window, at most 3 in flight (each takes 1.5 s)
      "[ 0.0s] GET /items/0",
      "[ 0.0s] GET /items/1",
      "[ 1.0s] GET /items/2", // the window has room again; 2 in flight
      "[ 1.5s] GET /items/3", // 0 and 1 done, but only one start since 0.5 s is allowed
      "[ 2.0s] GET /items/4",
      "[ 2.5s] GET /items/5",
      "[ 3.0s] GET /items/6",
      "[ 4.5s] fetched 7 items"
    ]))

  it.effect("prices from several sources with a fallback", () =>
    expectTranscript(priceFallback.main, [
      "[ 0.1s] DOGE: binance failed (SourceError), trying the next source",
      "[ 0.2s] BTC: 97000 from binance",
      "[ 0.3s] ETH: 3400 from binance",
      "[ 0.4s] DOGE: coinbase failed (SourceError), trying the next source",
      "[ 0.8s] DOGE: kraken failed (SourceError), trying the next source",
      // binance hangs on SOL: the 1-second timeout moves on to coinbase
      "[ 1.0s] SOL: binance failed (TimeoutError), trying the next source",
      "[ 1.3s] SOL: 180 from coinbase",
      "[ 1.3s] done: BTC: 97000, ETH: 3400, SOL: 180, DOGE: Failed"
    ]))

  it.effect("retry honouring retry_after", () =>
    expectTranscript(retryAfter.main, [
      "[ 0.0s] GET /ticker",
      // the 429's Retry-After: 3 s exactly, not the backoff
      "[ 3.0s] GET /ticker",
      // then the backoff of the 2nd and 3rd attempts: 1 s, 2 s
      "[ 4.0s] GET /ticker",
      "[ 6.0s] GET /ticker",
      "[ 6.0s] BTC 97,000"
    ]))

  it.effect("the task executor: semaphore, timeouts, retries", () =>
    expectTranscript(executor.main, [
      // two at a time; invoices fails at 0.4 s and keeps its slot through the 0.5 s backoff
      "[ 0.0s] thumbnails: attempt 1 started",
      "[ 0.0s] invoices: attempt 1 started",
      "[ 0.9s] invoices: attempt 2 started",
      "[ 1.0s] export: attempt 1 started",
      "[ 1.3s] emails: attempt 1 started",
      // each export attempt times out after 2 s; backoff 0.5 s, then 1 s
      "[ 3.5s] export: attempt 2 started",
      "[ 6.5s] export: attempt 3 started",
      "[ 8.5s] thumbnails: thumbnails done (attempts: 1)",
      "[ 8.5s] invoices: invoices done (attempts: 2)",
      "[ 8.5s] export: TimedOut (attempts: 3)",
      "[ 8.5s] emails: emails done (attempts: 1)"
    ]))

  it.live(
    "run_in_executor: CPU-bound work on worker threads, the event loop free meanwhile",
    () =>
      Effect.gen(function*() {
        const { lines, result: { beats, results } } = yield* captured(cpuBound.main)
        expect(results).toStrictEqual([9227465, 14930352])
        // the heartbeat (every 50 ms) went on while both threads computed (a blocked
        // event loop would not tick once before the heartbeat is interrupted)
        assert.isAtLeast(beats, 1)
        expect(lines).toStrictEqual([
          `fib(35), fib(36) = [9227465, 14930352]; the event loop ticked ${beats} times meanwhile`
        ])
      }),
    30_000
  )
})
