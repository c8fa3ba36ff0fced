/**
 * Every table cell gets its column's name as `data-label` (from the header row, as plain text), so
 * that a table stacked into cards on a phone (custom.css: `.asyncio-map`, `.stack-on-phone`) can
 * say under which column each cell belongs. The markdown stays a plain table.
 */
interface Token {
  type: string
  content: string
  children: Array<Token> | null
  attrSet(name: string, value: string): void
}
interface Md {
  core: { ruler: { push(name: string, rule: (state: { tokens: Array<Token> }) => void): void } }
}

const plain = (inline: Token | undefined) =>
  (inline?.children ?? []).filter((t) => t.type === "text" || t.type === "code_inline").map((t) => t.content).join("")
    .trim()

export const tableLabels = (md: Md) => {
  md.core.ruler.push("taskscope-table-labels", (state) => {
    let labels: Array<string> = []
    let column = 0
    let inHead = false
    state.tokens.forEach((token, i) => {
      if (token.type === "table_open") labels = []
      else if (token.type === "thead_open") inHead = true
      else if (token.type === "thead_close") inHead = false
      else if (token.type === "tr_open") column = 0
      else if (token.type === "th_open" && inHead) labels.push(plain(state.tokens[i + 1]))
      else if (token.type === "td_open") {
        const label = labels[column++]
        if (label) token.attrSet("data-label", label)
      }
    })
  })
}
