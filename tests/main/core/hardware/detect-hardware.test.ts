import { afterEach, describe, expect, it } from 'vitest'
import { bf16FromFlags, detectHardware } from '../../../../src/main/core/hardware/detect-hardware'
import type { SystemInfoSource } from '../../../../src/main/core/hardware/detect-hardware'
import { queryGpus } from '../../../../src/main/core/hardware/nvidia-smi'
import type { FakeNvidiaSmi } from './fake-nvidia-smi'
import { fakeNvidiaSmi, pathWithoutNvidiaSmi } from './fake-nvidia-smi'
import { noGpuMessage } from '../../../../src/shared/hardware/types'

const MiB = 1024 ** 2
const cleanups: Array<() => void> = []
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()?.()
})

function fake(behaviour: Parameters<typeof fakeNvidiaSmi>[0]): FakeNvidiaSmi {
  const smi = fakeNvidiaSmi(behaviour)
  cleanups.push(smi.cleanup)
  return smi
}

/** CPU/RAM as a machine would report them, and the display controllers it lists without nvidia-smi. */
function systemWith(controllers: Awaited<ReturnType<SystemInfoSource['graphics']>>['controllers']): SystemInfoSource {
  return {
    graphics: async () => ({ controllers }),
    cpu: async () => ({ manufacturer: 'AMD', brand: 'Ryzen 9 7950X', physicalCores: 16, cores: 32 }),
    mem: async () => ({ total: 64 * 1024 ** 3, available: 50 * 1024 ** 3 })
  }
}

describe.skipIf(process.platform === 'win32')('GPU detection with nvidia-smi', () => {
  it('reads one GPU with every field, asking exactly the documented query', async () => {
    const smi = fake({ fixture: 'one-gpu.csv' })
    const result = await queryGpus({ env: smi.env })
    expect(result.status.code).toBe('ok')
    expect(result.gpus).toEqual([
      {
        index: 0,
        name: 'NVIDIA GeForce RTX 4090',
        memoryTotalBytes: 24564 * MiB,
        memoryUsedBytes: 1187 * MiB,
        memoryFreeBytes: 23008 * MiB,
        driverVersion: '550.54.14',
        computeCapability: '8.9',
        utilizationPercent: 4,
        migEnabled: false,
        source: 'nvidia-smi'
      }
    ])
    expect(smi.calls()).toEqual(['--query-gpu=index,name,memory.total,memory.used,memory.free,driver_version,compute_cap,utilization.gpu --format=csv,noheader,nounits'])
  })

  it('lists several GPUs in index order with their own memory', async () => {
    const smi = fake({ fixture: 'several-gpus.csv' })
    const result = await queryGpus({ env: smi.env })
    expect(result.gpus.map((gpu) => [gpu.index, gpu.name, gpu.memoryTotalBytes / MiB, gpu.computeCapability])).toEqual([
      [0, 'NVIDIA A100-SXM4-80GB', 81920, '8.0'],
      [1, 'NVIDIA RTX A6000', 49140, '8.6'],
      [2, 'Tesla T4', 15360, '7.5']
    ])
    expect(result.status.message).toContain('3 NVIDIA GPUs')
  })

  it('reads MIG output: [N/A] utilisation becomes null and the GPU is marked, with a warning about instance memory', async () => {
    const smi = fake({ fixture: 'mig.csv' })
    const result = await queryGpus({ env: smi.env })
    expect(result.status.code).toBe('ok')
    expect(result.gpus[0]).toMatchObject({ index: 0, utilizationPercent: null, migEnabled: true, memoryUsedBytes: 37 * MiB })
    expect(result.gpus[1]).toMatchObject({ index: 1, utilizationPercent: 0, migEnabled: false })
    expect(result.status.message).toMatch(/MIG is enabled.*instance's memory/)
  })

  it('says what to do when the output is not the CSV it asked for', async () => {
    const smi = fake({ fixture: 'malformed.csv' })
    const result = await queryGpus({ env: smi.env })
    expect(result.gpus).toEqual([])
    expect(result.status.code).toBe('nvidia-smi-unreadable')
    expect(result.status.message).toContain('GPU 0: NVIDIA GeForce RTX 3090')
    expect(result.status.action).toMatch(/Run `nvidia-smi` in a terminal/)
  })

  it('kills a hanging nvidia-smi after the timeout and reports it', async () => {
    const smi = fake({ hang: true, fixture: 'one-gpu.csv' })
    const result = await queryGpus({ env: smi.env, timeoutMs: 300 })
    expect(result.status.code).toBe('nvidia-smi-timeout')
    expect(result.status.message).toContain('did not answer within 0.3 s')
    expect(result.status.action).toMatch(/restart/i)
  })

  it('reports a missing nvidia-smi with the fix', async () => {
    const bare = pathWithoutNvidiaSmi()
    cleanups.push(bare.cleanup)
    const result = await queryGpus({ env: bare.env })
    expect(result.status.code).toBe('nvidia-smi-missing')
    expect(result.status.action).toMatch(/install the NVIDIA driver/)
  })

  it('treats "No devices were found" as no GPU, not as a failure', async () => {
    const smi = fake({ fixture: 'no-devices.txt', exitCode: 6 })
    const result = await queryGpus({ env: smi.env })
    expect(result.status.code).toBe('no-nvidia-gpu')
    expect(result.status.message).toBe(noGpuMessage)
    // Not a dead end: it says that real models train on the CPU too, and when a GPU is needed.
    expect(noGpuMessage).toContain('training runs on the CPU')
    expect(noGpuMessage).toContain('small real models (up to about 1B parameters) train too')
  })

  it('explains a driver that is not running', async () => {
    const smi = fake({ fixture: 'driver-failure.txt', exitCode: 9 })
    const result = await queryGpus({ env: smi.env })
    expect(result.status.code).toBe('nvidia-smi-failed')
    expect(result.status.message).toContain('exit code 9')
    expect(result.status.message).toContain("couldn't communicate with the NVIDIA driver")
    expect(result.status.action).toMatch(/driver is not working/)
  })

  it('asks again without compute_cap when an old driver rejects that field', async () => {
    const smi = fake({ whenArgsContain: { text: 'compute_cap', fixture: 'old-driver-compute-cap.txt', exitCode: 2 }, fixture: 'old-driver-without-compute-cap.csv' })
    const result = await queryGpus({ env: smi.env })
    expect(result.status.code).toBe('ok')
    expect(result.gpus[0]).toMatchObject({ name: 'NVIDIA GeForce GTX 1080 Ti', computeCapability: null, utilizationPercent: 1, memoryTotalBytes: 11264 * MiB })
    expect(smi.calls()).toHaveLength(2)
    expect(smi.calls()[1]).not.toContain('compute_cap')
  })
})

describe.skipIf(process.platform === 'win32')('detectHardware', () => {
  it('combines nvidia-smi GPUs with CPU and RAM and is in GPU mode', async () => {
    const smi = fake({ fixture: 'several-gpus.csv' })
    const snapshot = await detectHardware({ env: smi.env, systemInfo: systemWith([]) })
    expect(snapshot.mode).toBe('gpu')
    expect(snapshot.gpus).toHaveLength(3)
    // No flags from this source: whether it has native bf16 is unknown.
    expect(snapshot.cpu).toEqual({ model: 'AMD Ryzen 9 7950X', physicalCores: 16, logicalCores: 32, bf16Native: null })
    expect(snapshot.memoryTotalBytes).toBe(64 * 1024 ** 3)
    expect(Date.parse(snapshot.takenAt)).not.toBeNaN()
  })

  it('says plainly that the demo trains on the CPU when there is no NVIDIA GPU at all', async () => {
    const bare = pathWithoutNvidiaSmi()
    cleanups.push(bare.cleanup)
    const snapshot = await detectHardware({ env: bare.env, systemInfo: systemWith([{ vendor: 'Intel Corporation', model: 'UHD Graphics 770', vram: 0 }]) })
    expect(snapshot.mode).toBe('cpu')
    expect(snapshot.gpus).toEqual([])
    expect(snapshot.gpuStatus.message).toContain(noGpuMessage)
  })

  it('falls back to the system device list when nvidia-smi is not on the PATH but the card is known', async () => {
    const bare = pathWithoutNvidiaSmi()
    cleanups.push(bare.cleanup)
    const snapshot = await detectHardware({ env: bare.env, systemInfo: systemWith([{ vendor: 'NVIDIA', model: 'NVIDIA GeForce RTX 3060', vram: 12288, memoryTotal: 12288, memoryUsed: 512, memoryFree: 11776, driverVersion: '552.22' }]) })
    expect(snapshot.mode).toBe('gpu')
    expect(snapshot.gpus).toEqual([expect.objectContaining({ name: 'NVIDIA GeForce RTX 3060', memoryTotalBytes: 12288 * MiB, memoryUsedBytes: 512 * MiB, source: 'systeminformation' })])
    expect(snapshot.gpuStatus.code).toBe('nvidia-smi-missing')
    expect(snapshot.gpuStatus.message).toContain('through the system\'s device list')
  })

  it('keeps CPU mode when the driver fails even though the system lists the card', async () => {
    const smi = fake({ fixture: 'driver-failure.txt', exitCode: 9 })
    const snapshot = await detectHardware({ env: smi.env, systemInfo: systemWith([{ vendor: 'NVIDIA Corporation', model: 'GA102 [GeForce RTX 3090]', vram: 24576 }]) })
    expect(snapshot.mode).toBe('cpu')
    expect(snapshot.gpuStatus.code).toBe('nvidia-smi-failed')
    expect(snapshot.gpuStatus.message).toContain('GA102 [GeForce RTX 3090]')
  })

  it('reads the real CPU and RAM through systeminformation', async () => {
    const smi = fake({ fixture: 'one-gpu.csv' })
    const snapshot = await detectHardware({ env: smi.env })
    expect(snapshot.cpu.logicalCores).toBeGreaterThan(0)
    expect(snapshot.cpu.physicalCores).toBeGreaterThan(0)
    // Linux lists the CPU's flags, so native bf16 is known either way.
    if (process.platform === 'linux') expect(typeof snapshot.cpu.bf16Native).toBe('boolean')
    expect(snapshot.memoryTotalBytes).toBeGreaterThan(snapshot.memoryAvailableBytes * 0.5)
    expect(snapshot.gpus[0]?.name).toBe('NVIDIA GeForce RTX 4090')
  })
})

describe('native bf16 on the CPU, from its flags', () => {
  it('knows AVX512-BF16 and AMX on x86 and BF16 on Arm; plain AVX2 has none; no flags is unknown', () => {
    expect(bf16FromFlags('fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni')).toBe(true)
    expect(bf16FromFlags('fpu avx2 amx_bf16 amx_tile')).toBe(true)
    expect(bf16FromFlags('fp asimd sve bf16 i8mm')).toBe(true)
    expect(bf16FromFlags('fpu sse2 avx2 fma f16c')).toBe(false)
    expect(bf16FromFlags('')).toBeNull()
    expect(bf16FromFlags(undefined)).toBeNull()
  })
})
