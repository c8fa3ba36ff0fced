// The published packages (every packages/* whose package.json is not private), as a user gets them.
//
//   node scripts/packages.mjs pack [dir]   build and pack each one with pnpm into dir (default: packs/),
//                                          as taskscope-<package>.tgz
//   node scripts/packages.mjs check        manifest rules below, then publint and attw on the packed tarballs
//   node scripts/packages.mjs fix          write the mechanical manifest fields (a new package starts here)
//   node scripts/packages.mjs prepack      each package's `prepack`: refuse npm, build, refuse stale output
//   node scripts/packages.mjs diagnostics  the Effect language service's errors (e.g. an Effect created and
//                                          never run) in each package's sources; tsc does not load the plugin
//
// Only pnpm packs and publishes: it rewrites `workspace:` ranges to versions and applies `publishConfig`
// (the published `exports` have no `source` condition). `npm pack` / `npm publish` would ship both as they
// are, so `prepack` stops them with a message.
import { execFileSync } from "node:child_process"
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync
} from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { basename, join, relative, resolve } from "node:path"

const root = resolve(new URL("..", import.meta.url).pathname)
const require = createRequire(join(root, "package.json"))
const rootManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))

const fail = (message) => {
  console.error(message)
  process.exit(1)
}

/** The public packages, each after the packages it depends on. */
export const packages = () => {
  const all = readdirSync(join(root, "packages"))
    .map((name) => join(root, "packages", name))
    .filter((dir) => existsSync(join(dir, "package.json")))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) }))
    .filter((p) => p.manifest.private !== true)
  const names = new Set(all.map((p) => p.manifest.name))
  const deps = (p) =>
    Object.keys({ ...p.manifest.dependencies, ...p.manifest.peerDependencies }).filter((d) => names.has(d))
  const ordered = []
  const visit = (p, seen = new Set()) => {
    if (ordered.includes(p)) return
    if (seen.has(p)) fail(`dependency cycle through ${p.manifest.name}`)
    seen.add(p)
    for (const d of deps(p)) visit(all.find((q) => q.manifest.name === d), seen)
    ordered.push(p)
  }
  all.sort((a, b) => a.manifest.name.localeCompare(b.manifest.name)).forEach((p) => visit(p))
  return ordered
}

// the public modules: one src/<Name>.ts each (index.ts is the package's root)
const modules = (dir) =>
  readdirSync(join(dir, "src"))
    .filter((f) => /^[A-Z]\w*\.ts$/.test(f))
    .map((f) => f.slice(0, -3))
    .sort()

const withoutSource = (exports) =>
  Object.fromEntries(
    Object.entries(exports).map(([key, target]) =>
      target !== null && typeof target === "object"
        ? [key, Object.fromEntries(Object.entries(target).filter(([condition]) => condition !== "source"))]
        : [key, target]
    )
  )

const prepackScript = "node ../../scripts/packages.mjs prepack"
const files = ["dist", "src", "README.md", "LICENSE", "CHANGELOG.md"]

/** The manifest fields every published package has, derived from its place and its src/. */
const expected = (dir, manifest) => ({
  type: "module",
  license: "MIT",
  sideEffects: false,
  main: "./dist/index.js",
  types: "./dist/index.d.ts",
  // node10 resolution (old TypeScript settings) ignores `exports`: these map each public module to its types
  typesVersions: { "*": Object.fromEntries(modules(dir).map((m) => [m, [`./dist/${m}.d.ts`]])) },
  files,
  engines: rootManifest.engines,
  repository: { ...rootManifest.repository, directory: relative(root, dir) },
  publishConfig: { access: "public", exports: withoutSource(manifest.exports ?? {}) }
})

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b)

const manifestProblems = ({ dir, manifest }) => {
  const problems = []
  const where = relative(root, dir)
  for (const [field, value] of Object.entries(expected(dir, manifest))) {
    if (!same(manifest[field], value)) {
      problems.push(`${where}/package.json: "${field}" should be ${JSON.stringify(value)}`)
    }
  }
  if (!manifest.name?.startsWith("@taskscope/")) problems.push(`${where}/package.json: name outside @taskscope/`)
  if (!manifest.description) problems.push(`${where}/package.json: no description`)
  if (!Array.isArray(manifest.keywords) || manifest.keywords.length === 0) {
    problems.push(`${where}/package.json: no keywords`)
  }
  if (manifest.scripts?.prepack !== prepackScript) {
    problems.push(`${where}/package.json: scripts.prepack should be "${prepackScript}"`)
  }
  const exports = manifest.exports ?? {}
  if (!exports["."] || !exports["./*"] || exports["./internal/*"] !== null) {
    problems.push(`${where}/package.json: exports must have ".", "./*" and "./internal/*": null`)
  }
  for (const file of ["README.md", "LICENSE", "CHANGELOG.md"]) {
    if (!existsSync(join(dir, file))) problems.push(`${where}/${file} is missing`)
  }
  if (
    existsSync(join(dir, "LICENSE")) && readFileSync(join(dir, "LICENSE"), "utf8") !==
      readFileSync(join(root, "LICENSE"), "utf8")
  ) {
    problems.push(`${where}/LICENSE differs from the repository's LICENSE`)
  }
  return problems
}

const fix = () => {
  for (const { dir, manifest } of packages()) {
    const next = { ...manifest, ...expected(dir, manifest) }
    next.scripts = { ...manifest.scripts, prepack: prepackScript }
    next.keywords ??= []
    writeFileSync(join(dir, "package.json"), JSON.stringify(next, null, 2) + "\n")
    if (!existsSync(join(dir, "LICENSE"))) writeFileSync(join(dir, "LICENSE"), readFileSync(join(root, "LICENSE")))
    for (const problem of manifestProblems({ dir, manifest: next })) console.error(problem)
  }
}

const prepack = () => {
  const dir = process.cwd()
  const agent = process.env.npm_config_user_agent ?? ""
  if (!agent.startsWith("pnpm/")) {
    fail(
      `${basename(dir)}: pack and publish with pnpm (pnpm pack, pnpm publish, or pnpm pack:packages at the root).\n` +
        `npm would ship the "workspace:" dependency ranges and the development-only exports as they are.`
    )
  }
  const tsc = require.resolve("typescript/bin/tsc")
  // a deleted dist/ beside a kept .tsbuildinfo/ looks up to date to tsc -b: build it again in full
  const force = existsSync(join(dir, "dist", "index.js")) ? [] : ["--force"]
  execFileSync(process.execPath, [tsc, "-b", join(dir, "tsconfig.json"), ...force], { stdio: "inherit" })
  // tsc never deletes: output whose source is gone would be published
  const stale = []
  const walk = (d) => {
    for (const entry of readdirSync(d)) {
      const path = join(d, entry)
      if (statSync(path).isDirectory()) walk(path)
      else if (/\.(js|d\.ts|js\.map|d\.ts\.map)$/.test(entry)) {
        const source = join(dir, "src", relative(join(dir, "dist"), path)).replace(/(\.d)?\.(js|ts)(\.map)?$/, ".ts")
        if (!existsSync(source)) stale.push(relative(dir, path))
      }
    }
  }
  walk(join(dir, "dist"))
  if (stale.length > 0) {
    fail(`${basename(dir)}: dist has output with no source (delete dist and pack again):\n  ${stale.join("\n  ")}`)
  }
}

/**
 * Packs every public package into `out` with pnpm, as `taskscope-<package>.tgz` (no version in the name,
 * so the install commands in the docs stay the same from release to release); returns their paths in
 * dependency order.
 */
export const pack = (out) => {
  mkdirSync(out, { recursive: true })
  return packages().map(({ dir, manifest }) => {
    const base = manifest.name.replace("@", "").replace("/", "-")
    const versioned = join(out, `${base}-${manifest.version}.tgz`)
    const tarball = join(out, `${base}.tgz`)
    rmSync(tarball, { force: true })
    execFileSync("pnpm", ["pack", "--pack-destination", out], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] })
    if (!existsSync(versioned)) fail(`pnpm pack did not write ${versioned}`)
    renameSync(versioned, tarball)
    return tarball
  })
}

const check = async () => {
  const problems = packages().flatMap(manifestProblems)
  const out = mkdtempSync(join(tmpdir(), "taskscope-check-"))
  try {
    const tarballs = pack(out)
    const { publint } = await import(require.resolve("publint"))
    const { formatMessage } = await import(require.resolve("publint/utils"))
    const attwManifest = require.resolve("@arethetypeswrong/cli/package.json")
    const attw = join(attwManifest, "..", JSON.parse(readFileSync(attwManifest, "utf8")).bin.attw)
    for (const [i, { dir, manifest }] of packages().entries()) {
      const tarball = readFileSync(tarballs[i])
      const { messages, pkg } = await publint({
        pack: { tarball: tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.byteLength) },
        strict: true
      })
      for (const m of messages) problems.push(`publint ${manifest.name}: ${formatMessage(m, pkg)}`)
      console.log(`publint ${manifest.name}: ${messages.length === 0 ? "clean" : `${messages.length} problem(s)`}`)
      try {
        // ESM only, on purpose: a CommonJS `require` gets the ES module (Node 20.19+ loads it), so that rule is off
        const report = execFileSync(process.execPath, [
          attw,
          tarballs[i],
          "--format",
          "table-flipped",
          "--no-color",
          "--ignore-rules",
          "cjs-resolves-to-esm",
          // every public module by name (attw does not expand the "./*" pattern by itself)
          "--entrypoints",
          ".",
          ...modules(dir).map((m) => `./${m}`)
        ], { encoding: "utf8" })
        console.log(`attw ${manifest.name}: clean (${modules(dir).length + 1} entry points, 4 resolution modes)`)
        if (process.argv.includes("--verbose")) console.log(report)
      } catch (error) {
        problems.push(`attw ${manifest.name}:\n${error.stdout}${error.stderr}`)
      }
    }
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
  if (problems.length > 0) fail(problems.join("\n"))
  console.log(`packages: ${packages().map((p) => p.manifest.name).join(", ")} — manifests, publint and attw clean`)
}

const diagnostics = () => {
  const manifest = require.resolve("@effect/language-service/package.json")
  const cli = join(manifest, "..", JSON.parse(readFileSync(manifest, "utf8")).bin["effect-language-service"])
  let failed = false
  for (const { dir, manifest: { name } } of packages()) {
    try {
      const out = execFileSync(process.execPath, [
        cli,
        "diagnostics",
        "--project",
        join(dir, "tsconfig.json"),
        "--format",
        "text",
        "--severity",
        "error"
      ], { encoding: "utf8" })
      console.log(`effect diagnostics ${name}: ${out.trim().split("\n").at(-1)}`)
    } catch (error) {
      failed = true
      console.error(`effect diagnostics ${name}:\n${error.stdout}${error.stderr}`)
    }
  }
  if (failed) process.exit(1)
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const [command, arg] = process.argv.slice(2)
  if (command === "pack") {
    for (const tarball of pack(resolve(arg ?? join(root, "packs")))) console.log(relative(process.cwd(), tarball))
  } else if (command === "check") await check()
  else if (command === "fix") fix()
  else if (command === "prepack") prepack()
  else if (command === "diagnostics") diagnostics()
  else fail("usage: node scripts/packages.mjs pack [dir] | check | fix | prepack | diagnostics")
}
