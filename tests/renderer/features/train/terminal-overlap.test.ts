import { describe, expect, it } from 'vitest'
import { outputAfterTail } from '../../../../src/renderer/features/train/terminal-overlap'

describe('outputAfterTail', () => {
  it('drops the part of the live output that the log read already had', () => {
    expect(outputAfterTail('step 1\r\nstep 2\r\n', 'step 2\r\nstep 3\r\n')).toBe('step 3\r\n')
  })

  it('keeps live output that came after the read', () => {
    expect(outputAfterTail('step 1\r\n', 'step 2\r\n')).toBe('step 2\r\n')
  })

  it('drops live output entirely contained at the end of the read', () => {
    expect(outputAfterTail('a b c', 'b c')).toBe('')
  })

  it('handles empty sides', () => {
    expect(outputAfterTail('', 'x')).toBe('x')
    expect(outputAfterTail('x', '')).toBe('')
  })
})
