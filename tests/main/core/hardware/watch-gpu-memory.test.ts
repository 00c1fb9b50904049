import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { readGpuMemory, watchGpuMemory } from '../../../../src/main/core/hardware/watch-gpu-memory'
import type { GpuMemorySample } from '../../../../src/shared/hardware/types'
import { fakeNvidiaSmi } from './fake-nvidia-smi'

const MiB = 1024 ** 2
const cleanups: Array<() => void> = []
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()?.()
})

describe.skipIf(process.platform === 'win32')('watchGpuMemory', () => {
  it('streams readings of a GPU whose memory grows, and stops cleanly', async () => {
    // Each call reports 1000 MiB more than the last, as a training run filling the GPU would.
    const smi = fakeNvidiaSmi({
      script: 'n=$(cat "$(dirname "$0")/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$(dirname "$0")/count"\necho "0, $((n*1000)), 24564"\necho "1, 7, 24564"'
    })
    cleanups.push(smi.cleanup)
    const samples: GpuMemorySample[] = []
    let stop: () => Promise<void> = async () => {}
    await new Promise<void>((resolve) => {
      stop = watchGpuMemory(5, (sample) => {
        samples.push(sample)
        if (samples.length === 3) resolve()
      }, { env: smi.env })
    })
    await stop()
    const afterStop = samples.length
    expect(afterStop).toBe(3)
    expect(samples.map((sample) => sample.gpus[0]?.memoryUsedBytes)).toEqual([1000 * MiB, 2000 * MiB, 3000 * MiB])
    expect(samples[0]?.gpus[1]).toEqual({ index: 1, memoryUsedBytes: 7 * MiB, memoryTotalBytes: 24564 * MiB })
    expect(samples.every((sample) => sample.error === null)).toBe(true)
    expect(smi.calls()[0]).toBe('--query-gpu=index,memory.used,memory.total --format=csv,noheader,nounits')
    // Stopped means no further reading is delivered, even after more nvidia-smi calls elsewhere.
    await readGpuMemory({ env: smi.env })
    expect(samples.length).toBe(afterStop)
    expect(Number(fs.readFileSync(path.join(smi.dir, 'count'), 'utf8'))).toBe(4)
  })

  it('keeps polling through a failed reading and reports it in the sample', async () => {
    const smi = fakeNvidiaSmi({ script: 'echo "garbage"' })
    cleanups.push(smi.cleanup)
    const sample = await readGpuMemory({ env: smi.env })
    expect(sample.gpus).toEqual([])
    expect(sample.error).toMatch(/unreadable/)
  })

  it('refuses a non-positive interval', () => {
    expect(() => watchGpuMemory(0, () => {})).toThrow(/intervalMs must be a positive number/)
  })
})
