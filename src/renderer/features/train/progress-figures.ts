import type { RunMetrics } from '../../../shared/contract'
import type { GpuMemorySample } from '../../../shared/hardware/types'
import type { LiveProgress } from '../../stores/live-run-store'

/**
 * Seconds left, from how long the recent steps took (the median gap of the last 20 points, so
 * a pause for evaluation or a stop and resume does not swing it). Null with too few points.
 */
export function etaFromStepTimes(steps: readonly number[], times: readonly number[], totalSteps: number | null): number | null {
  if (totalSteps === null || steps.length < 3) return null
  const gaps: number[] = []
  for (let index = Math.max(1, steps.length - 20); index < steps.length; index++) {
    const stepGap = (steps[index] ?? 0) - (steps[index - 1] ?? 0)
    const timeGap = (times[index] ?? 0) - (times[index - 1] ?? 0)
    if (stepGap > 0 && timeGap > 0) gaps.push(timeGap / stepGap)
  }
  if (gaps.length === 0) return null
  gaps.sort((a, b) => a - b)
  const perStep = gaps[Math.floor(gaps.length / 2)] ?? 0
  const left = Math.max(0, totalSteps - (steps.at(-1) ?? 0))
  return left * perStep
}

/**
 * The latest figures from stored metrics, for a Train screen opened mid-run or after a reload
 * (live events carry the same figures directly). The stored memory point is the peak when the
 * runtime measured one.
 */
export function progressFromMetrics(metrics: RunMetrics, totalSteps: number | null, live: boolean): LiveProgress | null {
  const last = metrics.step.length - 1
  const step = metrics.step[last]
  if (step === undefined) return null
  const memory = metrics.gpuMemoryBytes[last] ?? null
  return {
    step,
    totalSteps,
    epoch: metrics.epoch[last] ?? null,
    loss: metrics.loss[last] ?? null,
    lr: metrics.lr[last] ?? null,
    tokensPerSecond: metrics.tokensPerSecond[last] ?? null,
    etaSeconds: live ? etaFromStepTimes(metrics.step, metrics.time, totalSteps) : null,
    gpuAllocatedBytes: null,
    gpuPeakBytes: memory,
    time: metrics.time[last] ?? 0
  }
}

/** The run's GPUs in the latest nvidia-smi reading, in the run's order; a GPU missing from it shows as not reported. */
export function runGpuMemory(sample: GpuMemorySample | null, gpuIndices: readonly number[]): Array<{ index: number; usedBytes: number | null; totalBytes: number | null }> {
  return gpuIndices.map((index) => {
    const reading = sample?.gpus.find((gpu) => gpu.index === index)
    return { index, usedBytes: reading?.memoryUsedBytes ?? null, totalBytes: reading?.memoryTotalBytes ?? null }
  })
}

/** "8 (micro batch 2 × accumulation 2 × 2 ranks)": sequences per optimizer step over all ranks. */
export function effectiveBatchText(params: { micro_batch_size: number; gradient_accumulation_steps: number }, ranks: number): string {
  const effective = params.micro_batch_size * params.gradient_accumulation_steps * ranks
  return `${effective} (micro batch ${params.micro_batch_size} × accumulation ${params.gradient_accumulation_steps}${ranks > 1 ? ` × ${ranks} ranks` : ''})`
}
