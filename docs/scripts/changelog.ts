/**
 * The site's Changelog page, written at build time (`pnpm docs:build` runs this first) from what
 * the release is made of: the pending changesets in .changeset/ (the next release) and each
 * published package's CHANGELOG.md (the releases so far, as `changeset version` writes them).
 *
 * Written to docs/changelog.md (not committed). A changeset whose file name starts with `rename-`
 * is listed under "Renames", first: the changes a user must make in their code.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs"

const root = new URL("../../", import.meta.url)
const read = (path: string) => readFileSync(new URL(path, root), "utf8")

type Bump = "major" | "minor" | "patch"
interface Changeset {
  readonly file: string
  readonly packages: ReadonlyArray<readonly [string, Bump]>
  readonly summary: string
}

/** A changeset file: its front matter (`"@taskscope/core": minor`) and its summary. */
export const parseChangeset = (file: string, text: string): Changeset => {
  const match = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text.trim() + "\n")
  if (match === null) throw new Error(`changelog: ${file} is not a changeset`)
  const packages = match[1].split("\n").filter((l) => l.trim() !== "").map((line) => {
    const m = /^\s*["']?([^"':]+)["']?\s*:\s*(major|minor|patch)\s*$/.exec(line)
    if (m === null) throw new Error(`changelog: ${file}: cannot read "${line}"`)
    return [m[1], m[2] as Bump] as const
  })
  return { file, packages, summary: match[2].trim().replace(/\s*\n\s*/g, " ") }
}

const packages = readdirSync(new URL("packages/", root), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => ({ dir: d.name, manifest: JSON.parse(read(`packages/${d.name}/package.json`)) }))
  .filter((p) => p.manifest.private !== true)
  .sort((a, b) => (a.manifest.name === "@taskscope/core" ? -1 : b.manifest.name === "@taskscope/core" ? 1 : 0))

const changesets = readdirSync(new URL(".changeset/", root))
  .filter((f) => f.endsWith(".md") && f !== "README.md")
  .sort()
  .map((f) => parseChangeset(f, read(`.changeset/${f}`)))

// the published packages share one version (`fixed` in .changeset/config.json): the next is the
// current one bumped by the largest change pending
const current = packages[0].manifest.version as string
const order: ReadonlyArray<Bump> = ["patch", "minor", "major"]
const bump = changesets.flatMap((c) => c.packages.map(([, b]) => b))
  .reduce<Bump | undefined>((a, b) => (a === undefined || order.indexOf(b) > order.indexOf(a) ? b : a), undefined)
const next = (() => {
  if (bump === undefined) return undefined
  const [major, minor, patch] = current.split(".").map(Number)
  return bump === "major"
    ? `${major + 1}.0.0`
    : bump === "minor"
    ? `${major}.${minor + 1}.0`
    : `${major}.${minor}.${patch + 1}`
})()

const item = (c: Changeset, withPackages: boolean) =>
  `- ${c.summary}${
    withPackages ? ` <span class="changelog-packages">${c.packages.map(([p]) => p).join(", ")}</span>` : ""
  }`

const lines: Array<string> = [
  "---",
  "editLink: false",
  "---",
  "",
  "# Changelog",
  "",
  "What changed in each release of the published packages, which share one version. It is written",
  "when this site is built, from the same files a release is made of: the pending changesets",
  "(`.changeset/`) for the next release, and each package's `CHANGELOG.md` for the releases so far.",
  ""
]

if (next !== undefined) {
  lines.push(`## ${next} (next, not yet released) {#next}`, "")
  const renames = changesets.filter((c) => c.file.startsWith("rename-"))
  if (renames.length > 0) {
    lines.push("### Renames: update your code {#renames}", "")
    for (const c of renames) lines.push(item(c, true))
    lines.push("")
  }
  for (const { manifest } of packages) {
    const own = changesets.filter((c) => !c.file.startsWith("rename-") && c.packages.some(([p]) => p === manifest.name))
    if (own.length === 0) continue
    lines.push(`### ${manifest.name} {#next-${manifest.name.replace(/^@taskscope\//, "")}}`, "")
    for (const b of ["major", "minor", "patch"] as const) {
      for (const c of own.filter((c) => c.packages.find(([p]) => p === manifest.name)![1] === b)) {
        lines.push(item(c, false))
      }
    }
    lines.push("")
  }
}

// the released versions, newest first, from every package's CHANGELOG.md
const released = new Map<string, Array<{ name: string; body: string }>>()
for (const { dir, manifest } of packages) {
  const text = read(`packages/${dir}/CHANGELOG.md`)
  for (const section of text.split(/^## /m).slice(1)) {
    const [version, ...body] = section.split("\n")
    const entries = released.get(version.trim()) ?? []
    entries.push({ name: manifest.name, body: body.join("\n").replace(/^### /gm, "#### ").trim() })
    released.set(version.trim(), entries)
  }
}
const byVersion = [...released.keys()].sort((a, b) => {
  const [x, y] = [a, b].map((v) => v.split(".").map(Number))
  return y[0] - x[0] || y[1] - x[1] || y[2] - x[2]
})
for (const version of byVersion) {
  lines.push(`## ${version} {#v${version.replace(/\./g, "-")}}`, "")
  for (const { body, name } of released.get(version)!) {
    lines.push(`### ${name} {#v${version.replace(/\./g, "-")}-${name.replace(/^@taskscope\//, "")}}`, "", body, "")
  }
}

writeFileSync(new URL("../changelog.md", import.meta.url), lines.join("\n").trimEnd() + "\n")
console.log(
  `changelog: ${changesets.length} pending changesets${next ? ` (next: ${next})` : ""}, ${byVersion.length} releases`
)
