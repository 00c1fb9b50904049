import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ModelConfigError, parseModelConfig, parseModelConfigText } from '../../../src/shared/estimator/model-architecture'
import { blockLinears, countParameters } from '../../../src/shared/estimator/model-layers'
import { tinyDemoArchitecture } from '../../../src/shared/estimator/tiny-demo'

const fixtures = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../fixtures/models')
const sharedConfigs = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../../shared/data/model-configs')
const read = (dir: string, root = fixtures) => parseModelConfigText(fs.readFileSync(path.join(root, dir, 'config.json'), 'utf8'), `${dir}/config.json`)

describe('parseModelConfig', () => {
  it('reads a v4 config with CRLF line endings (Llama-3.2-1B)', () => {
    expect(read('meta-llama--Llama-3.2-1B')).toMatchObject({
      modelType: 'llama',
      architecture: 'LlamaForCausalLM',
      hiddenSize: 2048,
      numLayers: 16,
      numAttentionHeads: 32,
      numKeyValueHeads: 8,
      headDim: 64,
      intermediateSize: 8192,
      vocabSize: 128256,
      tieWordEmbeddings: true,
      maxPositionEmbeddings: 131072,
      dtype: 'bfloat16',
      mlp: 'gated',
      norm: 'rms'
    })
  })

  it('reads transformers v5 configs: dtype instead of torch_dtype, rope_parameters, layer_types', () => {
    expect(read('HuggingFaceTB--SmolLM2-135M')).toMatchObject({ dtype: 'bfloat16', hiddenSize: 576, numLayers: 30, numKeyValueHeads: 3, headDim: 64, tieWordEmbeddings: true })
    expect(read('Qwen--Qwen2.5-1.5B-Instruct')).toMatchObject({ dtype: 'float16', hiddenSize: 1536, numLayers: 28, numKeyValueHeads: 2, intermediateSize: 8960, attentionBias: true, slidingWindow: null })
  })

  it('reads a config that starts with a space and has no final newline (TinyLlama)', () => {
    expect(read('TinyLlama--TinyLlama-1.1B-Chat-v1.0')).toMatchObject({ hiddenSize: 2048, numLayers: 22, numKeyValueHeads: 4, maxPositionEmbeddings: 2048, tieWordEmbeddings: false })
  })

  it('reads GPT-2 field names and defaults (n_embd, n_layer, n_inner = 4 × hidden, tied, no dtype)', () => {
    expect(read('openai-community--gpt2')).toMatchObject({ hiddenSize: 768, numLayers: 12, numAttentionHeads: 12, numKeyValueHeads: 12, intermediateSize: 3072, maxPositionEmbeddings: 1024, tieWordEmbeddings: true, dtype: null, mlp: 'plain', norm: 'layer', fusedQkv: true, learnedPositions: true })
  })

  it('reads the language model inside text_config', () => {
    const arch = parseModelConfig({ model_type: 'gemma3', architectures: ['Gemma3ForConditionalGeneration'], text_config: { model_type: 'gemma3_text', hidden_size: 2560, num_hidden_layers: 34, num_attention_heads: 8, num_key_value_heads: 4, head_dim: 256, intermediate_size: 10240, vocab_size: 262208 }, dtype: 'bfloat16' })
    expect(arch).toMatchObject({ modelType: 'gemma3_text', hiddenSize: 2560, headDim: 256, dtype: 'bfloat16', architecture: 'Gemma3ForConditionalGeneration' })
  })

  it('explains what is wrong with a config that cannot be used', () => {
    expect(() => parseModelConfig([], 'x/config.json')).toThrow('x/config.json is not a JSON object')
    expect(() => parseModelConfig({ model_type: 'llama', num_hidden_layers: 2 }, 'y/config.json')).toThrow('y/config.json has no hidden size (looked for hidden_size, n_embd, d_model)')
    expect(() => parseModelConfig({ hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 6, num_key_value_heads: 4, vocab_size: 10 })).toThrow(/6 attention heads cannot be shared by 4 key\/value heads/)
    expect(() => parseModelConfig({ model_type: 'mixtral', hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, vocab_size: 32000, num_local_experts: 8 })).toThrow(/mixture-of-experts .*not support/)
    expect(() => parseModelConfigText('{"hidden_size": ', 'z/config.json')).toThrow(ModelConfigError)
    expect(() => parseModelConfigText('{"hidden_size": ', 'z/config.json')).toThrow(/z\/config.json is not valid JSON/)
  })
})

describe('countParameters matches the published sizes of real models', () => {
  const published: Array<[string, number]> = [
    ['openai-community--gpt2', 124_439_808],
    ['HuggingFaceTB--SmolLM2-135M', 134_515_008],
    ['Qwen--Qwen2.5-0.5B', 494_032_768],
    ['TinyLlama--TinyLlama-1.1B-Chat-v1.0', 1_100_048_384],
    ['meta-llama--Llama-3.2-1B', 1_235_814_400],
    ['Qwen--Qwen2.5-1.5B-Instruct', 1_543_714_304],
    ['meta-llama--Llama-2-7b-hf', 6_738_415_616]
  ]
  for (const [dir, total] of published) {
    it(dir, () => expect(countParameters(read(dir)).total).toBe(total))
  }

  it('also for the larger configs in ../shared/data (Llama-3.1-8B, Mistral-7B, Qwen2.5-7B, Llama-2-70B)', () => {
    expect(countParameters(read('meta-llama--Llama-3.1-8B', sharedConfigs)).total).toBe(8_030_261_248)
    expect(countParameters(read('mistralai--Mistral-7B-v0.1', sharedConfigs)).total).toBe(7_241_732_096)
    expect(countParameters(read('Qwen--Qwen2.5-7B', sharedConfigs)).total).toBe(7_615_616_512)
    expect(countParameters(read('meta-llama--Llama-2-70b-chat-hf', sharedConfigs)).total).toBe(68_976_648_192)
  })

  it('counts the tiny demo like the runtime builds it (~1M parameters)', () => {
    const count = countParameters(tinyDemoArchitecture)
    // tok_emb 258×128 + pos_emb 1024×128 + 4 blocks (q,k,v,o 128×128+128; up 128×512+512; down 512×128+128; 2 LayerNorms) + final LayerNorm + its own lm_head 258×128
    expect(count.total).toBe(258 * 128 + 1024 * 128 + 4 * (4 * (128 * 128 + 128) + (128 * 512 + 512) + (512 * 128 + 128) + 2 * 256) + 256 + 258 * 128)
  })

  it('lists the Linear layers LoRA can target, with GQA widths', () => {
    expect(blockLinears(read('meta-llama--Llama-3.2-1B')).map((linear) => [linear.name, linear.inFeatures, linear.outFeatures])).toEqual([
      ['q_proj', 2048, 2048],
      ['k_proj', 2048, 512],
      ['v_proj', 2048, 512],
      ['o_proj', 2048, 2048],
      ['gate_proj', 2048, 8192],
      ['up_proj', 2048, 8192],
      ['down_proj', 8192, 2048]
    ])
  })
})
