/**
 * A user who bundles their program with esbuild (one file, no node_modules beside it) still gets a
 * working Taskscope: core's modules tree-shake and run, and Offload finds its worker thread's code
 * (it used to look for `../worker/offload-worker.mjs` next to the bundle and fail).
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { build } from "esbuild"
import { execFile } from "node:child_process"
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { afterAll, beforeAll } from "vitest"

const run = promisify(execFile)
const here = new URL(".", import.meta.url).pathname

// a directory outside the workspace: the bundle cannot fall back on any node_modules
let out: string
beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), "taskscope-bundle-"))
})
afterAll(() => rmSync(out, { recursive: true, force: true }))

const bundle = async (name: string, source: string) => {
  const outfile = join(out, `${name}.mjs`)
  const result = await build({
    // resolved from this folder, as the user's entry would be from theirs
    stdin: { contents: source, resolveDir: here, sourcefile: `${name}.ts`, loader: "ts" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    logLevel: "silent",
    metafile: true,
    // what a user's bundle sees: the packages' published entry points, not this workspace's sources
    conditions: []
  })
  return { outfile, inputs: Object.keys(result.metafile.inputs) }
}

const node = async (file: string) => {
  const { stdout } = await run(process.execPath, [file], { cwd: out, timeout: 20_000 })
  return JSON.parse(stdout.trim())
}

describe("bundling with esbuild", () => {
  it("core: a TaskGroup program bundles into one file that runs", async () => {
    const { inputs, outfile } = await bundle(
      "core",
      `
import { Concurrent, Deadline, TaskGroup } from "@taskscope/core"
import { Effect } from "effect"

const program = TaskGroup.scoped((group) =>
  Effect.gen(function*() {
    const a = yield* group.spawn(Effect.succeed(1).pipe(Effect.delay("20 millis")), { name: "a" })
    const b = yield* group.spawn(Effect.succeed(2), { name: "b" })
    const sum = (yield* a.join) + (yield* b.join)
    const late = yield* Deadline.moveOnAfter(Effect.never, "10 millis")
    const all = yield* Concurrent.gather([Effect.succeed("x"), Effect.succeed("y")])
    return { sum, late: late._tag, all }
  })
)
Effect.runPromise(program).then((r) => console.log(JSON.stringify(r)))
`
    )
    // the published JavaScript was bundled, not the TypeScript sources
    assert.isTrue(inputs.some((i) => /packages\/core\/dist\/TaskGroup\.js$/.test(i)), inputs.join("\n"))
    assert.isFalse(inputs.some((i) => /\/src\/.*\.ts$/.test(i)), inputs.join("\n"))
    expect(await node(outfile)).toStrictEqual({ sum: 3, late: "None", all: ["x", "y"] })
  })

  it("platform-node: Offload runs functions on worker threads from a bundle", async () => {
    writeFileSync(
      join(out, "cpu.mjs"),
      "export const fib = (n) => (n < 2 ? n : fib(n - 1) + fib(n - 2))\n" +
        "export const fail = (m) => { throw new RangeError(m) }\n"
    )
    const { outfile } = await bundle(
      "offload",
      `
import { Offload } from "@taskscope/platform-node"
import { Effect } from "effect"

const program = Effect.scoped(Effect.gen(function*() {
  const pool = yield* Offload.make({ module: new URL("./cpu.mjs", import.meta.url), concurrency: 2 })
  const fibs = yield* Effect.all([pool.run<number>("fib", 20), pool.run<number>("fib", 21)], { concurrency: 2 })
  const error = yield* Effect.flip(pool.run("fail", "bad"))
  return { fibs, error: [error._tag, error.name, error.message] }
}))
Effect.runPromise(program).then((r) => console.log(JSON.stringify(r)))
`
    )
    // nothing but the bundle and the user's own module in that directory
    expect(readdirSync(out).sort()).toStrictEqual(["core.mjs", "cpu.mjs", "offload.mjs"])
    expect(await node(outfile)).toStrictEqual({
      fibs: [6765, 10946],
      error: ["OffloadError", "RangeError", "bad"]
    })
  })
})
