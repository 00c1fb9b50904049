import type { AttentionKernel } from './activations'
import { activationTerms } from './activations'
import { fusedQkvAdaptedWidth, loraParametersPerLayer, resolveLoraTargets } from './lora-targets'
import type { ModelArchitecture } from './model-architecture'
import { blockLinears, countParameters } from './model-layers'
import type { AttentionImplementation, EstimateParams, ResolvedPrecision, TrainingPrecision } from './training-params'
import type { TrainingStack } from './training-stack'
import { LOSS_CHUNK_TOKENS, localTuneStack } from './training-stack'
import { formatGiB } from '../units'

/**
 * Peak memory of one training step as a breakdown. Every term's formula is written where it
 * is computed; docs/estimator.md explains the constants.
 *
 * Three views, because measurements report different things:
 * - allocated: torch.cuda.max_memory_allocated (tensors alive at the peak),
 * - reserved: torch.cuda.max_memory_reserved (allocated + the caching allocator's slack),
 * - nvidia-smi: reserved + the CUDA context (+ paged optimizer state resident on the GPU).
 */

export type VramTermKey =
  | 'context'
  | 'weights'
  | 'autocastWeightCopies'
  | 'loraAdapters'
  | 'gradients'
  | 'optimizerState'
  | 'pagedOptimizerState'
  | 'activations'
  | 'logitsAndLoss'
  | 'workspace'
  | 'allocatorSlack'
  | 'ddpBuckets'
  | 'fsdpGathered'

export interface VramTerm {
  key: VramTermKey
  label: string
  bytes: number
  /** How the number was computed, with the numbers filled in. */
  detail: string
}

export interface VramEstimate {
  /** Terms at the peak moment; their sum is `nvidiaSmiBytes`. */
  terms: VramTerm[]
  allocatedBytes: number
  reservedBytes: number
  nvidiaSmiBytes: number
  /** What must fit on the device: reserved + context (paged optimizer state can move to CPU RAM). */
  requiredBytes: number
  /** When the peak happens: at the start of backward (activations alive) or in the optimizer step. */
  peakPhase: 'backward' | 'optimizer-step'
  precision: ResolvedPrecision
  sequenceLength: number
  tokensPerMicroBatch: number
  totalParameters: number
  trainableParameters: number
  /** Ranks the figures are per (1: a single device). */
  ranks: number
  /** How those ranks share the model; null on one rank. */
  parallelism: Parallelism | null
  notes: string[]
}

export interface VramInput {
  model: ModelArchitecture
  params: EstimateParams
  device: 'gpu' | 'cpu'
  /** Whether the GPU supports bf16; decides what precision "auto" means. Null: unknown (bf16 assumed). */
  bf16Supported?: boolean | null
  /** Longest example in tokens. Without packing, batches are padded to their longest example, so the peak batch is min(max_length, longest). */
  longestExampleTokens?: number | null
  /** Exact parameter count (safetensors headers); the config-derived count otherwise. */
  parameterCount?: number | null
  stack?: Partial<TrainingStack>
  /**
   * torchrun ranks the run trains on (GPUs, or CPU processes), all alike; 1 (the default) is a
   * single-device run. The estimate is then per rank: what each GPU must hold.
   */
  ranks?: number
  /** How the ranks share the model; by default what LocalTune's runtime does for the method (`defaultParallelism`). */
  parallelism?: Parallelism
}

/**
 * How several ranks train one model.
 * - "ddp": DistributedDataParallel; every rank holds the whole model, gradients and optimizer
 *   state, and all-reduces the gradients (LocalTune's LoRA and QLoRA runs).
 * - "fsdp": FullyShardedDataParallel (FULL_SHARD): parameters, gradients and optimizer state are
 *   split into 1/N per rank; each wrapped unit (a decoder layer; the root unit with the
 *   embeddings, final norm and lm_head) is gathered whole only while it computes, in the compute
 *   dtype (FSDP2 MixedPrecisionPolicy param_dtype), and its gradient is reduce-scattered back to
 *   shards (LocalTune's full finetuning of Hugging Face models).
 */
export type Parallelism = 'ddp' | 'fsdp'

/**
 * What LocalTune's runtime uses on several ranks (python-runtime/localtune_runtime/sharding.py):
 * FSDP for full finetuning of a Hugging Face model, DDP for LoRA, QLoRA and the tiny demo model.
 */
export function defaultParallelism(method: EstimateParams['method'], isTinyDemo = false): Parallelism {
  return method === 'full' && !isTinyDemo ? 'fsdp' : 'ddp'
}

/** A rank count the estimator can use: a whole number ≥ 1 (anything else counts as one rank). */
export function normaliseRanks(ranks: number | null | undefined): number {
  return ranks !== null && ranks !== undefined && Number.isFinite(ranks) && ranks >= 1 ? Math.floor(ranks) : 1
}

/** CUDA context + PyTorch's kernels and cuBLAS workspace after lazy module loading (CUDA ≥ 11.7). */
export const cudaContextBytes = 512 * 1024 ** 2
/** Python, PyTorch and the runtime's own data in RAM when training on the CPU. */
export const cpuRuntimeBytes = 1024 ** 3
/**
 * The caching allocator keeps freed blocks for reuse; with tensors whose sizes change from
 * batch to batch, reserved memory runs above what is allocated. We add this fraction of the
 * per-step (dynamic) memory: activations, logits and temporaries. Weights and optimizer states
 * are allocated once and do not fragment.
 */
export const allocatorSlackFraction = 0.1

const bytesOf: Record<ResolvedPrecision, number> = { bf16: 2, fp16: 2, fp32: 4 }

export function resolvePrecision(precision: TrainingPrecision, device: 'gpu' | 'cpu', bf16Supported: boolean | null | undefined): ResolvedPrecision {
  if (device === 'cpu') return 'fp32'
  if (precision === 'auto') return bf16Supported === false ? 'fp16' : 'bf16'
  return precision
}

export function resolveAttentionKernel(attention: AttentionImplementation): AttentionKernel {
  if (attention === 'eager') return 'eager'
  if (attention === 'flash_attention_2') return 'flash'
  // "auto" is SDPA in current transformers.
  return 'sdpa'
}

/** NF4 bytes per weight: 4-bit code + block scales (fp32 per 64 weights, or 8-bit per 64 + fp32 per 256 blocks with double quantisation). */
export function nf4BytesPerParameter(doubleQuant: boolean): number {
  return 0.5 + (doubleQuant ? 1 / 64 + 4 / (64 * 256) : 4 / 64)
}

/** The batch's padded length at the peak: packing fills max_length; otherwise the longest example decides. */
export function peakSequenceLength(params: Pick<EstimateParams, 'max_length' | 'packing'>, longestExampleTokens: number | null | undefined): number {
  if (params.packing || !longestExampleTokens || longestExampleTokens <= 0) return params.max_length
  return Math.min(params.max_length, longestExampleTokens)
}

const gib = (bytes: number): string => formatGiB(bytes)

function count(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`
  return String(n)
}

export function estimateVram(input: VramInput): VramEstimate {
  const { model, params } = input
  // Pure bf16 full finetuning: bf16 weights, gradients and AdamW state, computed in bf16 on any
  // device (the runtime's choose_compute), so no fp32 master weights and no autocast copies.
  const pureBf16 = params.method === 'full' && params.full_weights === 'bf16'
  const stack: TrainingStack = { ...localTuneStack, ...(pureBf16 ? { fullFinetuneWeights: 'compute' as const } : {}), ...input.stack }
  const notes: string[] = []
  const precision = pureBf16 ? 'bf16' : resolvePrecision(params.precision, input.device, input.bf16Supported)
  if (pureBf16 && input.device === 'gpu' && input.bf16Supported === false) notes.push('Pure bf16 weights (full_weights "bf16") need a GPU with bf16; choose fp32 master weights.')
  if (!pureBf16 && precision === 'bf16' && input.bf16Supported === false) notes.push('This GPU has no bf16 support; choose fp16 or "auto".')
  const c = bytesOf[precision]
  const autocast = stack.autocast && c < 4
  const method = params.method
  const trainBase = method === 'full'
  const quantization: 'nf4' | 'int8' | null = method === 'qlora' ? 'nf4' : method === 'lora' && stack.int8Base ? 'int8' : null

  const counted = countParameters(model)
  const totalParameters = input.parameterCount && input.parameterCount > 0 ? input.parameterCount : counted.total
  // An exact count only changes the non-block part (vocabulary padding, extra buffers); block Linears follow the config.
  const blockLinearParams = counted.blockLinears
  const otherParams = Math.max(0, totalParameters - blockLinearParams)
  const lmHeadParams = model.vocabSize * model.hiddenSize
  const L = model.numLayers
  const ranks = normaliseRanks(input.ranks)
  const parallelism: Parallelism | null = ranks > 1 ? (input.parallelism ?? defaultParallelism(method, input.model.isTinyDemo)) : null
  const fsdp = parallelism === 'fsdp'
  // FSDP keeps 1/N of every parameter, gradient and optimizer state on each rank.
  const shard = fsdp ? 1 / ranks : 1

  // ── Weights ───────────────────────────────────────────────────────────────────────────────
  // Full finetuning: every parameter × (4 B for fp32 master weights, else the compute dtype).
  // LoRA: the frozen base × (compute dtype, or 4 B for an fp32 base).
  // QLoRA: block Linears at nf4BytesPerParameter (4-bit codes + block scales); embeddings,
  //   lm_head and norms unquantised (bitsandbytes replaces only the Linears inside the blocks,
  //   transformers keeps lm_head), in fp32 after prepare_model_for_kbit_training.
  // LLM.int8: 1 byte per Linear weight + one fp32 scale per output row.
  const baseBytes = trainBase ? (stack.fullFinetuneWeights === 'fp32' ? 4 : c) : stack.loraBaseWeights === 'fp32' ? 4 : c
  const unquantizedBytes = stack.unquantizedDtype === 'fp32' ? 4 : c
  let weights: number
  let weightDetail: string
  let residualBytes: number
  if (quantization === 'nf4') {
    const perParam = nf4BytesPerParameter(stack.doubleQuant)
    weights = blockLinearParams * perParam + otherParams * unquantizedBytes
    weightDetail = `${count(blockLinearParams)} Linear weights in NF4${stack.doubleQuant ? ' + double quant' : ''} × ${perParam.toFixed(4)} B + ${count(otherParams)} embeddings/lm_head/norms × ${unquantizedBytes} B`
    residualBytes = unquantizedBytes
  } else if (quantization === 'int8') {
    const rowScales = L * blockLinears(model).reduce((sum, linear) => sum + linear.outFeatures, 0) * 4
    weights = blockLinearParams + rowScales + otherParams * unquantizedBytes
    weightDetail = `${count(blockLinearParams)} Linear weights in int8 × 1 B + fp32 row scales + ${count(otherParams)} others × ${unquantizedBytes} B`
    residualBytes = unquantizedBytes
  } else {
    weights = totalParameters * baseBytes
    weightDetail = `${count(totalParameters)} parameters × ${baseBytes} B (${baseBytes === 4 && c < 4 ? 'fp32 master weights' : precision})`
    residualBytes = baseBytes
  }

  // Autocast casts fp32 weights to the compute dtype for each matmul; the matmul saves that
  // copy for the backward (it needs the weight to pass the gradient to its input).
  // Under FSDP the units are gathered in the compute dtype (MixedPrecision param_dtype) and the
  // matmuls use that gathered copy, which FSDP refills for backward: nothing is cast per matmul.
  let autocastCopies = 0
  if (fsdp) autocastCopies = 0
  else if (autocast && quantization === null && baseBytes === 4) autocastCopies = (blockLinearParams + lmHeadParams) * c
  else if (autocast && quantization !== null && unquantizedBytes === 4) autocastCopies = lmHeadParams * c

  // ── Trainable parameters: LoRA adapters or the whole model ───────────────────────────────
  const loraTargets = method === 'full' ? [] : resolveLoraTargets(model, params.lora.target_modules)
  const loraParams = method === 'full' ? 0 : L * loraParametersPerLayer(loraTargets, params.lora.r)
  const adapterBytes = stack.loraAdapterDtype === 'fp32' ? 4 : c
  const adapters = loraParams * adapterBytes * shard
  const trainableParameters = method === 'full' ? totalParameters : loraParams
  const trainableBytes = method === 'full' ? baseBytes : adapterBytes

  // Gradients: one per trainable parameter, in the parameter's dtype (FSDP: this rank's shard).
  const gradients = trainableParameters * trainableBytes * shard

  // Optimizer state. AdamW: exp_avg + exp_avg_sq in the parameter's dtype (2 × bytes).
  // 8-bit AdamW: 2 × 1 byte + an fp32 absmax per 2048-value block per state.
  const eightBit = stack.optimizer !== 'adamw'
  const optimizerPerParam = eightBit ? 2 + (2 * 4) / 2048 : 2 * trainableBytes
  const optimizerTotal = trainableParameters * optimizerPerParam * shard
  const paged = stack.optimizer === 'paged-adamw-8bit'
  const optimizerState = paged ? 0 : optimizerTotal
  const pagedState = paged ? optimizerTotal : 0
  // foreach AdamW builds sqrt(exp_avg_sq) for all parameters at once: one state-sized buffer.
  const optimizerTemp = !eightBit && stack.optimizerImplementation === 'foreach' ? trainableParameters * trainableBytes * shard : 0

  // ── Several ranks ─────────────────────────────────────────────────────────────────────────
  // DDP: the Reducer copies gradients into flat buckets (25 MiB each, covering every trainable
  // parameter) and all-reduces those; without gradient_as_bucket_view they are a second
  // gradient-sized buffer, allocated when the model is wrapped and alive to the end.
  const ddpBuckets = parallelism === 'ddp' ? trainableParameters * trainableBytes : 0
  // FSDP: at the backward peak the root unit (embeddings, final norm, lm_head: FSDP does not
  // reshard the root after forward) is whole on every rank, and so are two decoder layers: FSDP's
  // default backward prefetch (BACKWARD_PRE) gathers the next layer while the current one
  // computes its gradients ("current set of parameters, next set of parameters, current set of
  // gradients", torch.distributed.fsdp.BackwardPrefetch). All in the dtype they are gathered in,
  // with the current layer's and the root's unsharded gradients before the reduce-scatter.
  const gatherBytes = (stored: number): number => (autocast && stored === 4 ? c : stored)
  const blockParams = blockLinearParams / L
  const blockGatherBytes = quantization === 'nf4' ? nf4BytesPerParameter(stack.doubleQuant) : quantization === 'int8' ? 1 : gatherBytes(baseBytes)
  const rootGatherBytes = quantization !== null ? gatherBytes(unquantizedBytes) : gatherBytes(baseBytes)
  const gatheredGradients = trainBase ? (blockParams + otherParams) * gatherBytes(trainableBytes) : (loraParams / L) * adapterBytes
  const fsdpGathered = fsdp ? 2 * blockParams * blockGatherBytes + otherParams * rootGatherBytes + gatheredGradients : 0

  // ── Activations ───────────────────────────────────────────────────────────────────────────
  const sequenceLength = peakSequenceLength(params, input.longestExampleTokens)
  const tokens = params.micro_batch_size * sequenceLength
  const kernel = resolveAttentionKernel(params.attention)
  const act = activationTerms(model, {
    computeBytes: c,
    residualBytes,
    autocast,
    quantizedLinears: quantization !== null,
    quantizedLinearsSaveInput: stack.quantizedLinearsSaveInput,
    rmsNormUpcast: stack.rmsNormUpcast,
    meanSavesInput: stack.meanSavesInput,
    loraKeptOutputWidth: method !== 'full' && stack.loraScatterKeepsOutput ? fusedQkvAdaptedWidth(model, params.lora.target_modules) : 0,
    trainBase,
    loraTargets,
    loraRank: params.lora.r,
    adapterBytes,
    loraDropout: params.lora.dropout,
    attention: kernel,
    sequenceLength
  })
  // Without checkpointing: every block's saved tensors, L × perLayer × tokens.
  // With checkpointing: L block inputs are kept, and one block at a time is recomputed.
  const storedActivations = params.gradient_checkpointing
    ? L * act.checkpointPerLayer * tokens + act.final * tokens
    : L * act.perLayer * tokens + act.final * tokens
  const recomputedBlock = params.gradient_checkpointing ? act.perLayer * tokens : 0

  // ── Logits and loss ───────────────────────────────────────────────────────────────────────
  // Per logit (tokens × vocab), two parts. Kept: the logits tensor the training loop still
  // references during the whole backward. At the log-softmax backward, on top of it:
  // - fp32 log-softmax: three fp32 tensors (the saved log-softmax output, the incoming
  //   gradient, the gradient it produces) → 12 bytes;
  // - chunked-fp32: one fp32 log-softmax output per logit → 4 bytes (chunks are freed as the
  //   backward goes); chunked in the compute dtype → c bytes.
  // - hidden-chunked: nothing is kept; one chunk of at most LOSS_CHUNK_TOKENS tokens is
  //   recomputed at a time: its compute-dtype logits (none extra in fp32) + the same 12 bytes.
  const logitParts: Record<TrainingStack['loss'], { kept: number; atLossBackward: number }> = {
    'hidden-chunked': { kept: 0, atLossBackward: (c < 4 ? c : 0) + 12 },
    'fp32-upcast': { kept: c, atLossBackward: 12 },
    'fp32-logits-kept': { kept: 4, atLossBackward: 12 },
    'fp32-logits-freed': { kept: 0, atLossBackward: 12 },
    'chunked-fp32': { kept: c, atLossBackward: 4 },
    chunked: { kept: c, atLossBackward: c }
  }
  const { kept: logitKeptBytes, atLossBackward: logitExtraBytes } = logitParts[stack.loss]
  const logitBytes = logitKeptBytes + logitExtraBytes
  const lossTokens = stack.loss === 'hidden-chunked' ? Math.min(tokens, LOSS_CHUNK_TOKENS) : tokens
  const logitsKept = lossTokens * model.vocabSize * logitKeptBytes
  const logitsExtra = lossTokens * model.vocabSize * logitExtraBytes
  // Full finetuning: lm_head's weight gradient is created at the very start of backward.
  // (FSDP: it is part of the root unit's gathered gradient, counted there.)
  const lmHeadGradAtPeak = trainBase && !fsdp && params.gradient_accumulation_steps <= 1 ? lmHeadParams * trainableBytes : 0

  // ── Temporaries ───────────────────────────────────────────────────────────────────────────
  // One block's backward gradients, and for quantised weights one Linear dequantised to the
  // compute dtype at a time (bitsandbytes dequantizes per matmul, forward and backward).
  const largestLinear = Math.max(...blockLinears(model).map((linear) => linear.inFeatures * linear.outFeatures))
  const dequantBuffer = quantization ? largestLinear * c : 0
  const blockWorkspace = act.backwardWorkspace * tokens + dequantBuffer

  // Gradients persist between micro-steps when accumulating; with one micro-step they are
  // created during backward (and freed by zero_grad(set_to_none=True) after the step).
  const gradientsDuringBackward = params.gradient_accumulation_steps > 1 ? gradients : 0
  const shardedWeights = weights * shard
  const fixed = shardedWeights + autocastCopies + adapters + optimizerState + ddpBuckets
  const logitsBranch = logitsExtra + lmHeadGradAtPeak
  const recomputeBranch = recomputedBlock + blockWorkspace
  const logitsWin = logitsBranch >= recomputeBranch
  const backwardPeak = fixed + fsdpGathered + gradientsDuringBackward + storedActivations + logitsKept + Math.max(logitsBranch, recomputeBranch)
  const stepPeak = fixed + gradients + optimizerTemp
  const peakPhase = backwardPeak >= stepPeak ? 'backward' : 'optimizer-step'

  const isGpu = input.device === 'gpu'
  const terms: VramTerm[] = []
  const add = (key: VramTermKey, label: string, bytes: number, detail: string): void => {
    if (bytes > 0 || key === 'weights') terms.push({ key, label, bytes, detail })
  }
  add('context', isGpu ? 'CUDA context and kernels' : 'Python and PyTorch runtime', isGpu ? cudaContextBytes : cpuRuntimeBytes, isGpu ? 'fixed: CUDA context, PyTorch kernels and cuBLAS workspace (lazy loading)' : 'fixed: interpreter, PyTorch libraries, data loader')
  add('weights', 'Model weights', shardedWeights, fsdp ? `${weightDetail}, ÷ ${ranks} ranks (FSDP shard)` : weightDetail)
  add('autocastWeightCopies', 'Autocast weight copies', autocastCopies, `fp32 weights cast to ${precision} for each matmul and saved for backward`)
  add('loraAdapters', 'LoRA adapters', adapters, `${count(loraParams)} adapter parameters (r=${params.lora.r} on ${loraTargets.map((t) => t.name).join(', ')}) × ${adapterBytes} B${fsdp ? ` ÷ ${ranks} ranks` : ''}`)
  const perRank = fsdp ? ` ÷ ${ranks} ranks` : ''
  add('ddpBuckets', 'DDP gradient buckets', ddpBuckets, `${count(trainableParameters)} trainable × ${trainableBytes} B: DDP's all-reduce buckets, one gradient-sized copy on each of the ${ranks} ranks`)

  let dynamic: number
  if (peakPhase === 'backward') {
    const gradBytes = gradientsDuringBackward + (logitsWin ? lmHeadGradAtPeak : 0)
    add('gradients', 'Gradients', gradBytes, gradientsDuringBackward > 0 ? `${count(trainableParameters)} trainable × ${trainableBytes} B${perRank} (kept across ${params.gradient_accumulation_steps} accumulation steps)` : `lm_head gradient (${count(lmHeadParams)} × ${trainableBytes} B) at the start of backward`)
    add('optimizerState', 'Optimizer state', optimizerState, `${count(trainableParameters)} trainable × ${optimizerPerParam.toFixed(2)} B (${stack.optimizer})${perRank}`)
    add('fsdpGathered', 'FSDP gathered units', fsdpGathered, `whole on every rank while they compute: two decoder layers (the current and the prefetched next, ${count(blockParams)} × ${blockGatherBytes.toFixed(2)} B each) and the root unit (${count(otherParams)} embeddings/lm_head/norms × ${rootGatherBytes} B), with their unsharded gradients`)
    const activationBytes = storedActivations + (logitsWin ? 0 : recomputedBlock)
    add('activations', 'Activations', activationBytes, params.gradient_checkpointing
      ? `checkpointing: ${L} block inputs × ${act.checkpointPerLayer} B × ${tokens} tokens${logitsWin ? '' : ` + one recomputed block (${Math.round(act.perLayer)} B/token)`}`
      : `${L} blocks × ${Math.round(act.perLayer)} B/token × ${tokens} tokens (${params.micro_batch_size} × ${sequenceLength})`)
    const logitPart = logitsKept + (logitsWin ? logitsExtra : 0)
    add('logitsAndLoss', 'Logits and loss', logitPart, `${lossTokens} tokens × ${model.vocabSize} vocab × ${logitsWin ? logitBytes : logitKeptBytes} B (${logitsWin ? stack.loss : 'logits kept during backward'}${lossTokens < tokens ? `, one chunk of the ${tokens} tokens at a time` : ''})`)
    const work = logitsWin ? 0 : blockWorkspace
    add('workspace', 'Temporaries', work, `one block's backward gradients${dequantBuffer > 0 ? ' + one dequantised Linear weight' : ''}`)
    dynamic = activationBytes + logitPart + work
  } else {
    add('gradients', 'Gradients', gradients, `${count(trainableParameters)} trainable × ${trainableBytes} B${perRank}`)
    add('optimizerState', 'Optimizer state', optimizerState, `${count(trainableParameters)} trainable × ${optimizerPerParam.toFixed(2)} B (${stack.optimizer})${perRank}`)
    add('workspace', 'Temporaries', optimizerTemp, 'foreach AdamW: one state-sized buffer during the step')
    dynamic = optimizerTemp
  }
  const allocated = terms.filter((term) => term.key !== 'context').reduce((sum, term) => sum + term.bytes, 0)
  const slack = dynamic * allocatorSlackFraction
  add('allocatorSlack', 'Allocator slack', slack, `${Math.round(allocatorSlackFraction * 100)}% of per-step memory (caching allocator fragmentation)`)
  add('pagedOptimizerState', 'Paged optimizer state', pagedState, 'unified memory: resident on the GPU while there is room, moved to CPU RAM under pressure')

  const context = isGpu ? cudaContextBytes : cpuRuntimeBytes
  const reserved = allocated + slack
  if (!params.gradient_checkpointing && storedActivations > shardedWeights && isGpu) {
    notes.push(`Activations (${gib(storedActivations)}) outweigh the weights: gradient checkpointing would cut them to about ${gib(L * act.checkpointPerLayer * tokens + act.perLayer * tokens)}.`)
  }
  // Published multi-GPU runs (docs/benchmarks/estimate.md) measured more than these figures.
  if (fsdp) notes.push(`Per GPU of ${ranks} (FSDP). Published FSDP runs measured 6–21 % more per GPU than this estimate (docs/benchmarks/estimate.md); leave room.`)
  if (parallelism === 'ddp') notes.push(`Per GPU of ${ranks} (DDP: each holds the whole model). Not yet checked against a measured multi-GPU run.`)
  if (model.quantization) notes.push(`The checkpoint is pre-quantised (${model.quantization}); the estimate assumes the runtime loads it as ${method === 'qlora' ? 'NF4' : precision}.`)
  return {
    terms,
    allocatedBytes: allocated,
    reservedBytes: reserved,
    nvidiaSmiBytes: reserved + context + pagedState,
    requiredBytes: reserved + context,
    peakPhase,
    precision,
    sequenceLength,
    tokensPerMicroBatch: tokens,
    totalParameters,
    trainableParameters,
    ranks,
    parallelism,
    notes
  }
}
