/**
 * @since 0.2.0
 */

/**
 * Read a running program's live tasks from outside: snapshot, trace, and the ps/pstree/top views.
 *
 * @since 0.2.0
 */
export * as Inspect from "./Inspect.js"
