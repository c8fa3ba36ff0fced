// Case 1 rows for @taskscope/promise: the Promise API beside the libraries it replaces — its
// Executor (p-queue's surface) against p-queue, its limit (p-limit's) against p-limit — with the
// same tasks, the same pattern (add everything, then wait) and the same concurrency.
import { Executor, limit } from "@taskscope/promise"

/** Adds the Promise API's rows to one case-1 group (`promiseTask` is that group's task). */
export const promiseRows = async ({ h, group, N, c, promiseTask }) => {
  await h.measure(group, "promise Executor.add + onIdle", N, async () => {
    const queue = new Executor({ concurrency: c })
    for (let i = 0; i < N; i++) queue.add(promiseTask)
    await queue.onIdle()
  }, { ours: true, vs: [{ peer: "p-queue", target: ">= 1" }, { peer: "Executor.submit + onIdle" }] })
  await h.measure(group, "promise limit", N, () => {
    const limited = limit(c)
    return Promise.all(Array.from({ length: N }, () => limited(promiseTask)))
  }, { ours: true, vs: [{ peer: "p-limit" }] })
}
