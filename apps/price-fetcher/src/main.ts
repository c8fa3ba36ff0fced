#!/usr/bin/env node
/**
 * The entry point of the Taskscope demo (a rate-limited crypto price fetcher
 * with an embedded mock exchange and graceful shutdown; `--help` for the
 * flags).
 *
 * Loading the application takes about half a second. So that a Ctrl-C in that
 * time is handled like any other — "stopping…" at once, a clean summary, exit
 * 0; a second one exits at once — the one signal handler of the process
 * (`Signals`, which imports nothing else) is installed first; `runMain` takes
 * the request from it once the application has loaded.
 */
import * as Signals from "@taskscope/platform-node/Signals"

Signals.install()
const whileLoading = Signals.subscribe({
  onRequest: (signal) =>
    process.stderr.write(
      `price-fetcher: stopping… (${Signals.describe(signal).force})\n`
    )
})

const app = await import("./app.js")
whileLoading()
app.run(process.argv.slice(2), Signals.received() !== undefined)
