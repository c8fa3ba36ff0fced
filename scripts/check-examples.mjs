// Type-checks every `@example` in the doc comments of the public modules (packages/*/src/*.ts).
// Each example becomes a file under <package>/build/examples and is compiled with tsc --noEmit.
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"

const root = new URL("..", import.meta.url).pathname
let total = 0
let failed = false
for (const pkg of readdirSync(join(root, "packages"))) {
  const dir = join(root, "packages", pkg)
  const src = join(dir, "src")
  if (!existsSync(src)) continue
  const out = join(dir, "build", "examples")
  rmSync(out, { recursive: true, force: true })
  mkdirSync(out, { recursive: true })
  const files = []
  for (const file of readdirSync(src).filter((f) => f.endsWith(".ts"))) {
    const text = readFileSync(join(src, file), "utf8")
    // every exported value needs a doc comment with an example; every exported type a doc comment
    const exports = [
      ...text.matchAll(
        /(\/\*\*(?:(?!\*\/)[\s\S])*\*\/\s*)?export (?:declare )?(const|class|function|interface|type) (\w+)/g
      )
    ]
    for (const [, doc, kind, name] of exports) {
      if (name === "TypeId") continue
      if (!doc) {
        console.error(`${pkg}/src/${file}: export ${name} has no doc comment`)
        failed = true
      } else if (["const", "class", "function"].includes(kind) && !doc.includes("@example")) {
        console.error(`${pkg}/src/${file}: export ${name} has no @example`)
        failed = true
      }
    }
    const blocks = [...text.matchAll(/@example\s*\n((?:\s*\*.*\n)*?)\s*\*\s*@(?:since|category)/g)]
    blocks.forEach((match, i) => {
      const body = match[1].split("\n").map((line) => line.replace(/^\s*\* ?/, "")).join("\n")
      const code = body.match(/```ts\n([\s\S]*?)```/)
      if (!code) {
        console.error(`${pkg}/src/${file}: @example #${i + 1} has no \`\`\`ts block`)
        failed = true
        return
      }
      const name = `${file.replace(/\.ts$/, "")}-${i + 1}.ts`
      writeFileSync(join(out, name), `${code[1]}\nexport {}\n`)
      files.push(name)
    })
  }
  if (files.length === 0) continue
  total += files.length
  writeFileSync(
    join(out, "tsconfig.json"),
    JSON.stringify(
      {
        extends: "../../../../tsconfig.base.json",
        compilerOptions: {
          noEmit: true,
          composite: false,
          incremental: false,
          declaration: false,
          declarationMap: false,
          noUnusedLocals: false,
          types: ["node"]
        },
        include: ["*.ts"]
      },
      null,
      2
    )
  )
  try {
    execFileSync(join(root, "node_modules", ".bin", "tsc"), ["-p", join(out, "tsconfig.json")], { stdio: "inherit" })
  } catch {
    failed = true
  }
}
console.log(`doc examples: ${total} type-checked${failed ? ", with errors" : ""}`)
process.exit(failed ? 1 : 0)
