import { describe, expect, it } from 'vitest'
import { effectiveBatchText, etaFromStepTimes, progressFromMetrics, runGpuMemory } from '../../../../src/renderer/features/train/progress-figures'

describe('etaFromStepTimes', () => {
  it('multiplies the steps left by the median time per step of the recent points', () => {
    expect(etaFromStepTimes([1, 2, 3, 4], [10, 11, 12, 13], 10)).toBeCloseTo(6)
  })

  it('is not thrown off by one long pause (an eval, or a stop and resume)', () => {
    expect(etaFromStepTimes([1, 2, 3, 4, 5], [10, 11, 12, 112, 113], 15)).toBeCloseTo(10)
  })

  it('needs a few points and a total', () => {
    expect(etaFromStepTimes([1, 2], [1, 2], 10)).toBeNull()
    expect(etaFromStepTimes([1, 2, 3], [1, 2, 3], null)).toBeNull()
  })
})

describe('progressFromMetrics', () => {
  it('takes the last stored point, with an ETA only while the run is live', () => {
    const metrics = {
      runId: 'r',
      kind: 'train' as const,
      step: [1, 2, 3],
      loss: [3, 2, 1],
      lr: [1e-4, 2e-4, 3e-4],
      gradNorm: [1, 1, 1],
      tokensPerSecond: [100, 110, 120],
      epoch: [0.1, 0.2, 0.3],
      gpuMemoryBytes: [null, null, null],
      time: [10, 11, 12]
    }
    expect(progressFromMetrics(metrics, 10, true)).toMatchObject({ step: 3, loss: 1, lr: 3e-4, tokensPerSecond: 120, epoch: 0.3, etaSeconds: 7, gpuPeakBytes: null })
    expect(progressFromMetrics(metrics, 10, false)?.etaSeconds).toBeNull()
    expect(progressFromMetrics({ ...metrics, step: [], loss: [], lr: [], gradNorm: [], tokensPerSecond: [], epoch: [], gpuMemoryBytes: [], time: [] }, 10, true)).toBeNull()
  })
})

describe('the figures of a run on several GPUs', () => {
  const GiB = 1024 ** 3
  it("picks the run's GPUs out of the nvidia-smi reading, in the run's order, and says when one is missing", () => {
    const sample = {
      takenAt: '2026-12-03T18:00:00Z',
      error: null,
      gpus: [0, 1, 2, 3].map((index) => ({ index, memoryUsedBytes: (index + 1) * GiB, memoryTotalBytes: 80 * GiB }))
    }
    expect(runGpuMemory(sample, [1, 3])).toEqual([
      { index: 1, usedBytes: 2 * GiB, totalBytes: 80 * GiB },
      { index: 3, usedBytes: 4 * GiB, totalBytes: 80 * GiB }
    ])
    expect(runGpuMemory(sample, [5])).toEqual([{ index: 5, usedBytes: null, totalBytes: null }])
    expect(runGpuMemory(null, [0])).toEqual([{ index: 0, usedBytes: null, totalBytes: null }])
  })

  it('states the effective batch as micro batch × accumulation × ranks', () => {
    expect(effectiveBatchText({ micro_batch_size: 2, gradient_accumulation_steps: 4 }, 4)).toBe('32 (micro batch 2 × accumulation 4 × 4 ranks)')
    expect(effectiveBatchText({ micro_batch_size: 8, gradient_accumulation_steps: 1 }, 1)).toBe('8 (micro batch 8 × accumulation 1)')
  })
})
