import { describe, expect, it } from 'vitest'
import { SeriesBuffer } from '../../../../src/renderer/features/charts/series-buffer'

describe('SeriesBuffer', () => {
  it('appends points into typed arrays that grow', () => {
    const buffer = new SeriesBuffer()
    for (let step = 1; step <= 1000; step++) buffer.append(step, step / 10)
    expect(buffer.length).toBe(1000)
    expect(buffer.x[999]).toBe(1000)
    expect(buffer.lastY()).toBe(100)
  })

  it('replaces the points from a repeated step on, as a resumed run repeats steps after its checkpoint', () => {
    const buffer = new SeriesBuffer()
    buffer.appendMany([1, 2, 3, 4, 5], [5, 4, 3, 2, 1])
    buffer.append(4, 2.5)
    expect([...buffer.x]).toEqual([1, 2, 3, 4])
    expect([...buffer.y]).toEqual([5, 4, 3, 2.5])
  })

  it('keeps a missing loss as a gap', () => {
    const buffer = new SeriesBuffer()
    buffer.appendMany([1, 2], [1, null])
    expect(Number.isNaN(buffer.y[1])).toBe(true)
    expect(buffer.lastY()).toBeNull()
  })

  it('notifies once per append or batch', () => {
    const buffer = new SeriesBuffer()
    let calls = 0
    const unsubscribe = buffer.subscribe(() => calls++)
    buffer.append(1, 1)
    buffer.appendMany([2, 3, 4], [1, 1, 1])
    unsubscribe()
    buffer.append(5, 1)
    expect(calls).toBe(2)
  })

  it('smooths incrementally and gives the same values as smoothing from scratch', () => {
    const incremental = new SeriesBuffer()
    const values = Array.from({ length: 50 }, (_, index) => Math.cos(index) + 2)
    for (let index = 0; index < 50; index++) {
      incremental.append(index + 1, values[index] ?? 0)
      incremental.smoothed(0.8)
    }
    const scratch = new SeriesBuffer()
    scratch.appendMany(values.map((_, index) => index + 1), values)
    expect([...incremental.smoothed(0.8)]).toEqual([...scratch.smoothed(0.8)])
    // A rewind (resume) recomputes instead of continuing from a stale state.
    incremental.append(10, 7)
    scratch.append(10, 7)
    expect([...incremental.smoothed(0.8)]).toEqual([...scratch.smoothed(0.8)])
  })
})
