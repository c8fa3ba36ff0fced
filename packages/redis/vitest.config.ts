import { defineProject, mergeConfig } from "vitest/config"
import { realTime, shared } from "../../vitest.shared.js"

export default mergeConfig(
  shared,
  defineProject({ test: { name: "redis", globalSetup: ["./test/globalSetup.ts"], ...realTime } })
)
