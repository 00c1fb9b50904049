import type { ModelArchitecture } from './model-architecture'

/**
 * The Linear layers of one transformer block and the parameter count of the whole model,
 * derived from the architecture. The estimator needs both: LoRA adapters attach to Linear
 * layers, quantisation replaces exactly the Linear layers inside the blocks, and activation
 * memory depends on which Linear inputs autograd keeps.
 */

/** Where a Linear reads its input from; Linears with the same input share one saved tensor. */
export type LinearInput = 'attention-input' | 'attention-output' | 'mlp-input' | 'mlp-hidden'

export interface BlockLinear {
  /** The module name as PEFT's `target_modules` matches it (suffix of the module path). */
  name: string
  /** Other names it answers to in `target_modules` (e.g. GPT-2 `c_attn` for q, k and v). */
  aliases: readonly string[]
  input: LinearInput
  inFeatures: number
  outFeatures: number
  bias: boolean
}

export interface ParameterCount {
  /** Token embeddings (vocab × hidden). */
  embedding: number
  /** Learned absolute positions (GPT-2); 0 for RoPE models. */
  positionEmbedding: number
  /** One block: Linear weights (+ biases). */
  linearPerLayer: number
  /** One block: norm weights (+ LayerNorm biases). */
  normPerLayer: number
  finalNorm: number
  /** Output projection; 0 when tied to the embeddings. */
  lmHead: number
  /** All Linear parameters inside the blocks: what 4-bit/8-bit quantisation replaces. */
  blockLinears: number
  total: number
}

/** The Linear layers of one block in forward order. */
export function blockLinears(arch: ModelArchitecture): BlockLinear[] {
  const h = arch.hiddenSize
  const q = arch.numAttentionHeads * arch.headDim
  const kv = arch.numKeyValueHeads * arch.headDim
  const i = arch.intermediateSize
  const attnBias = arch.attentionBias
  // GPT-2/NeoX/Bloom put a bias on the attention output too; Qwen2 only on q, k, v.
  const outBias = arch.mlp === 'plain' && attnBias
  const linears: BlockLinear[] = []
  if (arch.fusedQkv) {
    linears.push({ name: 'qkv_proj', aliases: ['c_attn', 'query_key_value', 'Wqkv', 'q_proj', 'k_proj', 'v_proj'], input: 'attention-input', inFeatures: h, outFeatures: q + 2 * kv, bias: attnBias })
  } else {
    linears.push({ name: 'q_proj', aliases: ['query', 'q'], input: 'attention-input', inFeatures: h, outFeatures: q, bias: attnBias })
    linears.push({ name: 'k_proj', aliases: ['key', 'k'], input: 'attention-input', inFeatures: h, outFeatures: kv, bias: attnBias })
    linears.push({ name: 'v_proj', aliases: ['value', 'v'], input: 'attention-input', inFeatures: h, outFeatures: kv, bias: attnBias })
  }
  linears.push({ name: 'o_proj', aliases: ['c_proj', 'dense', 'out_proj', 'wo'], input: 'attention-output', inFeatures: q, outFeatures: h, bias: outBias })
  if (arch.mlp === 'gated') {
    linears.push({ name: 'gate_proj', aliases: ['w1'], input: 'mlp-input', inFeatures: h, outFeatures: i, bias: arch.mlpBias })
    linears.push({ name: 'up_proj', aliases: ['w3'], input: 'mlp-input', inFeatures: h, outFeatures: i, bias: arch.mlpBias })
  } else {
    linears.push({ name: 'up_proj', aliases: ['c_fc', 'fc1', 'fc_in', 'dense_h_to_4h'], input: 'mlp-input', inFeatures: h, outFeatures: i, bias: arch.mlpBias })
  }
  linears.push({ name: 'down_proj', aliases: ['c_proj', 'fc2', 'fc_out', 'dense_4h_to_h', 'w2'], input: 'mlp-hidden', inFeatures: i, outFeatures: h, bias: arch.mlpBias })
  return linears
}

/**
 * Parameter count from the config alone. The model catalog prefers the exact count read from
 * the safetensors headers; this is the fallback and the cross-check (tests compare it with the
 * published counts of real models).
 */
export function countParameters(arch: ModelArchitecture): ParameterCount {
  const h = arch.hiddenSize
  const linearPerLayer = blockLinears(arch).reduce((sum, linear) => sum + linear.inFeatures * linear.outFeatures + (linear.bias ? linear.outFeatures : 0), 0)
  const normSize = arch.norm === 'layer' ? 2 * h : h
  const normPerLayer = arch.normsPerLayer * normSize
  const embedding = arch.vocabSize * h
  const positionEmbedding = arch.learnedPositions ? (arch.maxPositionEmbeddings ?? 0) * h : 0
  const lmHead = arch.tieWordEmbeddings ? 0 : arch.vocabSize * h
  const blockLinearsTotal = arch.numLayers * linearPerLayer
  const total = embedding + positionEmbedding + arch.numLayers * (linearPerLayer + normPerLayer) + normSize + lmHead
  return { embedding, positionEmbedding, linearPerLayer, normPerLayer, finalNorm: normSize, lmHead, blockLinears: blockLinearsTotal, total }
}
