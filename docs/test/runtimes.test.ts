/**
 * The runtime matrix on the Runtimes page is this test's: the smoke suite (docs/runtimes/smoke.ts,
 * one check per public module) runs under Node, Bun and Deno — the last two installed from the npm
 * registry as devDependencies — and bundled in Chromium, and each runtime's results must be the
 * ones docs/runtimes/results.json records, which the page shows. When a module starts failing (or
 * passing) somewhere, this test fails until results.json says so: `UPDATE_RUNTIMES=1` rewrites it
 * from the run, to commit with the change.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { CHROMIUM, inChromium, onBun, onDeno, onNode, resultsFile, type RuntimeResult } from "../runtimes/runtimes.js"
import { checks } from "../runtimes/smoke.js"

interface Recorded {
  readonly note: string
  readonly runtimes: ReadonlyArray<RuntimeResult>
}

const recorded: Recorded | undefined = existsSync(resultsFile)
  ? JSON.parse(readFileSync(resultsFile, "utf8"))
  : undefined

const status = (results: Record<string, string>) =>
  Object.fromEntries(Object.entries(results).map(([module, result]) => [module, result === "ok" ? "ok" : "fails"]))

const measured: Array<RuntimeResult> = []

describe.sequential("the runtime matrix", () => {
  const runtimes = [
    ["node", onNode],
    ["bun", onBun],
    ["deno", onDeno],
    ["chromium", inChromium]
  ] as const

  for (const [id, runOn] of runtimes) {
    it(`${id}: the smoke suite gives what the Runtimes page says`, async () => {
      if (id === "chromium" && !existsSync(CHROMIUM)) {
        throw new Error(`Chromium is needed: apt-get install -y chromium (or set CHROMIUM_PATH)`)
      }
      const result = await runOn()
      measured.push(result)
      expect(Object.keys(result.results), "one result per check").toStrictEqual(Object.keys(checks))
      if (process.env.UPDATE_RUNTIMES === "1") return
      const page = recorded?.runtimes.find((r) => r.id === id)
      assert.isDefined(page, `${id} is not in docs/runtimes/results.json: UPDATE_RUNTIMES=1 writes it`)
      expect(
        status(result.results),
        `${id} ${result.version}: ${JSON.stringify(result.results)}\n(UPDATE_RUNTIMES=1 rewrites results.json)`
      ).toStrictEqual(status(page!.results))
      // the npm packages are pinned: the page names the versions that ran
      if (id === "bun" || id === "deno") assert.strictEqual(result.version, page!.version)
    }, 180_000)
  }

  it.runIf(process.env.UPDATE_RUNTIMES === "1")("UPDATE_RUNTIMES=1: writes docs/runtimes/results.json", () => {
    const ordered = runtimes.map(([id]) => measured.find((r) => r.id === id)).filter((r) => r !== undefined)
    assert.strictEqual(ordered.length, runtimes.length, "every runtime ran")
    const note = "Written by docs/test/runtimes.test.ts with UPDATE_RUNTIMES=1; shown on the Runtimes page. " +
      "A failure is recorded here as it happened (the page says which module, where), not left out."
    writeFileSync(resultsFile, JSON.stringify({ note, runtimes: ordered }, null, 2) + "\n")
  })
})
