/**
 * Token statistics of a training set: what the estimator needs (longest example, total
 * tokens, padding) and what the UI draws (a histogram with the chosen max length on it).
 * Pure functions over per-example token counts; the core computes the counts with the
 * model's tokenizer in a worker.
 */
import { extent } from '../extent'

export interface TokenHistogramBin {
  /** Inclusive lower edge, in tokens. */
  from: number
  /** Exclusive upper edge, in tokens. */
  to: number
  count: number
}

export interface TokenStats {
  exampleCount: number
  totalTokens: number
  minTokens: number
  meanTokens: number
  p50Tokens: number
  p95Tokens: number
  maxTokens: number
  /** Equal-width bins from 0 to past the longest example. */
  histogram: TokenHistogramBin[]
  /** Token count of every example, in file order. */
  counts: number[]
  /** True when no tokenizer was available and counts are estimated from UTF-8 bytes. */
  approximate: boolean
  /** How the counts were made, in words (tokenizer file, or the approximation and why). */
  method: string
}

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? 0
}

/** A bin width that reads well on an axis: 1, 2 or 5 × a power of ten, at least 1 token. */
function niceWidth(raw: number): number {
  if (raw <= 1) return 1
  const power = 10 ** Math.floor(Math.log10(raw))
  for (const step of [1, 2, 5, 10]) if (step * power >= raw) return step * power
  return 10 * power
}

export function tokenHistogram(counts: readonly number[], targetBins = 30): TokenHistogramBin[] {
  if (counts.length === 0) return []
  const { max } = extent(counts)
  const width = niceWidth((max + 1) / targetBins)
  const bins = Math.floor(max / width) + 1
  const histogram: TokenHistogramBin[] = Array.from({ length: bins }, (_, index) => ({ from: index * width, to: (index + 1) * width, count: 0 }))
  for (const count of counts) {
    const bin = histogram[Math.floor(count / width)]
    if (bin) bin.count += 1
  }
  return histogram
}

export function summariseTokenCounts(counts: readonly number[], options: { approximate: boolean; method: string; bins?: number }): TokenStats {
  const sorted = [...counts].sort((a, b) => a - b)
  const total = counts.reduce((sum, count) => sum + count, 0)
  return {
    exampleCount: counts.length,
    totalTokens: total,
    minTokens: sorted[0] ?? 0,
    meanTokens: counts.length === 0 ? 0 : total / counts.length,
    p50Tokens: percentile(sorted, 50),
    p95Tokens: percentile(sorted, 95),
    maxTokens: sorted[sorted.length - 1] ?? 0,
    histogram: tokenHistogram(counts, options.bins),
    counts: [...counts],
    approximate: options.approximate,
    method: options.method
  }
}

/** How many examples a max length would cut short. */
export function countTruncated(stats: Pick<TokenStats, 'counts'>, maxLength: number): number {
  let truncated = 0
  for (const count of stats.counts) if (count > maxLength) truncated += 1
  return truncated
}

/**
 * Tokens one epoch processes, padding included.
 * - packing: examples (cut at maxLength) are concatenated into full rows; padding only in the
 *   last row, so the real tokens are the work.
 * - no packing: each micro-batch is padded to its longest example. With batches drawn at
 *   random, the expected longest of m examples is Σ x₍k₎ · ((k/n)^m − ((k−1)/n)^m) over the
 *   sorted (cut) lengths; an epoch has n/m batches of m rows of that length.
 */
export function tokensPerEpoch(stats: Pick<TokenStats, 'counts'>, maxLength: number, microBatch: number, packing: boolean): number {
  const cut = stats.counts.map((count) => Math.min(count, maxLength))
  const n = cut.length
  if (n === 0) return 0
  const real = cut.reduce((sum, count) => sum + count, 0)
  if (packing || microBatch <= 1) return real
  const sorted = cut.sort((a, b) => a - b)
  let expectedLongest = 0
  for (let k = 1; k <= n; k++) {
    expectedLongest += (sorted[k - 1] as number) * ((k / n) ** microBatch - ((k - 1) / n) ** microBatch)
  }
  return Math.max(real, n * expectedLongest)
}
