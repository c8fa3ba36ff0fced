// @ts-check
/**
 * Taskscope's typedoc plugin: makes the generated API reference read like Effect's own.
 *
 * - Every export is shown as its declaration, as written in the source (`export declare const
 *   scoped: { <A, E, R, CE = unknown>(body: (group: TaskGroup<"supervise", CE>) => …, options: …) … }`),
 *   formatted at 80 columns: every overload with its parameter types, the group's type in
 *   callbacks, dual forms one under the other. No tables of "Type Parameter / –": the declaration
 *   says it all; an interface's or a class's documented members follow as a list.
 * - Under each export: its example, the version it appeared in, and a link to its source.
 * - Entry points are named by package (`@taskscope/core`), not by folder (`core/src`).
 * - A namespace page (`TaskGroup`) shows its module's own documentation (the header comment of
 *   `TaskGroup.ts`: what it is, the asyncio/Trio counterpart, the semantics), not the one-line
 *   comment on the `export * as TaskGroup` in index.ts; and it links to the module's guide.
 * - `@example` code is formatted at 80 columns (the source's doc comments are at 120).
 * - Noise is hidden: `TypeId` symbols and `[TypeId]` members, and what data types inherit from
 *   Effect (`pipe`, `toJSON`, …) — members declared in node_modules.
 * - `api/symbols.json`: every public symbol and the URL of its entry, which the site's markdown
 *   uses to link `TaskGroup.scoped` in guide prose to its entry (and to fail on a dead one).
 *
 * The build fails if a declaration it shows has a parameter without a type.
 */
import { createFromBuffer } from "@dprint/formatter"
import { getPath } from "@dprint/typescript"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { Application, Comment, CommentTag, Converter, ReflectionKind } from "typedoc"
import { MarkdownPageEvent, MarkdownTheme, MarkdownThemeContext } from "typedoc-plugin-markdown"
import ts from "typescript"

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

/** The guide of the promise package's modules: one page. */
const promiseGuide = "/guide/from-async-await"

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

/** Declarations: small object types on one line where they fit (the printer spreads them out). */
const declarationConfig = {
  ...dprintConfig,
  "typeLiteral.preferSingleLine": true,
  "mappedType.preferSingleLine": true
}

/** Formats TypeScript at 80 columns; `undefined` if it cannot be parsed. */
const format = (/** @type {string} */ code, config = dprintConfig) => {
  try {
    return dprint.formatText({ filePath: "declaration.ts", fileText: code, overrideConfig: config })
  } catch {
    return undefined
  }
}

/** Reformats the ts code fences of a comment part at 80 columns; leaves code it cannot parse. */
const formatFences = (/** @type {string} */ text) =>
  text.replace(/```(ts|typescript)\n([\s\S]*?)```/g, (fence, lang, code) => {
    const formatted = format(code)
    return formatted === undefined ? fence : "```" + lang + "\n" + formatted + "```"
  })

// ---------------------------------------------------------------------------------------------
// Declarations as written in the source
// ---------------------------------------------------------------------------------------------

const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed })

/** A member the reader should not see: `[TypeId]`, `@internal`, private. */
const hiddenMember = (/** @type {ts.Node} */ member) => {
  const name = /** @type {{ name?: ts.PropertyName }} */ (member).name
  if (name !== undefined && ts.isComputedPropertyName(name) && /TypeId$/.test(name.expression.getText())) return true
  if (name !== undefined && ts.isPrivateIdentifier(name)) return true
  const modifiers = ts.canHaveModifiers(member) ? ts.getModifiers(member) ?? [] : []
  if (modifiers.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword)) {
    return true
  }
  return ts.getJSDocTags(member).some((tag) => tag.tagName.text === "internal")
}

const exportDeclare = () => [
  ts.factory.createModifier(ts.SyntaxKind.ExportKeyword),
  ts.factory.createModifier(ts.SyntaxKind.DeclareKeyword)
]

const typeNodeFlags = ts.NodeBuilderFlags.NoTruncation | ts.NodeBuilderFlags.UseAliasDefinedOutsideCurrentScope |
  ts.NodeBuilderFlags.MultilineObjectLiterals

/**
 * The declaration text of an export: `export declare const …`, `export declare function …`,
 * `export interface …`, `export type …`, `export declare class …`, as the source declares it
 * (comments, bodies, initializers and hidden members removed). Types the source leaves to
 * inference are printed from the checker.
 *
 * @param {ts.TypeChecker} checker
 * @param {ts.Symbol} symbol
 * @param {ReflectionKind} kind
 */
const declarationText = (checker, symbol, kind) => {
  const declarations = symbol.declarations ?? []
  /** @type {Array<string>} */
  const parts = []
  const print = (/** @type {ts.Node} */ node, /** @type {ts.SourceFile} */ file) =>
    printer.printNode(ts.EmitHint.Unspecified, node, file)

  /** Parameters as a declaration has them: a default value becomes `?` and the value's type. */
  const params = (/** @type {ts.NodeArray<ts.ParameterDeclaration>} */ list) =>
    list.map((p) =>
      p.initializer === undefined ? p : ts.factory.updateParameterDeclaration(
        p,
        p.modifiers,
        p.dotDotDotToken,
        p.name,
        ts.factory.createToken(ts.SyntaxKind.QuestionToken),
        p.type ?? checker.typeToTypeNode(checker.getTypeAtLocation(p), p, typeNodeFlags),
        undefined
      )
    )

  for (const decl of declarations) {
    const file = decl.getSourceFile()
    if (ts.isVariableDeclaration(decl) && kind !== ReflectionKind.Interface && kind !== ReflectionKind.TypeAlias) {
      let type = decl.type
      if (type === undefined) {
        type = checker.typeToTypeNode(checker.getTypeAtLocation(decl.name), decl, typeNodeFlags)
      }
      const text = type === undefined ? "unknown" : print(type, file)
      parts.push(`export declare const ${decl.name.getText()}: ${text}`)
    } else if (ts.isFunctionDeclaration(decl) && (kind === ReflectionKind.Function)) {
      const overloads = declarations.filter(ts.isFunctionDeclaration)
      // the implementation is not a signature when there are overloads
      if (decl.body !== undefined && overloads.length > 1) continue
      let returnType = decl.type
      if (returnType === undefined) {
        const signature = checker.getSignatureFromDeclaration(decl)
        if (signature !== undefined) {
          returnType = checker.typeToTypeNode(checker.getReturnTypeOfSignature(signature), decl, typeNodeFlags)
        }
      }
      const node = ts.factory.updateFunctionDeclaration(
        decl,
        exportDeclare(),
        decl.asteriskToken,
        decl.name,
        decl.typeParameters,
        params(decl.parameters),
        returnType,
        undefined
      )
      parts.push(print(node, file))
    } else if (ts.isInterfaceDeclaration(decl) && kind === ReflectionKind.Interface) {
      const node = ts.factory.updateInterfaceDeclaration(
        decl,
        decl.modifiers,
        decl.name,
        decl.typeParameters,
        decl.heritageClauses,
        decl.members.filter((m) => !hiddenMember(m))
      )
      parts.push(print(node, file))
    } else if (ts.isTypeAliasDeclaration(decl) && kind === ReflectionKind.TypeAlias) {
      parts.push(print(decl, file))
    } else if (ts.isClassDeclaration(decl) && kind === ReflectionKind.Class) {
      /** @type {Array<ts.ClassElement>} */
      const members = []
      for (const m of decl.members) {
        if (hiddenMember(m)) continue
        if (ts.isMethodDeclaration(m)) {
          members.push(
            ts.factory.updateMethodDeclaration(
              m,
              m.modifiers,
              m.asteriskToken,
              m.name,
              m.questionToken,
              m.typeParameters,
              params(m.parameters),
              m.type,
              undefined
            )
          )
        } else if (ts.isGetAccessorDeclaration(m)) {
          members.push(ts.factory.updateGetAccessorDeclaration(m, m.modifiers, m.name, m.parameters, m.type, undefined))
        } else if (ts.isConstructorDeclaration(m)) {
          members.push(ts.factory.updateConstructorDeclaration(m, m.modifiers, params(m.parameters), undefined))
        } else if (ts.isPropertyDeclaration(m)) {
          const type = m.type ??
            checker.typeToTypeNode(checker.getTypeAtLocation(m.name), m, typeNodeFlags)
          members.push(
            ts.factory.updatePropertyDeclaration(
              m,
              m.modifiers,
              m.name,
              m.questionToken ?? m.exclamationToken,
              type,
              undefined
            )
          )
        }
      }
      const node = ts.factory.updateClassDeclaration(
        decl,
        exportDeclare(),
        decl.name,
        decl.typeParameters,
        decl.heritageClauses,
        members
      )
      parts.push(print(node, file))
    }
  }
  if (parts.length === 0) return undefined
  const text = parts.join("\n\n")
  return (format(text, declarationConfig) ?? text).trimEnd()
}

/**
 * The parameters in a declaration's text that have no type: `(group) => …` says nothing to a
 * reader. Empty when every parameter is typed.
 */
export const untypedParameters = (/** @type {string} */ text) => {
  const file = ts.createSourceFile("declaration.ts", text, ts.ScriptTarget.Latest, true)
  /** @type {Array<string>} */
  const found = []
  const visit = (/** @type {ts.Node} */ node) => {
    if (ts.isParameter(node) && node.type === undefined) found.push(node.getText())
    ts.forEachChild(node, visit)
  }
  visit(file)
  return found
}

// ---------------------------------------------------------------------------------------------
// The theme: one rendering per export
// ---------------------------------------------------------------------------------------------

/** @type {Map<number, string>} reflection id → its declaration text */
const declarations = new Map()
/** @type {Set<number>} the members that got an anchor of their own on their page */
const anchored = new Set()

const shownKinds = ReflectionKind.Variable | ReflectionKind.Function | ReflectionKind.Interface |
  ReflectionKind.TypeAlias | ReflectionKind.Class

/** Indents the lines after the first, for markdown list items. */
const indent = (/** @type {string} */ text) =>
  text.split("\n").map((l, i) => (i === 0 || l === "" ? l : `  ${l}`)).join("\n")

/** The comment of a reflection, or of its first signature (methods and functions carry it there). */
const commentOf = (/** @type {any} */ reflection) =>
  reflection.comment ?? reflection.signatures?.find((/** @type {any} */ s) => s.comment)?.comment

class TaskscopeContext extends MarkdownThemeContext {
  /** @param {ConstructorParameters<typeof MarkdownThemeContext>} args */
  constructor(...args) {
    super(...args)
    const base = { ...this.partials }
    this.partials = {
      ...this.partials,
      // a heading is the export's name, never `name()`
      memberTitle: (model) => (declarations.has(model.id) ? model.name : base.memberTitle(model)),
      member: (model, options) => (declarations.has(model.id) ? this.exportMember(model) : base.member(model, options))
    }
  }

  /**
   * An export: its summary, its declaration, its documented members, its example, then the
   * version it appeared in and a link to its source.
   *
   * @param {import("typedoc").DeclarationReflection} model
   */
  exportMember(model) {
    const md = []
    const comment = commentOf(model)
    if (comment !== undefined && comment.summary.length > 0) {
      md.push(this.helpers.getCommentParts(comment.summary))
    }
    md.push(`<div class="api-signature">\n\n\`\`\`ts\n${declarations.get(model.id)}\n\`\`\`\n\n</div>`)

    // the members of an interface or a class — or of a value's object type (the promise package's
    // `TaskGroup.run`) — that have something to say beyond their type
    const members = [
      ...(model.children ?? []),
      .../** @type {any} */ (model).type?.declaration?.children ?? []
    ]
    const documented = members.filter((/** @type {any} */ child) => {
      const c = commentOf(child)
      return c !== undefined && c.summary.some((/** @type {any} */ p) => p.text.trim() !== "")
    })
    if (documented.length > 0) {
      const items = documented.map((child) => {
        const anchor = this.router.hasUrl(child) ? this.router.getAnchor(child) : undefined
        if (anchor !== undefined) anchored.add(child.id)
        const id = anchor === undefined ? "" : `<a id="${anchor}"></a>`
        return `- ${id}**\`${child.name}\`** — ${indent(this.helpers.getCommentParts(commentOf(child).summary))}`
      })
      md.push(items.join("\n"))
    }

    if (comment !== undefined) {
      const tags = comment.blockTags.filter((/** @type {any} */ t) => t.tag !== "@since")
      if (tags.length > 0) {
        md.push(this.partials.comment(
          Object.assign(Object.create(Object.getPrototypeOf(comment)), comment, {
            blockTags: tags,
            summary: []
          }),
          { headingLevel: 4, showSummary: false, showTags: true }
        ))
      }
    }

    const since = comment?.blockTags.find((/** @type {any} */ t) => t.tag === "@since")
    const version = since?.content.map((/** @type {any} */ p) => p.text).join("").trim()
    const source = model.sources?.[0]
    const meta = [
      version ? `Since v${version}` : undefined,
      source?.url ? `<a href="${source.url}" target="_blank" rel="noreferrer">Source</a>` : undefined
    ].filter(Boolean)
    if (meta.length > 0) md.push(`<p class="api-meta">${meta.join(" · ")}</p>`)
    return md.join("\n\n")
  }
}

class TaskscopeTheme extends MarkdownTheme {
  /** @param {import("typedoc-plugin-markdown").MarkdownPageEvent<import("typedoc").Reflection>} page */
  getRenderContext(page) {
    return new TaskscopeContext(this, page, this.application.options)
  }
}

/** @param {import("typedoc").Application} app */
export function load(app) {
  /** @type {Array<{ reflection: import("typedoc").Reflection, file: string }>} */
  const namespaces = []
  /** @type {Array<string>} */
  const untyped = []

  app.renderer.defineTheme("taskscope", TaskscopeTheme)

  // the page's title gets an id of its own: `# Event` would otherwise take the anchor `event`, which
  // typedoc gives the `Event` interface on the same page
  app.renderer.on(MarkdownPageEvent.END, (page) => {
    if (page.contents !== undefined) page.contents = page.contents.replace(/^# (.+)$/m, "# $1 {#top}")
  })

  // source links into the repository named by @taskscope/core's package.json, at this commit
  app.on(Application.EVENT_BOOTSTRAP_END, () => {
    if (app.options.isSet("sourceLinkTemplate")) return
    const root = join(app.options.getValue("basePath") || process.cwd(), "..")
    const core = JSON.parse(readFileSync(join(root, "packages", "core", "package.json"), "utf8"))
    const repository = String(typeof core.repository === "object" ? core.repository.url : core.repository ?? "")
      .replace(/^git\+/, "")
      .replace(/\.git$/, "")
    if (repository !== "") app.options.setValue("sourceLinkTemplate", `${repository}/blob/{gitRevision}/{path}#L{line}`)
  })

  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    const symbol = context.getSymbolFromReflection(reflection)
    if (symbol === undefined) return
    const target = symbol.flags & ts.SymbolFlags.Alias ? context.checker.getAliasedSymbol(symbol) : symbol

    if (reflection.kindOf(ReflectionKind.Namespace)) {
      // `export * as X from "./X.js"`: the alias points at the module, whose declaration is the file
      const file = target.declarations?.find((d) => ts.isSourceFile(d))
      if (file !== undefined && ts.isSourceFile(file)) namespaces.push({ reflection, file: file.fileName })
      return
    }
    // an export of a module (or of a namespace in it): shown as declared
    if (reflection.kindOf(shownKinds) && reflection.parent?.kindOf(ReflectionKind.Namespace | ReflectionKind.Module)) {
      const text = declarationText(context.checker, target, reflection.kind)
      if (text === undefined) return
      const bad = untypedParameters(text)
      if (bad.length > 0) untyped.push(`${reflection.getFullName()}: ${bad.join(", ")}`)
      declarations.set(reflection.id, text)
    }
  })

  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const project = context.project
    if (untyped.length > 0) {
      throw new Error(`API reference: parameters without a type in the declarations shown:\n${untyped.join("\n")}`)
    }

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
      const inPromise = reflection.parent?.name === "@taskscope/promise"
      const guide = inPromise ? promiseGuide : /** @type {Record<string, string>} */ (guides)[reflection.name]
      const text = guide === undefined ? header.body : `${header.body}\n\n**Guide:** [${reflection.name}](${guide})`
      const tags = header.tags.filter((t) => t.name === "@since").map((t) =>
        new CommentTag("@since", [{ kind: "text", text: t.text }])
      )
      reflection.comment = new Comment([{ kind: "text", text }], tags)
    }

    // 3. on pages and members not shown as a declaration, `@since` as a line under the summary
    for (const reflection of Object.values(project.reflections)) {
      if (declarations.has(reflection.id)) continue
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

    // 5. hide TypeIds and what data types inherit from Effect's own types
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

  // 6. every public symbol and its entry: `@taskscope/core` → `TaskGroup` → `scoped` → URL
  app.renderer.postRenderAsyncJobs.push(async (output) => {
    const router = /** @type {any} */ (app.renderer).router ?? /** @type {any} */ (app.renderer.theme)?.router
    if (router === undefined) throw new Error("API reference: no router to name the symbols' URLs")
    const out = app.options.getValue("out")
    const url = (/** @type {import("typedoc").Reflection} */ r) => {
      // a member's URL is its page's, then its parent's anchor, then its own: keep the last
      const [page, ...anchors] = router.getFullUrl(r).split("#")
      const path = "/" + relative(app.options.getValue("docsRoot") || ".", join(out, page))
        .replace(/\\/g, "/").replace(/\.md$/, "").replace(/\/index$/, "/")
      return anchors.length === 0 ? path : `${path}#${anchors[anchors.length - 1]}`
    }
    /** Whether a reflection can be called: a function, a method, a property of a function type. */
    const callable = (/** @type {any} */ r) =>
      (r.signatures?.length ?? 0) > 0 || (r.type?.declaration?.signatures?.length ?? 0) > 0
    /**
     * @typedef {{ url: string, callable: boolean }} Entry
     * @type {Record<string, Record<string, { url: string, members: Record<string, Entry & { members: Record<string, Entry> }> }>>}
     */
    const symbols = {}
    /** The members of a module, a namespace, or the package itself (key ""), by name. */
    const membersOf = (/** @type {import("typedoc").ContainerReflection} */ container) => {
      /** @type {Record<string, Entry & { members: Record<string, Entry> }>} */
      const members = {}
      for (const child of container.children ?? []) {
        if (!router.hasUrl(child) || child.kindOf(ReflectionKind.Namespace | ReflectionKind.Module)) continue
        /** @type {Record<string, Entry>} */
        const inner = {}
        // an interface's members, or those of a value's object type (`TaskGroup.run` in the promise package)
        const /** @type {Array<any>} */ grandchildren = [
          ...(child.children ?? []),
          .../** @type {any} */ (child).type?.declaration?.children ?? []
        ]
        for (const grandchild of grandchildren) {
          // an undocumented member has no entry of its own: its declaration shows it
          const at = anchored.has(grandchild.id) ? url(grandchild) : url(child)
          inner[grandchild.name] = { url: at, callable: callable(grandchild) }
        }
        // several declarations of one name (an interface, its Tag, its namespace): the value first
        const existing = members[child.name]
        if (existing === undefined || child.kindOf(ReflectionKind.Variable | ReflectionKind.Function)) {
          members[child.name] = {
            url: url(child),
            callable: callable(child),
            members: { ...existing?.members, ...inner }
          }
        } else {
          Object.assign(existing.members, { ...inner, ...existing.members })
        }
      }
      // a namespace beside a value of the same name (`declare namespace Executor { interface Options }`)
      for (const ns of container.getChildrenByKind(ReflectionKind.Namespace)) {
        const owner = members[ns.name]
        if (owner === undefined) continue
        for (const child of ns.children ?? []) {
          if (router.hasUrl(child)) owner.members[child.name] ??= { url: url(child), callable: callable(child) }
        }
      }
      return members
    }
    for (const pkg of output.project.getChildrenByKind(ReflectionKind.Module)) {
      const modules = (symbols[pkg.name] = { "": { url: url(pkg), members: membersOf(pkg) } })
      for (const ns of pkg.getChildrenByKind(ReflectionKind.Namespace)) {
        modules[ns.name] = { url: url(ns), members: membersOf(ns) }
      }
    }
    const file = join(out, "symbols.json")
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, JSON.stringify(symbols, null, 2) + "\n")
  })
}
