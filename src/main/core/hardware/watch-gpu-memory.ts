import type { GpuMemorySample } from '../../../shared/hardware/types'
import type { NvidiaSmiOptions } from './nvidia-smi'
import { gpuQueryArgs, parseGpuQuery, runNvidiaSmi } from './nvidia-smi'

const fields = ['index', 'memory.used', 'memory.total'] as const

/** One reading of every GPU's memory. Never throws: a failed reading carries `error`. */
export async function readGpuMemory(options: NvidiaSmiOptions = {}): Promise<GpuMemorySample> {
  const takenAt = new Date().toISOString()
  const run = await runNvidiaSmi(gpuQueryArgs(fields), options)
  if (run.kind === 'missing') return { takenAt, gpus: [], error: 'nvidia-smi was not found on the PATH.' }
  if (run.kind === 'timeout') return { takenAt, gpus: [], error: `nvidia-smi did not answer within ${run.timeoutMs} ms.` }
  if (run.kind === 'spawn-error') return { takenAt, gpus: [], error: `nvidia-smi could not be started: ${run.message}` }
  if (run.code !== 0) return { takenAt, gpus: [], error: `nvidia-smi failed (exit code ${run.code}).` }
  try {
    const gpus = parseGpuQuery(run.stdout, fields).map((gpu) => ({ index: gpu.index, memoryUsedBytes: gpu.memoryUsedBytes, memoryTotalBytes: gpu.memoryTotalBytes }))
    return { takenAt, gpus, error: null }
  } catch (error) {
    return { takenAt, gpus: [], error: `nvidia-smi printed something unreadable: ${(error as Error).message}` }
  }
}

/**
 * Polls GPU memory every `intervalMs` (the next reading starts after the previous one ended,
 * so a slow nvidia-smi never piles up processes) and calls `onSample` with each reading.
 * Returns `stop`; its promise resolves once no reading is in flight and none will follow.
 */
export function watchGpuMemory(intervalMs: number, onSample: (sample: GpuMemorySample) => void, options: NvidiaSmiOptions = {}): () => Promise<void> {
  if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new RangeError(`watchGpuMemory: intervalMs must be a positive number of milliseconds (got ${intervalMs}).`)
  let stopped = false
  let timer: NodeJS.Timeout | null = null
  let inFlight: Promise<void> | null = null

  const poll = (): void => {
    timer = null
    inFlight = readGpuMemory(options).then((sample) => {
      inFlight = null
      if (stopped) return
      onSample(sample)
      if (!stopped) timer = setTimeout(poll, intervalMs)
    })
  }
  poll()

  return async () => {
    stopped = true
    if (timer) clearTimeout(timer)
    timer = null
    if (inFlight) await inFlight
  }
}
