import { readFileSync } from "node:fs"

/**
 * Resolves once process `pid` has used `cpuMs` of CPU time (Linux: /proc/<pid>/stat). A moment in a
 * child's start-up measured in its own CPU time is the same on a quiet and on a loaded machine; a
 * fixed wall-clock delay sent signals before a loaded machine had brought the child to its handler
 * (issue 28).
 */
export const afterCpu = (pid: number, cpuMs: number, timeoutMs = 60_000): Promise<void> => {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const poll = () => {
      let used: number
      try {
        // utime and stime, in clock ticks of 10 ms, after the command name (which may hold spaces)
        const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")
        used = (Number(fields[11]) + Number(fields[12])) * 10
      } catch {
        return reject(new Error(`process ${pid} ended before it used ${cpuMs} ms of CPU`))
      }
      if (used >= cpuMs) return resolve()
      if (Date.now() - started > timeoutMs) {
        return reject(new Error(`process ${pid} used ${used} of ${cpuMs} ms of CPU`))
      }
      setTimeout(poll, 5)
    }
    poll()
  })
}
