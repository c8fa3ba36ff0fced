import { defineProject, mergeConfig } from "vitest/config"
import { realTime, shared } from "../vitest.shared.js"

export default mergeConfig(
  shared,
  defineProject({
    // the Redis server for the conformance suite's Redis layer (REDIS_URL from .ci/run, or one started here)
    test: {
      name: "cross-package",
      include: ["**/*.test.ts"],
      globalSetup: ["../packages/redis/test/globalSetup.ts"],
      ...realTime
    }
  })
)
