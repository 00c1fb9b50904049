import { describe, expect, it } from 'vitest'
import type { EstimateVerification } from '../../../src/shared/contract'
import { measuredMemoryScale } from '../../../src/shared/estimate-verify/measured-memory-scale'
import type { VramEstimate } from '../../../src/shared/estimator'

const GiB = 1024 ** 3

const estimate = (requiredBytes: number, reservedBytes: number): VramEstimate => ({
  terms: [{ key: 'weights', label: 'Weights', bytes: requiredBytes }],
  allocatedBytes: reservedBytes,
  reservedBytes,
  nvidiaSmiBytes: requiredBytes,
  requiredBytes,
  peakPhase: 'backward',
  precision: 'fp32',
  sequenceLength: 512,
  tokensPerMicroBatch: 2048,
  notes: []
}) as unknown as VramEstimate

const measured = (kind: 'cuda' | 'cpu-resident', peakBytes: number, reservedPeakBytes: number | null = null): EstimateVerification => ({
  verificationId: 'v', fits: true, cause: null, message: null, device: kind === 'cuda' ? 'cuda:0' : 'cpu', precision: 'fp32', method: 'lora', limitBytes: null,
  memory: { kind, peakBytes, runtimeBytes: null, weightsBytes: null, optimizerStateBytes: null, stepBytes: null, allocatedPeakBytes: reservedPeakBytes, reservedPeakBytes, deviceUsedBytes: null },
  batch: { sequences: 4, longestTokens: 512, paddedTokens: 2048, microBatchSize: 4, maxLength: 512 }, steps: [], secondsPerStep: null, tokensPerSecond: null, elapsedSeconds: 1
})

describe('what a verification teaches Auto', () => {
  it('a CPU peak 25 % over the estimate makes Auto count every choice at 1.25×, and says so', () => {
    const scale = measuredMemoryScale(estimate(4 * GiB, 3 * GiB), null, measured('cpu-resident', 5 * GiB), 'LoRA, micro batch 4 × 512 tokens')
    expect(scale?.factor).toBeCloseTo(1.25, 6)
    expect(scale?.reason).toBe('Verified on this machine (LoRA, micro batch 4 × 512 tokens): the measured peak (process memory) was +25 % above the estimate, so Auto counts every choice at 1.25× its estimated peak.')
  })

  it('on CUDA it compares what PyTorch reserved with the reserved estimate', () => {
    const scale = measuredMemoryScale(estimate(12 * GiB, 10 * GiB), null, measured('cuda', 11 * GiB, 11 * GiB), 'LoRA')
    expect(scale?.factor).toBeCloseTo(1.1, 6)
    expect(scale?.reason).toContain('(reserved on the GPU) was +10 %')
  })

  it('a measurement below the estimate keeps the margin (one configuration is not proof for larger ones)', () => {
    const scale = measuredMemoryScale(estimate(4 * GiB, 3 * GiB), null, measured('cpu-resident', 3 * GiB), 'LoRA')
    expect(scale).toEqual({ factor: 1, reason: 'Verified on this machine (LoRA): the measured peak (process memory) was −25 % against the estimate, so Auto keeps its usual margin.' })
  })

  it('nothing comparable measured: nothing to learn', () => {
    expect(measuredMemoryScale(estimate(12 * GiB, 10 * GiB), null, measured('cuda', 11 * GiB, null), 'LoRA')).toBeNull()
  })
})
