import si from 'systeminformation'
import type { CpuInfo, GpuInfo, HardwareSnapshot } from '../../../shared/hardware/types'
import { noGpuMessage } from '../../../shared/hardware/types'
import type { PythonRuntimeStatus } from '../../../shared/contract'
import { runtimeGpuMismatch } from '../runtime/python-discovery'
import type { NvidiaSmiOptions } from './nvidia-smi'
import { queryGpus } from './nvidia-smi'

/**
 * The machine as LocalTune sees it: NVIDIA GPUs from nvidia-smi; when nvidia-smi is missing or
 * fails, systeminformation's list of display controllers shows whether an NVIDIA card is there
 * at all (to say "install the driver" rather than "no GPU"); CPU and RAM from systeminformation.
 */

/** The parts of systeminformation used here, so tests and hosts can pass their own. */
export interface SystemInfoSource {
  graphics(): Promise<{ controllers: Array<{ vendor?: string; model?: string; vram?: number | null; memoryTotal?: number; memoryUsed?: number; memoryFree?: number; driverVersion?: string; utilizationGpu?: number }> }>
  cpu(): Promise<{ manufacturer?: string; brand?: string; physicalCores?: number; cores?: number; flags?: string }>
  mem(): Promise<{ total: number; available: number }>
}

export interface DetectHardwareOptions extends NvidiaSmiOptions {
  systemInfo?: SystemInfoSource
}

const systemInformation: SystemInfoSource = {
  graphics: () => si.graphics(),
  cpu: () => si.cpu(),
  mem: () => si.mem()
}

async function cpuInfo(source: SystemInfoSource): Promise<CpuInfo> {
  const cpu = await source.cpu()
  const model = [cpu.manufacturer, cpu.brand].filter((part) => part && part.trim() !== '').join(' ') || 'unknown CPU'
  const logical = cpu.cores && cpu.cores > 0 ? cpu.cores : 1
  return { model, physicalCores: cpu.physicalCores && cpu.physicalCores > 0 ? cpu.physicalCores : logical, logicalCores: logical, bf16Native: bf16FromFlags(cpu.flags) }
}

/**
 * Whether the CPU computes bf16 natively, from its feature flags (Linux /proc/cpuinfo, as
 * systeminformation reads them): avx512_bf16 or amx_bf16 on x86, bf16 on Arm. No flags: unknown.
 */
export function bf16FromFlags(flags: string | undefined): boolean | null {
  const names = (flags ?? '').toLowerCase().split(/\s+/).filter(Boolean)
  if (names.length === 0) return null
  return names.some((name) => name === 'avx512_bf16' || name === 'amx_bf16' || name === 'bf16')
}

/** NVIDIA display controllers systeminformation can see without nvidia-smi (lspci, WMI, system_profiler). */
async function nvidiaControllers(source: SystemInfoSource): Promise<GpuInfo[]> {
  try {
    const { controllers } = await source.graphics()
    return controllers
      .filter((controller) => /nvidia/i.test(`${controller.vendor ?? ''} ${controller.model ?? ''}`))
      .map((controller, index) => ({
        index,
        name: controller.model ?? 'NVIDIA GPU',
        // MiB, as systeminformation reports them.
        memoryTotalBytes: (controller.memoryTotal ?? controller.vram ?? 0) * 1024 ** 2,
        memoryUsedBytes: controller.memoryUsed !== undefined ? controller.memoryUsed * 1024 ** 2 : null,
        memoryFreeBytes: controller.memoryFree !== undefined ? controller.memoryFree * 1024 ** 2 : null,
        driverVersion: controller.driverVersion ?? null,
        computeCapability: null,
        utilizationPercent: controller.utilizationGpu ?? null,
        migEnabled: false,
        source: 'systeminformation' as const
      }))
  } catch {
    return []
  }
}

export async function detectHardware(options: DetectHardwareOptions = {}): Promise<HardwareSnapshot> {
  const source = options.systemInfo ?? systemInformation
  const [query, cpu, mem] = await Promise.all([queryGpus(options), cpuInfo(source), source.mem()])
  let status = query.status
  let gpus = query.gpus
  // systeminformation calls nvidia-smi synchronously on Linux and Windows; after a timeout it
  // would hang too, so it is asked only when nvidia-smi is missing or failed quickly.
  if (status.code === 'nvidia-smi-missing' || status.code === 'nvidia-smi-failed') {
    const seen = await nvidiaControllers(source)
    const usable = seen.filter((gpu) => gpu.memoryTotalBytes > 0)
    if (status.code === 'nvidia-smi-missing' && usable.length > 0) {
      // nvidia-smi is not on the PATH (common on Windows and WSL) but the system knows the card
      // and its memory: use it, and say that live readings need nvidia-smi.
      gpus = usable
      const names = usable.map((gpu) => gpu.name).join(', ')
      status = { ...status, message: `nvidia-smi is not on the PATH; found ${names} through the system's device list. Live memory readings need nvidia-smi.`, action: 'Add the folder that holds nvidia-smi to PATH (or install the NVIDIA driver) for live GPU memory readings.' }
    } else if (seen.length > 0) {
      const names = seen.map((gpu) => gpu.name).join(', ')
      status = { ...status, message: `${status.message} The system lists an NVIDIA GPU (${names}), but it cannot train until the driver and nvidia-smi work.` }
    } else if (status.code === 'nvidia-smi-missing') {
      status = { ...status, message: `${noGpuMessage}. (${status.message})` }
    }
  }
  return {
    takenAt: new Date().toISOString(),
    gpus,
    gpuStatus: status,
    cpu,
    memoryTotalBytes: mem.total,
    memoryAvailableBytes: mem.available,
    mode: gpus.length > 0 ? 'gpu' : 'cpu'
  }
}

/**
 * The snapshot as training will see it: GPUs the runtime's torch cannot use (a CPU-only build,
 * or a driver too old for its CUDA) stay listed, but the machine trains on the CPU ("cpu" mode)
 * and `gpuStatus` says why and how to get the CUDA runtime. The estimate, Auto and the device a
 * run queues on all follow the mode, so nothing plans for a GPU the run would not get.
 */
export function withTrainingRuntime(snapshot: HardwareSnapshot, python: PythonRuntimeStatus): HardwareSnapshot {
  if (snapshot.mode !== 'gpu') return snapshot
  const mismatch = runtimeGpuMismatch(python, snapshot.gpus.map((gpu) => gpu.name))
  if (!mismatch) return snapshot
  return { ...snapshot, mode: 'cpu', gpuStatus: { code: 'runtime-without-cuda', message: `${mismatch.message} Until then, LocalTune plans and trains on the CPU.`, action: mismatch.fix } }
}
