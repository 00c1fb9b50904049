import { afterEach, describe, expect, it } from 'vitest'
import { dispatchContractCall } from '../../../../src/main/core/contract-dispatch'
import { createCore, type Core } from '../../../../src/main/core/create-core'
import type { SystemInfoSource } from '../../../../src/main/core/hardware/detect-hardware'
import type { PythonRuntimeStatus } from '../../../../src/shared/contract'
import { targetsFromSnapshot } from '../../../../src/shared/estimator'
import type { GpuMemorySample } from '../../../../src/shared/hardware/types'
import { makeTempHome } from '../../../helpers/temp-home'
import { fakeNvidiaSmi, pathWithoutNvidiaSmi } from './fake-nvidia-smi'
import { noGpuMessage } from '../../../../src/shared/hardware/types'

const GiB = 1024 ** 3
const systemInfo: SystemInfoSource = {
  graphics: async () => ({ controllers: [] }),
  cpu: async () => ({ manufacturer: 'AMD', brand: 'Ryzen 9 7950X', physicalCores: 16, cores: 32 }),
  mem: async () => ({ total: 64 * GiB, available: 48 * GiB })
}

const cleanups: Array<() => void> = []
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()?.()
})

/** A training runtime as discovery reports it: torch with CUDA (the GPU test machine), or a CPU-only build. */
function runtimeWith(cuda: boolean): PythonRuntimeStatus {
  return {
    found: true,
    executable: '/opt/venv/bin/python',
    source: 'app-venv',
    pythonVersion: '3.12.3',
    torchVersion: cuda ? '2.13.0+cu128' : '2.13.0+cpu',
    cudaAvailable: cuda,
    cudaVersion: cuda ? '12.8' : null,
    packages: { transformers: '5.18.0', peft: '0.21.0' },
    gpus: cuda ? [{ index: 0, name: 'NVIDIA GeForce RTX 4090', totalMemoryBytes: 24 * GiB, freeMemoryBytes: 23 * GiB, bf16Supported: true, computeCapability: '8.9' }] : [],
    tried: [],
    problem: null,
    fix: null
  }
}

function coreWith(env: NodeJS.ProcessEnv, lease?: { intervalMs: number; leaseMs: number }, runtime: PythonRuntimeStatus = runtimeWith(true)): Core {
  const temp = makeTempHome()
  const core = createCore({ home: temp.home, env: { ...env, LOCALTUNE_HOME: temp.home }, hardware: { detect: { systemInfo }, pythonRuntime: async () => runtime, ...(lease ? { lease } : {}) } })
  cleanups.push(temp.cleanup, () => core.close())
  return core
}

describe.skipIf(process.platform === 'win32')('hardware.* channels', () => {
  it('hardware.snapshot answers with the GPUs nvidia-smi lists, and the CPU and RAM', async () => {
    const smi = fakeNvidiaSmi({ fixture: 'one-gpu.csv' })
    cleanups.push(smi.cleanup)
    const core = coreWith(smi.env)
    const envelope = await dispatchContractCall(core.handlers, 'hardware.snapshot', {})
    expect(envelope.ok).toBe(true)
    const snapshot = (envelope as { value: Awaited<ReturnType<Core['handlers']['hardware.snapshot']>> }).value
    expect(snapshot.mode).toBe('gpu')
    expect(snapshot.gpus[0]).toMatchObject({ index: 0, name: 'NVIDIA GeForce RTX 4090', computeCapability: '8.9', driverVersion: '550.54.14', utilizationPercent: 4 })
    expect(snapshot.cpu.model).toBe('AMD Ryzen 9 7950X')
    expect(snapshot.memoryTotalBytes).toBe(64 * GiB)
    // A second call within a few seconds reuses the detection; refresh asks again.
    await core.handlers['hardware.snapshot']({ refresh: false })
    const calls = smi.calls().length
    await core.handlers['hardware.snapshot']({ refresh: true })
    expect(smi.calls().length).toBe(calls + 1)
  })

  it('a CPU-only torch on a machine with an NVIDIA GPU: the GPU is listed, but the plan is the CPU, and the status says how to get CUDA', async () => {
    const smi = fakeNvidiaSmi({ fixture: 'one-gpu.csv' })
    cleanups.push(smi.cleanup)
    const core = coreWith(smi.env, undefined, runtimeWith(false))
    const snapshot = await core.handlers['hardware.snapshot']({ refresh: false })
    expect(snapshot.gpus.map((gpu) => gpu.name)).toEqual(['NVIDIA GeForce RTX 4090'])
    expect(snapshot.mode).toBe('cpu')
    expect(snapshot.gpuStatus.code).toBe('runtime-without-cuda')
    expect(snapshot.gpuStatus.message).toContain("The training runtime's torch 2.13.0+cpu in /opt/venv/bin/python is a CPU-only build, but this machine has an NVIDIA GPU (NVIDIA GeForce RTX 4090)")
    expect(snapshot.gpuStatus.action).toContain('localtune setup-runtime --cuda --fresh')
    // Auto, the estimate and the device of a run follow the mode: the CPU, in fp32.
    expect(targetsFromSnapshot(snapshot).map((device) => device.kind)).toEqual(['cpu'])
  })

  it('says plainly that there is no NVIDIA GPU and the demo trains on the CPU', async () => {
    const none = pathWithoutNvidiaSmi()
    cleanups.push(none.cleanup)
    const core = coreWith(none.env)
    const snapshot = await core.handlers['hardware.snapshot']({ refresh: false })
    expect(snapshot.mode).toBe('cpu')
    expect(snapshot.gpus).toEqual([])
    expect(snapshot.gpuStatus.message).toContain(noGpuMessage)
  })

  it('hardware.watch streams hardware.vram readings while a panel holds its lease, and stops when it is given back', async () => {
    const smi = fakeNvidiaSmi({ script: 'echo "0, 2048, 24564"' })
    cleanups.push(smi.cleanup)
    const core = coreWith(smi.env, { intervalMs: 20, leaseMs: 60_000 })
    const samples: GpuMemorySample[] = []
    core.events.subscribe((event, payload) => {
      if (event === 'hardware.vram') samples.push(payload as GpuMemorySample)
    })
    const answer = await dispatchContractCall(core.handlers, 'hardware.watch', { on: true, watcherId: 'panel-1' })
    expect(answer).toEqual({ ok: true, value: { watching: true, intervalMs: 20, leaseMs: 60_000 } })
    await expect.poll(() => samples.length, { timeout: 5000 }).toBeGreaterThanOrEqual(2)
    expect(samples[0]?.gpus[0]).toEqual({ index: 0, memoryUsedBytes: 2048 * 1024 ** 2, memoryTotalBytes: 24564 * 1024 ** 2 })
    const off = await core.handlers['hardware.watch']({ on: false, watcherId: 'panel-1' })
    expect(off.watching).toBe(false)
    // A reading already started when the lease ended may still land; then nothing new starts.
    await new Promise((resolve) => setTimeout(resolve, 100))
    const after = smi.calls().length
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(smi.calls().length).toBe(after)
  })
})
