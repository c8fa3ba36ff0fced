/**
 * `@since` tags are true: no export claims a version its package has not reached. The packages
 * have not been released beyond their package.json version, so an export added since the last
 * release is `@since` that version — never a guess at the next one. (Checked against git history
 * with `git log -S` when this test was written: every export carried 0.1.0's version.)
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../packages/", import.meta.url))

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
    it(`@taskscope/${pkg}: no @since beyond the package's version`, () => {
      const { version } = JSON.parse(readFileSync(join(root, pkg, "package.json"), "utf8")) as { version: string }
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
