import { describe, expect, it } from 'vitest'
import fs from 'node:fs'
import path from 'node:path'
import { parseModelConfigText, summariseTokenCounts, tinyDemoEntry } from '../../../../src/shared/estimator'
import type { HardwareSnapshot } from '../../../../src/shared/hardware/types'
import { deriveEstimateView, type ReadyEstimate } from '../../../../src/renderer/features/parameters/estimate-view'
import { choosableGpus, effectiveBatch, gpuSetSize, runDeviceChoice } from '../../../../src/renderer/features/parameters/gpu-set'

const GiB = 1024 ** 3
const gpu = (index: number) => ({
  index, name: 'NVIDIA A100', memoryTotalBytes: 80 * GiB, memoryUsedBytes: GiB, memoryFreeBytes: 79 * GiB, driverVersion: '550', computeCapability: '8.0', utilizationPercent: 0, migEnabled: false, source: 'nvidia-smi' as const
})
const machine = (gpus: number): HardwareSnapshot => ({
  takenAt: '2026-12-03T00:00:00Z',
  gpus: Array.from({ length: gpus }, (_, index) => gpu(index)),
  gpuStatus: gpus > 0 ? { code: 'ok', message: `${gpus} NVIDIA GPUs`, action: null } : { code: 'no-nvidia-gpu', message: 'No NVIDIA GPU found', action: null },
  cpu: { model: 'Test CPU', physicalCores: 16, logicalCores: 32 },
  memoryTotalBytes: 256 * GiB,
  memoryAvailableBytes: 200 * GiB,
  mode: gpus > 0 ? 'gpu' : 'cpu'
})
const stats = summariseTokenCounts(Array.from({ length: 200 }, (_, i) => 100 + ((i * 37) % 300)), { approximate: false, method: 'test counts' })

function readyOn(snapshot: HardwareSnapshot): ReadyEstimate {
  const view = deriveEstimateView({
    entry: { ...tinyDemoEntry(), displayName: 'demo' }, snapshot, tokenStats: stats, trainExamples: 200, datasetMode: 'chat', trainOnResponseOnly: true,
    mode: 'auto', manual: null, deviceKey: null
  })
  if (view.kind !== 'ready') throw new Error(`estimate not ready: ${JSON.stringify(view)}`)
  return view
}

describe('the GPUs a run trains on', () => {
  it('is offered only on a machine with more than one GPU', () => {
    expect(choosableGpus(machine(0))).toEqual([])
    expect(choosableGpus(machine(1))).toEqual([])
    expect(choosableGpus(machine(4))).toEqual([0, 1, 2, 3])
    expect(choosableGpus(null)).toEqual([])
  })

  it('becomes the device choice projects.start-run takes: the estimate’s GPU, all, or the set ticked', () => {
    const view = readyOn(machine(4))
    expect(view.chosen.device.kind).toBe('gpu')
    const estimated = runDeviceChoice(view, 'one')
    expect(estimated).toMatchObject({ kind: 'gpu' })
    expect(runDeviceChoice(view, 'all')).toEqual({ kind: 'gpus', indices: 'all' })
    expect(runDeviceChoice(view, [3, 1, 3])).toEqual({ kind: 'gpus', indices: [1, 3] })
    expect(runDeviceChoice(view, [2])).toEqual({ kind: 'gpu', index: 2 })
    // Nothing ticked: the estimate's own device, never an empty set.
    expect(runDeviceChoice(view, [])).toEqual(estimated)
  })

  it('keeps a run the estimate put on the CPU on the CPU', () => {
    const view = readyOn(machine(0))
    expect(view.chosen.device.kind).toBe('cpu')
    expect(runDeviceChoice(view, 'all')).toEqual({ kind: 'cpu' })
    expect(runDeviceChoice(view, [0, 1])).toEqual({ kind: 'cpu' })
  })

  it('counts ranks and the effective batch: micro batch × accumulation × ranks', () => {
    expect(gpuSetSize('one', 8)).toBe(1)
    expect(gpuSetSize('all', 8)).toBe(8)
    expect(gpuSetSize([0, 2, 2], 8)).toBe(2)
    expect(effectiveBatch({ micro_batch_size: 4, gradient_accumulation_steps: 2 }, 4)).toBe(32)
  })

  describe('the estimate for several GPUs', () => {
    const configs = path.resolve(import.meta.dirname, '../../../../../shared/data/model-configs')
    const llama8b = parseModelConfigText(fs.readFileSync(path.join(configs, 'meta-llama--Llama-3.1-8B', 'config.json'), 'utf8'))
    const entry = { ...tinyDemoEntry(), id: 'meta-llama/Llama-3.1-8B', displayName: 'Llama 3.1 8B', source: 'hf-cache' as const, path: '/cache/llama', architecture: llama8b, parameters: null, isDemo: false, cpuCapable: false }
    const long = summariseTokenCounts(Array.from({ length: 20000 }, (_, i) => 300 + ((i * 37) % 700)), { approximate: false, method: 'test counts' })
    const view = (patch: { mode?: 'auto' | 'manual'; ranks?: number; autoMaxRanks?: number }): ReadyEstimate => {
      const derived = deriveEstimateView({ entry, snapshot: machine(4), tokenStats: long, trainExamples: 20000, datasetMode: 'chat', trainOnResponseOnly: true, mode: 'auto', manual: null, deviceKey: null, ...patch })
      if (derived.kind !== 'ready') throw new Error(`estimate not ready: ${JSON.stringify(derived)}`)
      return derived
    }

    it("left to Auto, a long run splits over the machine's GPUs, and the run starts on Auto's GPUs", () => {
      const split = view({ autoMaxRanks: 4 })
      expect(split.auto.ranks).toBeGreaterThan(1)
      expect(split.ranks).toBe(split.auto.ranks)
      expect(split.autoGpuIndices).toHaveLength(split.ranks)
      expect(split.chosen.vram.ranks).toBe(split.ranks)
      expect(split.chosen.time?.ranks).toBe(split.ranks)
      expect(runDeviceChoice(split, 'one')).toEqual({ kind: 'gpus', indices: [...(split.autoGpuIndices as number[])].sort((a, b) => a - b) })
      // Without leave to split, the same inputs train on one GPU.
      const single = view({ autoMaxRanks: 1 })
      expect(single.ranks).toBe(1)
      expect(single.autoGpuIndices).toBeNull()
      expect(runDeviceChoice(single, 'one')).toMatchObject({ kind: 'gpu' })
    })

    it('the GPUs the user chose set the ranks of the estimate (per GPU, time for all), and the signature changes with them', () => {
      const one = view({ mode: 'manual', ranks: 1 })
      const two = view({ mode: 'manual', ranks: 2 })
      expect(two.ranks).toBe(2)
      expect(two.chosen.vram.ranks).toBe(2)
      expect(two.chosen.vram.parallelism).toBe('ddp')
      expect(two.chosen.time!.highSeconds).toBeLessThan(one.chosen.time!.highSeconds)
      expect(two.signature).not.toBe(one.signature)
    })
  })
})
