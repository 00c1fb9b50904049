import { describe, expect, it } from 'vitest'
import { tokenHistogram } from '../../src/shared/estimator/token-stats'
import { extent } from '../../src/shared/extent'

describe('extent', () => {
  it('finds min and max of more values than a call can take as arguments', () => {
    const values = Array.from({ length: 500_000 }, (_, i) => (i * 7919) % 100_003)
    expect(extent(values)).toEqual({ min: 0, max: 100_002 })
  })

  it('gives a histogram for a dataset of 500,000 examples', () => {
    const counts = Array.from({ length: 500_000 }, (_, i) => 10 + (i % 2000))
    const bins = tokenHistogram(counts)
    expect(bins.reduce((sum, bin) => sum + bin.count, 0)).toBe(500_000)
  })
})
