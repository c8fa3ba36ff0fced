// @ts-check
/**
 * Taskscope's typedoc plugin: makes the generated API reference read like a reference.
 *
 * - Entry points are named by package (`@taskscope/core`), not by folder (`core/src`).
 * - A namespace page (`TaskGroup`) shows its module's own documentation (the header comment of
 *   `TaskGroup.ts`: what it is, the asyncio/Trio counterpart, the semantics), not the one-line
 *   comment on the `export * as TaskGroup` in index.ts; and it links to the module's guide.
 * - `@example` code is formatted at 80 columns (the source's doc comments are at 120), as the
 *   guides' examples are, so that it fits the page without a horizontal scroll.
 * - `@since` is a small line under the summary rather than a heading per member.
 * - Noise is hidden: `TypeId` symbols and `[TypeId]` members, and what data types inherit from
 *   Effect (`pipe`, `toJSON`, `toString`, `[NodeInspectSymbol]`, `[Symbol.iterator]`, the
 *   `Effect`-ness of yieldable errors …) — members declared in node_modules.
 */
import { createFromBuffer } from "@dprint/formatter"
import { getPath } from "@dprint/typescript"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Comment, CommentTag, Converter, ReflectionKind } from "typedoc"

/** The guide page of each module, linked from its API page. */
const guides = {
  Concurrent: "/guide/concurrent",
  Deadline: "/guide/deadline",
  Event: "/guide/event",
  Executor: "/guide/executor",
  Limiter: "/guide/limiter",
  Offload: "/guide/offload",
  Orphans: "/guide/testing",
  Progress: "/guide/progress",
  Redis: "/guide/scaling-out",
  RedisLimiter: "/guide/scaling-out",
  RedisWorkQueue: "/guide/scaling-out",
  Retry: "/guide/retry",
  Runtime: "/guide/shutdown",
  Shutdown: "/guide/shutdown",
  Task: "/guide/task-group",
  TaskGroup: "/guide/task-group",
  TaskResult: "/guide/task-group",
  Testing: "/guide/testing",
  Timeline: "/guide/timeline",
  WorkQueue: "/guide/work-queue"
}

/** The leading `/** … *\/` of a source file, as summary text and block tags. */
const headerComment = (/** @type {string} */ fileName) => {
  const source = readFileSync(fileName, "utf8")
  const match = /^\s*\/\*\*([\s\S]*?)\*\//.exec(source)
  if (match === null) return undefined
  const lines = match[1].split("\n").map((line) => line.replace(/^\s*\* ?/, ""))
  const firstTag = lines.findIndex((line) => line.startsWith("@"))
  const body = (firstTag < 0 ? lines : lines.slice(0, firstTag)).join("\n").trim()
    // {@link X} → `X`: the plain text has no link targets to resolve
    .replace(/\{@link\s+([^}\s|]+)(?:\s*\|\s*([^}]+))?\}/g, (_, target, label) => `\`${label ?? target}\``)
  const tags = (firstTag < 0 ? [] : lines.slice(firstTag)).join("\n").split(/\n(?=@)/).map((tag) => {
    const [, name, text] = /^(@\w+)\s*([\s\S]*)$/.exec(tag.trim()) ?? []
    return { name, text: (text ?? "").trim() }
  })
  return { body, tags }
}

const inheritedNoise = new Set([
  "pipe",
  "toJSON",
  "toString",
  "[NodeInspectSymbol]",
  "[Symbol.iterator]",
  "[ChannelTypeId]",
  "[EffectTypeId]",
  "[SinkTypeId]",
  "[StreamTypeId]",
  "[YieldableError]",
  "commit",
  "[Symbol.unscopables]"
])

const dprint = createFromBuffer(readFileSync(getPath()))
/** The examples' formatting (eslint.config.mjs, docs/examples), at 80 columns. */
const dprintConfig = {
  indentWidth: 2,
  lineWidth: 80,
  semiColons: "asi",
  quoteStyle: "alwaysDouble",
  trailingCommas: "never",
  operatorPosition: "maintain",
  "arrowFunction.useParentheses": "force"
}

/** Reformats the ts code fences of a comment part at 80 columns; leaves code it cannot parse. */
const formatFences = (/** @type {string} */ text) =>
  text.replace(/```(ts|typescript)\n([\s\S]*?)```/g, (fence, lang, code) => {
    try {
      const formatted = dprint.formatText({ filePath: "example.ts", fileText: code, overrideConfig: dprintConfig })
      return "```" + lang + "\n" + formatted + "```"
    } catch {
      return fence
    }
  })

/** @param {import("typedoc").Application} app */
export function load(app) {
  /** @type {Array<{ reflection: import("typedoc").Reflection, file: string }>} */
  const namespaces = []

  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    if (!reflection.kindOf(ReflectionKind.Namespace)) return
    const symbol = context.getSymbolFromReflection(reflection)
    if (symbol === undefined) return
    // `export * as X from "./X.js"`: the alias points at the module, whose declaration is the file

    const target = symbol.flags & 2097152 /* ts.SymbolFlags.Alias */ ? context.checker.getAliasedSymbol(symbol) : symbol
    const file = target.declarations?.find((d) => d.kind === 312 /* ts.SyntaxKind.SourceFile */ || "fileName" in d)
    const fileName = /** @type {{ fileName?: string }} */ (file)?.fileName
    if (fileName !== undefined && fileName.endsWith(".ts")) namespaces.push({ reflection, file: fileName })
  })

  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const project = context.project

    // 1. entry points named by package
    for (const module of project.getChildrenByKind(ReflectionKind.Module)) {
      const folder = module.name.split("/")[0]
      try {
        const pkg = JSON.parse(
          readFileSync(
            join(app.options.getValue("basePath") || process.cwd(), "..", "packages", folder, "package.json"),
            "utf8"
          )
        )
        module.name = pkg.name
        const description = pkg.description
        if (description !== undefined && (module.comment === undefined || module.comment.summary.length === 0)) {
          module.comment = new Comment([{ kind: "text", text: description }])
        }
      } catch {
        // not one of ours: leave it
      }
    }

    // 2. namespace pages carry their module's documentation and a link to the guide
    for (const { file, reflection } of namespaces) {
      const header = headerComment(file)
      if (header === undefined || header.body === "") continue
      const guide = /** @type {Record<string, string>} */ (guides)[reflection.name]
      const text = guide === undefined ? header.body : `${header.body}\n\n**Guide:** [${reflection.name}](${guide})`
      const tags = header.tags.filter((t) => t.name === "@since").map((t) =>
        new CommentTag("@since", [{ kind: "text", text: t.text }])
      )
      reflection.comment = new Comment([{ kind: "text", text }], tags)
    }

    // 3. `@since` as a line under the summary (a "Since" heading per member is noise, also in search)
    for (const reflection of Object.values(project.reflections)) {
      const comments = [
        reflection.comment,
        ...("signatures" in reflection && Array.isArray(reflection.signatures)
          ? reflection.signatures.map((s) => s.comment)
          : [])
      ]
      for (const comment of comments) {
        const since = comment?.blockTags.find((t) => t.tag === "@since")
        if (comment === undefined || since === undefined) continue
        comment.blockTags = comment.blockTags.filter((t) => t !== since)
        const version = since.content.map((part) => part.text).join("").trim()
        comment.summary = [...comment.summary, { kind: "text", text: `\n\n*Since v${version}*` }]
      }
    }

    // 4. examples at 80 columns
    for (const reflection of Object.values(project.reflections)) {
      const comments = [
        reflection.comment,
        ...("signatures" in reflection && Array.isArray(reflection.signatures)
          ? reflection.signatures.map((s) => s.comment)
          : [])
      ]
      for (const comment of comments) {
        for (const tag of comment?.blockTags ?? []) {
          if (tag.tag !== "@example") continue
          for (const part of tag.content) if (part.kind === "code") part.text = formatFences(part.text)
        }
      }
    }

    // 5. `const scoped: … = internal.scoped`: the initializer is the implementation, not the API
    for (const reflection of Object.values(project.reflections)) {
      if (reflection.kindOf(ReflectionKind.Variable) && "defaultValue" in reflection) {
        reflection.defaultValue = undefined
      }
    }

    // 6. hide TypeIds and what data types inherit from Effect's own types
    for (const reflection of Object.values(project.reflections)) {
      if (!project.reflections[reflection.id]) continue // removed with its parent
      const name = reflection.name
      const isTypeId = name === "TypeId" || /^\[\w*TypeId\]$/.test(name)
      const inherited = "inheritedFrom" in reflection && reflection.inheritedFrom !== undefined
      if (isTypeId || (inheritedNoise.has(name) && (inherited || reflection.parent?.kindOf(ReflectionKind.Class)))) {
        project.removeReflection(reflection)
      }
    }
  })
}
