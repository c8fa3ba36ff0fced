// The report: like-for-like ratios (each Taskscope row against its own counterparts), the targets
// met or not, and the markdown tables. Nothing here is hard-coded: every verdict comes from the rows.

/** The figure a row is compared on, and which way is better. */
const figure = (row) =>
  row.opsPerSec !== undefined
    ? { value: row.opsPerSec, better: "higher", unit: "ops/s" }
    : row.ms !== undefined
    ? { value: row.ms, better: "lower", unit: "ms" }
    : row.bytesPerItem !== undefined
    ? { value: row.bytesPerItem, better: "lower", unit: "B" }
    : undefined

const parseBound = (text) => {
  const [op, value] = text.trim().split(/\s+/)
  if ((op !== ">=" && op !== "<=") || !Number.isFinite(Number(value))) throw new Error(`bad target: ${text}`)
  return { op, value: Number(value) }
}

/**
 * Whether two rows are within the noise of each other: their medians' ranges (± half the range of
 * the samples) overlap, so the run cannot tell which is faster. `undefined` when a side has no
 * spread (one sample, a memory figure) or ran past its cap.
 */
export const withinNoise = (a, b) => {
  const spreadOf = (r) => (r.samples > 1 && typeof r.spread === "number" ? r.spread / 100 : undefined)
  const [sa, sb, fa, fb] = [spreadOf(a), spreadOf(b), figure(a), figure(b)]
  if (sa === undefined || sb === undefined || fa === undefined || fb === undefined || a.timedOut || b.timedOut) {
    return undefined
  }
  return fa.value * (1 - sa) <= fb.value * (1 + sb) && fb.value * (1 - sb) <= fa.value * (1 + sa)
}

/**
 * Two rows sampled in the same rounds (`interleave`): the ratio of each round's pair (rates or
 * times, as the rows are), their median,
 * and a distribution-free interval for that median — order statistics k and n + 1 − k of the n
 * ratios, the widest pair that holds the median with at least 95% probability (for 9 rounds: the
 * 2nd and 8th of the sorted ratios, 96%). A round's two samples ran seconds apart, so a drift of the
 * machine's speed hits both; what is left is each batch's own noise (where the GC falls).
 * `undefined` unless both rows have at least 6 rounds.
 */
export const paired = (a, b) => {
  const n = Math.min(a.roundMs?.length ?? 0, b.roundMs?.length ?? 0)
  if (n < 6) return undefined
  const ratios = []
  // rates: ours ÷ theirs (above 1 is faster); times: ours ÷ theirs (below 1 is faster)
  const rate = a.opsPerSec !== undefined
  for (let i = 0; i < n; i++) {
    ratios.push(rate ? (a.ops / a.roundMs[i]) / (b.ops / b.roundMs[i]) : a.roundMs[i] / b.roundMs[i])
  }
  ratios.sort((x, y) => x - y)
  const mid = Math.floor(n / 2)
  const median = n % 2 === 1 ? ratios[mid] : (ratios[mid - 1] + ratios[mid]) / 2
  // P(Binomial(n, 1/2) <= j): the interval [x(k), x(n+1-k)] misses the median with probability 2·P(B <= k-1)
  const below = (j) => {
    let p = 0
    let c = 1
    for (let i = 0; i <= j; i++) {
      p += c
      c = (c * (n - i)) / (i + 1)
    }
    return p / 2 ** n
  }
  let k = 1
  while (k + 1 <= mid && 2 * below(k) <= 0.05) k++
  return { ratio: median, low: ratios[k - 1], high: ratios[n - k], rounds: n }
}

/**
 * `ratio` may be a bound when a row timed out (its `ms` is then the cap, a lower bound):
 * `exact`, `atLeast` (ours timed out) or `atMost` (the peer timed out).
 */
const verdict = (ratio, kind, bound) => {
  if (bound === undefined) return undefined
  if (kind === "unknown") return undefined
  const { op, value } = bound
  if (kind === "exact") return op === ">=" ? ratio >= value : ratio <= value
  if (kind === "atLeast") return op === "<=" && ratio > value ? false : op === ">=" && ratio >= value ? true : undefined
  return op === ">=" && ratio < value ? false : op === "<=" && ratio <= value ? true : undefined
}

/** Resolves every `vs` and `limit` into ratios and verdicts; returns the list of targets. */
export const compare = (rows) => {
  const targets = []
  for (const row of rows) {
    const own = figure(row)
    if (row.vs !== undefined) {
      row.vs = row.vs.map((spec) => {
        const peer = rows.find((r) => r.group === row.group && r.name === spec.peer)
        const theirs = peer && figure(peer)
        if (theirs === undefined || own === undefined) return { ...spec, missing: true }
        const pair = paired(row, peer)
        const ratio = pair === undefined ? own.value / theirs.value : pair.ratio
        const kind = row.timedOut && peer.timedOut
          ? "unknown"
          : row.timedOut
          ? "atLeast"
          : peer.timedOut
          ? "atMost"
          : "exact"
        const bound = spec.target === undefined ? undefined : parseBound(spec.target)
        const met = verdict(ratio, kind, bound)
        const out = { peer: spec.peer, ratio: Number(ratio.toPrecision(3)), kind, better: own.better }
        if (pair !== undefined) {
          // the interval decides: it holds 1, and the run cannot tell which is faster
          out.interval = [Number(pair.low.toPrecision(3)), Number(pair.high.toPrecision(3))]
          out.withinNoise = pair.low <= 1 && pair.high >= 1
          // a target met or missed by the whole interval is clear; otherwise the run cannot tell
          if (bound !== undefined && kind === "exact") {
            out.clear = bound.op === ">="
              ? pair.low >= bound.value || pair.high < bound.value
              : pair.high <= bound.value || pair.low > bound.value
          }
        } else {
          const noise = withinNoise(row, peer)
          if (noise !== undefined) out.withinNoise = noise
        }
        if (bound !== undefined) {
          out.target = spec.target
          out.met = met ?? null
          targets.push({ group: row.group, name: row.name, against: spec.peer, ...out })
        }
        return out
      })
    }
    if (row.limit !== undefined && own !== undefined) {
      const bound = parseBound(row.limit)
      // a figure that cannot be (no bytes at all, or fewer than none) decides nothing
      const met = row.timedOut
        ? (bound.op === "<=" ? false : null)
        : own.value <= 0
        ? null
        : verdict(own.value, "exact", bound)
      row.limitMet = met
      targets.push({
        group: row.group,
        name: row.name,
        against: `${bound.op === "<=" ? "≤" : "≥"} ${bound.value} ${own.unit}`,
        value: own.value,
        unit: own.unit,
        target: row.limit,
        met
      })
    }
  }
  return targets
}

const fmtRatio = (v) => {
  const r = v.ratio
  const n = (r >= 100 ? r.toFixed(0) : r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)) + "×"
  return v.kind === "atLeast" ? "> " + n : v.kind === "atMost" ? "< " + n : v.kind === "unknown" ? "?" : n
}
/** A paired ratio's interval: " [0.97–1.12]". */
const fmtInterval = (v) =>
  v.interval === undefined ? "" : ` [${v.interval.map((x) => (x >= 100 ? x.toFixed(0) : x.toFixed(2))).join("–")}]`
const fmtBound = (t) => t.replace(">=", "≥").replace("<=", "≤")
const fmtMet = (met) => (met === true ? "met" : met === false ? "**not met**" : "undecided")

const cellVs = (row) => {
  const parts = []
  for (const v of row.vs ?? []) {
    if (v.missing) {
      parts.push(`(${v.peer}: not measured)`)
      continue
    }
    let s = `${fmtRatio(v)}${fmtInterval(v)} ${v.peer}`
    if (v.target !== undefined) {
      s += ` (target ${fmtBound(v.target)}×: ${fmtMet(v.met)}${v.clear === false ? ", not clear" : ""})`
    }
    if (v.withinNoise) s += " (within the noise)"
    parts.push(s)
  }
  if (row.limit !== undefined) parts.push(`target ${fmtBound(row.limit)} B: ${fmtMet(row.limitMet)}`)
  return parts.join(" · ")
}

const fmtMs = (row) =>
  row.timedOut
    ? `> ${(row.ms / 1000).toLocaleString("en")} s`
    : row.ms >= 10_000
    ? `${(row.ms / 1000).toFixed(1)} s`
    : `${row.ms.toLocaleString("en")} ms`
// one sample (or none, when it ran past its cap) has no spread
const spread = (row) => (row.samples > 1 ? `±${row.spread}%` : "—")
const name = (row) => (row.ours ? `**${row.name}**` : row.name)

/** The markdown report. */
export const markdown = ({ meta, rows, notes, targets }) => {
  const lines = [
    "# Benchmark results",
    "",
    `${meta.date} · node ${meta.node} · ${meta.cpu} · ${
      Object.entries(meta.versions).map(([k, v]) => `${k} ${v}`).join(" · ")
    }${meta.quick ? " · quick mode" : ""}`,
    "",
    `Each timed row: ${meta.warmups} warm-up and ${meta.samples} samples (tinybench), a full GC before each; the median`
    + " with ± half the range. Ratios are like for like: a Taskscope row ÷ its own counterpart, printed on the"
    + " Taskscope row (rates: above 1 is faster; times and bytes: below 1 is better); \"within the noise\" when the"
    + " two rows' ranges overlap, so the run cannot tell which is faster. Rows sampled in rounds (case 1) are"
    + " compared round by round: the median of the rounds' ratios, and in brackets an interval that holds the"
    + " true median with at least 95% probability (order statistics); \"within the noise\" when it holds 1, \"not"
    + " clear\" when it holds the target. How each case is built: `bench/README.md`.",
    "",
    "## Targets",
    "",
    "| case | Taskscope | against | ratio or value | target | |",
    "|---|---|---|---:|---|---|"
  ]
  for (const t of targets) {
    const value = t.ratio !== undefined ? fmtRatio(t) + fmtInterval(t) : `${t.value.toLocaleString("en")} ${t.unit}`
    const target = t.ratio !== undefined ? `${fmtBound(t.target)}×` : `${fmtBound(t.target)} ${t.unit}`
    const clear = t.clear === false ? " (not clear: the interval holds the target)" : t.clear ? " (clear)" : ""
    lines.push(`| ${t.group} | ${t.name} | ${t.against} | ${value} | ${target} | ${fmtMet(t.met)}${clear} |`)
  }
  lines.push("")
  const groups = [...new Set(rows.map((r) => r.group))]
  for (const g of groups) {
    const rs = rows.filter((r) => r.group === g)
    lines.push(`## ${g}`, "")
    if (rs[0].opsPerSec !== undefined) {
      lines.push("| | ops/s | spread | like for like (ours ÷ counterpart, rate) |", "|---|---:|---:|---|")
      for (const r of rs) {
        lines.push(`| ${name(r)} | ${r.opsPerSec.toLocaleString("en")} | ${spread(r)} | ${cellVs(r)} |`)
      }
    } else if (rs[0].bytesPerItem !== undefined) {
      lines.push("| | bytes per item | like for like (ours ÷ counterpart, bytes) |", "|---|---:|---|")
      for (const r of rs) lines.push(`| ${name(r)} | ${r.bytesPerItem.toLocaleString("en")} | ${cellVs(r)} |`)
    } else if (rs[0].ms !== undefined) {
      lines.push("| | time | spread | like for like (ours ÷ counterpart, time) |", "|---|---:|---:|---|")
      for (const r of rs) {
        lines.push(`| ${name(r)} | ${fmtMs(r)} | ${spread(r)} | ${cellVs(r)} |`)
      }
    } else {
      lines.push("| | achieved/s | busiest 1 s window |", "|---|---:|---:|")
      for (const r of rs) lines.push(`| ${name(r)} | ${r.achievedPerSec} | ${r.worstWindow} |`)
    }
    for (const n of notes.get(g) ?? []) lines.push("", n)
    lines.push("")
  }
  lines.push(
    `Total time: ${meta.seconds} s. Load average (1 min) at the start ${meta.load.start}, at the end ${meta.load.end}`
      + ` on ${meta.cpu.split(" ")[0]} cores.`
  )
  return lines.join("\n") + "\n"
}
