import { defineProject, mergeConfig } from "vitest/config"
import { realTime, shared } from "../vitest.shared.js"

export default mergeConfig(
  shared,
  // the Redis server for the scaling-out example (REDIS_URL from .ci/run, or one started here)
  // and the Testing page's example, which is itself a vitest suite
  defineProject({
    test: {
      name: "docs",
      include: ["examples/**/*.test.ts"],
      globalSetup: ["../packages/redis/test/globalSetup.ts"],
      ...realTime
    }
  })
)
