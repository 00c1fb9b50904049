import { loraParametersPerLayer, resolveLoraTargets } from './lora-targets'
import type { ModelArchitecture } from './model-architecture'
import { countParameters } from './model-layers'
import type { GpuSpec } from './gpu-specs'
import type { TokenStats } from './token-stats'
import { tokensPerEpoch } from './token-stats'
import type { EstimateParams, ResolvedPrecision } from './training-params'
import type { Parallelism } from './vram'
import { defaultParallelism, normaliseRanks } from './vram'

const bytesOfPrecision = (precision: ResolvedPrecision): number => (precision === 'fp32' ? 4 : 2)

/**
 * Training time = tokens processed × FLOPs per token ÷ (peak FLOP/s × utilisation), shown as
 * a range because utilisation varies with the model size, sequence length and kernels.
 */

/**
 * `bf16Supported` on the CPU: whether its cores do bf16 arithmetic natively (AVX512-BF16 or AMX
 * on x86, the BF16 extension on Arm); null when unknown. It matters only for pure bf16 runs.
 */
export type TimeDevice = { kind: 'gpu'; spec: GpuSpec } | { kind: 'cpu'; cores: number; bf16Supported?: boolean | null }

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
  /** Ranks sharing the work (1: one device) and the per-rank throughput kept on several, as used. */
  ranks: number
  scalingEfficiency: { low: number; high: number }
  /** Seconds of the high end spent moving data between machines (0 on one machine). */
  interNodeSeconds: number
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
/**
 * bf16 on the CPU (pure bf16 full finetuning computes in bf16 wherever it runs), as a factor on
 * the fp32 rate above.
 * - Without native bf16 (most desktop CPUs: AVX2 only), PyTorch's bf16 matmul falls back to a
 *   generic kernel: measured on this project's 2-core AVX2 build machine (torch 2.13 CPU, one
 *   thread, 512×256×1024 and 512×576×1536 matmuls, the demo's and SmolLM2-135M's shapes),
 *   0.7–0.9 GFLOP/s against 40–46 GFLOP/s in fp32, i.e. 1/57–1/51 of fp32: we take 1/60–1/45.
 * - With native bf16 (AVX512-BF16's VDPBF16PS does twice the multiply-adds of an fp32 FMA;
 *   AMX tiles more, but the small matrices of CPU-sized models rarely fill them): 1–2 × fp32.
 */
export const cpuBf16SpeedFactor = { fallback: { low: 1 / 60, high: 1 / 45 }, native: { low: 1, high: 2 } }
/**
 * Per-GPU throughput kept when one run is split over several GPUs of one machine, relative to
 * the same GPU alone. Published pairs at the same effective batch (fms-acceleration
 * scripts/benchmarks/refs/a100_80gb.csv @ 24bdadb2, 1 vs 2 A100-80GB, FSDP, models of 7B and
 * more): per-GPU tokens/s at 2 GPUs were 81–97 % of 1 GPU's across full finetuning, LoRA and
 * QLoRA. We take 80–95 %; it is measured on NVLink A100s, so GPUs that talk over PCIe only may
 * do worse, mostly with FSDP, which moves the whole model through the GPUs every step.
 */
export const multiGpuScalingEfficiency = { low: 0.8, high: 0.95 }
/**
 * The link between machines the slow end of a multi-machine estimate assumes: 10 Gb/s
 * Ethernet (1.25 GB/s), a common fast home or office network. The fast end assumes the
 * collectives hide behind compute, as they do on InfiniBand/RoCE clusters.
 */
export const interNodeBytesPerSecond = 10e9 / 8

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
  /** One rank's device; with several ranks, all alike. */
  device: TimeDevice
  /** torchrun ranks (default 1); each processes 1/ranks of the rows, the effective batch is micro × accumulation × ranks. */
  ranks?: number
  /** Machines the ranks are spread over (default 1); more than one adds the network's cost. */
  nodes?: number
  /** How the ranks share the model (default: LocalTune's choice for the method); decides what crosses the network. */
  parallelism?: Parallelism
}

/**
 * Bytes one rank sends per optimizer step in its collectives (ring algorithms: (N-1)/N of the
 * buffer per all-gather or reduce-scatter, twice that per all-reduce).
 * - DDP: one all-reduce of the trainable gradients per optimizer step (accumulation steps run
 *   under no_sync), in the trainable parameters' dtype (PEFT's adapters: fp32).
 * - FSDP: every micro-step all-gathers the parameters for forward and again for backward and
 *   reduce-scatters the gradients, all in the compute dtype: 3 × the model.
 */
export function collectiveBytesPerStep(model: ModelArchitecture, params: EstimateParams, precision: ResolvedPrecision, ranks: number, parallelism: Parallelism): number {
  if (ranks <= 1) return 0
  const ring = (ranks - 1) / ranks
  const total = countParameters(model).total
  if (parallelism === 'fsdp') return 3 * ring * total * bytesOfPrecision(precision) * params.gradient_accumulation_steps
  const trainable = params.method === 'full' ? total : model.numLayers * loraParametersPerLayer(resolveLoraTargets(model, params.lora.target_modules), params.lora.r)
  // PEFT keeps adapters in fp32 and full finetuning keeps fp32 master weights, so their gradients are fp32; pure bf16 ones are bf16.
  const gradientBytes = params.method === 'full' && params.full_weights === 'bf16' ? 2 : 4
  return 2 * ring * trainable * gradientBytes
}

export function estimateTime(input: TimeInput): TimeEstimate {
  const { model, params } = input
  const ranks = normaliseRanks(input.ranks)
  const nodes = Math.min(ranks, normaliseRanks(input.nodes))
  const parallelism = input.parallelism ?? defaultParallelism(params.method, model.isTinyDemo)
  const perEpoch = tokensPerEpoch(input.tokenStats, params.max_length, params.micro_batch_size, params.packing)
  const examples = input.tokenStats.counts.length
  const rowsPerEpoch = params.packing ? Math.ceil(perEpoch / params.max_length) : examples
  // Each rank takes its own micro-batches: one optimizer step consumes micro × accumulation × ranks rows.
  const stepsPerEpoch = Math.max(1, Math.ceil(rowsPerEpoch / (params.micro_batch_size * params.gradient_accumulation_steps * ranks)))
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
    // Pure bf16 computes in bf16 on the CPU too: natively fast, else through a fallback far slower than fp32.
    const bf16 = input.precision === 'bf16'
    const support = input.device.bf16Supported ?? null
    const factor = !bf16 ? { low: 1, high: 1 } : support === true ? cpuBf16SpeedFactor.native : support === false ? cpuBf16SpeedFactor.fallback : { low: cpuBf16SpeedFactor.fallback.low, high: cpuBf16SpeedFactor.native.high }
    utilisation = { low: (cpuGflopsPerCore.low * factor.low) / 100, high: (cpuGflopsPerCore.high * factor.high) / 100 }
    const rate = (gflops: number): string => (gflops >= 1 ? gflops.toFixed(gflops < 10 ? 1 : 0) : gflops.toFixed(2))
    const bf16Basis = !bf16 ? '' : support === true ? ' in native bf16' : support === false ? ' in bf16 without native support (a fallback about 50 × slower than fp32)' : ' in bf16: fast if this CPU does bf16 natively (AVX512-BF16, AMX), about 50 × slower than fp32 if not'
    basis = `${(totalTokens / 1e6).toFixed(2)}M tokens × ${(flops.total / 1e9).toFixed(3)} GFLOP/token ÷ (${cores} CPU cores × ${rate(cpuGflopsPerCore.low * factor.low)}–${rate(cpuGflopsPerCore.high * factor.high)} GFLOP/s${bf16Basis})`
  }
  // Several ranks: each does 1/ranks of the work at the per-GPU efficiency kept when splitting;
  // across machines the slow end also waits for the collectives over the network. CPU ranks
  // (--processes) share their machine's cores, so only more machines add compute there.
  const efficiency = ranks > 1 ? multiGpuScalingEfficiency : { low: 1, high: 1 }
  const workers = input.device.kind === 'cpu' ? nodes : ranks
  const interNodeSeconds = nodes > 1 ? (optimizerSteps * collectiveBytesPerStep(model, params, input.precision, ranks, parallelism)) / interNodeBytesPerSecond : 0
  if (ranks > 1) {
    basis += input.device.kind === 'cpu'
      ? ` ÷ (${nodes} machine${nodes > 1 ? 's' : ''} × ${Math.round(efficiency.low * 100)}–${Math.round(efficiency.high * 100)} % kept when splitting; the ${ranks} processes share each machine's cores)`
      : ` ÷ (${ranks} ranks × ${Math.round(efficiency.low * 100)}–${Math.round(efficiency.high * 100)} % kept per rank when splitting, from published 1- vs 2-GPU runs)`
    if (nodes > 1) basis += ` + up to ${Math.round(interNodeSeconds)} s of ${parallelism === 'fsdp' ? 'parameter and gradient' : 'gradient'} exchange between ${nodes} machines over 10 Gb/s Ethernet`
  }
  return {
    tokensPerEpoch: perEpoch,
    totalTokens,
    optimizerSteps,
    flopsPerToken: flops.total,
    totalFlops,
    peakFlops,
    utilisation,
    lowSeconds: totalFlops / (peakFlops * utilisation.high * workers * efficiency.high),
    highSeconds: totalFlops / (peakFlops * utilisation.low * workers * efficiency.low) + interNodeSeconds,
    basis,
    ranks,
    scalingEfficiency: efficiency,
    interNodeSeconds
  }
}
