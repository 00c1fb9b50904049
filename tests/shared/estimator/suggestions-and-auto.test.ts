import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { autoSafetyMargin, chooseAutoParameters } from '../../../src/shared/estimator/auto-params'
import type { DeviceTarget } from '../../../src/shared/estimator/device-target'
import { availableBytes, DeviceTargetError, gpuTarget, namedGpuTarget } from '../../../src/shared/estimator/device-target'
import { estimateTraining } from '../../../src/shared/estimator/estimate-training'
import { parseModelConfigText } from '../../../src/shared/estimator/model-architecture'
import { suggestChanges } from '../../../src/shared/estimator/suggestions'
import { tinyDemoArchitecture } from '../../../src/shared/estimator/tiny-demo'
import { summariseTokenCounts } from '../../../src/shared/estimator/token-stats'
import { trainingParamsSchema } from '../../../src/shared/run-config'
import type { EstimateParams } from '../../../src/shared/estimator/training-params'
import { estimateVram } from '../../../src/shared/estimator/vram'

const fixtures = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../fixtures/models')
const sharedConfigs = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../../shared/data/model-configs')
const llama1b = parseModelConfigText(fs.readFileSync(path.join(fixtures, 'meta-llama--Llama-3.2-1B', 'config.json'), 'utf8'))
const llama8b = parseModelConfigText(fs.readFileSync(path.join(sharedConfigs, 'meta-llama--Llama-3.1-8B', 'config.json'), 'utf8'))
const GiB = 1024 ** 3
const rtx4090 = namedGpuTarget('RTX 4090', null)
const t4 = namedGpuTarget('T4', null)
const params: EstimateParams = { method: 'lora', precision: 'auto', max_length: 2048, micro_batch_size: 8, gradient_accumulation_steps: 2, epochs: 1, max_steps: null, lora: { r: 16, alpha: 32, dropout: 0.05, target_modules: 'all-linear' }, gradient_checkpointing: false, packing: true, attention: 'auto' }
const counts = Array.from({ length: 2000 }, (_, i) => 150 + ((i * 37) % 700))
const stats = summariseTokenCounts(counts, { approximate: false, method: 'test' })

describe('suggestChanges', () => {
  it('offers nothing when the run fits', () => {
    expect(suggestChanges({ model: llama1b, params: { ...params, micro_batch_size: 1, max_length: 512 }, device: rtx4090 })).toEqual([])
  })

  it('re-estimates each change, keeps the effective batch, and lists what fits first', () => {
    const suggestions = suggestChanges({ model: llama8b, params, device: rtx4090, tokenStats: stats })
    expect(suggestions.length).toBeGreaterThan(2)
    for (const suggestion of suggestions) {
      const again = estimateVram({ model: llama8b, params: suggestion.params, device: 'gpu', bf16Supported: true, longestExampleTokens: stats.maxTokens })
      expect(suggestion.newPeakBytes).toBe(again.requiredBytes)
      expect(suggestion.verdict === 'fits').toBe(again.requiredBytes <= 0.9 * availableBytes(rtx4090))
    }
    const microBatch = suggestions.filter((suggestion) => suggestion.change.startsWith('Micro batch'))
    expect(microBatch.length).toBeGreaterThan(0)
    for (const suggestion of microBatch) expect(suggestion.params.micro_batch_size * suggestion.params.gradient_accumulation_steps).toBe(16)
    const verdicts = suggestions.map((suggestion) => suggestion.verdict)
    expect(verdicts.indexOf('fits')).toBe(0)
    expect(verdicts.lastIndexOf('fits')).toBeLessThan(verdicts.indexOf('does-not-fit') === -1 ? Infinity : verdicts.indexOf('does-not-fit'))
    expect(suggestions.some((suggestion) => suggestion.params.gradient_checkpointing && !params.gradient_checkpointing)).toBe(true)
  })

  it('combines the savers when no single change is enough', () => {
    const tiny = namedGpuTarget(null, 20)
    const suggestions = suggestChanges({ model: llama8b, params: { ...params, micro_batch_size: 16, gradient_accumulation_steps: 1, max_length: 4096 }, device: tiny })
    const combined = suggestions.find((suggestion) => suggestion.change.startsWith('All together'))
    expect(combined?.params).toMatchObject({ gradient_checkpointing: true, micro_batch_size: 1, gradient_accumulation_steps: 16 })
  })
})

describe('chooseAutoParameters', () => {
  it('picks LoRA without checkpointing when it fits, within the safety margin, explaining every field', () => {
    const result = chooseAutoParameters({ model: llama1b, devices: [rtx4090], tokenStats: stats, datasetSize: 2000 })
    expect(result.withinMargin).toBe(true)
    expect(result.vram.requiredBytes).toBeLessThanOrEqual(autoSafetyMargin * availableBytes(rtx4090))
    expect(result.method).toBe('lora')
    expect(result.params).toMatchObject({ precision: 'bf16', packing: false, epochs: 2, learning_rate: 2e-4 })
    // run.json params, every field set: they validate against the runtime's schema.
    expect(trainingParamsSchema.safeParse(result.params).success).toBe(true)
    // max length: the longest example (849) is within 1.25 × p95, rounded up to 64 → 896
    expect(stats.maxTokens).toBe(849)
    expect(result.params.max_length).toBe(896)
    expect(result.params.micro_batch_size * result.params.gradient_accumulation_steps).toBe(16)
    const fields = result.choices.map((choice) => choice.field)
    for (const field of ['device', 'method', 'precision', 'max_length', 'micro_batch_size', 'gradient_accumulation_steps', 'gradient_checkpointing', 'epochs', 'learning_rate', 'warmup_steps', 'scheduler']) expect(fields).toContain(field)
    expect(result.choices.every((choice) => choice.reason.length > 10)).toBe(true)
  })

  it('uses what a verification measured: a peak over the estimate makes Auto choose less memory, and it says why', () => {
    const plain = chooseAutoParameters({ model: llama8b, devices: [rtx4090], tokenStats: stats, datasetSize: 2000 })
    // The scale that just fits Auto's choice without a measurement pushes it past the margin.
    const factor = (autoSafetyMargin * availableBytes(rtx4090)) / plain.vram.requiredBytes + 0.05
    const reason = 'Verified on this machine (LoRA, micro batch 4 × 896 tokens): the measured peak was +30 % above the estimate.'
    const measured = chooseAutoParameters({ model: llama8b, devices: [rtx4090], tokenStats: stats, datasetSize: 2000, memoryScale: { factor, reason } })
    expect(measured.withinMargin).toBe(true)
    expect(measured.vram.requiredBytes * factor).toBeLessThanOrEqual(autoSafetyMargin * availableBytes(rtx4090))
    expect(measured.vram.requiredBytes).toBeLessThan(plain.vram.requiredBytes)
    expect(measured.choices.find((choice) => choice.field === 'measured')).toEqual({ field: 'measured', value: `peak counted at ${factor.toFixed(2)}×`, reason })
    // A measurement below the estimate never makes Auto bolder than the estimate alone.
    const lower = chooseAutoParameters({ model: llama8b, devices: [rtx4090], tokenStats: stats, datasetSize: 2000, memoryScale: { factor: 0.7, reason: 'lower' } })
    expect(lower.params).toEqual(plain.params)
  })

  it('turns on checkpointing or QLoRA only when needed, and uses fp16 where there is no bf16', () => {
    const result = chooseAutoParameters({ model: llama8b, devices: [t4], tokenStats: stats, datasetSize: 2000 })
    expect(result.params.precision).toBe('fp16')
    expect(result.method).toBe('qlora')
    expect(result.params.gradient_checkpointing).toBe(true)
    expect(result.withinMargin).toBe(true)
    expect(result.choices.find((choice) => choice.field === 'method')?.reason).toMatch(/QLoRA/)
  })

  it('caps max length at the model\'s positions and uses the 95th percentile when the longest example is an outlier', () => {
    const outlier = summariseTokenCounts([...Array.from({ length: 99 }, () => 300), 100_000], { approximate: false, method: 'test' })
    const result = chooseAutoParameters({ model: llama1b, devices: [namedGpuTarget('H100', null)], tokenStats: outlier, datasetSize: 100 })
    expect(result.params.max_length).toBe(320)
    const capped = chooseAutoParameters({ model: { ...llama1b, maxPositionEmbeddings: 256 }, devices: [rtx4090], tokenStats: stats, datasetSize: 2000 })
    expect(capped.params.max_length).toBe(256)
    expect(capped.choices.find((choice) => choice.field === 'max_length')?.reason).toMatch(/capped at the model's 256 positions/)
  })

  it('trains the tiny demo fully on the CPU, and picks the GPU with the most free memory', () => {
    const cpu: DeviceTarget = { kind: 'cpu', label: 'CPU', memoryTotalBytes: 8 * GiB, cores: 4 }
    const demo = chooseAutoParameters({ model: tinyDemoArchitecture, devices: [cpu], tokenStats: stats, datasetSize: 2000 })
    expect(demo.method).toBe('full')
    expect(demo.params.precision).toBe('fp32')
    expect(demo.time?.lowSeconds).toBeGreaterThan(0)
    const busy = gpuTarget({ index: 0, name: 'NVIDIA GeForce RTX 4090', memoryTotalBytes: 24 * GiB, memoryUsedBytes: 20 * GiB, memoryFreeBytes: 4 * GiB, driverVersion: null, computeCapability: '8.9', utilizationPercent: 90, migEnabled: false, source: 'nvidia-smi' })
    const idle = gpuTarget({ index: 1, name: 'NVIDIA GeForce RTX 3090', memoryTotalBytes: 24 * GiB, memoryUsedBytes: 1 * GiB, memoryFreeBytes: 23 * GiB, driverVersion: null, computeCapability: '8.6', utilizationPercent: 0, migEnabled: false, source: 'nvidia-smi' })
    expect(chooseAutoParameters({ model: llama1b, devices: [busy, idle], tokenStats: stats, datasetSize: 2000 }).device.label).toBe('GPU 1: NVIDIA GeForce RTX 3090')
  })

  it('says so when nothing fits', () => {
    const result = chooseAutoParameters({ model: llama8b, devices: [namedGpuTarget(null, 4)], tokenStats: stats, datasetSize: 2000 })
    expect(result.withinMargin).toBe(false)
    expect(result.fit.verdict).toBe('does-not-fit')
    expect(result.choices.find((choice) => choice.field === 'method')?.reason).toMatch(/Nothing fits/)
  })
})

describe('estimateTraining and device targets', () => {
  it('judges every device, estimates time where the GPU is known, and points at the best device', () => {
    const unknownSpeed = namedGpuTarget('Mystery GPU 9000', 48)
    const result = estimateTraining({ model: llama1b, params: { ...params, micro_batch_size: 2 }, devices: [t4, unknownSpeed], tokenStats: stats })
    expect(result.devices.map((entry) => entry.device.label)).toEqual(['T4', 'Mystery GPU 9000 (48 GiB)'])
    expect(result.devices[0]?.time).not.toBeNull()
    expect(result.devices[1]?.time).toBeNull()
    expect(result.devices[1]?.timeUnavailable).toMatch(/not in the GPU speed table/)
    expect(result.best?.fit.ratio).toBe(Math.min(...result.devices.map((entry) => entry.fit.ratio)))
    const withoutData = estimateTraining({ model: llama1b, params, devices: [rtx4090] })
    expect(withoutData.devices[0]?.timeUnavailable).toMatch(/needs the dataset/)
  })

  it('subtracts memory other programs use on a detected GPU', () => {
    const gpu = gpuTarget({ index: 0, name: 'NVIDIA L4', memoryTotalBytes: 22.5 * GiB, memoryUsedBytes: 2.5 * GiB, memoryFreeBytes: 20 * GiB, driverVersion: '550.54.14', computeCapability: '8.9', utilizationPercent: 0, migEnabled: false, source: 'nvidia-smi' })
    expect(availableBytes(gpu)).toBe(20 * GiB)
    expect(gpu.kind === 'gpu' && gpu.spec?.name).toBe('L4')
  })

  it('refuses a GPU it cannot size', () => {
    expect(() => namedGpuTarget('Mystery GPU 9000', null)).toThrow(DeviceTargetError)
    expect(() => namedGpuTarget('Mystery GPU 9000', null)).toThrow(/not in LocalTune's GPU table\. Give its memory too/)
    expect(() => namedGpuTarget(null, -1)).toThrow(/positive number of GiB/)
    expect(namedGpuTarget('RTX 4090', 20).memoryTotalBytes).toBe(20 * GiB)
  })
})
