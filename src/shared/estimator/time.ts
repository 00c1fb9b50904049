import { loraParametersPerLayer, resolveLoraTargets } from './lora-targets'
import type { ModelArchitecture } from './model-architecture'
import { countParameters } from './model-layers'
import type { GpuSpec } from './gpu-specs'
import type { TokenStats } from './token-stats'
import { tokensPerEpoch } from './token-stats'
import type { EstimateParams, ResolvedPrecision } from './training-params'

/**
 * Training time = tokens processed × FLOPs per token ÷ (peak FLOP/s × utilisation), shown as
 * a range because utilisation varies with the model size, sequence length and kernels.
 */

export type TimeDevice = { kind: 'gpu'; spec: GpuSpec } | { kind: 'cpu'; cores: number }

export interface TimeEstimate {
  /** Tokens one epoch processes, padding included. */
  tokensPerEpoch: number
  totalTokens: number
  optimizerSteps: number
  flopsPerToken: number
  totalFlops: number
  /** Peak FLOP/s used (dense, this precision). */
  peakFlops: number
  /** Fraction of peak assumed at best and at worst. */
  utilisation: { low: number; high: number }
  lowSeconds: number
  highSeconds: number
  /** The formula with its numbers, for the UI's detail line. */
  basis: string
}

/**
 * Utilisation (model FLOP/s ÷ peak) of eager PyTorch training on one GPU. Published runs without
 * torch.compile span about 12 % (PEFT's full finetuning of Llama-3.2-3B on an L40S, batches of
 * 4 short rows, where the optimizer step dominates) to 65 % (torchtune's LoRA of Llama-2-7B on
 * an RTX 4090 at 4 × 2048 tokens); we take 15–65 %.
 */
export const gpuUtilisation = { low: 0.15, high: 0.65 }
/**
 * bitsandbytes dequantises every 4-bit weight in forward and backward; LitGPT's tables show
 * QLoRA steps 1.1–2× slower than LoRA on the same A100, so QLoRA keeps 50–90 % of LoRA's speed.
 */
export const qloraSpeedFactor = { low: 0.5, high: 0.9 }
/**
 * CPU: one core peaks near 100 GFLOP/s in fp32 (AVX2: 2 FMA × 8 lanes × ~3 GHz), but the small
 * matrices of the demo model keep PyTorch far below that: 3–15 GFLOP/s per core, on at most 16
 * cores (PyTorch's intra-op threads).
 */
export const cpuGflopsPerCore = { low: 3, high: 15 }

export interface FlopsPerToken {
  total: number
  /** 2 × parameters in matmuls: the forward cost of one token through the Linears and lm_head. */
  forwardMatmul: number
  /** Causal attention scores and mixing in forward: 2 · layers · q_width · seq. */
  forwardAttention: number
}

/**
 * FLOPs per trained token.
 * - full: forward + backward to inputs + backward to weights = 3 × forward.
 * - LoRA/QLoRA: forward + backward to inputs (2 × matmul, attention 2 × forward) + the
 *   adapters' own 6 × parameters; no weight gradients for the frozen base.
 * - gradient checkpointing adds one more forward of the blocks.
 */
export function flopsPerToken(model: ModelArchitecture, params: Pick<EstimateParams, 'method' | 'lora' | 'gradient_checkpointing'>, sequenceLength: number): FlopsPerToken {
  const counted = countParameters(model)
  const matmulParams = counted.blockLinears + model.vocabSize * model.hiddenSize
  const forwardMatmul = 2 * matmulParams
  const forwardAttention = 2 * model.numLayers * model.numAttentionHeads * model.headDim * sequenceLength
  const forward = forwardMatmul + forwardAttention
  let total: number
  if (params.method === 'full') {
    total = 3 * forward
  } else {
    const loraParams = model.numLayers * loraParametersPerLayer(resolveLoraTargets(model, params.lora.target_modules), params.lora.r)
    total = 2 * forwardMatmul + 3 * forwardAttention + 6 * loraParams
  }
  if (params.gradient_checkpointing) total += 2 * counted.blockLinears + forwardAttention
  return { total, forwardMatmul, forwardAttention }
}

function peakFor(spec: GpuSpec, precision: ResolvedPrecision): number {
  if (precision === 'fp32') return spec.fp32 * 1e12
  if (precision === 'bf16') return (spec.bf16 ?? spec.fp16) * 1e12
  return spec.fp16 * 1e12
}

export interface TimeInput {
  model: ModelArchitecture
  params: EstimateParams
  precision: ResolvedPrecision
  tokenStats: Pick<TokenStats, 'counts'>
  device: TimeDevice
}

export function estimateTime(input: TimeInput): TimeEstimate {
  const { model, params } = input
  const perEpoch = tokensPerEpoch(input.tokenStats, params.max_length, params.micro_batch_size, params.packing)
  const examples = input.tokenStats.counts.length
  const rowsPerEpoch = params.packing ? Math.ceil(perEpoch / params.max_length) : examples
  const stepsPerEpoch = Math.max(1, Math.ceil(rowsPerEpoch / (params.micro_batch_size * params.gradient_accumulation_steps)))
  let optimizerSteps = stepsPerEpoch * params.epochs
  let totalTokens = perEpoch * params.epochs
  if (params.max_steps !== null && params.max_steps > 0) {
    totalTokens = (perEpoch / stepsPerEpoch) * params.max_steps
    optimizerSteps = params.max_steps
  }
  // Attention cost grows with the context each token sees: the mean padded row length.
  const meanRow = rowsPerEpoch > 0 ? perEpoch / rowsPerEpoch : params.max_length
  const flops = flopsPerToken(model, params, meanRow)
  const totalFlops = flops.total * totalTokens

  let peakFlops: number
  let utilisation: { low: number; high: number }
  let basis: string
  if (input.device.kind === 'gpu') {
    peakFlops = peakFor(input.device.spec, input.precision)
    utilisation = params.method === 'qlora'
      ? { low: gpuUtilisation.low * qloraSpeedFactor.low, high: gpuUtilisation.high * qloraSpeedFactor.high }
      : { ...gpuUtilisation }
    basis = `${(totalTokens / 1e6).toFixed(2)}M tokens × ${(flops.total / 1e9).toFixed(2)} GFLOP/token ÷ (${input.device.spec.name} ${(peakFlops / 1e12).toFixed(0)} TFLOP/s ${input.precision} × ${Math.round(utilisation.low * 100)}–${Math.round(utilisation.high * 100)} %)`
  } else {
    const cores = Math.max(1, Math.min(16, input.device.cores))
    peakFlops = cores * 1e11
    utilisation = { low: cpuGflopsPerCore.low / 100, high: cpuGflopsPerCore.high / 100 }
    basis = `${(totalTokens / 1e6).toFixed(2)}M tokens × ${(flops.total / 1e9).toFixed(3)} GFLOP/token ÷ (${cores} CPU cores × ${cpuGflopsPerCore.low}–${cpuGflopsPerCore.high} GFLOP/s)`
  }
  return {
    tokensPerEpoch: perEpoch,
    totalTokens,
    optimizerSteps,
    flopsPerToken: flops.total,
    totalFlops,
    peakFlops,
    utilisation,
    lowSeconds: totalFlops / (peakFlops * utilisation.high),
    highSeconds: totalFlops / (peakFlops * utilisation.low),
    basis
  }
}
