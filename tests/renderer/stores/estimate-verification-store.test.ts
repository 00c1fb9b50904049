import { describe, expect, it } from 'vitest'
import type { EstimateVerification } from '../../../src/shared/contract'
import { estimateVerificationActions, estimateVerificationNow, measuredFor, memoryScaleNow } from '../../../src/renderer/stores/estimate-verification-store'

const verification = (id: string, fits = true): EstimateVerification => ({
  verificationId: id, fits, cause: fits ? null : 'over_limit', message: fits ? null : 'over', device: 'cpu', precision: 'fp32', method: 'lora', limitBytes: null,
  memory: { kind: 'cpu-resident', peakBytes: 1, runtimeBytes: 1, weightsBytes: 0, optimizerStateBytes: 0, stepBytes: 0, allocatedPeakBytes: null, reservedPeakBytes: null, deviceUsedBytes: null },
  batch: { sequences: 1, longestTokens: 1, paddedTokens: 1, microBatchSize: 1, maxLength: 8 }, steps: [], secondsPerStep: null, tokensPerSecond: null, elapsedSeconds: 1
})

describe('estimate-verification store', () => {
  it('keeps the measurement of the running verification, tagged with the estimate it measured; a late answer of an older one is dropped', () => {
    const actions = estimateVerificationActions()
    actions.verificationStarted('old', 'sig-A')
    actions.verificationStarted('new', 'sig-B')
    actions.verificationMeasured('old', verification('old'))
    expect(estimateVerificationNow()).toMatchObject({ status: 'running', verificationId: 'new' })
    actions.verificationProgressed({ verificationId: 'new', stage: 'step', step: 2, steps: 3, message: 'Step 2 of 3' })
    expect(estimateVerificationNow()).toMatchObject({ progress: { step: 2 } })
    actions.verificationMeasured('new', verification('new', false))
    const state = estimateVerificationNow()
    expect(measuredFor(state, 'sig-B')?.fits).toBe(false)
    // Another estimate on screen: this measurement is not its own.
    expect(measuredFor(state, 'sig-A')).toBeNull()
  })

  it('a cancel marks the running one, and its answer ends it as cancelled', () => {
    const actions = estimateVerificationActions()
    actions.verificationStarted('v', 'sig')
    actions.cancelRequested()
    expect(estimateVerificationNow()).toMatchObject({ status: 'running', cancelling: true })
    actions.verificationCancelled('v')
    expect(estimateVerificationNow()).toEqual({ status: 'cancelled', forSignature: 'sig' })
  })

  it("keeps what a measurement teaches Auto after the estimate on screen changes, and only a measurement that teaches something replaces it", () => {
    const actions = estimateVerificationActions()
    actions.verificationStarted('a', 'sig-A')
    actions.verificationMeasured('a', verification('a', false), { forBasis: 'llama|cpu', factor: 1.3, reason: 'measured +30 %' })
    actions.verificationStarted('b', 'sig-B')
    expect(memoryScaleNow()).toEqual({ forBasis: 'llama|cpu', factor: 1.3, reason: 'measured +30 %' })
    actions.verificationMeasured('b', verification('b'), null)
    expect(measuredFor(estimateVerificationNow(), 'sig-B')?.fits).toBe(true)
    expect(memoryScaleNow()?.factor).toBe(1.3)
    // A late answer of an older verification teaches nothing either.
    actions.verificationStarted('c', 'sig-C')
    actions.verificationMeasured('b', verification('b'), { forBasis: 'llama|cpu', factor: 2, reason: 'late' })
    expect(memoryScaleNow()?.factor).toBe(1.3)
  })
})
