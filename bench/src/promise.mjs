// Case 1 rows for @taskscope/promise: the Promise API beside the libraries it replaces — its
// Executor (p-queue's surface) against p-queue, its limit (p-limit's) against p-limit — with the
// same tasks, the same pattern (add everything, then wait) and the same concurrency.
import { Executor, limit } from "@taskscope/promise"
import PQueue from "p-queue"

/** Adds the Promise API's rows to one case-1 group (`promiseTask` is that group's task). */
export const promiseRows = async ({ h, group, N, c, promiseTask }) => {
  await h.measure(group, "promise Executor.add + onIdle", N, async () => {
    const queue = new Executor({ concurrency: c })
    for (let i = 0; i < N; i++) queue.add(promiseTask)
    await queue.onIdle()
    // issue 24's target: 1.3× p-queue, every row
  }, { ours: true, vs: [{ peer: "p-queue", target: ">= 1.3" }, { peer: "Executor.submit + onIdle" }] })
  // with a timeout on every task (a crawler's pattern): p-queue races a timer; the Executor sets
  // a timer that aborts the task's signal. A fifth of the tasks: the rate is per task either way.
  const NT = Math.max(1, Math.floor(N / 5))
  await h.measure(group, "p-queue, timeout per task", NT, async () => {
    const queue = new PQueue({ concurrency: c, timeout: 60_000 })
    for (let i = 0; i < NT; i++) queue.add(promiseTask)
    await queue.onIdle()
  })
  await h.measure(group, "promise Executor, timeout per task", NT, async () => {
    const queue = new Executor({ concurrency: c, timeout: 60_000 })
    for (let i = 0; i < NT; i++) queue.add(promiseTask)
    await queue.onIdle()
  }, { ours: true, vs: [{ peer: "p-queue, timeout per task" }] })
  await h.measure(group, "promise limit", N, () => {
    const limited = limit(c)
    return Promise.all(Array.from({ length: N }, () => limited(promiseTask)))
  }, { ours: true, vs: [{ peer: "p-limit", target: ">= 1" }] })
}
