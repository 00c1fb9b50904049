import type { ContractHandlers } from '../../../shared/contract'
import type { HardwareSnapshot } from '../../../shared/hardware/types'
import type { EventHub } from '../event-hub'
import type { PythonRuntimeStatus } from '../../../shared/contract'
import { detectHardware, withTrainingRuntime, type DetectHardwareOptions } from './detect-hardware'
import { watchGpuMemory } from './watch-gpu-memory'
import { GpuMemoryLease, type GpuMemoryLeaseOptions } from './gpu-memory-lease'

type HardwareChannels = 'hardware.snapshot' | 'hardware.watch'

export interface HardwareService {
  handlers: Pick<ContractHandlers, HardwareChannels>
  /** The latest snapshot (detected once, then again on refresh or when it is old). */
  snapshot(refresh?: boolean): Promise<HardwareSnapshot>
  close(): Promise<void>
}

export interface HardwareServiceOptions {
  env: NodeJS.ProcessEnv
  events: EventHub
  detect?: DetectHardwareOptions
  lease?: GpuMemoryLeaseOptions
  /** A snapshot older than this is taken again (memory in use changes as programs come and go). */
  maxAgeMs?: number
  /**
   * The training runtime: GPUs its torch cannot use are shown but not planned for (see
   * withTrainingRuntime). Without it the snapshot is the hardware alone.
   */
  pythonRuntime?: () => Promise<PythonRuntimeStatus>
}

/**
 * hardware.snapshot and hardware.watch over the hardware core. Detection runs nvidia-smi and
 * systeminformation (a second or so), so a recent snapshot is reused and concurrent callers
 * share one detection.
 */
export function hardwareService(options: HardwareServiceOptions): HardwareService {
  const maxAgeMs = options.maxAgeMs ?? 10_000
  let current: { promise: Promise<HardwareSnapshot>; at: number } | null = null
  const detectOptions: DetectHardwareOptions = { env: options.env, ...options.detect }

  const snapshot = (refresh = false): Promise<HardwareSnapshot> => {
    if (!current || refresh || Date.now() - current.at > maxAgeMs) {
      const runtime = options.pythonRuntime
      const promise = runtime
        ? Promise.all([detectHardware(detectOptions), runtime()]).then(([hardware, python]) => withTrainingRuntime(hardware, python))
        : detectHardware(detectOptions)
      current = { promise, at: Date.now() }
      // A failed detection must not be served from the cache forever.
      promise.catch(() => {
        if (current?.promise === promise) current = null
      })
    }
    return current.promise
  }

  const lease = new GpuMemoryLease(
    (intervalMs, onSample) => watchGpuMemory(intervalMs, onSample, detectOptions),
    (sample) => options.events.publish('hardware.vram', sample),
    options.lease
  )

  return {
    snapshot,
    close: () => lease.close(),
    handlers: {
      'hardware.snapshot': ({ refresh }) => snapshot(refresh),
      'hardware.watch': async ({ on, watcherId }) => ({ watching: lease.watch(watcherId, on), intervalMs: lease.intervalMs, leaseMs: lease.leaseMs })
    }
  }
}
