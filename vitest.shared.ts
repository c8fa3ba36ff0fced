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
