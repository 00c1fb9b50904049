import type { ModelArchitecture } from './model-architecture'
import type { BlockLinear, LinearInput } from './model-layers'
import { blockLinears } from './model-layers'

/**
 * Activation memory: the tensors autograd keeps from the forward pass for the backward pass,
 * in bytes per token, for eager PyTorch as transformers runs it (Llama-style blocks; GPT-2 /
 * NeoX blocks where they differ).
 *
 * The rule behind every term: an op saves an input only if its backward needs it. A Linear
 * `y = x Wᵀ` needs `x` only for the weight gradient, so it saves `x` only when `W` is trained
 * (full finetuning) or for a LoRA adapter's own matmul; a frozen Linear (LoRA/QLoRA base)
 * keeps nothing of its input. That is why LoRA needs less activation memory than full
 * finetuning although gradients flow through every layer.
 *
 * Dtypes (bytes per element) follow the stack: the residual stream has the embedding's dtype;
 * under autocast, Linear outputs and attention run in the compute dtype, while bitsandbytes'
 * 4-bit Linears return their input's dtype.
 */

export type AttentionKernel = 'eager' | 'sdpa' | 'flash'

/** Fused-q/k/v families whose attention copies v out of the fused output (indexing or reshape). */
const fusedQkvCopyingTypes = new Set(['falcon', 'bloom'])

export interface ActivationContext {
  /** Compute dtype bytes (2 for bf16/fp16, 4 for fp32). */
  computeBytes: number
  /** Residual stream dtype bytes: the embedding output's dtype (fp32 with fp32 master weights or fp32 unquantised layers). */
  residualBytes: number
  /** The forward runs under torch.autocast. */
  autocast: boolean
  /** The block Linears are bitsandbytes 4-bit (output in the input's dtype). */
  quantizedLinears: boolean
  /** Quantised Linears keep their input for backward (bitsandbytes before 0.43.3), like trained ones. */
  quantizedLinearsSaveInput: boolean
  /** RMSNorm keeps an fp32 copy of its input (transformers, torchtune) instead of the input itself. */
  rmsNormUpcast: boolean
  /** `mean` keeps its input for backward (PyTorch ≤ 2.1): each RMSNorm's x² stays alive. */
  meanSavesInput: boolean
  /** Output features of a fused q/k/v Linear whose adapter output is kept for backward (LitGPT's index_copy scatter); 0 otherwise. */
  loraKeptOutputWidth: number
  /** Full finetuning: every weight (Linear, norms, embeddings) is trained. */
  trainBase: boolean
  /** Linear layers with a LoRA adapter (empty for full finetuning). */
  loraTargets: readonly BlockLinear[]
  loraRank: number
  /** Adapter weight dtype bytes (4 for PEFT's fp32 adapters). */
  adapterBytes: number
  loraDropout: number
  attention: AttentionKernel
  /** Padded sequence length of the micro-batch (eager attention keeps seq × seq scores). */
  sequenceLength: number
}

export interface ActivationTerms {
  /** Everything one block saves, per token (no checkpointing). */
  perLayer: number
  /** Parts of perLayer, for explanations and tests. */
  perLayerParts: { norms: number; linearInputs: number; loraInputs: number; attention: number; attentionScores: number; mlp: number }
  /** What one block keeps per token with gradient checkpointing: its input (the residual stream). */
  checkpointPerLayer: number
  /** Final norm + lm_head input, per token. */
  final: number
  /** One block's backward temporaries, per token: the gradients of its largest intermediates. */
  backwardWorkspace: number
}

export function activationTerms(arch: ModelArchitecture, ctx: ActivationContext): ActivationTerms {
  const c = ctx.computeBytes
  const r = ctx.residualBytes
  const h = arch.hiddenSize
  const q = arch.numAttentionHeads * arch.headDim
  const kv = arch.numKeyValueHeads * arch.headDim
  const i = arch.intermediateSize
  const heads = arch.numAttentionHeads

  // Norm outputs. HF RMSNorm returns weight × x.to(input dtype): the residual dtype. LayerNorm
  // under autocast runs in fp32 and returns fp32.
  const normOut = arch.norm === 'layer' && ctx.autocast ? 4 : r
  // What a norm saves. RMSNorm upcasts its input to fp32 and keeps that copy for the variance
  // backward (for an fp32 input, the input itself); a trained weight also keeps the normalised
  // tensor. LayerNorm's kernel keeps its (fp32 under autocast) input plus fp32 mean and rstd.
  const rmsInput = ctx.rmsNormUpcast ? 4 : r
  // mean(x²) in the norm's compute dtype: kept too where mean saved its input (PyTorch ≤ 2.1).
  const rmsMeanInput = ctx.meanSavesInput ? rmsInput * h : 0
  const normSaved = arch.norm === 'rms' ? rmsInput * h + rmsMeanInput + (ctx.trainBase ? normOut * h : 0) : (ctx.autocast ? 4 : r) * h + 8
  const norms = arch.normsPerLayer * normSaved

  // Dtype of what the q/k/v and MLP Linears return: the compute dtype under autocast or with
  // compute-dtype weights; bitsandbytes 4-bit Linears cast back to their input's dtype.
  const linearOut = ctx.quantizedLinears ? normOut : c
  const siteWidth: Record<LinearInput, number> = { 'attention-input': h, 'attention-output': q, 'mlp-input': h, 'mlp-hidden': i }
  const siteDtype: Record<LinearInput, number> = { 'attention-input': normOut, 'attention-output': c, 'mlp-input': normOut, 'mlp-hidden': linearOut }
  const sharedSite = (input: LinearInput): LinearInput => (arch.normsPerLayer === 1 && input === 'mlp-input' ? 'attention-input' : input)

  // Linear inputs. A trained Linear saves what its matmul read: under autocast its own
  // compute-dtype cast of the input (one per Linear) unless the input already is in the compute
  // dtype; otherwise the shared input tensor itself. Old bitsandbytes 4-bit/8-bit Linears save
  // the input they were given (after their own cast to the compute dtype) although frozen.
  const targets = new Set(ctx.loraTargets.map((linear) => linear.name))
  const savedSites = new Set<LinearInput>()
  let linearInputs = 0
  let loraInputs = 0
  for (const linear of blockLinears(arch)) {
    const site = sharedSite(linear.input)
    const width = siteWidth[linear.input]
    const dtype = siteDtype[linear.input]
    if (ctx.trainBase) {
      if (ctx.autocast && dtype !== c) linearInputs += c * width
      else savedSites.add(site)
    } else if (ctx.quantizedLinears && ctx.quantizedLinearsSaveInput) {
      if (dtype !== c) linearInputs += c * width
      else savedSites.add(site)
    }
    if (targets.has(linear.name)) {
      // PEFT: x → cast to the adapter dtype → dropout → lora_A. lora_A saves what its matmul
      // reads: under autocast a compute-dtype cast of that tensor; without autocast the dropout
      // output, or the cast copy, or (no dropout, same dtype) the shared input itself. Dropout
      // keeps a 1-byte mask. lora_B saves lora_A's output (r values per token).
      const mask = ctx.loraDropout > 0 ? width : 0
      if (ctx.autocast) {
        if (ctx.loraDropout === 0 && ctx.adapterBytes === c && dtype === c) savedSites.add(site)
        else loraInputs += c * width + mask
      } else if (ctx.loraDropout > 0) loraInputs += ctx.adapterBytes * width + mask
      else if (ctx.adapterBytes !== dtype) loraInputs += ctx.adapterBytes * width
      else savedSites.add(site)
      loraInputs += (ctx.autocast ? c : ctx.adapterBytes) * ctx.loraRank
    }
  }
  for (const site of savedSites) linearInputs += siteDtype[site] * siteWidth[site]
  loraInputs += c * ctx.loraKeptOutputWidth

  // Attention. RoPE writes new q and k (its cos/sin need no gradient, so it saves nothing); the
  // kernel saves q, k, v in the compute dtype (autocast casts them) and, for SDPA/flash, its
  // output plus an fp32 log-sum-exp per head. transformers' eager and SDPA paths expand k and v
  // to every query head (repeat_kv) before the kernel, so those are saved at full width;
  // flash_attention_2 takes grouped k/v as they are.
  const kvSaved = ctx.attention === 'flash' ? kv : q
  // A saved view keeps its whole base tensor alive. With a fused q/k/v Linear, RoPE writes new
  // q and k, but v reaches the kernel as a view into the fused output (no repeat copy when
  // every query head has its own k/v head, or with flash's grouped k/v), so the kernel's saved
  // v holds the q and k parts of that output too. Families that copy v anyway (Falcon's
  // indexing, BLOOM's reshape) or that never rewrite q and k (learned positions: q, k and v are
  // all views of the one output, already counted once) keep nothing extra.
  const valueViewKeepsFusedOutput = arch.fusedQkv && !arch.learnedPositions && !fusedQkvCopyingTypes.has(arch.modelType) && (kv === q || ctx.attention === 'flash')
  const fusedOutputKept = valueViewKeepsFusedOutput ? linearOut * (q + kv) : 0
  let attention: number
  let attentionScores = 0
  if (ctx.attention === 'eager') {
    // matmul(q, kᵀ) saves q and k; softmax runs in fp32 and saves its fp32 output; the
    // compute-dtype probabilities are saved by matmul(probs, v) together with v.
    attention = c * q + 2 * c * kvSaved + fusedOutputKept
    attentionScores = heads * ctx.sequenceLength * (4 + (c < 4 ? c : 0))
  } else {
    attention = c * q + 2 * c * kvSaved + c * q + 4 * heads + fusedOutputKept
  }

  // MLP. Gated (SwiGLU): act(gate) saves gate's output; the product saves act's output and up's
  // output. Plain (GELU): GELU saves fc's output. The product (or GELU output) is the down
  // projection's input, counted above when something saves it.
  const mlp = arch.mlp === 'gated' ? 3 * linearOut * i : linearOut * i

  const perLayer = norms + linearInputs + loraInputs + attention + attentionScores + mlp

  // With checkpointing a block keeps only its input (the residual stream) and recomputes the
  // rest during backward.
  const checkpointPerLayer = r * h
  // Final norm, and lm_head's input when lm_head is trained (full finetuning).
  const lmHeadInput = ctx.trainBase ? (ctx.autocast && normOut !== c ? c : normOut) * h : 0
  const final = normSaved + lmHeadInput

  // One block's backward: the gradients of the MLP intermediates live together (down input,
  // gate and up outputs) next to the residual gradient being accumulated; eager attention's
  // backward also holds the fp32 score gradient next to the probabilities' gradient.
  const mlpWorkspace = linearOut * (arch.mlp === 'gated' ? 3 : 2) * i + 2 * r * h
  const attentionWorkspace = ctx.attention === 'eager' ? heads * ctx.sequenceLength * (4 + c) + 2 * r * h : 0
  const backwardWorkspace = Math.max(mlpWorkspace, attentionWorkspace)

  return {
    perLayer,
    perLayerParts: { norms, linearInputs, loraInputs, attention, attentionScores, mlp },
    checkpointPerLayer,
    final,
    backwardWorkspace
  }
}
