import type { DeviceChoice } from '../../../shared/contract'
import type { HardwareSnapshot } from '../../../shared/hardware/types'
import type { ReadyEstimate } from './estimate-view'
import { deviceChoiceOf } from './verified-estimate'

/**
 * Which GPUs a run trains on, on a machine with several: 'one' is the estimate's device (or the
 * GPUs Auto split the run over, when it did), 'all' every GPU the runtime sees (resolved when the run starts), or a chosen
 * set of nvidia-smi indices. Several GPUs train as torchrun ranks, one per GPU.
 */
export type GpuSet = 'one' | 'all' | number[]

/** The GPU indices of the machine, when it has more than one (the choice is only offered then). */
export function choosableGpus(snapshot: HardwareSnapshot | null): number[] {
  const indices = (snapshot?.gpus ?? []).map((gpu) => gpu.index)
  return indices.length > 1 ? indices : []
}

/**
 * Where the run trains, as projects.start-run takes it. A set of one GPU is that GPU; an empty
 * set (every box unticked) and a CPU estimate keep the estimate's own device, so a choice the
 * machine cannot make never reaches the core.
 */
export function runDeviceChoice(view: ReadyEstimate, gpuSet: GpuSet): DeviceChoice {
  const estimated = deviceChoiceOf(view)
  if (estimated.kind === 'cpu') return estimated
  // Left to the estimate: Auto's GPUs when it split the run, else the estimate's one device.
  if (gpuSet === 'one') return view.autoGpuIndices && view.autoGpuIndices.length > 1 ? { kind: 'gpus', indices: [...view.autoGpuIndices].sort((a, b) => a - b) } : estimated
  if (gpuSet === 'all') return { kind: 'gpus', indices: 'all' }
  const indices = [...new Set(gpuSet)].sort((a, b) => a - b)
  if (indices.length === 0) return estimated
  if (indices.length === 1) return { kind: 'gpu', index: indices[0]! }
  return { kind: 'gpus', indices }
}

/** How many GPUs the choice trains on (torchrun ranks); `available` is the machine's count. */
export function gpuSetSize(gpuSet: GpuSet, available: number): number {
  if (gpuSet === 'one') return 1
  if (gpuSet === 'all') return Math.max(1, available)
  return Math.max(1, new Set(gpuSet).size)
}

/** Sequences per optimizer step: every rank takes its own micro batches. */
export function effectiveBatch(params: { micro_batch_size: number; gradient_accumulation_steps: number }, ranks: number): number {
  return params.micro_batch_size * params.gradient_accumulation_steps * ranks
}
