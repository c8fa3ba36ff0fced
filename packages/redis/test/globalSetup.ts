import { type RedisServer, startRedis } from "@taskscope/test-support"
import type { TestProject } from "vitest/node"

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string
  }
}

let server: RedisServer | undefined

// `.ci/run` starts redis-server and sets REDIS_URL; without it (a developer's machine), start one here.
export async function setup(project: TestProject) {
  let url = process.env.REDIS_URL
  if (url === undefined || url === "") {
    server = await startRedis()
    url = server.url
  }
  project.provide("redisUrl", url)
}

export async function teardown() {
  await server?.stop()
}
