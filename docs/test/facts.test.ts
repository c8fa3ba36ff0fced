/**
 * Facts the guides state about Effect and the toolchain, checked against the real thing:
 *
 * - `Effect.all(…, { concurrency: n })` runs the effects on n fibers that each take the next one
 *   (effect 3's forEachConcurrentDiscard), not on a fiber per waiting effect (asyncio page);
 * - `tsc` does not load TypeScript plugins, so the Effect language service's diagnostics need its
 *   CLI on the command line (asyncio page, getting started);
 * - without a handler of its own, Node ends a program at the first SIGINT at once, without running
 *   its finalizers (FAQ: "Ctrl-C does nothing").
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, FiberId, TestClock } from "effect"
import { execFile, spawn } from "node:child_process"
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"

const exec = promisify(execFile)
const root = fileURLToPath(new URL("../..", import.meta.url))
const docs = join(root, "docs")

describe("facts the guides state", () => {
  it.effect("Effect.all with { concurrency: n } runs the effects on n fibers, not one per effect", () =>
    Effect.gen(function*() {
      const fibers = new Set<string>()
      const effects = Array.from({ length: 100 }, (_, i) =>
        Effect.gen(function*() {
          fibers.add(FiberId.threadName(yield* Effect.fiberId))
          yield* Effect.sleep("1 second")
          return i
        }))
      const fiber = yield* Effect.fork(Effect.all(effects, { concurrency: 4 }))
      yield* TestClock.adjust("1 minute")
      const values = yield* Fiber.join(fiber)
      assert.strictEqual(values.length, 100)
      assert.strictEqual(fibers.size, 4, `${fibers.size} fibers ran 100 effects`)
    }))

  it("tsc does not load the Effect language service plugin; its CLI reports what the plugin would", async () => {
    const dir = mkdtempSync(join(tmpdir(), "taskscope-facts-"))
    try {
      symlinkSync(join(docs, "node_modules"), join(dir, "node_modules"))
      writeFileSync(
        join(dir, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            noEmit: true,
            module: "NodeNext",
            moduleResolution: "NodeNext",
            target: "ES2022",
            skipLibCheck: true,
            plugins: [{ name: "@effect/language-service" }]
          },
          files: ["floating.ts"]
        })
      )
      writeFileSync(
        join(dir, "floating.ts"),
        `import { Effect } from "effect"\n\nexport const program = Effect.gen(function*() {\n` +
          `  Effect.log("created and dropped")\n  yield* Effect.log("run")\n})\n`
      )
      const tsc = join(root, "node_modules", "typescript", "bin", "tsc")
      const compiled = await exec(process.execPath, [tsc, "-p", dir], { cwd: dir }).then(
        () => "no errors",
        (error: { stdout: string }) => error.stdout
      )
      assert.strictEqual(compiled, "no errors", "tsc reported the floating Effect: it loaded the plugin after all")
      const cli = join(root, "node_modules", "@effect", "language-service", "cli.js")
      const report = await exec(
        process.execPath,
        [cli, "diagnostics", "--project", join(dir, "tsconfig.json"), "--format", "text"],
        { cwd: dir }
      ).then(({ stdout }) => stdout, (error: { stdout: string; stderr: string }) => error.stdout + error.stderr)
      assert.match(report, /floating\.ts\(4,3\): error effect\(floatingEffect\)/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)

  it("Effect.runPromise and Ctrl-C: Node ends the process at once, the finalizer does not run", async () => {
    const script = `const { Effect } = await import("effect")
await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
  yield* Effect.addFinalizer(() => Effect.sync(() => console.log("finalizer ran")))
  console.log("ready")
  yield* Effect.never
})))`
    const { signal, stdout } = await new Promise<{ stdout: string; signal: NodeJS.Signals | null }>(
      (resolve, reject) => {
        const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
          cwd: docs,
          stdio: ["ignore", "pipe", "inherit"]
        })
        let out = ""
        const timer = setTimeout(() => {
          child.kill("SIGKILL")
          reject(new Error(`no exit within 20 s: ${out}`))
        }, 20_000)
        child.stdout.on("data", (chunk) => {
          out += chunk
          if (out.includes("ready")) child.kill("SIGINT")
        })
        child.on("close", (_code, signal) => {
          clearTimeout(timer)
          resolve({ stdout: out, signal })
        })
      }
    )
    assert.strictEqual(signal, "SIGINT")
    assert.notInclude(stdout, "finalizer ran")
  }, 30_000)
})
