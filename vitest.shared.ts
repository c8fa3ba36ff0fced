import { fileURLToPath } from "node:url"
import type { ViteUserConfig } from "vitest/config"

// Shared by every project: resolve workspace packages from their TypeScript sources.
export const shared: ViteUserConfig = {
  ssr: { resolve: { conditions: ["source"] } },
  resolve: { conditions: ["source"] },
  test: {
    include: ["test/**/*.test.ts"],
    // Effect-aware equality for expect(...).toStrictEqual (Option, Exit, Cause, Data…)
    setupFiles: [fileURLToPath(new URL("./vitest.setup.ts", import.meta.url))],
    testTimeout: 30_000
  }
}

/**
 * For the suites that run in real time or start programs (Chromium, redis-server, subprocesses, worker
 * processes, the app end to end, the packed tarballs): they run after the virtual-time suites, one
 * file at a time in one process per project, so that no other test file competes with their timing
 * (issue 28). vitest's `fileParallelism` is a root option only: a project cannot set it.
 */
export const realTime = {
  sequence: { groupOrder: 1 },
  poolOptions: { forks: { singleFork: true } }
} as const
