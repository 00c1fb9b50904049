import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { matchGpuSpec } from '../../../src/shared/estimator/gpu-specs'
import type { GpuSpec } from '../../../src/shared/estimator/gpu-specs'
import { parseModelConfigText } from '../../../src/shared/estimator/model-architecture'
import { countParameters } from '../../../src/shared/estimator/model-layers'
import { collectiveBytesPerStep, estimateTime, interNodeBytesPerSecond, multiGpuScalingEfficiency } from '../../../src/shared/estimator/time'
import type { EstimateParams } from '../../../src/shared/estimator/training-params'
import type { VramEstimate, VramTermKey } from '../../../src/shared/estimator/vram'
import { defaultParallelism, estimateVram, normaliseRanks } from '../../../src/shared/estimator/vram'
import { estimateTraining } from '../../../src/shared/estimator/estimate-training'
import { namedGpuTarget } from '../../../src/shared/estimator/device-target'
import { chooseAutoParameters, multiGpuMinimumSeconds } from '../../../src/shared/estimator/auto-params'
import { summariseTokenCounts } from '../../../src/shared/estimator/token-stats'
import type { TimeEstimate } from '../../../src/shared/estimator/time'

const fixtures = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../fixtures/models')
const llama1b = parseModelConfigText(fs.readFileSync(path.join(fixtures, 'meta-llama--Llama-3.2-1B', 'config.json'), 'utf8'))
const llama7b = parseModelConfigText(fs.readFileSync(path.join(fixtures, 'meta-llama--Llama-2-7b-hf', 'config.json'), 'utf8'))
const a100 = matchGpuSpec('A100 80GB') as GpuSpec

const lora: EstimateParams = { method: 'lora', precision: 'bf16', max_length: 1024, micro_batch_size: 2, gradient_accumulation_steps: 4, epochs: 1, max_steps: null, lora: { r: 16, alpha: 32, dropout: 0, target_modules: 'all-linear' }, gradient_checkpointing: true, packing: false, attention: 'sdpa' }
const full: EstimateParams = { ...lora, method: 'full' }
const term = (result: VramEstimate, key: VramTermKey): number => result.terms.find((item) => item.key === key)?.bytes ?? 0
const vram = (params: EstimateParams, ranks?: number, parallelism?: 'ddp' | 'fsdp'): VramEstimate => estimateVram({ model: llama7b, params, device: 'gpu', bf16Supported: true, longestExampleTokens: 1024, ranks, parallelism })

describe('ranks: the input field and its default', () => {
  it('one rank unless told otherwise; nonsense counts as one', () => {
    expect(normaliseRanks(undefined)).toBe(1)
    expect(normaliseRanks(0)).toBe(1)
    expect(normaliseRanks(Number.NaN)).toBe(1)
    expect(normaliseRanks(4)).toBe(4)
    expect(vram(lora)).toEqual(vram(lora, 1))
    expect(vram(lora).parallelism).toBeNull()
  })

  it("follows LocalTune's runtime: FSDP for full finetuning of a Hugging Face model, DDP for LoRA, QLoRA and the demo model", () => {
    expect(defaultParallelism('lora')).toBe('ddp')
    expect(defaultParallelism('qlora')).toBe('ddp')
    expect(defaultParallelism('full')).toBe('fsdp')
    expect(defaultParallelism('full', true)).toBe('ddp')
    expect(vram(lora, 2).parallelism).toBe('ddp')
    expect(vram(full, 2).parallelism).toBe('fsdp')
    expect(vram(full, 2, 'ddp').parallelism).toBe('ddp')
    expect(vram(full, 1).parallelism).toBeNull()
  })
})

describe('per-GPU memory with several ranks', () => {
  it('DDP: every rank holds the whole replica plus one gradient-sized set of buckets', () => {
    const one = vram(lora)
    const four = vram(lora, 4)
    const trainable = one.trainableParameters
    // PEFT's adapters and their gradients are fp32.
    expect(term(four, 'ddpBuckets')).toBe(trainable * 4)
    expect(term(four, 'weights')).toBe(term(one, 'weights'))
    expect(term(four, 'optimizerState')).toBe(term(one, 'optimizerState'))
    expect(four.allocatedBytes - one.allocatedBytes).toBeCloseTo(trainable * 4, 0)
    // More ranks do not change what one replica needs.
    expect(vram(lora, 8).allocatedBytes).toBeCloseTo(four.allocatedBytes, 0)
  })

  it('FSDP: weights, gradients and optimizer state ÷ N, plus the gathered units and their gradients', () => {
    const one = vram(full)
    const four = vram(full, 4, 'fsdp')
    const counted = countParameters(llama7b)
    expect(term(four, 'weights')).toBeCloseTo(term(one, 'weights') / 4, 0)
    expect(term(four, 'optimizerState')).toBeCloseTo(term(one, 'optimizerState') / 4, 0)
    // Two decoder layers (current + prefetched) and the root unit (embeddings, lm_head, norms)
    // gathered in bf16, with the current layer's and the root's bf16 gradients.
    const block = counted.blockLinears / llama7b.numLayers
    const root = one.totalParameters - counted.blockLinears
    expect(term(four, 'fsdpGathered')).toBeCloseTo((2 * block + root) * 2 + (block + root) * 2, -3)
    expect(four.notes.join(' ')).toContain('Published FSDP runs measured 6–21 % more')
    // The gathered bf16 units replace autocast's per-matmul bf16 copies of the fp32 weights.
    expect(term(one, 'autocastWeightCopies')).toBeGreaterThan(0)
    expect(term(four, 'autocastWeightCopies')).toBe(0)
    expect(four.allocatedBytes).toBeLessThan(one.allocatedBytes / 2)
    // Twice the ranks: the shards halve, the gathered units and activations stay.
    const eight = vram(full, 8, 'fsdp')
    expect(term(four, 'weights') - term(eight, 'weights')).toBeCloseTo(term(one, 'weights') / 8, 0)
    expect(term(eight, 'fsdpGathered')).toBe(term(four, 'fsdpGathered'))
    expect(term(eight, 'activations')).toBe(term(four, 'activations'))
  })

  it('a 7B full finetuning that cannot fit one 80 GB GPU fits sharded over 4 of them (what the runtime does), and would not replicated', () => {
    const devices = [namedGpuTarget('A100 80GB', null)]
    const single = estimateTraining({ model: llama7b, params: full, devices })
    const sharded = estimateTraining({ model: llama7b, params: full, devices, ranks: 4 })
    const replicated = estimateTraining({ model: llama7b, params: full, devices, ranks: 4, parallelism: 'ddp' })
    expect(single.devices[0]?.fit.verdict).toBe('does-not-fit')
    expect(sharded.devices[0]?.fit.verdict).toBe('fits')
    expect(sharded.devices[0]?.vram.parallelism).toBe('fsdp')
    expect(sharded.devices[0]?.vram.ranks).toBe(4)
    expect(replicated.devices[0]?.fit.verdict).toBe('does-not-fit')
  })

  it('the rank count can be forced to another strategy (a benchmark row that sharded QLoRA)', () => {
    const qlora = { ...lora, method: 'qlora' as const }
    const ddp = estimateVram({ model: llama7b, params: qlora, device: 'gpu', bf16Supported: true, ranks: 2 })
    const sharded = estimateVram({ model: llama7b, params: qlora, device: 'gpu', bf16Supported: true, ranks: 2, parallelism: 'fsdp' })
    expect(term(sharded, 'weights')).toBeCloseTo(term(ddp, 'weights') / 2, 0)
    expect(term(sharded, 'ddpBuckets')).toBe(0)
    expect(term(sharded, 'fsdpGathered')).toBeGreaterThan(0)
  })
})

describe('time with several ranks', () => {
  const counts = Array.from({ length: 4000 }, (_, i) => 200 + (i % 500))
  const time = (params: EstimateParams, ranks?: number, nodes?: number, parallelism?: 'ddp' | 'fsdp') => estimateTime({ model: llama1b, params, precision: 'bf16', tokenStats: { counts }, device: { kind: 'gpu', spec: a100 }, ranks, nodes, parallelism })

  it('N ranks share the work at the stated scaling efficiency; the effective batch is micro × accumulation × ranks', () => {
    const one = time(lora)
    const four = time(lora, 4)
    expect(four.totalFlops).toBe(one.totalFlops)
    expect(four.lowSeconds).toBeCloseTo(one.lowSeconds / (4 * multiGpuScalingEfficiency.high), 6)
    expect(four.highSeconds).toBeCloseTo(one.highSeconds / (4 * multiGpuScalingEfficiency.low), 6)
    expect(one.optimizerSteps).toBe(Math.ceil(4000 / (2 * 4)))
    expect(four.optimizerSteps).toBe(Math.ceil(4000 / (2 * 4 * 4)))
    expect(four.basis).toContain('4 ranks')
    expect(four.basis).toContain(`${Math.round(multiGpuScalingEfficiency.low * 100)}–${Math.round(multiGpuScalingEfficiency.high * 100)} %`)
    expect(one.ranks).toBe(1)
    expect(one.interNodeSeconds).toBe(0)
  })

  it('across machines the slow end waits for the collectives over the network; FSDP moves the whole model, DDP only the gradients', () => {
    const oneBox = time(full, 4, 1, 'fsdp')
    const twoBoxes = time(full, 4, 2, 'fsdp')
    const perStep = collectiveBytesPerStep(llama1b, full, 'bf16', 4, 'fsdp')
    expect(perStep).toBeCloseTo(3 * (3 / 4) * countParameters(llama1b).total * 2 * full.gradient_accumulation_steps, 0)
    expect(twoBoxes.interNodeSeconds).toBeCloseTo((twoBoxes.optimizerSteps * perStep) / interNodeBytesPerSecond, 6)
    expect(twoBoxes.highSeconds).toBeCloseTo(oneBox.highSeconds + twoBoxes.interNodeSeconds, 6)
    expect(twoBoxes.lowSeconds).toBe(oneBox.lowSeconds)
    expect(twoBoxes.basis).toContain('between 2 machines')
    const ddpBytes = collectiveBytesPerStep(llama1b, lora, 'bf16', 4, 'ddp')
    expect(ddpBytes).toBeLessThan(perStep / 20)
  })
})

describe('Auto and several GPUs', () => {
  const sharedConfigs = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../../shared/data/model-configs')
  const llama8b = parseModelConfigText(fs.readFileSync(path.join(sharedConfigs, 'meta-llama--Llama-3.1-8B', 'config.json'), 'utf8'))
  const rows = (n: number) => summariseTokenCounts(Array.from({ length: n }, (_, i) => 150 + ((i * 37) % 700)), { approximate: false, method: 'test' })
  const gpu = namedGpuTarget('A100 80GB', null)
  const four = [gpu, gpu, gpu, gpu]

  it('stays on one GPU unless the caller allows more ranks (maxRanks defaults to 1)', () => {
    const result = chooseAutoParameters({ model: llama8b, devices: four, tokenStats: rows(20000), datasetSize: 20000 })
    expect(result.ranks).toBe(1)
    expect(result.gpus).toEqual([gpu])
    expect(result.choices.map((choice) => choice.field)).not.toContain('ranks')
  })

  it('splits a long run over the GPUs when that is faster, keeping the effective batch, and says why', () => {
    const stats = rows(20000)
    const one = chooseAutoParameters({ model: llama8b, devices: four, tokenStats: stats, datasetSize: 20000 })
    const split = chooseAutoParameters({ model: llama8b, devices: four, tokenStats: stats, datasetSize: 20000, maxRanks: 4 })
    expect(split.ranks).toBe(4)
    expect(split.gpus).toHaveLength(4)
    expect(split.method).toBe('lora')
    expect(split.vram.parallelism).toBe('ddp')
    expect(split.params.micro_batch_size * split.params.gradient_accumulation_steps * 4).toBe(16)
    expect((split.time as TimeEstimate).highSeconds).toBeLessThan((one.time as TimeEstimate).highSeconds / 3)
    const reason = split.choices.find((choice) => choice.field === 'ranks')?.reason ?? ''
    expect(reason).toMatch(/^4 GPUs: about 3\.\d × faster than one/)
    expect(reason).toContain('80–95 %')
    expect(reason).toContain('effective batch 16 = ')
  })

  it('keeps one GPU when the data is too small for the split to pay', () => {
    const result = chooseAutoParameters({ model: llama8b, devices: four, tokenStats: rows(200), datasetSize: 200, maxRanks: 4 })
    expect(result.ranks).toBe(1)
    const oneGpuMinutes = Math.round(((result.time as TimeEstimate).lowSeconds + (result.time as TimeEstimate).highSeconds) / 2 / 60)
    expect(oneGpuMinutes * 60).toBeLessThan(multiGpuMinimumSeconds)
    expect(result.choices.find((choice) => choice.field === 'ranks')?.reason).toBe(
      `One GPU: about ${oneGpuMinutes} min there; the data is too small for starting 4 processes (model loaded on each) to pay (Auto splits runs of 10 min or more).`
    )
  })

  it('does not split without a time estimate, nor when no split fits either', () => {
    const unknown = chooseAutoParameters({ model: llama8b, devices: four, tokenStats: null, datasetSize: 20000, maxRanks: 4 })
    expect(unknown.ranks).toBe(1)
    expect(unknown.choices.find((choice) => choice.field === 'ranks')?.reason).toContain('without token counts the time cannot be estimated')
    // DDP replicates the model, so it never makes LoRA/QLoRA fit; FSDP full finetuning of 8B over 4 small GPUs does not fit either.
    const small = namedGpuTarget(null, 4)
    const tight = chooseAutoParameters({ model: llama8b, devices: [small, small, small, small], tokenStats: rows(2000), datasetSize: 2000, maxRanks: 4 })
    expect(tight.withinMargin).toBe(false)
    expect(tight.ranks).toBe(1)
    expect(tight.choices.find((choice) => choice.field === 'ranks')?.reason).toBe('One GPU: splitting over 4 GPUs does not make it fit either.')
  })
})

describe('CPU processes (--processes N)', () => {
  const counts = Array.from({ length: 400 }, (_, i) => 100 + (i % 200))
  const tokenStats = summariseTokenCounts(counts, { approximate: false, method: 'test' })
  const cpu = { kind: 'cpu' as const, label: 'CPU: test', memoryTotalBytes: 16 * 1024 ** 3, cores: 8 }
  const small: EstimateParams = { ...lora, precision: 'auto', gradient_checkpointing: false }

  it('share the cores: not faster than one process, and each holds its own copy in the same RAM', () => {
    const one = estimateTraining({ model: llama1b, params: small, devices: [cpu], tokenStats }).devices[0]
    const four = estimateTraining({ model: llama1b, params: small, devices: [cpu], tokenStats, ranks: 4 }).devices[0]
    if (!one?.time || !four?.time) throw new Error('expected CPU times')
    expect(four.time.lowSeconds).toBeGreaterThan(one.time.lowSeconds)
    expect(four.time.basis).toContain("the 4 processes share each machine's cores")
    expect(four.fit.requiredBytes).toBeCloseTo(4 * four.vram.requiredBytes, 0)
    // Two machines with two processes each: two copies per machine, twice the cores.
    const twoMachines = estimateTraining({ model: llama1b, params: small, devices: [cpu], tokenStats, ranks: 4, nodes: 2 }).devices[0]
    if (!twoMachines?.time) throw new Error('expected CPU time')
    expect(twoMachines.fit.requiredBytes).toBeCloseTo(2 * twoMachines.vram.requiredBytes, 0)
    expect(twoMachines.time.lowSeconds).toBeCloseTo(four.time.lowSeconds / 2, 6)
  })
})
