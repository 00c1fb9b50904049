import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { activationTerms } from '../../../src/shared/estimator/activations'
import { LoraTargetError, resolveLoraTargets } from '../../../src/shared/estimator/lora-targets'
import { parseModelConfigText } from '../../../src/shared/estimator/model-architecture'
import { countParameters } from '../../../src/shared/estimator/model-layers'
import type { EstimateParams } from '../../../src/shared/estimator/training-params'
import type { VramEstimate, VramInput, VramTermKey } from '../../../src/shared/estimator/vram'
import { cudaContextBytes, estimateVram, nf4BytesPerParameter, resolvePrecision } from '../../../src/shared/estimator/vram'

const fixtures = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../fixtures/models')
const model = (dir: string) => parseModelConfigText(fs.readFileSync(path.join(fixtures, dir, 'config.json'), 'utf8'))
const llama1b = model('meta-llama--Llama-3.2-1B')
const llama7b = model('meta-llama--Llama-2-7b-hf')
const gpt2 = model('openai-community--gpt2')

const base: EstimateParams = {
  method: 'lora',
  precision: 'bf16',
  max_length: 1024,
  micro_batch_size: 1,
  gradient_accumulation_steps: 1,
  epochs: 1,
  max_steps: null,
  lora: { r: 16, alpha: 32, dropout: 0, target_modules: ['q_proj', 'v_proj'] },
  gradient_checkpointing: false,
  packing: false,
  attention: 'sdpa'
}
const estimate = (overrides: Partial<EstimateParams> = {}, input: Partial<VramInput> = {}): VramEstimate =>
  estimateVram({ model: llama1b, params: { ...base, ...overrides }, device: 'gpu', bf16Supported: true, ...input })
const term = (result: VramEstimate, key: VramTermKey): number => result.terms.find((item) => item.key === key)?.bytes ?? 0

describe('estimateVram: the breakdown adds up', () => {
  it('terms sum to the nvidia-smi view; allocated ≤ reserved ≤ nvidia-smi; required = reserved + context', () => {
    for (const params of [{}, { method: 'full' as const }, { method: 'qlora' as const, gradient_checkpointing: true }, { micro_batch_size: 4, attention: 'eager' as const }]) {
      const result = estimate(params)
      const sum = result.terms.reduce((total, item) => total + item.bytes, 0)
      expect(sum).toBeCloseTo(result.nvidiaSmiBytes, 0)
      expect(result.allocatedBytes).toBeLessThanOrEqual(result.reservedBytes)
      expect(result.reservedBytes).toBeLessThan(result.nvidiaSmiBytes)
      expect(result.requiredBytes).toBe(result.reservedBytes + cudaContextBytes)
      expect(term(result, 'context')).toBe(cudaContextBytes)
    }
  })

  it('LoRA on a bf16 base: weights 2 B/param, fp32 adapters with fp32 gradients and AdamW states', () => {
    const result = estimate({ gradient_accumulation_steps: 2 })
    const params = countParameters(llama1b).total
    const adapterParams = 16 * 16 * ((2048 + 2048) + (2048 + 512))
    expect(term(result, 'weights')).toBe(params * 2)
    expect(term(result, 'loraAdapters')).toBe(adapterParams * 4)
    expect(term(result, 'gradients')).toBe(adapterParams * 4)
    expect(term(result, 'optimizerState')).toBe(adapterParams * 8)
    expect(result.trainableParameters).toBe(adapterParams)
  })

  it('LocalTune\'s loss holds one chunk of at most 1024 tokens: chunk × vocab × (2 B logits + 12 B of fp32 log-softmax work)', () => {
    expect(term(estimate({ max_length: 512, micro_batch_size: 2 }), 'logitsAndLoss')).toBe(1024 * 128256 * 14)
    expect(term(estimate({ max_length: 2048, micro_batch_size: 4 }), 'logitsAndLoss')).toBe(1024 * 128256 * 14)
    expect(term(estimate({ max_length: 300, micro_batch_size: 1 }), 'logitsAndLoss')).toBe(300 * 128256 * 14)
    // fp32 compute: the logits are fp32 already, no extra copy
    expect(term(estimate({ max_length: 2048, micro_batch_size: 4, precision: 'fp32' }), 'logitsAndLoss')).toBe(1024 * 128256 * 12)
  })

  it('the chunked loss cuts the logits term of a large vocabulary to one chunk (Qwen2.5, 2048 × 4)', () => {
    const qwen = model('Qwen--Qwen2.5-1.5B-Instruct')
    const run = (stack: VramInput['stack']) => estimateVram({ model: qwen, params: { ...base, max_length: 2048, micro_batch_size: 4 }, device: 'gpu', bf16Supported: true, stack })
    const before = term(run({ loss: 'fp32-upcast' }), 'logitsAndLoss')
    const after = term(run({}), 'logitsAndLoss')
    expect(before).toBe(2048 * 4 * 151936 * 14)
    expect(after).toBe(1024 * 151936 * 14)
    expect(before / 2 ** 30).toBeGreaterThan(16)
    expect(after / 2 ** 30).toBeLessThan(2.1)
  })

  it('saves per token and block what autograd keeps (hand-computed for LoRA q,v on Llama-3.2-1B under autocast)', () => {
    const terms = activationTerms(llama1b, {
      computeBytes: 2, residualBytes: 2, autocast: true, quantizedLinears: false, quantizedLinearsSaveInput: false, rmsNormUpcast: true, meanSavesInput: false,
      trainBase: false, loraTargets: resolveLoraTargets(llama1b, ['q_proj', 'v_proj']), loraRank: 16, adapterBytes: 4, loraDropout: 0,
      attention: 'sdpa', sequenceLength: 1024, loraKeptOutputWidth: 0
    })
    // 2 RMSNorms × fp32 copy (4·2048) + 2 LoRA inputs cast to bf16 (2·2048 + 2·16) + SDPA q, expanded k, v, out (2·2048 each) + lse (4·32) + SwiGLU 3 × 2·8192
    expect(terms.perLayerParts).toEqual({ norms: 16384, linearInputs: 0, loraInputs: 8256, attention: 16512, attentionScores: 0, mlp: 49152 })
    expect(terms.perLayer).toBe(90304)
    expect(terms.checkpointPerLayer).toBe(2 * 2048)
  })
})

describe('activations: what a framework version keeps beyond the ops themselves', () => {
  const context = (arch: typeof llama1b, overrides: Partial<Parameters<typeof activationTerms>[1]> = {}) => activationTerms(arch, {
    computeBytes: 2, residualBytes: 2, autocast: false, quantizedLinears: false, quantizedLinearsSaveInput: false, rmsNormUpcast: false, meanSavesInput: false,
    trainBase: false, loraTargets: [], loraRank: 8, adapterBytes: 2, loraDropout: 0, attention: 'sdpa', sequenceLength: 1024, loraKeptOutputWidth: 0, ...overrides
  })
  const neox = parseModelConfigText(JSON.stringify({ model_type: 'gpt_neox', hidden_size: 2560, intermediate_size: 10240, num_hidden_layers: 32, num_attention_heads: 32, vocab_size: 50304 }), 'gpt_neox config')

  it('a fused q/k/v output stays whole when v reaches attention as a view of it (RoPE rewrote q and k)', () => {
    const separate = context({ ...neox, fusedQkv: false })
    const fused = context(neox)
    // The saved v keeps the q and k parts of the bf16 fused output alive: 2 B × (2560 + 2560) per token.
    expect(fused.perLayerParts.attention - separate.perLayerParts.attention).toBe(2 * (2560 + 2560))
  })

  it('no extra where q, k and v are all views of one output (GPT-2) or v is copied for grouped heads', () => {
    expect(context(gpt2).perLayerParts.attention).toBe(context({ ...gpt2, fusedQkv: false }).perLayerParts.attention)
    const grouped = { ...neox, numKeyValueHeads: 8 }
    expect(context(grouped).perLayerParts.attention).toBe(context({ ...grouped, fusedQkv: false }).perLayerParts.attention)
    // flash_attention_2 takes grouped k/v without copying them, so the view (and the whole output) is saved.
    expect(context(grouped, { attention: 'flash' }).perLayerParts.attention - context({ ...grouped, fusedQkv: false }, { attention: 'flash' }).perLayerParts.attention).toBe(2 * (2560 + 640))
  })

  it('PyTorch ≤ 2.1 kept mean\'s input: every RMSNorm also keeps its x² (fp32 where the norm upcasts)', () => {
    const fixed = context(llama1b, { rmsNormUpcast: true })
    const old = context(llama1b, { rmsNormUpcast: true, meanSavesInput: true })
    expect(old.perLayerParts.norms - fixed.perLayerParts.norms).toBe(2 * 4 * 2048)
    expect(context(llama1b, { meanSavesInput: true }).perLayerParts.norms - context(llama1b).perLayerParts.norms).toBe(2 * 2 * 2048)
    // LayerNorm is one fused kernel: no mean op to keep anything.
    expect(context(gpt2, { meanSavesInput: true }).perLayerParts.norms).toBe(context(gpt2).perLayerParts.norms)
  })

  it('the loss keeps per logit what the framework holds at the log-softmax backward', () => {
    const perLogit = (loss: 'fp32-upcast' | 'fp32-logits-kept' | 'fp32-logits-freed' | 'chunked' | 'chunked-fp32') =>
      term(estimate({ max_length: 512, micro_batch_size: 2 }, { stack: { loss } }), 'logitsAndLoss') / (512 * 2 * 128256)
    // bf16 logits kept by the loop + fp32 log-softmax output, its incoming and its outgoing gradient
    expect(perLogit('fp32-upcast')).toBe(2 + 12)
    // fp32 logits returned by the model: kept through backward (torchtune before #1235) or deleted first
    expect(perLogit('fp32-logits-kept')).toBe(4 + 12)
    expect(perLogit('fp32-logits-freed')).toBe(12)
    // chunked: one log-softmax output per logit, fp32 when chunks are upcast, bf16 when not
    expect(perLogit('chunked-fp32')).toBe(2 + 4)
    expect(perLogit('chunked')).toBe(2 + 2)
  })
})

describe('estimateVram: each parameter moves memory the way the physics says', () => {
  it('activations grow linearly with the micro batch', () => {
    const one = estimate({ micro_batch_size: 1 })
    const four = estimate({ micro_batch_size: 4 })
    expect(term(four, 'activations')).toBeCloseTo(4 * term(one, 'activations'), 0)
  })

  it('gradient checkpointing keeps only block inputs and one recomputed block', () => {
    const off = estimate({ micro_batch_size: 4, max_length: 2048 })
    const on = estimate({ micro_batch_size: 4, max_length: 2048, gradient_checkpointing: true })
    expect(on.requiredBytes).toBeLessThan(off.requiredBytes)
    expect(term(on, 'activations')).toBeLessThan(term(off, 'activations') / 5)
  })

  it('eager attention keeps the seq × seq probabilities; SDPA does not', () => {
    const sdpa = estimate({ max_length: 4096 })
    const eager = estimate({ max_length: 4096, attention: 'eager' })
    // 16 blocks × 4096 tokens × 32 heads × 4096 keys × (4 B fp32 softmax + 2 B bf16 copy), minus SDPA's own output and lse
    const scores = 16 * 4096 * 32 * 4096 * 6
    const sdpaOnly = 16 * 4096 * (2 * 2048 + 4 * 32)
    expect(term(eager, 'activations') - term(sdpa, 'activations')).toBe(scores - sdpaOnly)
  })

  it('LoRA keeps less than full finetuning in the same dtypes (frozen Linears save no inputs)', () => {
    const pure = { autocast: false, fullFinetuneWeights: 'compute' as const, loraAdapterDtype: 'compute' as const }
    const lora = estimate({ micro_batch_size: 4 }, { stack: pure })
    const full = estimate({ micro_batch_size: 4, method: 'full' }, { stack: pure })
    expect(term(full, 'activations')).toBeGreaterThan(term(lora, 'activations'))
  })

  it('pure bf16 full finetuning (full_weights "bf16"): 2 + 2 + 4 B per parameter, no autocast copies, bf16 even on the CPU', () => {
    const params = countParameters(llama1b)
    for (const device of ['gpu', 'cpu'] as const) {
      const result = estimate({ method: 'full', gradient_accumulation_steps: 4, full_weights: 'bf16' }, { device })
      expect(result.precision).toBe('bf16')
      expect(term(result, 'weights')).toBe(params.total * 2)
      expect(term(result, 'gradients')).toBe(params.total * 2)
      expect(term(result, 'optimizerState')).toBe(params.total * 4)
      expect(term(result, 'autocastWeightCopies')).toBe(0)
    }
    // LoRA ignores it
    expect(estimate({ full_weights: 'bf16' }).allocatedBytes).toBe(estimate({}).allocatedBytes)
    expect(estimate({ method: 'full', full_weights: 'bf16' }, { bf16Supported: false }).notes.join(' ')).toContain('need a GPU with bf16')
  })

  it('full finetuning in LocalTune keeps fp32 master weights: 4 + 4 + 8 B per parameter, plus bf16 copies under autocast', () => {
    const result = estimate({ method: 'full', gradient_accumulation_steps: 4 })
    const params = countParameters(llama1b)
    expect(term(result, 'weights')).toBe(params.total * 4)
    expect(term(result, 'gradients')).toBe(params.total * 4)
    expect(term(result, 'optimizerState')).toBe(params.total * 8)
    expect(term(result, 'autocastWeightCopies')).toBe((params.blockLinears + 128256 * 2048) * 2)
  })

  it('without accumulation full-finetuning gradients are not alive at the start of backward, except lm_head\'s', () => {
    const result = estimate({ method: 'full', gradient_accumulation_steps: 1, max_length: 2048, micro_batch_size: 4 })
    expect(result.peakPhase).toBe('backward')
    expect(term(result, 'gradients')).toBe(128256 * 2048 * 4)
  })

  it('QLoRA: NF4 block Linears (double quantisation smaller), unquantised layers in fp32 after prepare_model_for_kbit_training', () => {
    const counted = countParameters(llama1b)
    const dq = estimate({ method: 'qlora' })
    const single = estimate({ method: 'qlora' }, { stack: { doubleQuant: false } })
    expect(term(dq, 'weights')).toBeCloseTo(counted.blockLinears * nf4BytesPerParameter(true) + (counted.total - counted.blockLinears) * 4, 0)
    expect(term(single, 'weights') - term(dq, 'weights')).toBeCloseTo(counted.blockLinears * (4 / 64 - 1 / 64 - 4 / (64 * 256)), 0)
    expect(nf4BytesPerParameter(false)).toBe(0.5625)
  })

  it('QLoRA with bf16 unquantised layers needs less weight memory than LoRA', () => {
    const lora = estimate({})
    const qlora = estimate({ method: 'qlora' }, { stack: { unquantizedDtype: 'compute' } })
    expect(term(qlora, 'weights')).toBeLessThan(term(lora, 'weights') / 2)
  })

  it('a paged 8-bit optimizer is shown but not required on the GPU', () => {
    const result = estimate({ method: 'full', precision: 'bf16' }, { stack: { optimizer: 'paged-adamw-8bit', fullFinetuneWeights: 'compute', autocast: false } })
    const paged = term(result, 'pagedOptimizerState')
    expect(paged).toBeCloseTo(countParameters(llama1b).total * (2 + 8 / 2048), 0)
    expect(term(result, 'optimizerState')).toBe(0)
    expect(result.nvidiaSmiBytes - result.requiredBytes).toBeCloseTo(paged, 0)
  })

  it('batches are padded to their longest example, so a short dataset shortens the peak; packing fills max_length', () => {
    expect(estimate({ max_length: 4096 }, { longestExampleTokens: 700 }).sequenceLength).toBe(700)
    expect(estimate({ max_length: 4096, packing: true }, { longestExampleTokens: 700 }).sequenceLength).toBe(4096)
    expect(estimate({ max_length: 512 }, { longestExampleTokens: 700 }).sequenceLength).toBe(512)
  })

  it('"auto" precision is bf16 where supported, fp16 on older GPUs, fp32 on the CPU', () => {
    expect(resolvePrecision('auto', 'gpu', true)).toBe('bf16')
    expect(resolvePrecision('auto', 'gpu', false)).toBe('fp16')
    expect(resolvePrecision('bf16', 'cpu', null)).toBe('fp32')
    const cpu = estimateVram({ model: llama1b, params: { ...base, precision: 'auto' }, device: 'cpu' })
    expect(cpu.precision).toBe('fp32')
    expect(cpu.terms.find((item) => item.key === 'context')?.label).toBe('Python and PyTorch runtime')
  })

  it('an exact parameter count from safetensors replaces the config count for the weights', () => {
    const exact = countParameters(llama1b).total + 1_000_000
    expect(term(estimate({}, { parameterCount: exact }), 'weights')).toBe(exact * 2)
  })
})

describe('LoRA targets', () => {
  it('match PEFT names and fused GPT-2 layers; unknown names are an error listing the real ones', () => {
    expect(resolveLoraTargets(gpt2, ['c_attn']).map((linear) => linear.name)).toEqual(['qkv_proj'])
    expect(resolveLoraTargets(gpt2, ['c_proj']).map((linear) => linear.name)).toEqual(['o_proj', 'down_proj'])
    expect(resolveLoraTargets(llama7b, 'all-linear')).toHaveLength(7)
    expect(() => resolveLoraTargets(llama7b, ['query_proj'])).toThrow(LoraTargetError)
    expect(() => resolveLoraTargets(llama7b, ['query_proj'])).toThrow(/"query_proj", which is not a Linear layer of this llama model\. Its layers are: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj/)
    expect(() => estimateVram({ model: llama7b, params: { ...base, lora: { ...base.lora, target_modules: [] } }, device: 'gpu' })).toThrow(/target_modules is empty/)
  })
})
