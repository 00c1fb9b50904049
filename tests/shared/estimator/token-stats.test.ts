import { describe, expect, it } from 'vitest'
import { countTruncated, percentile, summariseTokenCounts, tokenHistogram, tokensPerEpoch } from '../../../src/shared/estimator/token-stats'

describe('token statistics', () => {
  it('uses nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1)
    expect(percentile(sorted, 50)).toBe(50)
    expect(percentile(sorted, 95)).toBe(95)
    expect(percentile(sorted, 100)).toBe(100)
    expect(percentile([7], 95)).toBe(7)
    expect(percentile([], 50)).toBe(0)
  })

  it('summarises counts with p50/p95/max, totals and a histogram covering every example', () => {
    const counts = [10, 250, 30, 1200, 40, 45, 50, 60, 70, 80]
    const stats = summariseTokenCounts(counts, { approximate: false, method: 'test' })
    expect(stats).toMatchObject({ exampleCount: 10, totalTokens: 1835, minTokens: 10, maxTokens: 1200, p50Tokens: 50, p95Tokens: 1200, meanTokens: 183.5 })
    expect(stats.counts).toEqual(counts)
    expect(stats.histogram.reduce((sum, bin) => sum + bin.count, 0)).toBe(10)
    expect(stats.histogram[0]?.from).toBe(0)
    expect(stats.histogram.at(-1)?.to).toBeGreaterThan(1200)
  })

  it('bins with widths that read well on an axis', () => {
    const histogram = tokenHistogram([0, 99, 1999], 30)
    const width = (histogram[0]?.to ?? 0) - (histogram[0]?.from ?? 0)
    expect([1, 2, 5, 10, 20, 50, 100, 200, 500]).toContain(width)
    expect(histogram.every((bin) => bin.to - bin.from === width)).toBe(true)
  })

  it('counts the examples a max length would cut', () => {
    expect(countTruncated({ counts: [100, 512, 513, 2000] }, 512)).toBe(2)
    expect(countTruncated({ counts: [100, 512, 513, 2000] }, 4096)).toBe(0)
  })

  it('adds the padding of random micro-batches: n × E[longest of m]', () => {
    // E[max of 2 draws from {1,2,3,4}] = (1·1 + 2·3 + 3·5 + 4·7)/16 = 3.125
    expect(tokensPerEpoch({ counts: [1, 2, 3, 4] }, 100, 2, false)).toBeCloseTo(12.5, 10)
    expect(tokensPerEpoch({ counts: [1, 2, 3, 4] }, 100, 1, false)).toBe(10)
    expect(tokensPerEpoch({ counts: [1, 2, 3, 4] }, 100, 2, true)).toBe(10)
    expect(tokensPerEpoch({ counts: [10, 5000] }, 1000, 1, false)).toBe(1010)
  })
})
