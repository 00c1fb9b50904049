import { describe, expect, it } from 'vitest'
import { describeStatus, formatDuration, progressLine } from '../../../src/main/cli/run-format'

describe('run formatting', () => {
  it('draws a progress line from a progress event', () => {
    expect(progressLine({ step: 63, totalSteps: 150, loss: 2.31412, elapsedSeconds: 12, etaSeconds: 17.4 }, 10)).toBe('train  42% [####------]  63/150  loss 2.3141  0:12<0:17')
    expect(progressLine({ step: 150, totalSteps: 150, loss: null, elapsedSeconds: 3725, etaSeconds: null }, 4)).toBe('train 100% [####] 150/150  loss -  1:02:05<?')
  })

  it('formats durations and statuses for people', () => {
    expect(formatDuration(75)).toBe('1:15')
    expect(formatDuration(null)).toBe('?')
    expect(describeStatus({ status: 'queued', queuePosition: 2 })).toBe('queued (#2)')
    expect(describeStatus({ status: 'stopped_forcibly', queuePosition: null })).toBe('stopped forcibly')
  })
})
