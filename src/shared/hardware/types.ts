/**
 * What LocalTune knows about the machine: NVIDIA GPUs (from nvidia-smi, or systeminformation
 * when nvidia-smi cannot answer), the CPU and RAM. Plain data, so the UI, the CLI and the
 * estimator all read the same snapshot.
 */

export interface GpuInfo {
  /** nvidia-smi's index (CUDA_VISIBLE_DEVICES numbering). */
  index: number
  name: string
  memoryTotalBytes: number
  /** Null when the driver does not report it (e.g. "[N/A]" on MIG-enabled GPUs). */
  memoryUsedBytes: number | null
  memoryFreeBytes: number | null
  driverVersion: string | null
  /** "8.9" etc.; null when unknown. */
  computeCapability: string | null
  utilizationPercent: number | null
  /** MIG mode: utilisation and per-process memory are reported per instance, not per GPU. */
  migEnabled: boolean
  source: 'nvidia-smi' | 'systeminformation'
}

/**
 * Why there is or is not a usable GPU, for the user:
 * - ok: nvidia-smi listed the GPUs.
 * - no-nvidia-gpu: nothing found; training runs on the CPU (the demo, and small real models slowly).
 * - nvidia-smi-missing / -timeout / -failed / -unreadable: the driver tool could not answer;
 *   `action` says what to do.
 * - runtime-without-cuda: nvidia-smi lists GPUs, but the training runtime's torch cannot use
 *   them (a CPU-only build, or a driver too old for its CUDA); training runs on the CPU until
 *   the CUDA runtime is set up.
 */
export type GpuDetectionCode = 'ok' | 'no-nvidia-gpu' | 'nvidia-smi-missing' | 'nvidia-smi-timeout' | 'nvidia-smi-failed' | 'nvidia-smi-unreadable' | 'runtime-without-cuda'

export interface GpuDetectionStatus {
  code: GpuDetectionCode
  message: string
  /** What the user can do; null when nothing is needed. */
  action: string | null
}

export interface CpuInfo {
  model: string
  physicalCores: number
  logicalCores: number
  /**
   * Native bf16 arithmetic (x86 AVX512-BF16 or AMX-BF16, Arm BF16), from the CPU's flags; null or
   * left out when the flags are unknown. Pure-bf16 training without it runs about 50× slower.
   */
  bf16Native?: boolean | null
}

export interface HardwareSnapshot {
  takenAt: string
  gpus: GpuInfo[]
  gpuStatus: GpuDetectionStatus
  cpu: CpuInfo
  memoryTotalBytes: number
  memoryAvailableBytes: number
  /**
   * "gpu" when at least one NVIDIA GPU can train; "cpu" otherwise: no GPU, or GPUs the training
   * runtime cannot use (`gpus` still lists them then, and `gpuStatus` says why).
   */
  mode: 'gpu' | 'cpu'
}

/**
 * Said wherever a machine without an NVIDIA GPU is described (doctor, the welcome screen, the
 * Parameters screen), so every place says the same thing.
 */
export const noGpuMessage =
  'No NVIDIA GPU found: training runs on the CPU. The built-in demo takes a minute or two; small real models (up to about 1B parameters) train too, slowly (the estimate shows how long); larger models need an NVIDIA GPU'

/** One reading of GPU memory, for the live chart while training. */
export interface GpuMemorySample {
  takenAt: string
  gpus: Array<{ index: number; memoryUsedBytes: number | null; memoryTotalBytes: number }>
  /** Set when this reading failed (the poller keeps going). */
  error: string | null
}
