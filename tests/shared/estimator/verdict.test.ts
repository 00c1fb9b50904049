import { describe, expect, it } from 'vitest'
import { judgeFit } from '../../../src/shared/estimator/verdict'

const GiB = 1024 ** 3

describe('judgeFit', () => {
  it('fits up to 90 %, is tight up to 100 %, does not fit above', () => {
    expect(judgeFit(21.6 * GiB, 24 * GiB, 'RTX 4090').verdict).toBe('fits')
    expect(judgeFit(21.7 * GiB, 24 * GiB, 'RTX 4090').verdict).toBe('tight')
    expect(judgeFit(24 * GiB, 24 * GiB, 'RTX 4090').verdict).toBe('tight')
    expect(judgeFit(24.1 * GiB, 24 * GiB, 'RTX 4090').verdict).toBe('does-not-fit')
  })

  it('says it in a sentence with the numbers', () => {
    expect(judgeFit(12 * GiB, 24 * GiB, 'RTX 4090').summary).toBe('Fits on RTX 4090: needs 12.0 GiB of 24.0 GiB (50 %).')
    expect(judgeFit(30 * GiB, 24 * GiB, 'RTX 4090').summary).toBe('Does not fit on RTX 4090: needs 30.0 GiB but only 24.0 GiB is available.')
    expect(judgeFit(23 * GiB, 24 * GiB, 'RTX 4090').summary).toMatch(/^Tight on RTX 4090: .*may run out of memory/)
  })
})
