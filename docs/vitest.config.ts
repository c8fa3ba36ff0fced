import { defineProject, mergeConfig } from "vitest/config"
import { shared } from "../vitest.shared.js"

export default mergeConfig(
  shared,
  // the Redis server for the scaling-out example (REDIS_URL from .ci/run, or one started here)
  defineProject({ test: { name: "docs", globalSetup: ["../packages/redis/test/globalSetup.ts"] } })
)
