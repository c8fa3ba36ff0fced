/**
 * CPU-bound work on a pool of worker threads (asyncio's `run_in_executor`).
 *
 * A pool loads one module of yours in each worker thread and runs its exported functions on
 * request, so the event loop (and every fiber on it) keeps running meanwhile. Arguments and
 * results cross threads by structured clone. Interrupting the caller terminates the thread that
 * runs its call (CPU-bound JavaScript cannot be stopped any other way) and starts a fresh one.
 * Errors come back typed as `OffloadError`.
 *
 * This pool talks to `node:worker_threads` directly rather than through `@effect/platform`'s
 * `Worker`: it runs plain functions by name, without a Schema per message.
 *
 * @since 0.1.0
 */
import { Limiter } from "@taskscope/core"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { availableParallelism } from "node:os"
import { Worker } from "node:worker_threads"

/**
 * A call failed: the function threw (`name`, `message` and `stack` are the thrown error's), the
 * module lacks the function, or the worker thread died.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Offload } from "@taskscope/platform-node"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const pool = yield* Offload.make({ module: new URL("./cpu.mjs", import.meta.url) })
 *   return yield* pool.run<number>("fib", 30).pipe(
 *     Effect.catchTag("OffloadError", (e) => Effect.as(Effect.logError(e.message), -1))
 *   )
 * }))
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class OffloadError extends Data.TaggedError("OffloadError")<{
  readonly fn: string
  readonly name: string
  readonly message: string
  readonly stack?: string
}> {}

/**
 * @since 0.1.0
 * @category models
 */
export interface Offload {
  /** Runs the exported function `fn` of the pool's module with `args` on a worker thread. */
  run<A>(fn: string, ...args: ReadonlyArray<unknown>): Effect.Effect<A, OffloadError>
  /** How many threads the pool runs. */
  readonly concurrency: number
}

interface Slot {
  worker: Worker
  ready: Promise<void>
}

// The worker thread's side: loads the module it was given and runs its exported functions on
// request. Messages in: { id, fn, args }. Messages out: { id, ok: true, value } or
// { id, ok: false, error: { name, message, stack } }, after one { ready: true }.
// It travels as a `data:` URL (loaded as an ES module), not as a file beside this one: a bundler
// that inlines this module into one file (esbuild, Rollup, …) cannot leave a worker file behind.
const workerSource = `
import { parentPort, workerData } from "node:worker_threads"
const module = await import(workerData.module)
parentPort.on("message", async ({ id, fn, args }) => {
  try {
    const f = module[fn]
    if (typeof f !== "function") throw new TypeError(\`the offload module has no exported function "\${fn}"\`)
    const value = await f(...args)
    parentPort.postMessage({ id, ok: true, value })
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error))
    parentPort.postMessage({ id, ok: false, error: { name: e.name, message: e.message, stack: e.stack } })
  }
})
parentPort.postMessage({ ready: true })
`

const workerScript = new URL(`data:text/javascript,${encodeURIComponent(workerSource)}`)

const spawn = (module: string): Slot => {
  const worker = new Worker(workerScript, { workerData: { module } })
  worker.unref()
  const ready = new Promise<void>((resolve, reject) => {
    const onMessage = (message: { ready?: boolean }) => {
      if (message.ready === true) {
        worker.off("message", onMessage)
        resolve()
      }
    }
    worker.on("message", onMessage)
    worker.once("error", reject)
  })
  ready.catch(() => {})
  return { worker, ready }
}

let nextId = 0

/**
 * Starts a pool of `concurrency` worker threads (default: the number of cores) that load `module`, a
 * JavaScript module (a file URL or path) whose exported functions the pool can run. The threads
 * are terminated when the scope closes.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Offload } from "@taskscope/platform-node"
 *
 * // cpu.mjs: export const fib = (n) => n < 2 ? n : fib(n - 1) + fib(n - 2)
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const pool = yield* Offload.make({ module: new URL("./cpu.mjs", import.meta.url), concurrency: 2 })
 *   return yield* Effect.all([pool.run<number>("fib", 32), pool.run<number>("fib", 32)], { concurrency: 2 })
 * }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: {
  readonly module: URL | string
  readonly concurrency?: number
}): Effect.Effect<Offload, never, Scope.Scope> =>
  Effect.gen(function*() {
    const module = options.module instanceof URL
      ? options.module.href
      : new URL(options.module, "file://" + process.cwd() + "/").href
    const size = Math.max(1, Math.floor(options.concurrency ?? availableParallelism()))
    const idle: Array<Slot> = []
    const all = new Set<Slot>()
    const take = (): Slot => {
      const slot = idle.pop() ?? spawn(module)
      all.add(slot)
      return slot
    }
    yield* Effect.addFinalizer(() =>
      Effect.promise(() => Promise.all(Array.from(all, (slot) => slot.worker.terminate())).then(() => undefined))
    )
    const slots = yield* Effect.orDie(Limiter.semaphore(size, { name: "offload" }))
    const call = <A>(fn: string, args: ReadonlyArray<unknown>): Effect.Effect<A, OffloadError> =>
      Effect.acquireUseRelease(
        Effect.sync(take),
        (slot) =>
          Effect.async<A, OffloadError>((resume) => {
            const id = nextId++
            const fail = (name: string, message: string, stack?: string) =>
              resume(Effect.fail(new OffloadError({ fn, name, message, ...(stack === undefined ? {} : { stack }) })))
            const onMessage = (
              message: {
                id?: number
                ok?: boolean
                value?: A
                error?: { name: string; message: string; stack?: string }
              }
            ) => {
              if (message.id !== id) return
              cleanup()
              if (message.ok === true) resume(Effect.succeed(message.value as A))
              else fail(message.error!.name, message.error!.message, message.error!.stack)
            }
            const onExit = (code: number) => {
              cleanup()
              all.delete(slot)
              fail("WorkerExited", `the worker thread exited with code ${code} while running "${fn}"`)
            }
            const onError = (error: Error) => {
              cleanup()
              all.delete(slot)
              fail(error.name, error.message, error.stack)
            }
            const cleanup = () => {
              slot.worker.off("message", onMessage)
              slot.worker.off("exit", onExit)
              slot.worker.off("error", onError)
            }
            slot.worker.on("message", onMessage)
            slot.worker.once("exit", onExit)
            slot.worker.once("error", onError)
            slot.ready.then(
              () => slot.worker.postMessage({ id, fn, args }),
              (error: Error) => onError(error)
            )
            // interrupted: the thread is busy with our call and cannot be told to stop; end it
            return Effect.sync(() => {
              cleanup()
              all.delete(slot)
              ;(slot as { interrupted?: boolean }).interrupted = true
              void slot.worker.terminate()
            })
          }),
        (slot) =>
          Effect.sync(() => {
            if ((slot as { interrupted?: boolean }).interrupted !== true && all.has(slot)) idle.push(slot)
          })
      )
    return {
      concurrency: size,
      run: <A>(fn: string, ...args: ReadonlyArray<unknown>) => slots.withPermit(call<A>(fn, args))
    }
  })
