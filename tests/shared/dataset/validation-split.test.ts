import { describe, expect, it } from 'vitest'
import {
  defaultValidationSplit,
  pickValidationPositions,
  ShuffleReservoir,
  validationRowCount,
  validationSplitSchema
} from '../../../src/shared/dataset/validation-split'

function picked(total: number, count: number, seed?: number): number[] {
  const pick = pickValidationPositions(total, count, seed)
  return Array.from({ length: total }, (_, i) => i).filter((i) => pick.has(i))
}

describe('validation split', () => {
  it('defaults: no split under 200 rows, else 5% capped at 1,000', () => {
    expect(defaultValidationSplit(199)).toEqual({ kind: 'none' })
    expect(defaultValidationSplit(200)).toEqual({ kind: 'percent', percent: 5, maxRows: 1000, seed: 42 })
    const split = defaultValidationSplit(200)
    if (split.kind !== 'percent') throw new Error('expected a percentage')
    expect(validationRowCount(split, 200)).toBe(10)
    expect(validationRowCount(split, 3146)).toBe(157)
    expect(validationRowCount(split, 1_000_000)).toBe(1000)
  })

  it('never holds out every row, and holds out at least one when asked to', () => {
    expect(validationRowCount({ kind: 'percent', percent: 5 }, 1)).toBe(0)
    expect(validationRowCount({ kind: 'percent', percent: 5 }, 2)).toBe(1)
    expect(validationRowCount({ kind: 'percent', percent: 50 }, 3)).toBe(2)
  })

  it('picks exactly the count, the same rows for the same seed, other rows for another seed', () => {
    const a = picked(1000, 50, 7)
    expect(a).toHaveLength(50)
    expect(picked(1000, 50, 7)).toEqual(a)
    expect(picked(1000, 50, 8)).not.toEqual(a)
  })

  it('spreads the picks over the whole file', () => {
    const positions = picked(10_000, 500, 42)
    expect(positions.filter((p) => p < 5000).length).toBeGreaterThan(200)
    expect(positions.filter((p) => p >= 5000).length).toBeGreaterThan(200)
  })

  it('holds out the same rows in one pass (reservoir) as with the count known up front', () => {
    const reservoir = new ShuffleReservoir<number>(100, 42)
    for (let position = 0; position < 5000; position++) if (reservoir.admits(position)) reservoir.hold(position, position)
    expect(reservoir.first(60).map((entry) => entry.position)).toEqual(picked(5000, 60, 42))
  })

  it('validates user input', () => {
    expect(validationSplitSchema.safeParse({ kind: 'percent', percent: 0 }).success).toBe(false)
    expect(validationSplitSchema.safeParse({ kind: 'percent', percent: 80 }).success).toBe(false)
    expect(validationSplitSchema.safeParse({ kind: 'file', path: '/data/valid.csv' }).success).toBe(true)
  })
})
