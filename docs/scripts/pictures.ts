/**
 * The pictures that real programs draw, made at build time (`pnpm docs:build` runs this first):
 *
 * - `timeline.svg`: `Timeline.toSvg` of the Timeline page's own example (docs/examples/timeline.ts),
 *   run on the TestClock so that the bars are exactly the 100 ms the example sleeps;
 * - `price-fetcher-timeline.svg`: the demo's round that the price-fetcher page shows as text (a
 *   real run captured in a terminal, `--timeline`), drawn by `Timeline.toSvg` from the entries read
 *   back from that text — so the picture and the text beside it are the same round.
 *
 * Each also comes as `<name>-narrow.svg`, drawn 300 units wide, which phones get (Picture.vue): at a
 * phone's width its smallest text is still 11 px.
 *
 * They are written to docs/pictures/generated (not committed) and shown inline by the `Picture`
 * component, so that their labels take the page's text colour in dark mode.
 */
import { Timeline } from "@taskscope/core"
import { Effect, Fiber, TestClock, TestContext } from "effect"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { recorded } from "../examples/timeline.js"

const out = new URL("../pictures/generated/", import.meta.url)

/** The width of the drawings phones get: at 330 CSS px (a phone's reading column) 10-unit text is 11 px. */
const NARROW = 300

const write = (name: string, entries: ReadonlyArray<Timeline.Entry>) => {
  for (const [file, width] of [[`${name}.svg`, 640], [`${name}-narrow.svg`, NARROW]] as const) {
    const svg = Timeline.toSvg(entries, { width })
    writeFileSync(new URL(file, out), svg + "\n")
    console.log(`pictures: ${file} (${svg.length} bytes)`)
  }
}

const timeline = Effect.gen(function*() {
  const fiber = yield* Effect.fork(recorded)
  yield* TestClock.adjust("1 minute")
  return yield* Fiber.join(fiber)
}).pipe(Effect.provide(TestContext.TestContext))

/**
 * The entries of a `Timeline.toAscii` chart, read back: each bar's start from its first column (to
 * the chart's resolution), its duration as printed, its outcome from its mark.
 */
export const fromAscii = (chart: string): Array<Timeline.Entry> => {
  const lines = chart.split("\n")
  const rows = lines.filter((l) => / │.*│ \d+ ms$/.test(l))
  const total = Number(/(\d+) ms\s*$/.exec(lines.find((l) => /^\s+0 ms\s+\d+ ms\s*$/.test(l)) ?? "")?.[1])
  if (rows.length === 0 || !Number.isFinite(total)) throw new Error("pictures: no Timeline chart to read")
  return rows.map((row, i) => {
    const [, name, bar, ms] = /^(.*?)\s*│(.*)│ (\d+) ms$/.exec(row)!
    const first = bar.search(/\S/)
    const mark = bar[first]
    const startedAt = Math.round((first / bar.length) * total)
    return {
      id: i + 1,
      name,
      group: "round",
      startedAt,
      endedAt: startedAt + Number(ms),
      outcome: mark === "█" ? "succeeded" : mark === "x" ? "failed" : "cancelled"
    }
  })
}

/** The chart the price-fetcher page shows, from the page itself. */
const priceFetcherRound = () => {
  const page = readFileSync(new URL("../guide/price-fetcher.md", import.meta.url), "utf8")
  const block = /```text\nTimeline of the last round:\n([\s\S]*?)```/.exec(page)
  if (block === null) throw new Error("pictures: the price-fetcher page has no 'Timeline of the last round' block")
  return fromAscii(block[1])
}

mkdirSync(out, { recursive: true })
write("timeline", await Effect.runPromise(timeline))
write("price-fetcher-timeline", priceFetcherRound())
