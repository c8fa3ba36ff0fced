/**
 * @since 0.1.0
 */

/**
 * CPU-bound work on a pool of worker threads.
 *
 * @since 0.1.0
 */
export * as Offload from "./Offload.js"

/**
 * A draining runMain and OS signal handling.
 *
 * @since 0.1.0
 */
export * as Runtime from "./Runtime.js"
