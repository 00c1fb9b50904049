import { describe, expect, it } from 'vitest'
import { downsampleMinMax } from '../../../../src/renderer/features/charts/downsample'

function series(count: number, value: (index: number) => number) {
  const x = new Float64Array(count)
  const y = new Float64Array(count)
  for (let index = 0; index < count; index++) {
    x[index] = index + 1
    y[index] = value(index)
  }
  return { x, y }
}

describe('downsampleMinMax', () => {
  it('returns every point when there are few enough for the width', () => {
    const { x, y } = series(10, (index) => index * 2)
    expect(downsampleMinMax(x, y, 10, 1, 10, 100)).toEqual({ x: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], y: [0, 2, 4, 6, 8, 10, 12, 14, 16, 18] })
  })

  it('keeps at most the min and the max of each pixel column, so 100,000 points become about 2 × width', () => {
    const { x, y } = series(100_000, (index) => Math.sin(index / 50) + (index % 997 === 0 ? 5 : 0))
    const out = downsampleMinMax(x, y, 100_000, 1, 100_000, 800)
    expect(out.x.length).toBeLessThanOrEqual(2 * 800 + 2)
    expect(out.x.length).toBeGreaterThan(800)
    // No spike is lost: the global max and min survive.
    expect(Math.max(...out.y)).toBe(Math.max(...y))
    expect(Math.min(...out.y)).toBe(Math.min(...y))
    // Steps stay in order, so uPlot can draw them.
    for (let index = 1; index < out.x.length; index++) expect(out.x[index]).toBeGreaterThan(out.x[index - 1] ?? 0)
  })

  it('emits min and max of a bucket in step order', () => {
    const x = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8])
    const y = Float64Array.from([5, 9, 1, 5, 5, 1, 9, 5])
    // Two buckets of 4 steps: [1..4.5) has max 9 at step 2 then min 1 at step 3.
    expect(downsampleMinMax(x, y, 8, 1, 8, 2)).toEqual({ x: [2, 3, 6, 7], y: [9, 1, 1, 9] })
  })

  it('shows a zoomed range with one neighbour on each side, so the line reaches the edges', () => {
    const { x, y } = series(1000, (index) => index)
    const out = downsampleMinMax(x, y, 1000, 100.5, 110.5, 500)
    expect(out.x[0]).toBe(100)
    expect(out.x.at(-1)).toBe(111)
    expect(out.x).toHaveLength(12)
  })

  it('leaves out gaps (NaN) and reads only `count` points', () => {
    const x = Float64Array.from([1, 2, 3, 4, 0, 0])
    const y = Float64Array.from([1, Number.NaN, 3, 4, 99, 99])
    expect(downsampleMinMax(x, y, 4, 1, 4, 100)).toEqual({ x: [1, 3, 4], y: [1, 3, 4] })
  })

  it('returns nothing for an empty curve', () => {
    expect(downsampleMinMax(new Float64Array(0), new Float64Array(0), 0, 0, 10, 100)).toEqual({ x: [], y: [] })
  })
})
