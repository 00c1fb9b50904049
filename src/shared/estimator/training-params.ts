/**
 * The training parameters, with exactly the names the Python runtime reads from run.json
 * `params`. Defined here because src/shared/run-config did not exist yet when the estimator
 * was written; the run-config schema must keep these names and meanings.
 */

export type TrainingMethod = 'full' | 'lora' | 'qlora'
export type TrainingPrecision = 'auto' | 'bf16' | 'fp16' | 'fp32'
export type AttentionImplementation = 'auto' | 'sdpa' | 'eager' | 'flash_attention_2'
export type LearningRateScheduler = 'linear' | 'cosine' | 'constant'

export interface LoraParams {
  r: number
  alpha: number
  dropout: number
  target_modules: 'all-linear' | string[]
}

export interface TrainingParams {
  method: TrainingMethod
  precision: TrainingPrecision
  max_length: number
  micro_batch_size: number
  gradient_accumulation_steps: number
  epochs: number
  max_steps: number | null
  learning_rate: number
  scheduler: LearningRateScheduler
  warmup_steps: number
  weight_decay: number
  max_grad_norm: number
  lora: LoraParams
  gradient_checkpointing: boolean
  packing: boolean
  attention: AttentionImplementation
  eval_every_steps: number
  save_every_steps: number
  keep_checkpoints: number
  seed: number
  train_on_response_only: boolean
}

/** The parameters that change memory or time; the rest of {@link TrainingParams} does not. */
export type EstimateParams = Pick<
  TrainingParams,
  'method' | 'precision' | 'max_length' | 'micro_batch_size' | 'gradient_accumulation_steps' | 'epochs' | 'max_steps' | 'lora' | 'gradient_checkpointing' | 'packing' | 'attention'
>

/** Concrete compute precision once "auto" is resolved for a device. */
export type ResolvedPrecision = 'bf16' | 'fp16' | 'fp32'
