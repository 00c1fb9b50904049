/**
 * What the estimator needs to know about a causal language model: the shape numbers of its
 * config.json, normalised across the schema generations transformers has written (v4 with
 * `torch_dtype`/`rope_theta`, v5 with `dtype`/`rope_parameters`/`layer_types`) and across the
 * field names of older families (GPT-2 `n_embd`/`n_layer`, GPT-NeoX, Falcon).
 */

export type WeightDtype = 'float32' | 'bfloat16' | 'float16'

export interface ModelArchitecture {
  /** config.json `model_type` (e.g. "llama", "qwen2", "gpt2"). */
  modelType: string
  /** The first entry of `architectures` (e.g. "LlamaForCausalLM"), when given. */
  architecture: string | null
  hiddenSize: number
  numLayers: number
  numAttentionHeads: number
  numKeyValueHeads: number
  headDim: number
  intermediateSize: number
  vocabSize: number
  tieWordEmbeddings: boolean
  /** The longest context the model was built for; null when the config does not say. */
  maxPositionEmbeddings: number | null
  /** The dtype the checkpoint was saved in (`dtype` in v5, `torch_dtype` before). */
  dtype: WeightDtype | null
  /** SwiGLU/GeGLU (gate, up, down) or a plain two-matrix MLP (GPT-2, NeoX, Phi-1/2). */
  mlp: 'gated' | 'plain'
  norm: 'rms' | 'layer'
  /** 2 for most blocks (before attention and before MLP); 1 where both share one (Phi-1/2, GPT-J). */
  normsPerLayer: 1 | 2
  /** Whether q, k, v live in one fused Linear (GPT-2 `c_attn`, Phi-3 `qkv_proj`, NeoX). */
  fusedQkv: boolean
  attentionBias: boolean
  mlpBias: boolean
  /** GPT-2 style learned absolute position embeddings (a `wpe` table of maxPositions × hidden). */
  learnedPositions: boolean
  /** `quantization_config.quant_method` of pre-quantised checkpoints (e.g. "bitsandbytes", "gptq"). */
  quantization: string | null
  slidingWindow: number | null
  /** True only for LocalTune's built-in demo model. */
  isTinyDemo: boolean
}

export class ModelConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ModelConfigError'
  }
}

type Json = Record<string, unknown>

/** Families whose MLP is two matrices with GELU, not gated. */
const plainMlpTypes = new Set(['gpt2', 'gpt_neox', 'gptj', 'phi', 'falcon', 'opt', 'bloom', 'gpt_bigcode', 'starcoder2', 'codegen', 'stablelm_alpha'])
/** Families normalised with LayerNorm (mean and variance) instead of RMSNorm. */
const layerNormTypes = new Set(['gpt2', 'gpt_neox', 'gptj', 'phi', 'falcon', 'opt', 'bloom', 'gpt_bigcode', 'starcoder2', 'codegen', 'stablelm', 'stablelm_alpha'])
const fusedQkvTypes = new Set(['gpt2', 'gpt_neox', 'phi3', 'falcon', 'bloom', 'gpt_bigcode', 'codegen'])
/** Families whose q/k/v projections carry a bias although the config has no `attention_bias` key. */
const qkvBiasTypes = new Set(['qwen2', 'gpt2', 'gpt_neox', 'phi', 'bloom', 'gpt_bigcode', 'starcoder2', 'opt', 'codegen'])
const sharedNormTypes = new Set(['phi', 'gptj', 'codegen'])

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function firstNumber(config: Json, keys: readonly string[]): number | null {
  for (const key of keys) {
    const value = config[key]
    if (typeof value === 'number' && Number.isFinite(value)) return value
  }
  return null
}

function normaliseDtype(value: unknown): WeightDtype | null {
  if (typeof value !== 'string') return null
  const name = value.replace(/^torch\./, '').toLowerCase()
  if (name === 'bfloat16' || name === 'bf16') return 'bfloat16'
  if (name === 'float16' || name === 'fp16' || name === 'half') return 'float16'
  if (name === 'float32' || name === 'fp32' || name === 'float') return 'float32'
  return null
}

/**
 * Reads a parsed config.json (any transformers version) into a {@link ModelArchitecture}.
 * `source` names the file in error messages. Throws {@link ModelConfigError} with what is
 * missing and what to do.
 */
export function parseModelConfig(json: unknown, source = 'config.json'): ModelArchitecture {
  if (!isObject(json)) throw new ModelConfigError(`${source} is not a JSON object: it should be the model's config.json from Hugging Face.`)
  // Multimodal and some v5 configs keep the language model under text_config.
  const config: Json = isObject(json.text_config) && firstNumber(json, ['hidden_size', 'n_embd', 'd_model']) === null ? { ...json.text_config, ...pick(json, ['architectures', 'tie_word_embeddings', 'dtype', 'torch_dtype', 'quantization_config']) } : json
  const modelType = typeof config.model_type === 'string' ? config.model_type : typeof json.model_type === 'string' ? json.model_type : 'unknown'

  const experts = firstNumber(config, ['num_local_experts', 'num_experts', 'n_routed_experts', 'moe_num_experts'])
  if (experts !== null && experts > 1) {
    throw new ModelConfigError(`${source} describes a mixture-of-experts model (${experts} experts): LocalTune's estimator does not support mixture-of-experts models yet. Pick a dense model.`)
  }

  const require = (what: string, keys: readonly string[]): number => {
    const value = firstNumber(config, keys)
    if (value === null) throw new ModelConfigError(`${source} has no ${what} (looked for ${keys.join(', ')}): is it the config.json of a causal language model?`)
    if (!Number.isInteger(value) || value <= 0) throw new ModelConfigError(`${source}: ${what} is ${value}; it must be a positive whole number.`)
    return value
  }

  const hiddenSize = require('hidden size', ['hidden_size', 'n_embd', 'd_model'])
  const numLayers = require('layer count', ['num_hidden_layers', 'n_layer', 'num_layers'])
  const numAttentionHeads = require('attention head count', ['num_attention_heads', 'n_head', 'num_heads'])
  const vocabSize = require('vocabulary size', ['vocab_size', 'padded_vocab_size'])
  const multiQuery = config.multi_query === true
  const kv = firstNumber(config, ['num_key_value_heads', 'num_kv_heads', 'n_head_kv', 'multi_query_group_num'])
  const numKeyValueHeads = kv ?? (multiQuery ? 1 : numAttentionHeads)
  if (!Number.isInteger(numKeyValueHeads) || numKeyValueHeads <= 0 || numAttentionHeads % numKeyValueHeads !== 0) {
    throw new ModelConfigError(`${source}: ${numAttentionHeads} attention heads cannot be shared by ${numKeyValueHeads} key/value heads; the config looks damaged.`)
  }
  const explicitHeadDim = firstNumber(config, ['head_dim'])
  const headDim = explicitHeadDim ?? hiddenSize / numAttentionHeads
  if (!Number.isInteger(headDim)) throw new ModelConfigError(`${source}: hidden size ${hiddenSize} is not divisible by ${numAttentionHeads} heads and there is no head_dim.`)
  const intermediate = firstNumber(config, ['intermediate_size', 'n_inner', 'ffn_dim', 'ffn_hidden_size'])
  const intermediateSize = intermediate ?? 4 * hiddenSize
  if (!Number.isInteger(intermediateSize) || intermediateSize <= 0) throw new ModelConfigError(`${source}: intermediate size ${intermediateSize} must be a positive whole number.`)

  const maxPositions = firstNumber(config, ['max_position_embeddings', 'n_positions', 'n_ctx', 'max_sequence_length', 'seq_length'])
  const tie = typeof config.tie_word_embeddings === 'boolean' ? config.tie_word_embeddings : typeof json.tie_word_embeddings === 'boolean' ? json.tie_word_embeddings : true
  const architectures = Array.isArray(json.architectures) ? json.architectures.filter((item): item is string => typeof item === 'string') : []
  const quantization = isObject(json.quantization_config) && typeof json.quantization_config.quant_method === 'string' ? json.quantization_config.quant_method : null
  const useSliding = config.use_sliding_window
  const sliding = firstNumber(config, ['sliding_window'])
  const plain = plainMlpTypes.has(modelType)

  return {
    modelType,
    architecture: architectures[0] ?? null,
    hiddenSize,
    numLayers,
    numAttentionHeads,
    numKeyValueHeads,
    headDim,
    intermediateSize,
    vocabSize,
    tieWordEmbeddings: tie,
    maxPositionEmbeddings: maxPositions !== null && maxPositions > 0 ? maxPositions : null,
    dtype: normaliseDtype(json.dtype) ?? normaliseDtype(json.torch_dtype) ?? normaliseDtype(config.dtype) ?? normaliseDtype(config.torch_dtype),
    mlp: plain ? 'plain' : 'gated',
    norm: layerNormTypes.has(modelType) ? 'layer' : 'rms',
    normsPerLayer: sharedNormTypes.has(modelType) ? 1 : 2,
    fusedQkv: fusedQkvTypes.has(modelType),
    attentionBias: typeof config.attention_bias === 'boolean' ? config.attention_bias : typeof config.bias === 'boolean' ? config.bias : qkvBiasTypes.has(modelType),
    mlpBias: typeof config.mlp_bias === 'boolean' ? config.mlp_bias : plain,
    learnedPositions: modelType === 'gpt2' || modelType === 'gpt_bigcode' || modelType === 'opt',
    quantization,
    slidingWindow: useSliding === false ? null : sliding,
    isTinyDemo: false
  }
}

function pick(json: Json, keys: readonly string[]): Json {
  const out: Json = {}
  for (const key of keys) if (key in json) out[key] = json[key]
  return out
}

/** Parses config.json text; BOM, CRLF and leading whitespace are fine, broken JSON is named. */
export function parseModelConfigText(text: string, source = 'config.json'): ModelArchitecture {
  let json: unknown
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch (error) {
    throw new ModelConfigError(`${source} is not valid JSON (${(error as Error).message}); download the model again or fix the file.`)
  }
  return parseModelConfig(json, source)
}
