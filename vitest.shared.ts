import type { ViteUserConfig } from "vitest/config"

// Shared by every project: resolve workspace packages from their TypeScript sources.
export const shared: ViteUserConfig = {
  ssr: { resolve: { conditions: ["source"] } },
  resolve: { conditions: ["source"] },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000
  }
}
