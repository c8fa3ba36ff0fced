#!/usr/bin/env node
/**
 * The entry point of the Taskscope demo (a rate-limited crypto price fetcher
 * with an embedded mock exchange and graceful shutdown; `--help` for the
 * flags).
 *
 * Loading the application takes about half a second. So that a Ctrl-C in that
 * time is handled like any other — "stopping…" at once, a clean summary, exit
 * 0; a second one exits at once — this module installs its signal handlers
 * first, with nothing imported, and hands the signals it caught to the
 * application, which passes them on to `Runtime.runMain`.
 */
type Signal = "SIGINT" | "SIGTERM"

const early: Array<Signal> = []
let firstAt = 0
const onEarly = (signal: Signal) => {
  if (early.length === 0) {
    firstAt = Date.now()
    early.push(signal)
    process.stderr.write("price-fetcher: stopping… (Ctrl-C again to force)\n")
  } else if (Date.now() - firstAt >= 200) {
    // (one within 200 ms is the same Ctrl-C: `pnpm demo` passes it on, so it
    // arrives twice)
    process.exit(signal === "SIGINT" ? 130 : 143)
  }
}
process.on("SIGINT", onEarly)
process.on("SIGTERM", onEarly)

const app = await import("./app.js")
app.run(process.argv.slice(2), early, () => {
  process.off("SIGINT", onEarly)
  process.off("SIGTERM", onEarly)
})
