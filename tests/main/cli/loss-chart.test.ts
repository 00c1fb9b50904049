import { describe, expect, it } from 'vitest'
import { lossChart } from '../../../src/main/cli/loss-chart'

describe('lossChart', () => {
  it('draws a falling curve from top left to bottom right, with labelled axes', () => {
    const lines = lossChart([{ step: [1, 2, 3, 4, 5], value: [5, 4, 3, 2, 1], mark: '*' }], { width: 10, height: 5 })
    expect(lines).toHaveLength(7)
    expect(lines[0]).toMatch(/^5\.000 \|\*$/)
    expect(lines[4]).toMatch(/^1\.000 \|\s+\*$/)
    expect(lines[2]).toContain('3.000')
    expect(lines.at(-1)).toContain('step 1')
    expect(lines.at(-1)).toContain('step 5')
  })

  it('draws later series over earlier ones and skips missing values', () => {
    const lines = lossChart(
      [
        { step: [0, 10], value: [2, null], mark: '*' },
        { step: [0], value: [2], mark: 'o' }
      ],
      { width: 10, height: 4 }
    )
    expect(lines.join('\n')).toContain('o')
    expect(lines.join('\n')).not.toContain('*')
  })

  it('has nothing to draw without a finite point', () => {
    expect(lossChart([{ step: [1], value: [null], mark: '*' }])).toEqual([])
  })
})
