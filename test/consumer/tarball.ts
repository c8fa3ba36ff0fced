/**
 * What a published tarball must hold, and what emitted declarations must not name. Pure functions over
 * bytes and text, so `tarball.test.ts` can show that each rule catches a broken package.
 */
import { gunzipSync, gzipSync } from "node:zlib"

/** One file of a tarball, its path relative to the package root (the `package/` prefix removed). */
export interface Entry {
  readonly path: string
  readonly content: Buffer
}

const field = (header: Buffer, start: number, length: number) =>
  header.subarray(start, start + length).toString("utf8").replace(/\0.*$/s, "")

/** Reads a `.tgz` as npm and pnpm write it (ustar, with pax headers allowed). */
export const readTarball = (bytes: Buffer): Array<Entry> => {
  const tar = gunzipSync(bytes)
  const entries: Array<Entry> = []
  let paxPath: string | undefined
  for (let offset = 0; offset + 512 <= tar.length;) {
    const header = tar.subarray(offset, offset + 512)
    if (header.every((b) => b === 0)) break
    const size = parseInt(field(header, 124, 12).trim() || "0", 8)
    const type = field(header, 156, 1)
    const prefix = field(header, 345, 155)
    const name = field(header, 0, 100)
    const content = tar.subarray(offset + 512, offset + 512 + size)
    offset += 512 + Math.ceil(size / 512) * 512
    if (type === "x") {
      paxPath = /\d+ path=([^\n]*)\n/.exec(content.toString("utf8"))?.[1]
      continue
    }
    if (type !== "0" && type !== "") continue
    const path = paxPath ?? (prefix ? `${prefix}/${name}` : name)
    paxPath = undefined
    entries.push({ path: path.replace(/^[^/]+\//, ""), content: Buffer.from(content) })
  }
  return entries
}

/** Writes a `.tgz` with every file under `package/` (for the tests of the rules). */
export const writeTarball = (entries: ReadonlyArray<Entry>): Buffer => {
  const blocks: Array<Buffer> = []
  for (const { content, path } of entries) {
    const header = Buffer.alloc(512)
    // ustar: a path longer than 100 bytes is split at a "/" into prefix (155) and name (100)
    const full = `package/${path}`
    const cut = full.length <= 100 ? -1 : full.indexOf("/", full.length - 101)
    header.write(cut === -1 ? full : full.slice(cut + 1), 0, 100)
    if (cut !== -1) header.write(full.slice(0, cut), 345, 155)
    header.write("0000644\0", 100)
    header.write("0000000\0", 108)
    header.write("0000000\0", 116)
    header.write(content.length.toString(8).padStart(11, "0") + "\0", 124)
    header.write("00000000000\0", 136)
    header.write("        ", 148)
    header.write("0", 156)
    header.write("ustar\0", 257)
    header.write("00", 263)
    const checksum = header.reduce((sum, b) => sum + b, 0)
    header.write(checksum.toString(8).padStart(6, "0") + "\0 ", 148)
    blocks.push(header, content, Buffer.alloc((512 - (content.length % 512)) % 512))
  }
  blocks.push(Buffer.alloc(1024))
  return gzipSync(Buffer.concat(blocks))
}

const dependencyFields = ["dependencies", "peerDependencies", "optionalDependencies", "devDependencies"] as const

const conditions = (exports: unknown): Array<string> =>
  exports !== null && typeof exports === "object"
    ? Object.entries(exports).flatMap(([key, value]) => [key, ...conditions(value)])
    : []

const leaves = (value: unknown): Array<string> =>
  typeof value === "string"
    ? [value]
    : value !== null && typeof value === "object"
    ? Object.values(value).flatMap(leaves)
    : []

/** Every reason this tarball is not fit to publish; empty when it is. */
export const problems = (entries: ReadonlyArray<Entry>): Array<string> => {
  const files = new Map(entries.map((e) => [e.path, e.content]))
  const found: Array<string> = []
  const manifestBytes = files.get("package.json")
  if (manifestBytes === undefined) return ["no package.json"]
  const manifest = JSON.parse(manifestBytes.toString("utf8"))
  for (const required of ["README.md", "LICENSE", manifest.main, manifest.types]) {
    if (typeof required !== "string") found.push(`package.json has no main/types`)
    else if (!files.has(required.replace(/^\.\//, ""))) found.push(`no ${required.replace(/^\.\//, "")}`)
  }
  if (![...files.keys()].some((p) => p.startsWith("dist/") && p.endsWith(".d.ts"))) found.push("no dist/*.d.ts")
  for (const field of dependencyFields) {
    for (const [name, range] of Object.entries<string>(manifest[field] ?? {})) {
      if (range.startsWith("workspace:")) found.push(`${field}.${name} is "${range}"`)
    }
  }
  if (conditions(manifest.exports).includes("source")) {
    found.push(`exports has the "source" condition (a user's own "source" condition would load our .ts)`)
  }
  // every file the exports map or typesVersions points at is in the tarball
  const targets = [...leaves(manifest.exports), ...leaves(manifest.typesVersions)]
    .filter((t) => !t.includes("*"))
    .map((t) => t.replace(/^\.\//, ""))
  for (const target of new Set(targets)) {
    if (!files.has(target)) found.push(`no ${target} (named in package.json)`)
  }
  return found
}

/**
 * The internal modules a declaration file names: `import("@taskscope/core/internal/…")`, or a path into a
 * package's `dist/internal/` (TypeScript's last resort when no public specifier reaches a type).
 */
export const internalReferences = (dts: string): Array<string> => [
  ...new Set(
    [...dts.matchAll(
      /["'](@taskscope\/[\w-]+\/internal\/[^"']*|[^"']*@taskscope\/[\w-]+\/dist\/internal\/[^"']*)["']/g
    )]
      .map((m) => m[1]!)
  )
]
