/**
 * Twoslash on the examples: every `ts twoslash` block is compiled against the workspace's built
 * declarations (`@taskscope/*` resolve through docs/node_modules to packages/x/dist/*.d.ts), so the
 * types shown on hover are the ones users get, and a block that does not compile fails the build.
 *
 * The results are cached per block under .vitepress/cache/twoslash, keyed by the block's code AND a
 * fingerprint of every declaration file it can see (the packages' dist/*.d.ts and effect's version):
 * when an API changes, every block is checked again.
 */
import { transformerTwoslash } from "@shikijs/vitepress-twoslash"
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const docs = fileURLToPath(new URL("..", import.meta.url))
const root = join(docs, "..")

const declarations = (dir: string): Array<string> =>
  existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? declarations(join(dir, e.name)) : e.name.endsWith(".d.ts") ? [join(dir, e.name)] : []
    )
    : []

const fingerprint = (): string => {
  const hash = createHash("sha256")
  for (const pkg of ["core", "platform-node", "redis", "promise"]) {
    for (const file of declarations(join(root, "packages", pkg, "dist")).sort()) {
      hash.update(file).update(readFileSync(file))
    }
  }
  hash.update(readFileSync(join(docs, "node_modules", "effect", "package.json")))
  return hash.digest("hex").slice(0, 16)
}

const typesCache = () => {
  const dir = join(docs, ".vitepress", "cache", "twoslash")
  let salt = ""
  const file = (code: string) =>
    join(dir, `${createHash("sha256").update(salt).update(code).digest("hex").slice(0, 24)}.json`)
  return {
    init() {
      mkdirSync(dir, { recursive: true })
      salt = fingerprint()
    },
    read(code: string) {
      const f = file(code)
      return existsSync(f) && statSync(f).isFile() ? JSON.parse(readFileSync(f, "utf8")) : null
    },
    write(code: string, data: unknown) {
      writeFileSync(file(code), JSON.stringify(data))
    }
  }
}

export const twoslash = () =>
  transformerTwoslash({
    // only blocks marked `twoslash` (the examples); other ts blocks are plain highlighting
    explicitTrigger: true,
    // a block that does not compile fails the build, in dev too
    throws: true,
    typesCache: typesCache(),
    twoslashOptions: {
      vfsRoot: docs,
      compilerOptions: {
        strict: true,
        exactOptionalPropertyTypes: true,
        module: 199, // NodeNext
        moduleResolution: 99, // NodeNext
        target: 99,
        lib: ["lib.es2022.d.ts"],
        types: ["node"],
        skipLibCheck: true
      }
    }
  })
