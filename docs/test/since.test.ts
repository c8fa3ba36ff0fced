/**
 * `@since` tags are true: an export is `@since` the release that has it — its package's version, or
 * the next release the pending changesets make (the packages are versioned together: the largest
 * bump of any changeset), never a guess beyond that. (Checked against git history with `git log -S`
 * when this test was written: every export of 0.1.0 carried 0.1.0's version.)
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../packages/", import.meta.url))
const changesets = fileURLToPath(new URL("../../.changeset/", import.meta.url))

/** The version the pending changesets make of `version` (one bump for all: the packages are `fixed`). */
const next = (version: string): string => {
  const bumps = readdirSync(changesets)
    .filter((f) => f.endsWith(".md") && f !== "README.md")
    .flatMap((f) =>
      Array.from(
        readFileSync(join(changesets, f), "utf8").matchAll(/^"@taskscope\/[\w-]+": (major|minor|patch)$/gm),
        (m) => m[1]
      )
    )
  const [major, minor, patch] = version.split(".").map(Number)
  // before 1.0, a "major" change is a minor bump, as changesets does for 0.x
  if (bumps.includes("major") && major > 0) return `${major + 1}.0.0`
  if (bumps.includes("major") || bumps.includes("minor")) return `${major}.${minor + 1}.0`
  if (bumps.includes("patch")) return `${major}.${minor}.${patch + 1}`
  return version
}

const sources = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []
  )

const compare = (a: string, b: string) => {
  const [x, y] = [a, b].map((v) => v.split(".").map(Number))
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i]
  return 0
}

describe("@since tags", () => {
  for (const pkg of readdirSync(root)) {
    it(`@taskscope/${pkg}: no @since beyond the next release`, () => {
      const { version: current } = JSON.parse(readFileSync(join(root, pkg, "package.json"), "utf8")) as {
        version: string
      }
      const version = next(current)
      const tags = sources(join(root, pkg, "src")).flatMap((file) =>
        Array.from(readFileSync(file, "utf8").matchAll(/@since\s+(\S+)/g), (m) => ({ file, since: m[1] }))
      )
      assert.isAbove(tags.length, 0)
      const wrong = tags.filter((t) => !/^\d+\.\d+\.\d+$/.test(t.since) || compare(t.since, version) > 0)
      expect(wrong.map((t) => `${t.file.slice(root.length)}: @since ${t.since}`), `@taskscope/${pkg} is at ${version}`)
        .toStrictEqual([])
    })
  }
})
