// Case 8 (issue 14, point 9): cancel nested deadline scopes from outside — Deadline.within against
// Effect.timeoutOption at several depths. Each sample runs in a child process (deadline-child.mjs)
// that is killed when its cancellation takes longer than the cap: the row then says "> cap".
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

const child = fileURLToPath(new URL("./deadline-child.mjs", import.meta.url))

/** One sample: resolves with { ms } or { timedOut: true } once the cancellation ran past `capMs`. */
const sample = (variant, depth, capMs) =>
  new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, variant, String(depth)], { stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    let timer
    let timedOut = false
    proc.stdout.on("data", (chunk) => {
      out += chunk
      // the cap counts from the interruption, not from the process's start-up and the nest's setup
      if (timer === undefined && out.includes("start\n")) {
        timer = setTimeout(() => {
          timedOut = true
          proc.kill("SIGKILL")
        }, capMs)
      }
    })
    proc.stderr.on("data", (chunk) => (err += chunk))
    proc.once("error", reject)
    proc.once("exit", (code) => {
      clearTimeout(timer)
      if (timedOut) return resolve({ timedOut: true })
      const line = out.split("\n").find((l) => l.startsWith("{"))
      if (code !== 0 || line === undefined) {
        return reject(new Error(`deadline-child ${variant} ${depth} exited with ${code}: ${err.trim()}`))
      }
      resolve(JSON.parse(line))
    })
  })

export const case8 = async ({ h, quick }) => {
  const depths = [50, 200, 500, 5000]
  const capMs = quick ? 5_000 : 30_000
  const samples = quick ? 1 : 3
  const variants = [
    { variant: "within", name: "Deadline.within", ours: true },
    { variant: "timeoutOption", name: "Effect.timeoutOption", ours: false }
  ]
  const byVariant = new Map(variants.map((v) => [v.variant, []]))
  for (const depth of depths) {
    const group = `8. cancel ${depth} nested deadline scopes from outside`
    for (const { variant, name, ours } of variants) {
      const times = []
      let timedOut = false
      let spent = 0
      // samples until `samples` are in, the cap is hit once, or the variant has used its cap in total
      while (times.length < samples && spent < capMs) {
        const s = await sample(variant, depth, capMs)
        if (s.timedOut) {
          timedOut = true
          break
        }
        times.push(s.ms)
        spent += s.ms
      }
      const row = {
        group,
        name,
        ops: depth,
        ours,
        ...(ours ? { vs: [{ peer: "Effect.timeoutOption", target: "<= 1.5" }] } : {})
      }
      if (timedOut && times.length === 0) {
        h.record({ ...row, ms: capMs, timedOut: true, samples: 0 }, `> ${capMs / 1000} s (stopped)`)
      } else {
        // a sample past the cap after faster ones: the median of those that finished, said so below
        const ms = h.median(times)
        const spread = Math.round((50 * (Math.max(...times) - Math.min(...times))) / ms)
        h.record({ ...row, ms: Math.round(ms * 100) / 100, spread, samples: times.length }, `${ms.toFixed(2)} ms`)
        if (timedOut) h.note(group, `${name}: one sample ran past ${capMs / 1000} s and was stopped.`)
      }
      byVariant.get(variant).push({ depth, ms: timedOut && times.length === 0 ? undefined : h.median(times) })
    }
  }
  // growth with the depth: linear cost grows as the depth does
  const last = `8. cancel ${depths.at(-1)} nested deadline scopes from outside`
  for (const { variant, name } of variants) {
    const points = byVariant.get(variant)
    const steps = []
    for (let i = 1; i < points.length; i++) {
      const [a, b] = [points[i - 1], points[i]]
      const linear = (b.depth / a.depth).toFixed(1)
      steps.push(
        a.ms === undefined
          ? `${a.depth} → ${b.depth}: not measured (${a.depth} ran past the cap; linear ×${linear})`
          : b.ms === undefined
          ? `${a.depth} → ${b.depth}: more than ×${(capMs / a.ms).toFixed(1)} (linear ×${linear})`
          : `${a.depth} → ${b.depth}: ×${(b.ms / a.ms).toFixed(1)} (linear ×${linear})`
      )
    }
    h.note(last, `Growth of ${name}'s time with the depth — ${steps.join("; ")}.`)
  }
}
