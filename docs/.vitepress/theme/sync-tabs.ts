/**
 * Code groups whose tabs share a label stay in step: choosing "Taskscope" (or "asyncio", "Trio",
 * "Effect.forEach"…) in one group chooses it in every group of the page, and on the next page, as
 * effect.website's tabs do. The choice is kept in localStorage.
 */
const KEY = "taskscope:code-tab"

const labelOf = (label: Element) => (label.textContent ?? "").trim()

const select = (root: ParentNode, wanted: string) => {
  for (const group of Array.from(root.querySelectorAll(".vp-code-group"))) {
    const label = Array.from(group.querySelectorAll(".tabs label")).find((l) => labelOf(l) === wanted)
    const input = label?.getAttribute("for")
      ? group.querySelector<HTMLInputElement>(`#${CSS.escape(label.getAttribute("for")!)}`)
      : null
    if (input && !input.checked) input.click()
  }
}

let syncing = false

export const syncCodeTabs = () => {
  if (typeof window === "undefined") return
  document.addEventListener("click", (event) => {
    if (syncing) return
    const label = (event.target as Element | null)?.closest?.(".vp-code-group .tabs label")
    if (!label) return
    const wanted = labelOf(label)
    syncing = true
    try {
      select(document, wanted)
    } finally {
      syncing = false
    }
    try {
      localStorage.setItem(KEY, wanted)
    } catch {
      // storage may be off: the page still syncs
    }
  })
}

/** After a page is shown: the tab last chosen, where a group has one by that name. */
export const restoreCodeTab = () => {
  if (typeof window === "undefined") return
  let wanted: string | null = null
  try {
    wanted = localStorage.getItem(KEY)
  } catch {
    return
  }
  if (wanted === null) return
  syncing = true
  try {
    select(document, wanted)
  } finally {
    syncing = false
  }
}
