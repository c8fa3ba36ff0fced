// The measuring half of the benchmarks: timing through tinybench, heap per item, and the rows each
// measurement leaves behind. The report (report.mjs) turns the rows into tables and ratios.
import { Bench } from "tinybench"

const gc = () => globalThis.gc?.()
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}
/**
 * The heap once the previous variant's garbage is gone: what it released can take a few turns of
 * the event loop (fibers ending, callbacks pending) — collect until the heap stops shrinking.
 */
const settledHeap = async () => {
  let last = Infinity
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10))
    gc()
    gc()
    const now = process.memoryUsage().heapUsed
    if (now > last - 16 * 1024) return now
    last = now
  }
  return last
}
/** ± half the range of `xs` around `m`, in percent. */
const halfRange = (xs, m) => Math.round((50 * (Math.max(...xs) - Math.min(...xs))) / m)

/**
 * `vs` on a Taskscope row names its counterparts: `[{ peer: "p-queue", target: ">= 1" }, { peer: "p-limit" }]`.
 * The ratio is always this row's figure ÷ the peer's (rate, time or bytes); `target` is a bound on it.
 * `limit` is an absolute bound on this row's own figure (`"<= 625"` bytes per item).
 */
export const makeHarness = ({ quick, log = (line) => process.stderr.write(line + "\n") }) => {
  const rows = []
  const notes = new Map()
  // full run: one warm-up then 5 timed samples per variant; quick: one warm-up, 2 samples
  const samples = quick ? 2 : 5
  const warmups = 1
  // interleaved tables (case 1) take more samples: one batch varies by ±20% with where the GC falls
  // (15: the paired ratios' 95% interval is then their 4th to 12th, see report.mjs `paired`)
  const roundSamples = quick ? 2 : 15

  const push = (row, text) => {
    rows.push(row)
    log(`  ${row.group} · ${row.name}: ${text}`)
  }
  const base = (group, name, ops, options) => ({
    group,
    name,
    ops,
    ours: options.ours ?? false,
    ...(options.vs === undefined ? {} : { vs: options.vs }),
    ...(options.limit === undefined ? {} : { limit: options.limit })
  })

  /** Runs one tinybench task: a warm-up, then `samples` timed runs, each after a full GC. */
  const bench = async (name, fn, hooks = {}) => {
    const b = new Bench({
      name,
      time: 0, // the sample count alone decides: every sample is a whole batch of work
      iterations: hooks.samples ?? samples,
      warmup: hooks.warmup ?? true,
      warmupIterations: warmups,
      warmupTime: 0,
      throws: true,
      retainSamples: true
    })
    b.add(name, fn, {
      async: true,
      beforeEach: async function(mode) {
        if (hooks.beforeEach) await hooks.beforeEach(mode)
        gc()
        gc()
      },
      ...(hooks.afterEach ? { afterEach: hooks.afterEach } : {})
    })
    await b.run()
    const result = b.tasks[0].result
    if (result.state !== "completed") throw result.error ?? new Error(`${name}: ${result.state}`)
    return result.latency.samples // milliseconds per sample, sorted
  }

  /**
   * A throughput row from its samples (ms per batch of `ops`): the median rate and its spread.
   * `rounds`: the samples in the order of `interleave`'s rounds, kept so the report can pair each
   * round's sample with the same round's sample of a counterpart.
   */
  const pushRate = (group, name, ops, ms, options, rounds) => {
    const rates = ms.map((t) => ops / (t / 1000))
    const m = median(rates)
    push(
      {
        ...base(group, name, ops, options),
        opsPerSec: Math.round(m),
        spread: halfRange(rates, m),
        samples: ms.length,
        ...(rounds === undefined ? {} : { roundMs: rounds.map((t) => Math.round(t * 100) / 100) })
      },
      `${Math.round(m).toLocaleString("en")} ops/s (±${halfRange(rates, m)}%, ${ms.length} samples)`
    )
  }

  /** The rows `measure` and `time` collect inside `interleave`, run there in rounds; undefined outside it. */
  let pending

  /** Throughput: `fn` performs `ops` operations; the row gets the median rate and its spread. */
  const measure = async (group, name, ops, fn, options = {}) => {
    if (pending !== undefined) {
      pending.push({ group, name, ops, fn, options })
      return
    }
    pushRate(group, name, ops, await bench(`${group} · ${name}`, fn, options), options)
  }

  /**
   * Runs the `measure` rows that `body` asks for in rounds rather than one after another: every
   * variant's warm-up first, then sample 1 of each variant, sample 2 of each, and so on. A machine
   * whose speed drifts during the run (another tenant, a CPU that throttles) then slows every
   * variant of the table alike, so the ratios between them hold; measured one variant after the
   * other, a drift of a few seconds lands on a few rows only and moves their ratios by 20% and more
   * (seen here). Each sample is still one tinybench run after two full GCs.
   */
  const interleave = async (body) => {
    const rowsHere = []
    pending = rowsHere
    try {
      await body()
    } finally {
      pending = undefined
    }
    const rounds = rowsHere.map((row) => row.options.samples ?? roundSamples)
    // two warm-up rounds: the heap's sizes settle over the first batches, for every variant alike
    for (let round = 0; round < (quick ? 1 : 2); round++) {
      for (const row of rowsHere) {
        await bench(`${row.group} · ${row.name} (warm-up)`, row.fn, { ...row.hooks, samples: 1, warmup: false })
      }
    }
    const ms = rowsHere.map(() => [])
    // each round in its own order (a fixed shuffle, the same every run): a variant does not always
    // run right after the same one, which leaves the heap sized and the JIT tuned for itself (in a
    // fixed order, the same code read 0.82–0.96× itself run right after a twin of it)
    const n = rowsHere.length
    let seed = 0x2545f491
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return seed / 2 ** 32
    }
    for (let round = 0; round < Math.max(...rounds); round++) {
      const order = rowsHere.map((_, i) => i)
      for (let j = n - 1; j > 0; j--) {
        const k = Math.floor(random() * (j + 1))
        ;[order[j], order[k]] = [order[k], order[j]]
      }
      for (const i of order) {
        if (round >= rounds[i]) continue
        const row = rowsHere[i]
        ms[i].push(...(await bench(`${row.group} · ${row.name}`, row.fn, { ...row.hooks, samples: 1, warmup: false })))
      }
    }
    for (let i = 0; i < rowsHere.length; i++) {
      const row = rowsHere[i]
      if (row.kind === "time") pushTime(row.group, row.name, row.ops, ms[i], row.options, ms[i])
      else pushRate(row.group, row.name, row.ops, ms[i], row.options, ms[i])
    }
  }

  /**
   * Time of one action that needs fresh state each time: `setup()` (not timed) returns the action,
   * which is timed; `check()` (not timed) throws when the action did not do all its work.
   */
  const time = async (group, name, ops, { setup, check }, options = {}) => {
    const hooks = timedHooks(setup, check)
    if (pending !== undefined) {
      pending.push({ group, name, ops, fn: hooks.fn, hooks, options, kind: "time" })
      return
    }
    pushTime(group, name, ops, await bench(`${group} · ${name}`, hooks.fn, { ...options, ...hooks }), options)
  }

  /** The timed function and the hooks around it: `setup` before each sample, `check` after. */
  const timedHooks = (setup, check) => {
    let action
    return {
      fn: () => action(),
      beforeEach: async () => {
        action = await setup()
      },
      afterEach: async () => {
        action = undefined
        if (check) await check()
      }
    }
  }

  /** A time row from its samples: the median and its spread (`rounds`: as in `pushRate`). */
  const pushTime = (group, name, ops, ms, options, rounds) => {
    const m = median(ms)
    push(
      {
        ...base(group, name, ops, options),
        ms: Math.round(m * 100) / 100,
        spread: halfRange(ms, m),
        samples: ms.length,
        ...(rounds === undefined ? {} : { roundMs: rounds.map((t) => Math.round(t * 100) / 100) })
      },
      `${m.toFixed(2)} ms (±${halfRange(ms, m)}%, ${ms.length} samples)`
    )
  }

  /** Heap bytes per item while `setup(n)` holds `n` items (it returns a release function). */
  const memory = async (group, name, n, setup, options = {}) => {
    const perItem = []
    for (let r = 0; r < (quick ? 1 : 3); r++) {
      const before = await settledHeap()
      let release = await setup(n)
      gc()
      gc()
      const after = process.memoryUsage().heapUsed
      perItem.push((after - before) / n)
      await release()
      // a suspended async function keeps its stale locals alive: without this, the items just
      // released stay reachable through `release` during the next baseline, and the next row
      // comes out too small (even negative)
      release = undefined
    }
    const bytes = Math.round(median(perItem))
    push(
      { ...base(group, name, n, options), bytesPerItem: bytes, samples: perItem.length },
      `${bytes} B per item`
    )
  }

  /** A row measured some other way (already in its final shape). */
  const record = (row, text) => push({ ours: false, ...row }, text)
  const note = (group, text) => notes.set(group, [...(notes.get(group) ?? []), text])

  return { rows, notes, samples, warmups, measure, interleave, time, memory, record, note, median }
}
