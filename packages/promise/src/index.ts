/**
 * @since 0.1.0
 */

export * from "./Errors.js"
export type { State as TaskState, Task } from "./Task.js"
export { type OpenTaskGroup, TaskGroup } from "./TaskGroup.js"
