/**
 * @since 0.1.0
 */

/**
 * The Redis connection: typed errors, bounded commands, retries while the server is away.
 *
 * @since 0.1.0
 */
export * as Redis from "./Redis.js"

/**
 * Limiters shared by many processes: rate (sliding window or GCRA), leased permits, pause.
 *
 * @since 0.1.0
 */
export * as RedisLimiter from "./RedisLimiter.js"

/**
 * Work queues shared by many processes, on Redis Streams: at-least-once, reclaim, join, dead letters.
 *
 * @since 0.1.0
 */
export * as RedisWorkQueue from "./RedisWorkQueue.js"
