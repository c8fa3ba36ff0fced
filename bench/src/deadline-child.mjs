// One sample of case 8, in a process of its own so that a run that takes minutes can be stopped:
// `node deadline-child.mjs <within|timeoutOption> <depth>`. Prints "start" just before the
// interruption, then one JSON line: { ms } (the interruption until the fiber has ended).
import { Deadline } from "@taskscope/core"
import { Cause, Effect, Exit, Fiber } from "effect"

const [variant, depthText] = process.argv.slice(2)
const depth = Number(depthText)
const wrappers = {
  within: (effect, ms) => Deadline.within(effect, ms),
  timeoutOption: (effect, ms) => Effect.timeoutOption(effect, ms)
}
const wrap = wrappers[variant]
if (wrap === undefined || !Number.isInteger(depth) || depth < 1) {
  process.stderr.write(`usage: deadline-child.mjs <${Object.keys(wrappers).join("|")}> <depth>\n`)
  process.exit(2)
}

let reached = false
let finalized = 0
const inner = Effect.sync(() => (reached = true)).pipe(
  Effect.zipRight(Effect.never),
  Effect.ensuring(Effect.sync(() => finalized++))
)
// level i from the inside gets one hour + i seconds: every scope is tighter than the one around it,
// so each one arms a timer of its own (none fires: the run is cancelled from outside)
const nested = (n) => {
  let effect = inner
  for (let i = 0; i < n; i++) effect = wrap(effect, 3_600_000 + i * 1000)
  return effect
}

/** Starts `n` nested scopes, waits until the innermost effect is suspended, interrupts from outside. */
const sample = async (n, onStart) => {
  reached = false
  finalized = 0
  const fiber = Effect.runFork(nested(n))
  while (!reached) await new Promise((resolve) => setImmediate(resolve))
  await new Promise((resolve) => setImmediate(resolve))
  onStart()
  const start = performance.now()
  const exit = await Effect.runPromise(Fiber.interrupt(fiber))
  const ms = performance.now() - start
  if (!Exit.isFailure(exit) || !Cause.isInterruptedOnly(exit.cause)) {
    throw new Error(`${variant} × ${n}: expected an interruption, got ${JSON.stringify(exit)}`)
  }
  if (finalized !== 1) throw new Error(`${variant} × ${n}: the inner finalizer ran ${finalized} times`)
  return ms
}

// warm-up on a small nest, so that both variants are measured with their code compiled
for (let i = 0; i < 3; i++) await sample(10, () => {})
const ms = await sample(depth, () => process.stdout.write("start\n"))
process.stdout.write(JSON.stringify({ ms }) + "\n")
