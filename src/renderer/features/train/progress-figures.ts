import type { RunMetrics, RunSummary } from '../../../shared/contract'
import type { GpuMemorySample } from '../../../shared/hardware/types'
import type { ProgressEvent } from '../../../shared/run-events'
import type { LiveProgress } from '../../stores/live-run-store'
import { formatBytes } from '../runs/run-labels'

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

/** The figures of a progress event, as the Train screen shows them. */
export function progressFromEvent(event: ProgressEvent): LiveProgress {
  return {
    step: event.step,
    totalSteps: event.total_steps,
    epoch: event.epoch,
    loss: event.loss,
    lr: event.lr,
    tokensPerSecond: event.tokens_per_second,
    etaSeconds: event.eta_seconds,
    gpuAllocatedBytes: event.gpu_memory.allocated_bytes,
    gpuPeakBytes: event.gpu_memory.peak_bytes,
    rankPeakBytes: event.rank_peak_bytes ? [...event.rank_peak_bytes] : null,
    time: event.time
  }
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
    // Not stored: each rank's peak comes back with the next progress event.
    rankPeakBytes: null,
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

/** How a run's ranks share the model, from its started event's parallelism; null for one process. */
export function parallelismText(parallelism: 'ddp' | 'fsdp' | null | undefined, ranks: number): string | null {
  if (ranks <= 1 || !parallelism) return null
  return parallelism === 'fsdp'
    ? `FSDP: each rank holds 1/${ranks} of the weights, gradients and optimizer state`
    : 'DDP: each rank holds the whole model; gradients are summed every step'
}

/** Each rank's peak memory, labelled with where it runs, as the Progress panel lists them. */
export interface RankPeakFigures {
  /** 'gpu': allocated by PyTorch on the rank's GPU; 'cpu': the rank's process's resident memory. */
  kind: 'gpu' | 'cpu'
  /** True when each row names its GPU (one machine, a GPU per rank). */
  byGpu: boolean
  rows: Array<{ rank: number; peakBytes: number | null; text: string }>
}

/**
 * The progress event's rank_peak_bytes as rows: "GPU 2 (rank 0): 11.2 GiB peak" when the run's
 * ranks are its listed GPUs (rank r trains on gpuIndices[r]), "Rank 5: …" when the world is
 * larger than this machine's GPUs (a run across machines: the others' GPUs are not known here),
 * "Process 1 (rank 1): 812 MiB peak resident" on the CPU. Null for a single process (the field is
 * absent, or has one rank), which the panel's other figures already cover.
 */
export function rankPeakFigures(
  peaks: ReadonlyArray<number | null> | null | undefined,
  run: Pick<RunSummary, 'device' | 'gpuIndices' | 'ranks' | 'nodes'>
): RankPeakFigures | null {
  if (!peaks || peaks.length < 2) return null
  const kind = run.device === 'cpu' || run.gpuIndices.length === 0 ? 'cpu' : 'gpu'
  const worldSize = Math.max(run.ranks, peaks.length)
  const oneMachine = run.nodes <= 1
  const byGpu = kind === 'gpu' && oneMachine && worldSize <= run.gpuIndices.length
  const rows = peaks.map((peakBytes, rank) => {
    const gpu = run.gpuIndices[rank]
    const label = byGpu && gpu !== undefined ? `GPU ${gpu} (rank ${rank})` : kind === 'cpu' && oneMachine ? `Process ${rank} (rank ${rank})` : `Rank ${rank}`
    const figure = peakBytes === null ? 'not reported' : `${formatBytes(peakBytes)} ${kind === 'gpu' ? 'peak' : 'peak resident'}`
    return { rank, peakBytes, text: `${label}: ${figure}` }
  })
  return { kind, byGpu, rows }
}
