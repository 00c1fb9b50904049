import { describe, expect, it } from 'vitest'
import { clampSmoothing, emaStep, emptyEma } from '../../../../src/renderer/features/charts/smoothing'

describe('EMA smoothing', () => {
  it('is debiased: a constant series stays constant from the first point', () => {
    const state = emptyEma()
    expect(emaStep(state, 3, 0.9)).toBeCloseTo(3)
    expect(emaStep(state, 3, 0.9)).toBeCloseTo(3)
  })

  it('weight 0 is no smoothing', () => {
    const state = emptyEma()
    expect(emaStep(state, 3, 0)).toBe(3)
    expect(emaStep(state, 7, 0)).toBe(7)
  })

  it('moves towards new values by (1 - weight), debiased', () => {
    const state = emptyEma()
    emaStep(state, 0, 0.5)
    // average 0.5*0 + 0.5*4 = 2 over debias 0.75 → 2.666…
    expect(emaStep(state, 4, 0.5)).toBeCloseTo(8 / 3)
  })

  it('keeps gaps as gaps without resetting', () => {
    const state = emptyEma()
    emaStep(state, 2, 0.5)
    expect(Number.isNaN(emaStep(state, Number.NaN, 0.5))).toBe(true)
    expect(emaStep(state, 2, 0.5)).toBeCloseTo(2)
  })

  it('clamps weights', () => {
    expect(clampSmoothing(-1)).toBe(0)
    expect(clampSmoothing(1)).toBe(0.999)
    expect(clampSmoothing(Number.NaN)).toBe(0)
  })
})
