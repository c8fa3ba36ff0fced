import { availableParallelism } from "node:os"
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    // the virtual-time suites (core, examples) run one file per core; the others (vitest.shared.ts's
    // realTime) run after them, one file at a time
    maxWorkers: availableParallelism(),
    projects: [
      "packages/*/vitest.config.ts",
      "apps/*/vitest.config.ts",
      "examples/vitest.config.ts",
      "docs/vitest.config.ts",
      "test/vitest.config.ts"
    ]
  }
})
