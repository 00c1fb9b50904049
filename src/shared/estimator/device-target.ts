import type { GpuInfo, HardwareSnapshot } from '../hardware/types'
import type { GpuSpec } from './gpu-specs'
import { matchGpuSpec, supportsBf16 } from './gpu-specs'

/**
 * Where a run would train: a GPU (detected, or named by the user as "RTX 4090" / "--vram 24")
 * or the CPU. The estimator judges memory against `availableBytes`.
 */
export type DeviceTarget =
  | {
      kind: 'gpu'
      label: string
      /** nvidia-smi index of a detected GPU; null for a GPU the user named. */
      index: number | null
      memoryTotalBytes: number
      /** Memory other programs already use on a detected GPU (null: unknown or not detected). */
      memoryUsedBytes: number | null
      /** Throughput table entry; null for GPUs not in the table (time cannot be estimated). */
      spec: GpuSpec | null
      bf16Supported: boolean | null
    }
  | {
      kind: 'cpu'
      label: string
      memoryTotalBytes: number
      cores: number
      /** Native bf16 arithmetic (AVX512-BF16, AMX, Arm BF16); null or left out when unknown. Only pure bf16 runs care. */
      bf16Supported?: boolean | null
    }

export class DeviceTargetError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DeviceTargetError'
  }
}

/** Memory a run can use: total minus what other programs hold right now (when known). */
export function availableBytes(device: DeviceTarget): number {
  if (device.kind === 'cpu') return device.memoryTotalBytes
  return device.memoryTotalBytes - Math.max(0, device.memoryUsedBytes ?? 0)
}

export function gpuTarget(gpu: GpuInfo): DeviceTarget {
  const spec = matchGpuSpec(gpu.name, gpu.memoryTotalBytes / 1024 ** 2)
  const bf16 = supportsBf16(gpu.computeCapability) ?? (spec ? spec.bf16 !== null : null)
  return {
    kind: 'gpu',
    label: `GPU ${gpu.index}: ${gpu.name}`,
    index: gpu.index,
    memoryTotalBytes: gpu.memoryTotalBytes,
    memoryUsedBytes: gpu.memoryUsedBytes,
    spec,
    bf16Supported: bf16
  }
}

/**
 * A GPU the user names ("RTX 4090", "A100 80GB") and/or sizes ("--vram 24", in GiB). A name
 * outside the table needs a size; a size alone is a GPU of unknown speed.
 */
export function namedGpuTarget(name: string | null, vramGiB: number | null): DeviceTarget {
  if (vramGiB !== null && (!Number.isFinite(vramGiB) || vramGiB <= 0)) {
    throw new DeviceTargetError(`GPU memory must be a positive number of GiB (got ${vramGiB}).`)
  }
  const spec = name ? matchGpuSpec(name, vramGiB === null ? null : vramGiB * 1024) : null
  if (name && !spec && vramGiB === null) {
    throw new DeviceTargetError(`"${name}" is not in LocalTune's GPU table. Give its memory too (e.g. --vram 24), or use a listed name such as "RTX 4090", "A100 80GB", "L4", "T4".`)
  }
  if (!name && vramGiB === null) throw new DeviceTargetError('Name a GPU or give its memory in GiB.')
  const memoryTotalBytes = vramGiB !== null ? vramGiB * 1024 ** 3 : (spec as GpuSpec).memoryMiB * 1024 ** 2
  const label = spec ? `${spec.name}${vramGiB !== null ? ` (${vramGiB} GiB)` : ''}` : name ? `${name} (${vramGiB} GiB)` : `GPU with ${vramGiB} GiB`
  return { kind: 'gpu', label, index: null, memoryTotalBytes, memoryUsedBytes: null, spec, bf16Supported: spec ? spec.bf16 !== null : null }
}

export function cpuTarget(snapshot: Pick<HardwareSnapshot, 'cpu' | 'memoryAvailableBytes'>): DeviceTarget {
  return { kind: 'cpu', label: `CPU: ${snapshot.cpu.model}`, memoryTotalBytes: snapshot.memoryAvailableBytes, cores: snapshot.cpu.physicalCores, bf16Supported: snapshot.cpu.bf16Native ?? null }
}

/**
 * The GPUs that can train, or the CPU when there are none: a snapshot in "cpu" mode may still
 * list GPUs the training runtime cannot use (a CPU-only torch), and those are not targets.
 */
export function targetsFromSnapshot(snapshot: HardwareSnapshot): DeviceTarget[] {
  return snapshot.mode === 'gpu' && snapshot.gpus.length > 0 ? snapshot.gpus.map(gpuTarget) : [cpuTarget(snapshot)]
}
