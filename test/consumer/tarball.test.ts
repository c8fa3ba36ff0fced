/**
 * The consumer test's rules catch each way a package can ship broken: a tarball built from a good
 * one, then broken one way at a time.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { type Entry, internalReferences, problems, readTarball, writeTarball } from "./tarball.js"

const manifest = {
  name: "@taskscope/example",
  version: "1.0.0",
  main: "./dist/index.js",
  types: "./dist/index.d.ts",
  typesVersions: { "*": { Thing: ["./dist/Thing.d.ts"] } },
  exports: {
    ".": { types: "./dist/index.d.ts", default: "./dist/index.js" },
    "./*": { types: "./dist/*.d.ts", default: "./dist/*.js" },
    "./internal/*": null
  },
  dependencies: { "@taskscope/core": "1.0.0" }
}

const file = (path: string, text = `// ${path}\n`): Entry => ({ path, content: Buffer.from(text) })

const good: Array<Entry> = [
  file("package.json", JSON.stringify(manifest)),
  file("README.md"),
  file("LICENSE"),
  file("dist/index.js"),
  file("dist/index.d.ts"),
  file("dist/Thing.js"),
  file("dist/Thing.d.ts")
]

const without = (path: string) => good.filter((e) => e.path !== path)
const withManifest = (patch: object) => [
  file("package.json", JSON.stringify({ ...manifest, ...patch })),
  ...without("package.json")
]
// through a real .tgz each time: the reader is part of what is tested
const check = (entries: ReadonlyArray<Entry>) => problems(readTarball(writeTarball(entries)))

describe("tarball rules", () => {
  it("a complete package passes", () => {
    expect(check(good)).toStrictEqual([])
    expect(readTarball(writeTarball(good)).map((e) => e.path)).toStrictEqual(good.map((e) => e.path))
  })

  it("reads long paths and file contents", () => {
    const long = file(`dist/${"deeply/".repeat(18)}Module.d.ts`, "x".repeat(1500))
    assert.isAbove(long.path.length, 100)
    const [entry] = readTarball(writeTarball([long, file("LICENSE")]))
    assert.strictEqual(entry!.path, long.path)
    assert.strictEqual(entry!.content.toString(), "x".repeat(1500))
  })

  it("fails without a README", () => {
    expect(check(without("README.md"))).toStrictEqual(["no README.md"])
  })

  it("fails without a LICENSE", () => {
    expect(check(without("LICENSE"))).toStrictEqual(["no LICENSE"])
  })

  it("fails without dist", () => {
    const noDist = good.filter((e) => !e.path.startsWith("dist/"))
    assert.includeMembers(check(noDist), ["no dist/index.js", "no dist/index.d.ts", "no dist/*.d.ts"])
  })

  it("fails when a file named by typesVersions is missing", () => {
    expect(check(without("dist/Thing.d.ts"))).toStrictEqual(["no dist/Thing.d.ts (named in package.json)"])
  })

  it("fails when a workspace: range leaks", () => {
    expect(check(withManifest({ dependencies: { "@taskscope/core": "workspace:*" } }))).toStrictEqual([
      "dependencies.@taskscope/core is \"workspace:*\""
    ])
    assert.lengthOf(check(withManifest({ peerDependencies: { "@taskscope/core": "workspace:^" } })), 1)
  })

  it("fails when the development-only source condition ships", () => {
    const exports = { ".": { types: "./dist/index.d.ts", source: "./src/index.ts", default: "./dist/index.js" } }
    assert.match(check(withManifest({ exports })).join(), /"source" condition/)
  })
})

describe("internal references in emitted declarations", () => {
  it("finds import types that name an internal module", () => {
    const dts =
      `export declare const a: Effect<void, import("@taskscope/core/internal/taskGroup").TaskGroupClosedError>;
export declare const b: import("../node_modules/@taskscope/core/dist/internal/deadline.js").X;
export declare const c: import("@taskscope/core/Errors").TimeoutError;`
    expect(internalReferences(dts)).toStrictEqual([
      "@taskscope/core/internal/taskGroup",
      "../node_modules/@taskscope/core/dist/internal/deadline.js"
    ])
  })

  it("passes public modules", () => {
    expect(internalReferences(`import type { TaskGroup } from "@taskscope/core/TaskGroup"`)).toStrictEqual([])
  })
})
