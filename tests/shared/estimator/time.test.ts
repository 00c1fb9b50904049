import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { matchGpuSpec } from '../../../src/shared/estimator/gpu-specs'
import type { GpuSpec } from '../../../src/shared/estimator/gpu-specs'
import { parseModelConfigText } from '../../../src/shared/estimator/model-architecture'
import { countParameters } from '../../../src/shared/estimator/model-layers'
import { cpuBf16SpeedFactor, estimateTime, flopsPerToken, gpuUtilisation } from '../../../src/shared/estimator/time'
import { tinyDemoArchitecture } from '../../../src/shared/estimator/tiny-demo'
import type { EstimateParams } from '../../../src/shared/estimator/training-params'

const fixtures = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../fixtures/models')
const llama1b = parseModelConfigText(fs.readFileSync(path.join(fixtures, 'meta-llama--Llama-3.2-1B', 'config.json'), 'utf8'))
const rtx4090 = matchGpuSpec('RTX 4090') as GpuSpec
const params: EstimateParams = { method: 'lora', precision: 'bf16', max_length: 1024, micro_batch_size: 1, gradient_accumulation_steps: 8, epochs: 2, max_steps: null, lora: { r: 16, alpha: 32, dropout: 0.05, target_modules: 'all-linear' }, gradient_checkpointing: false, packing: false, attention: 'auto' }

describe('FLOPs per token', () => {
  const matmul = 2 * (countParameters(llama1b).blockLinears + 128256 * 2048)
  const attention = 2 * 16 * 32 * 64 * 512

  it('full finetuning is 3 × the forward pass (forward, input gradients, weight gradients)', () => {
    const flops = flopsPerToken(llama1b, { ...params, method: 'full' }, 512)
    expect(flops.forwardMatmul).toBe(matmul)
    expect(flops.forwardAttention).toBe(attention)
    expect(flops.total).toBe(3 * (matmul + attention))
  })

  it('LoRA skips the base weight gradients: 2 × matmul + 3 × attention + 6 × adapter parameters', () => {
    const lora = flopsPerToken(llama1b, params, 512)
    const adapters = 16 * 16 * ((2048 + 2048) + (2048 + 512) + (2048 + 512) + (2048 + 2048) + 3 * (2048 + 8192))
    expect(lora.total).toBe(2 * matmul + 3 * attention + 6 * adapters)
    expect(lora.total).toBeLessThan(flopsPerToken(llama1b, { ...params, method: 'full' }, 512).total)
  })

  it('checkpointing adds one more forward of the blocks', () => {
    const off = flopsPerToken(llama1b, params, 512).total
    const on = flopsPerToken(llama1b, { ...params, gradient_checkpointing: true }, 512).total
    expect(on - off).toBe(2 * countParameters(llama1b).blockLinears + attention)
  })
})

describe('estimateTime', () => {
  const counts = Array.from({ length: 1000 }, (_, i) => 200 + (i % 300))

  it('gives a range from the utilisation bounds over the GPU peak', () => {
    const time = estimateTime({ model: llama1b, params, precision: 'bf16', tokenStats: { counts }, device: { kind: 'gpu', spec: rtx4090 } })
    expect(time.peakFlops).toBe(165.2e12)
    expect(time.lowSeconds).toBeCloseTo(time.totalFlops / (165.2e12 * gpuUtilisation.high), 6)
    expect(time.highSeconds).toBeCloseTo(time.totalFlops / (165.2e12 * gpuUtilisation.low), 6)
    expect(time.totalTokens).toBe(2 * counts.reduce((a, b) => a + b, 0))
    expect(time.optimizerSteps).toBe(2 * Math.ceil(1000 / 8))
    expect(time.basis).toContain('RTX 4090')
  })

  it('counts padding for micro-batches, QLoRA runs slower, fp32 uses the CUDA-core peak', () => {
    const one = estimateTime({ model: llama1b, params, precision: 'bf16', tokenStats: { counts }, device: { kind: 'gpu', spec: rtx4090 } })
    const eight = estimateTime({ model: llama1b, params: { ...params, micro_batch_size: 8, gradient_accumulation_steps: 1 }, precision: 'bf16', tokenStats: { counts }, device: { kind: 'gpu', spec: rtx4090 } })
    expect(eight.tokensPerEpoch).toBeGreaterThan(one.tokensPerEpoch)
    const qlora = estimateTime({ model: llama1b, params: { ...params, method: 'qlora' }, precision: 'bf16', tokenStats: { counts }, device: { kind: 'gpu', spec: rtx4090 } })
    expect(qlora.lowSeconds).toBeGreaterThan(one.lowSeconds)
    expect(qlora.highSeconds).toBeGreaterThan(one.highSeconds)
    expect(estimateTime({ model: llama1b, params, precision: 'fp32', tokenStats: { counts }, device: { kind: 'gpu', spec: rtx4090 } }).peakFlops).toBe(82.6e12)
  })

  it('max_steps replaces epochs', () => {
    const time = estimateTime({ model: llama1b, params: { ...params, max_steps: 10 }, precision: 'bf16', tokenStats: { counts }, device: { kind: 'gpu', spec: rtx4090 } })
    expect(time.optimizerSteps).toBe(10)
    expect(time.totalTokens).toBeCloseTo((counts.reduce((a, b) => a + b, 0) / Math.ceil(1000 / 8)) * 10, 6)
  })

  it('estimates the tiny demo on the CPU in seconds to minutes', () => {
    const time = estimateTime({ model: tinyDemoArchitecture, params: { ...params, method: 'full', precision: 'fp32' }, precision: 'fp32', tokenStats: { counts }, device: { kind: 'cpu', cores: 8 } })
    expect(time.lowSeconds).toBeGreaterThan(1)
    expect(time.highSeconds).toBeLessThan(3600)
    expect(time.highSeconds / time.lowSeconds).toBeCloseTo(5, 6)
    expect(time.basis).toContain('8 CPU cores')
  })

  it('pure bf16 on the CPU: native bf16 at 1–2 × fp32, without it the measured fallback, unknown spans both', () => {
    const pure = { ...params, method: 'full' as const, precision: 'auto' as const, full_weights: 'bf16' as const }
    const run = (bf16Supported: boolean | null | undefined, precision: 'bf16' | 'fp32' = 'bf16') => estimateTime({ model: tinyDemoArchitecture, params: pure, precision, tokenStats: { counts }, device: { kind: 'cpu', cores: 8, bf16Supported } })
    const fp32 = run(null, 'fp32')
    const native = run(true)
    const fallback = run(false)
    const unknown = run(null)
    expect(native.lowSeconds).toBeCloseTo(fp32.lowSeconds / cpuBf16SpeedFactor.native.high, 6)
    expect(native.highSeconds).toBeCloseTo(fp32.highSeconds / cpuBf16SpeedFactor.native.low, 6)
    expect(fallback.lowSeconds).toBeCloseTo(fp32.lowSeconds / cpuBf16SpeedFactor.fallback.high, 6)
    expect(fallback.highSeconds).toBeCloseTo(fp32.highSeconds / cpuBf16SpeedFactor.fallback.low, 6)
    expect(fallback.lowSeconds).toBeGreaterThan(40 * fp32.lowSeconds)
    expect(unknown.lowSeconds).toBe(native.lowSeconds)
    expect(unknown.highSeconds).toBe(fallback.highSeconds)
    expect(unknown.basis).toContain('fast if this CPU does bf16 natively')
    expect(fp32.basis).not.toContain('bf16')
  })
})
