/**
 * The physical details of a training stack that change memory but are not user parameters.
 * `localTuneStack` describes LocalTune's Python runtime (python-runtime/localtune_runtime:
 * transformers + PEFT + torch AdamW); the benchmark describes other published setups
 * (torchtune, LitGPT, PEFT's own benchmark) with the same fields, so each measurement is
 * compared with the configuration that produced it.
 */
export interface TrainingStack {
  /**
   * - "adamw": torch.optim.AdamW; two states per trainable parameter, in the parameter's dtype
   *   (torch allocates them with zeros_like(param)).
   * - "adamw-8bit": bitsandbytes 8-bit AdamW; two 1-byte states + an fp32 absmax per 2048 values.
   * - "paged-adamw-8bit": the same states in CUDA unified memory, which the driver moves to CPU
   *   RAM under pressure; PyTorch's allocator does not count them.
   */
  optimizer: 'adamw' | 'adamw-8bit' | 'paged-adamw-8bit'
  /** "fused" updates in place; "foreach" (torch's default without fused=True) holds one extra state-sized buffer during the step. */
  optimizerImplementation: 'fused' | 'foreach'
  /** The forward runs under torch.autocast in the compute dtype (AMP). */
  autocast: boolean
  /** Full finetuning: fp32 master weights (with autocast) or pure compute-dtype weights. */
  fullFinetuneWeights: 'fp32' | 'compute'
  /** LoRA: the frozen base in the compute dtype, or fp32 (LitGPT "bf16-mixed"). */
  loraBaseWeights: 'fp32' | 'compute'
  /** PEFT keeps LoRA weights in fp32 when the base is bf16/fp16 (autocast_adapter_dtype=True); torchtune and LitGPT keep them in the compute dtype. */
  loraAdapterDtype: 'fp32' | 'compute'
  /**
   * How the loss reads the logits, and which logits tensor is still referenced during backward:
   * - "fp32-upcast": the loss upcasts the compute-dtype logits to fp32; the training loop keeps
   *   the compute-dtype logits (transformers, LocalTune's runtime).
   * - "fp32-logits-kept": the model itself returns fp32 logits and the loop keeps them through
   *   backward (torchtune before July 2024: `self.output(h).float()`, no `del logits`).
   * - "fp32-logits-freed": the same fp32 logits, deleted before backward (torchtune from July
   *   2024, pytorch/torchtune#1235).
   * - "chunked-fp32": cross-entropy over chunks, each upcast to fp32, so only the
   *   compute-dtype logits and one fp32 log-softmax output per logit stay alive (torchtune's
   *   CEWithChunkedOutputLoss).
   * - "chunked": cross-entropy over chunks in the compute dtype: the log-softmax output is
   *   kept in the compute dtype too (LitGPT's chunked_cross_entropy on bf16 logits).
   * - "hidden-chunked": the loss applies lm_head itself to at most LOSS_CHUNK_TOKENS labelled
   *   tokens at a time and makes that chunk's gradients in the same pass, so no logits outlive their chunk
   *   (LocalTune's runtime: python-runtime/localtune_runtime/loss.py).
   */
  loss: 'fp32-upcast' | 'fp32-logits-kept' | 'fp32-logits-freed' | 'chunked-fp32' | 'chunked' | 'hidden-chunked'
  /** QLoRA: quantise the NF4 block scales again (bitsandbytes bnb_4bit_use_double_quant). */
  doubleQuant: boolean
  /**
   * The layers QLoRA leaves unquantised (embeddings, lm_head, norms): fp32, as peft's
   * prepare_model_for_kbit_training casts them, or the compute dtype. fp32 here also makes the
   * residual stream fp32 (the embedding output is fp32).
   */
  unquantizedDtype: 'compute' | 'fp32'
  /** LoRA on an LLM.int8 (8-bit) base instead of a bf16/fp16 one. */
  int8Base: boolean
  /**
   * bitsandbytes before 0.43.3 kept each 4-bit/8-bit Linear's input for backward although the
   * quantised weight is frozen (fixed by bitsandbytes PR #1270, "fix QLoRA mem bug: delete
   * useless buffered activation", July 2024).
   */
  quantizedLinearsSaveInput: boolean
  /** RMSNorm computes in fp32 and keeps an fp32 copy of its input (transformers, torchtune); LitGPT 2023 normalised in the input dtype. */
  rmsNormUpcast: boolean
  /**
   * LitGPT's fused-qkv LoRA scatters the adapter output into the q/k/v layout with index_copy,
   * whose backward keeps that output (compute dtype, width of the adapted parts). PEFT adds
   * the adapter output directly and keeps nothing of it.
   */
  loraScatterKeepsOutput: boolean
  /**
   * PyTorch up to 2.1 saved the input of `mean` for its backward although only its element
   * count is needed (pytorch/pytorch#109876, reported on 2.1's code in September 2023;
   * reproduced with Debian's torch 1.13: `MeanBackward1._saved_self`). An RMSNorm computes
   * mean(x²), so each RMSNorm kept its x² tensor alive until backward.
   */
  meanSavesInput: boolean
}

/** Tokens per cross-entropy chunk in LocalTune's runtime (LOSS_CHUNK_TOKENS in python-runtime/localtune_runtime/loss.py). */
export const LOSS_CHUNK_TOKENS = 1024

/**
 * LocalTune's runtime (python-runtime/localtune_runtime/backends/hf.py and train.py): forward
 * under autocast; full finetuning with fp32 master weights; LoRA with the base in the compute
 * dtype and PEFT's fp32 adapters; QLoRA as NF4 with double quantisation after
 * prepare_model_for_kbit_training (unquantised layers in fp32); fused torch AdamW; the loss
 * projects hidden states to fp32 logits one chunk of labelled tokens at a time.
 */
export const localTuneStack: TrainingStack = {
  optimizer: 'adamw',
  optimizerImplementation: 'fused',
  autocast: true,
  fullFinetuneWeights: 'fp32',
  loraBaseWeights: 'compute',
  loraAdapterDtype: 'fp32',
  loss: 'hidden-chunked',
  doubleQuant: true,
  unquantizedDtype: 'fp32',
  int8Base: false,
  quantizedLinearsSaveInput: false,
  rmsNormUpcast: true,
  loraScatterKeepsOutput: false,
  // The HF backend runs a current PyTorch (transformers and PEFT need one), whose mean backward keeps only the element count.
  meanSavesInput: false
}
