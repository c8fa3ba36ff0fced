// Types for the report's pure parts, for the tests in test/bench (the benchmarks themselves are plain JavaScript).

export interface Row {
  readonly group: string
  readonly name: string
  readonly ops: number
  readonly ours?: boolean
  readonly opsPerSec?: number
  readonly ms?: number
  readonly bytesPerItem?: number
  readonly spread?: number
  readonly samples?: number
  /** Case 1: the samples (ms per batch) in the order of their rounds. */
  readonly roundMs?: ReadonlyArray<number>
  vs?: Array<{ readonly peer: string; readonly target?: string }>
  readonly limit?: string
  readonly timedOut?: boolean
}

export interface Target {
  readonly group: string
  readonly name: string
  readonly against: string
  readonly ratio?: number
  readonly interval?: readonly [number, number]
  readonly target: string
  readonly met: boolean | null
  readonly clear?: boolean
  readonly withinNoise?: boolean
}

/** Two rows sampled in the same rounds: the median of the rounds' ratios and its ≥ 95% interval. */
export declare const paired: (
  a: Row,
  b: Row
) => { readonly ratio: number; readonly low: number; readonly high: number; readonly rounds: number } | undefined

/** Resolves every row's `vs` and `limit` into ratios and verdicts; returns the targets. */
export declare const compare: (rows: Array<Row>) => Array<Target>
