/**
 * What the repo's tests, fixtures, benchmarks and scripts share to run real processes: ports, a
 * child's CPU time, and Debian's redis-server. One copy of each, so a fix to one (a port that a
 * `listen(0)` hands out again, a pipe left undrained) reaches every user. Not published.
 * @module
 */
export { afterCpu } from "./cpu.js"
export { deadPort, freePort } from "./ports.js"
export { type RedisOptions, type RedisServer, startRedis } from "./redis.js"
