import { describe, expect, it } from 'vitest'
import { effectiveBatchText, etaFromStepTimes, parallelismText, progressFromEvent, progressFromMetrics, rankPeakFigures, runGpuMemory } from '../../../../src/renderer/features/train/progress-figures'
import type { ProgressEvent } from '../../../../src/shared/run-events'

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
    expect(progressFromMetrics(metrics, 10, true)).toMatchObject({ step: 3, loss: 1, lr: 3e-4, tokensPerSecond: 120, epoch: 0.3, etaSeconds: 7, gpuPeakBytes: null, rankPeakBytes: null })
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

describe('progressFromEvent', () => {
  const GiB = 1024 ** 3
  const event: ProgressEvent = {
    v: 1, type: 'progress', time: 20, run_id: 'r', demo: false, step: 4, total_steps: 10, epoch: 0.4, loss: 1.5, lr: 1e-4, grad_norm: 1,
    tokens_per_second: 900, examples_per_second: 3, elapsed_seconds: 8, eta_seconds: 12,
    gpu_memory: { allocated_bytes: 2 * GiB, reserved_bytes: 3 * GiB, peak_bytes: 4 * GiB }
  }

  it('takes the figures of the event, with no per-rank peaks for a single process', () => {
    expect(progressFromEvent(event)).toEqual({
      step: 4, totalSteps: 10, epoch: 0.4, loss: 1.5, lr: 1e-4, tokensPerSecond: 900, etaSeconds: 12,
      gpuAllocatedBytes: 2 * GiB, gpuPeakBytes: 4 * GiB, rankPeakBytes: null, time: 20
    })
  })

  it("carries each rank's peak of a distributed run, in rank order, a rank the OS did not report as null", () => {
    expect(progressFromEvent({ ...event, rank_peak_bytes: [4 * GiB, null, 5 * GiB] }).rankPeakBytes).toEqual([4 * GiB, null, 5 * GiB])
  })
})

describe('rankPeakFigures', () => {
  const GiB = 1024 ** 3
  const MiB = 1024 ** 2
  const gpus = { device: 'cuda:2,5', gpuIndices: [2, 5], ranks: 2, nodes: 1 }

  it('names the GPU each rank trains on (rank r on the r-th GPU listed) and says the figure is a peak', () => {
    expect(rankPeakFigures([11.2 * GiB, 10.5 * GiB], gpus)).toEqual({
      kind: 'gpu',
      byGpu: true,
      rows: [
        { rank: 0, peakBytes: 11.2 * GiB, text: 'GPU 2 (rank 0): 11.2 GiB peak' },
        { rank: 1, peakBytes: 10.5 * GiB, text: 'GPU 5 (rank 1): 10.5 GiB peak' }
      ]
    })
  })

  it('labels by rank alone when the world is larger than the GPUs listed (a run across machines)', () => {
    const figures = rankPeakFigures([GiB, GiB, GiB, 2 * GiB], { ...gpus, ranks: 4, nodes: 2 })
    expect(figures?.byGpu).toBe(false)
    expect(figures?.rows.map((row) => row.text)).toEqual(['Rank 0: 1.00 GiB peak', 'Rank 1: 1.00 GiB peak', 'Rank 2: 1.00 GiB peak', 'Rank 3: 2.00 GiB peak'])
    // The event's list is the world even where the run's row says less.
    expect(rankPeakFigures([GiB, GiB, GiB], gpus)?.rows[0]?.text).toBe('Rank 0: 1.00 GiB peak')
  })

  it("names each CPU process's peak resident memory, and says when the OS did not report one", () => {
    const cpu = { device: 'cpu', gpuIndices: [], ranks: 2, nodes: 1 }
    expect(rankPeakFigures([812 * MiB, null], cpu)).toEqual({
      kind: 'cpu',
      byGpu: false,
      rows: [
        { rank: 0, peakBytes: 812 * MiB, text: 'Process 0 (rank 0): 812 MiB peak resident' },
        { rank: 1, peakBytes: null, text: 'Process 1 (rank 1): not reported' }
      ]
    })
    expect(rankPeakFigures([812 * MiB, 800 * MiB], { ...cpu, ranks: 4, nodes: 2 })?.rows[1]?.text).toBe('Rank 1: 800 MiB peak resident')
  })

  it('shows nothing for a single process (no list, or one rank)', () => {
    expect(rankPeakFigures(undefined, gpus)).toBeNull()
    expect(rankPeakFigures(null, gpus)).toBeNull()
    expect(rankPeakFigures([GiB], { ...gpus, gpuIndices: [2], ranks: 1 })).toBeNull()
  })
})

describe('parallelismText', () => {
  it('says how the ranks share the model, and nothing for one process or older events', () => {
    expect(parallelismText('fsdp', 4)).toBe('FSDP: each rank holds 1/4 of the weights, gradients and optimizer state')
    expect(parallelismText('ddp', 2)).toBe('DDP: each rank holds the whole model; gradients are summed every step')
    expect(parallelismText(null, 1)).toBeNull()
    expect(parallelismText(undefined, 2)).toBeNull()
    expect(parallelismText('ddp', 1)).toBeNull()
  })
})
