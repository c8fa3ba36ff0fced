// Prints the one plain line CI reads: "N passed, M failed" over every test that ran.
import { existsSync, readFileSync } from "node:fs"

const file = process.argv[2]
if (!existsSync(file)) {
  console.log("0 passed, 1 failed")
  console.error(`no test report at ${file}: the test run did not finish`)
  process.exit(1)
}
const report = JSON.parse(readFileSync(file, "utf8"))
const passed = report.numPassedTests ?? 0
const failed = (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0)
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`)
process.exit(failed > 0 || passed === 0 ? 1 : 0)
