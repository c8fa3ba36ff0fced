import { defineProject, mergeConfig } from "vitest/config"
import { realTime, shared } from "../../vitest.shared.js"

export default mergeConfig(
  shared,
  defineProject({
    // the Redis server for the scaling-out tests (REDIS_URL from .ci/run, or one started here)
    test: {
      name: "price-fetcher",
      globalSetup: ["../../packages/redis/test/globalSetup.ts"],
      // the end-to-end files spawn several processes each and measure time: one file at a time
      ...realTime
    }
  })
)
