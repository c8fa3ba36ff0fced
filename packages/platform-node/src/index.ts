/**
 * @since 0.1.0
 */

/**
 * The registry of live tasks on a Unix socket, for `taskscope ps` without Node's inspector.
 *
 * @since 0.2.0
 */
export * as Inspector from "./Inspector.js"

/**
 * CPU-bound work on a pool of worker threads.
 *
 * @since 0.1.0
 */
export * as Offload from "./Offload.js"

/**
 * A draining runMain whose grace is a hard bound.
 *
 * @since 0.1.0
 */
export * as Runtime from "./Runtime.js"

/**
 * SIGINT, SIGTERM and SIGHUP: one handler for the process, installable before anything else loads.
 *
 * @since 0.2.0
 */
export * as Signals from "./Signals.js"
