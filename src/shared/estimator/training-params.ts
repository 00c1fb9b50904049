import type { LoraParams, TrainingMethod, TrainingParams } from '../run-config'

/**
 * The training parameters are run.json's (src/shared/run-config): `params` with exactly the
 * names the Python runtime reads, and `method` beside them at the top of run.json. The estimator
 * reads the subset that changes memory or time, plus the method.
 */
export type { LoraParams, TrainingMethod, TrainingParams }
export type TrainingPrecision = TrainingParams['precision']
export type AttentionImplementation = TrainingParams['attention']
export type LearningRateScheduler = TrainingParams['scheduler']

/** What the estimator needs: the method and the parameters that change memory or time (full_weights: "fp32" when left out). */
export type EstimateParams = { method: TrainingMethod } & Pick<
  TrainingParams,
  'precision' | 'max_length' | 'micro_batch_size' | 'gradient_accumulation_steps' | 'epochs' | 'max_steps' | 'lora' | 'gradient_checkpointing' | 'packing' | 'attention'
> &
  Partial<Pick<TrainingParams, 'full_weights'>>

/** Concrete compute precision once "auto" is resolved for a device. */
export type ResolvedPrecision = 'bf16' | 'fp16' | 'fp32'
