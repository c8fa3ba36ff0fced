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
