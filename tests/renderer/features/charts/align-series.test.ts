import { describe, expect, it } from 'vitest'
import { alignSeries } from '../../../../src/renderer/features/charts/align-series'

describe('alignSeries', () => {
  it('puts curves with different steps on one x column with nulls where a curve has no point', () => {
    const train = { x: [1, 2, 3, 4], y: [4, 3, 2, 1] }
    const evaluation = { x: [2, 4], y: [3.5, 1.5] }
    expect(alignSeries([train, evaluation])).toEqual([
      [1, 2, 3, 4],
      [4, 3, 2, 1],
      [null, 3.5, null, 1.5]
    ])
  })

  it('merges steps of two runs that do not line up', () => {
    expect(alignSeries([{ x: [1, 3], y: [1, 3] }, { x: [2, 3, 5], y: [2, 3, 5] }])).toEqual([
      [1, 2, 3, 5],
      [1, null, 3, null],
      [null, 2, 3, 5]
    ])
  })

  it('handles no curves and empty curves', () => {
    expect(alignSeries([])).toEqual([[]])
    expect(alignSeries([{ x: [], y: [] }])).toEqual([[], []])
  })
})
