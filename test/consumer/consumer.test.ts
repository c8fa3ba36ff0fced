/**
 * The packages as a user outside this workspace gets them, by the route the getting-started page gives:
 * its install commands are read from the page and run as written (`pnpm pack:packages` here, then plain
 * npm in a new project in the temporary directory, beside `effect@3`). Then a strict program is
 * type-checked with declaration emit under NodeNext, bundler and node10 resolution, and run with node.
 * The Testing page's install line is run too, and then the Testing page's example with `npx vitest run`;
 * the home page's install lines must be commands of this route.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { execFile, spawn } from "node:child_process"
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { basename, join } from "node:path"
import { promisify } from "node:util"
import { afterAll, beforeAll, inject } from "vitest"
import { internalReferences, problems, readTarball } from "./tarball.js"

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string
  }
}

const exec = promisify(execFile)
// The installs and compilers here are heavy and their timing does not matter: they run at a lower CPU
// priority, so that the suites that measure real time in parallel (the app's end-to-end tests) keep theirs.
const hasNice = process.platform !== "win32"
const background = (
  file: string,
  args: ReadonlyArray<string>,
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv; readonly maxBuffer?: number }
): Promise<{ stdout: string; stderr: string }> =>
  hasNice ? exec("nice", ["-n", "10", file, ...args], options) : exec(file, [...args], options)
const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "")
const fixture = new URL("./fixture/", import.meta.url).pathname
const guide = readFileSync(join(root, "docs/guide/getting-started.md"), "utf8")
const testingPage = readFileSync(join(root, "docs/guide/testing.md"), "utf8")
const hero = readFileSync(join(root, "docs/parts/home-code.md"), "utf8")

// the blocks marked `<!-- consumer-test -->`: the shell commands, and the tsconfig.json
const marked = (lang: string, page = guide) =>
  [...page.matchAll(/<!-- consumer-test[^>]*-->\s*```(\w+)\n([\s\S]*?)```/g)]
    .filter((m) => m[1] === lang)
    .map((m) => m[2]!)
const commandsOf = (blocks: ReadonlyArray<string>) =>
  blocks
    .flatMap((block) => block.split("\n"))
    .map((line) => line.replace(/(^|\s+)#.*$/, "").trim())
    .filter((line) => line !== "")
    .flatMap((line) => line.split(/\s*&&\s*/))
const commands = commandsOf(marked("sh"))
// the Testing page's install line, run in the same project after the getting-started route
const testingCommands = commandsOf(marked("sh", testingPage))
const tsconfig = JSON.parse(marked("json")[0]!)

// npm as a user runs it: none of the variables pnpm sets for the scripts it runs
const plainEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^(npm_|pnpm_)/i.test(key))
)

const tarballs = () =>
  readdirSync(join(root, "packs")).filter((f) => f.endsWith(".tgz")).sort().map((f) => join(root, "packs", f))

let work: string
let app: string
const log: Array<string> = []

const sh = async (command: string, cwd: string, env: NodeJS.ProcessEnv = plainEnv) => {
  log.push(`$ ${command}`)
  const { stderr, stdout } = await background("sh", ["-c", command], { cwd, env, maxBuffer: 64 * 1024 * 1024 })
  return stdout + stderr
}

// runs the guide's commands; the ones that set up the clone are already done: this is the clone
const followTheGuide = async () => {
  let cwd = work
  for (const command of commands) {
    if (/^git clone \S+ taskscope$/.test(command)) {
      symlinkSync(root, join(work, "taskscope"))
    } else if (/^npm install -g pnpm@/.test(command) || command === "pnpm install") {
      log.push(`(done: ${command})`)
    } else if (command.startsWith("cd ")) {
      cwd = join(cwd, command.slice(3))
    } else if (command === "pnpm pack:packages") {
      await sh(command, cwd, process.env)
      // stop here, with the reasons, if a tarball is not fit to publish (the test below lists them too)
      const unfit = tarballs().flatMap((t) => problems(readTarball(readFileSync(t))).map((p) => `${t}: ${p}`))
      if (unfit.length > 0) throw new Error(`pnpm pack:packages made tarballs unfit to publish:\n${unfit.join("\n")}`)
    } else if (/^(mkdir|npm init|npm pkg set) /.test(command)) {
      await sh(command, cwd)
    } else if (command.startsWith("npm install ")) {
      // the npm cache makes it fast; these flags only quiet it
      await sh(`${command} --prefer-offline --no-audit --no-fund`, cwd)
    } else {
      throw new Error(`the getting-started page has a command this test does not know: ${command}`)
    }
  }
  return cwd
}

const tsc = (project: string) =>
  background(process.execPath, [join(app, "node_modules/typescript/bin/tsc"), "-p", project], { cwd: app }).then(
    () => "",
    (error: { stdout: string; stderr: string }) => error.stdout + error.stderr
  )

const writeConfig = (name: string, compilerOptions: object) =>
  writeFileSync(
    join(app, name),
    JSON.stringify({ ...tsconfig, compilerOptions: { ...tsconfig.compilerOptions, ...compilerOptions } }, null, 2)
  )

const declarations = (dir: string): Array<{ file: string; text: string }> =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".d.ts"))
    .map((f) => ({ file: f, text: readFileSync(join(dir, f), "utf8") }))

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "taskscope-consumer-"))
  app = await followTheGuide()
  for (const command of testingCommands) {
    if (!command.startsWith("npm install ")) {
      throw new Error(`the Testing page has a command this test does not know: ${command}`)
    }
    await sh(`${command} --prefer-offline --no-audit --no-fund`, app)
  }
  // the user's program, and the README examples of every installed package
  mkdirSync(join(app, "src"), { recursive: true })
  for (const f of ["api.ts", "inferred.ts", "main.ts", "cpu.mjs", "require.cjs"]) {
    copyFileSync(join(fixture, f), join(app, "src", f))
  }
  for (const pkg of readdirSync(join(app, "node_modules/@taskscope"))) {
    const readme = join(app, "node_modules/@taskscope", pkg, "README.md")
    // (a missing README is reported by the tarball test below)
    const example = existsSync(readme) ? /```ts\n([\s\S]*?)```/.exec(readFileSync(readme, "utf8")) : null
    if (example) writeFileSync(join(app, "src", `readme-${pkg}.ts`), `${example[1]}export {}\n`)
  }
  writeFileSync(join(app, "tsconfig.json"), JSON.stringify(tsconfig, null, 2))
}, 300_000)

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true })
}, 60_000)

describe("a user outside the workspace", { timeout: 240_000 }, () => {
  it("follows the getting-started page: the packs, then npm beside effect@3", async () => {
    assert.includeMembers(commands, [
      "pnpm pack:packages",
      "npm install effect@3 ../taskscope/packs/taskscope-core.tgz"
    ])
    const manifest = JSON.parse(readFileSync(join(app, "package.json"), "utf8"))
    assert.match(manifest.dependencies.effect, /^\^3\./)
    assert.strictEqual(manifest.dependencies["@taskscope/core"], "file:../taskscope/packs/taskscope-core.tgz")
    // one effect, the 3.x line, for everyone: npm ls fails on an invalid or missing peer
    const tree = await sh("npm ls effect @taskscope/core --all", app)
    assert.notMatch(tree, /invalid|UNMET|missing/)
    assert.match(tree, /effect@3\.\d+\.\d+/)
  })

  it("the home page's install lines are commands of this route", () => {
    const shown = commandsOf(marked("sh", hero))
    assert.isAbove(shown.length, 0, "the home page marks its install lines with <!-- consumer-test -->")
    expect(shown.filter((c) => !commands.includes(c)), "home page lines the route does not run").toStrictEqual([])
  })

  it("runs the Testing page's example after the Testing page's install line (npx vitest run)", async () => {
    expect(testingCommands).toStrictEqual(["npm install -D vitest@3 @effect/vitest@0.30"])
    const example = readFileSync(join(root, "docs/examples/testing.test.ts"), "utf8")
    assert.include(example, "// Run it: npx vitest run")
    writeFileSync(join(app, "src/testing.test.ts"), example)
    try {
      const out = await background("npx", ["vitest", "run"], { cwd: app, env: plainEnv }).then(
        ({ stderr, stdout }) => stdout + stderr,
        (error: { stdout: string; stderr: string }) => `FAILED\n${error.stdout}${error.stderr}`
      )
      assert.match(out, /1 passed/, out)
      assert.notMatch(out, /FAILED/, out)
      const installed = JSON.parse(readFileSync(join(app, "node_modules/@effect/vitest/package.json"), "utf8"))
      assert.match(installed.version, /^0\.30\./)
    } finally {
      rmSync(join(app, "src/testing.test.ts"))
    }
  })

  it("gets tarballs with dist, README, LICENSE, and no workspace: range", async () => {
    expect(tarballs().map((t) => basename(t))).toStrictEqual([
      "taskscope-core.tgz",
      "taskscope-inspect.tgz",
      "taskscope-platform-node.tgz",
      "taskscope-promise.tgz",
      "taskscope-redis.tgz"
    ])
    for (const tarball of tarballs()) {
      const entries = readTarball(readFileSync(tarball))
      expect(problems(entries), tarball).toStrictEqual([])
      const paths = entries.map((e) => e.path)
      assert.include(paths, "dist/index.js")
      assert.notInclude(paths.join("\n"), ".test.")
      assert.notInclude(paths.join("\n"), "tsbuildinfo")
    }
    // the installed platform-node depends on the installed core by version
    const installed = JSON.parse(readFileSync(join(app, "node_modules/@taskscope/platform-node/package.json"), "utf8"))
    assert.match(installed.dependencies["@taskscope/core"], /^\d+\.\d+\.\d+/)
  })

  it("installs the taskscope command from its tarball and reads a running program of the user's", async () => {
    await sh("npm install ../taskscope/packs/taskscope-inspect.tgz --prefer-offline --no-audit --no-fund", app)
    const bin = join(app, "node_modules/.bin/taskscope")
    // an unknown process: one line, exit 1
    const missing = await exec(bin, ["ps", "999999999"], { cwd: app, env: plainEnv }).then(
      () => "exited 0",
      (error: { code: number; stderr: string }) => `${error.code} ${error.stderr.trim()}`
    )
    assert.strictEqual(missing, "1 taskscope: no process 999999999")
    // a program of the user's, unchanged: a group with one named task that waits
    writeFileSync(
      join(app, "src/waiting.mjs"),
      `import { Effect } from "effect"
import { TaskGroup } from "@taskscope/core"
await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
  const group = yield* TaskGroup.make({ name: "consumer" })
  yield* group.spawn(Effect.never, { name: "waits-forever" })
  console.log("ready")
  yield* group.join
})))
`
    )
    const child = spawn(process.execPath, ["src/waiting.mjs"], { cwd: app, env: plainEnv, stdio: "pipe" })
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("ready") && resolve())
        child.once("exit", (code) => reject(new Error(`the program exited (${code}) before it was ready`)))
      })
      const { stdout } = await exec(bin, ["ps", String(child.pid), "--json"], { cwd: app, env: plainEnv })
      const tasks = (JSON.parse(stdout) as { tasks: ReadonlyArray<{ name?: string; state: string }> }).tasks
      expect(tasks.map((t) => [t.name, t.state])).toContainEqual(["waits-forever", "running"])
    } finally {
      child.kill("SIGKILL")
    }
  })

  it("cannot get a tarball from npm pack, which would keep the workspace: ranges", async () => {
    const refused = await exec("npm", ["pack", "--dry-run"], {
      cwd: join(root, "packages/platform-node"),
      env: plainEnv
    }).then(() => "packed", (error: { stdout: string; stderr: string }) => error.stdout + error.stderr)
    assert.match(refused, /pack and publish with pnpm/)
    assert.match(refused, /"workspace:" dependency ranges/)
  })

  it("type-checks a strict program under NodeNext; the emitted .d.ts name no internal module", async () => {
    // the page's tsconfig.json, and stricter: the packages' own .d.ts are checked too (skipLibCheck: false)
    writeConfig("tsconfig.strict.json", { skipLibCheck: false })
    assert.strictEqual(await tsc("tsconfig.strict.json"), "")
    const emitted = declarations(join(app, "dist"))
    assert.includeMembers(emitted.map((d) => d.file), ["api.d.ts", "inferred.d.ts", "main.d.ts"])
    // TypeScript had to name these types through a module of the package on its own
    const inferred = emitted.find((d) => d.file === "inferred.d.ts")!.text
    // (with @taskscope/promise installed too, as the page shows, TypeScript may name the error
    // through it: it re-exports the core's errors, under a shorter specifier)
    assert.match(inferred, /import\("@taskscope\/(core\/Errors|promise)"\)\.InvalidOptionsError/, inferred)
    assert.match(inferred, /import\("@taskscope\/core\/TaskResult"\)\.Failed</)
    for (const { file, text } of emitted) expect(internalReferences(text), file).toStrictEqual([])
  })

  it("type-checks it under bundler resolution with declaration emit", async () => {
    writeConfig("tsconfig.bundler.json", {
      module: "Preserve",
      moduleResolution: "bundler",
      emitDeclarationOnly: true,
      outDir: "dist-bundler"
    })
    assert.strictEqual(await tsc("tsconfig.bundler.json"), "")
    const emitted = declarations(join(app, "dist-bundler"))
    assert.isAtLeast(emitted.length, 2)
    for (const { file, text } of emitted) expect(internalReferences(text), file).toStrictEqual([])
  })

  it("finds the types under node10 resolution (root and subpath imports)", async () => {
    writeConfig("tsconfig.node10.json", { module: "ESNext", moduleResolution: "node10", noEmit: true })
    assert.strictEqual(await tsc("tsconfig.node10.json"), "")
  })

  it("runs the program with node: worker threads, deadline, queue, Redis", async () => {
    copyFileSync(join(app, "src/cpu.mjs"), join(app, "dist/cpu.mjs"))
    const { stdout } = await exec(process.execPath, ["dist/main.js"], {
      cwd: app,
      env: { ...plainEnv, REDIS_URL: inject("redisUrl") },
      timeout: 30_000
    })
    expect(JSON.parse(stdout)).toStrictEqual({
      fibs: [6765, 10946],
      timedOut: true,
      processed: 3,
      seen: [1, 2, 3],
      settled: ["Succeeded", "Failed"],
      redis: "permit"
    })
  })

  it.runIf((process as { features?: { require_module?: boolean } }).features?.require_module === true)(
    "loads from CommonJS with require() (Node 20.19+)",
    async () => {
      const { stdout } = await exec(process.execPath, ["src/require.cjs"], { cwd: app, env: plainEnv })
      expect(JSON.parse(stdout)).toStrictEqual({ taskGroup: "function", offload: "function" })
    }
  )

  it("gets the Effect language service's diagnostics: a dropped Effect is flagged", async () => {
    writeFileSync(
      join(app, "src/floating.ts"),
      `import { Effect } from "effect"
import { TaskGroup } from "@taskscope/core"

export const program = Effect.gen(function*() {
  const group = yield* TaskGroup.make()
  group.spawn(Effect.log("never runs"))
  yield* group.spawn(Effect.log("runs"))
}).pipe(Effect.scoped)
`
    )
    try {
      const cli = join(app, "node_modules/@effect/language-service/cli.js")
      // the whole program: the user's files, the README examples, and this one
      const args = [cli, "diagnostics", "--project", join(app, "tsconfig.json"), "--format", "text"]
      const report = await background(process.execPath, args, { cwd: app }).then(
        ({ stdout }) => stdout,
        (error: { stdout: string; stderr: string }) => error.stdout + error.stderr
      )
      assert.match(report, /src\/floating\.ts\(6,3\): error effect\(floatingEffect\)/)
      assert.match(report, /\b1 errors\b/, report)
    } finally {
      rmSync(join(app, "src/floating.ts"))
    }
  })
})
