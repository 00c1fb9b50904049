import type { EstimateParams, ModelArchitecture } from '../../../shared/estimator'
import { LoraTargetError, resolveLoraTargets, trainingDeviceProblems } from '../../../shared/estimator'
import type { TrainingMethod, TrainingParams } from '../../../shared/run-config'

/**
 * The Manual form as the user types it: numbers stay text until they are valid, so a field can
 * be half-typed ("0.", "1e-") without the form fighting back. `parseManualFields` turns the
 * text into run.json params and names each field that is wrong and what to enter instead.
 */

export const numericFieldKeys = [
  'max_length',
  'micro_batch_size',
  'gradient_accumulation_steps',
  'epochs',
  'max_steps',
  'learning_rate',
  'warmup_steps',
  'weight_decay',
  'lora_r',
  'lora_alpha',
  'lora_dropout',
  'eval_every_steps',
  'save_every_steps',
  'seed'
] as const
export type NumericFieldKey = (typeof numericFieldKeys)[number]

export interface ManualFields {
  method: TrainingMethod
  precision: TrainingParams['precision']
  /** Full finetuning: fp32 master weights or pure bf16 weights and optimizer state. */
  full_weights: TrainingParams['full_weights']
  scheduler: TrainingParams['scheduler']
  gradient_checkpointing: boolean
  packing: boolean
  /** "all-linear" or module names separated by commas. */
  lora_target_modules: string
  numbers: Record<NumericFieldKey, string>
  /** The parameters the form does not show, carried over unchanged from where it started. */
  base: TrainingParams
}

export type ManualFieldKey = NumericFieldKey | 'method' | 'precision' | 'full_weights' | 'scheduler' | 'lora_target_modules'

export const fieldLabels: Record<ManualFieldKey, string> = {
  method: 'Method',
  precision: 'Precision',
  full_weights: 'Full finetuning weights',
  scheduler: 'Learning rate schedule',
  max_length: 'Max length (tokens)',
  micro_batch_size: 'Micro batch size',
  gradient_accumulation_steps: 'Gradient accumulation steps',
  epochs: 'Epochs',
  max_steps: 'Stop after steps',
  learning_rate: 'Learning rate',
  warmup_steps: 'Warmup steps',
  weight_decay: 'Weight decay',
  lora_r: 'LoRA rank (r)',
  lora_alpha: 'LoRA alpha',
  lora_dropout: 'LoRA dropout',
  lora_target_modules: 'LoRA target modules',
  eval_every_steps: 'Evaluate every (steps)',
  save_every_steps: 'Save a checkpoint every (steps)',
  seed: 'Seed'
}

/** The form filled in from complete parameters (Auto's choice, or a suggestion applied). */
export function fieldsFromParams(method: TrainingMethod, params: TrainingParams): ManualFields {
  const text = (value: number): string => String(value)
  return {
    method,
    precision: params.precision,
    full_weights: params.full_weights,
    scheduler: params.scheduler,
    gradient_checkpointing: params.gradient_checkpointing,
    packing: params.packing,
    lora_target_modules: params.lora.target_modules === 'all-linear' ? 'all-linear' : params.lora.target_modules.join(', '),
    numbers: {
      max_length: text(params.max_length),
      micro_batch_size: text(params.micro_batch_size),
      gradient_accumulation_steps: text(params.gradient_accumulation_steps),
      epochs: text(params.epochs),
      max_steps: params.max_steps === null ? '' : text(params.max_steps),
      learning_rate: text(params.learning_rate),
      warmup_steps: text(params.warmup_steps),
      weight_decay: text(params.weight_decay),
      lora_r: text(params.lora.r),
      lora_alpha: text(params.lora.alpha),
      lora_dropout: text(params.lora.dropout),
      eval_every_steps: text(params.eval_every_steps),
      save_every_steps: text(params.save_every_steps),
      seed: text(params.seed)
    },
    base: params
  }
}

export interface ManualContext {
  model: ModelArchitecture | null
  demo: boolean
  /** Where it would train: the runtime refuses half precision on the CPU and bf16 on GPUs without it. */
  device: { kind: 'cpu' } | { kind: 'gpu'; label: string; bf16Supported: boolean | null } | null
}

export type ParsedManualFields =
  | { ok: true; method: TrainingMethod; params: TrainingParams }
  | { ok: false; errors: Partial<Record<ManualFieldKey, string>> }

type NumberRule = { kind: 'int'; min: number } | { kind: 'real'; min: number; exclusiveMin?: boolean; below?: number }

const rules: Record<NumericFieldKey, NumberRule> = {
  max_length: { kind: 'int', min: 8 },
  micro_batch_size: { kind: 'int', min: 1 },
  gradient_accumulation_steps: { kind: 'int', min: 1 },
  epochs: { kind: 'int', min: 1 },
  max_steps: { kind: 'int', min: 1 },
  learning_rate: { kind: 'real', min: 0, exclusiveMin: true },
  warmup_steps: { kind: 'int', min: 0 },
  weight_decay: { kind: 'real', min: 0 },
  lora_r: { kind: 'int', min: 1 },
  lora_alpha: { kind: 'real', min: 0, exclusiveMin: true },
  lora_dropout: { kind: 'real', min: 0, below: 1 },
  eval_every_steps: { kind: 'int', min: 1 },
  save_every_steps: { kind: 'int', min: 1 },
  seed: { kind: 'int', min: 0 }
}

function describeRule(rule: NumberRule): string {
  if (rule.kind === 'int') return `a whole number of ${rule.min} or more`
  if (rule.below !== undefined) return `a number from ${rule.min} up to (not including) ${rule.below}`
  return rule.exclusiveMin ? `a number above ${rule.min} (e.g. 2e-4)` : `a number of ${rule.min} or more`
}

/** The value of a numeric field, or the message that says what to type instead. */
export function parseNumberField(key: NumericFieldKey, raw: string): { value: number } | { error: string } {
  const rule = rules[key]
  const text = raw.trim()
  const label = fieldLabels[key]
  const value = text === '' ? Number.NaN : Number(text)
  const ok =
    Number.isFinite(value) &&
    (rule.kind === 'int' ? Number.isInteger(value) && value >= rule.min : (rule.exclusiveMin ? value > rule.min : value >= rule.min) && (rule.below === undefined || value < rule.below))
  if (ok) return { value }
  return { error: `${label}: enter ${describeRule(rule)}${text === '' ? '' : ` ("${text}" is not)`}.` }
}

/** Turns the form into run.json params, or names every field that must change. */
export function parseManualFields(fields: ManualFields, context: ManualContext): ParsedManualFields {
  const errors: Partial<Record<ManualFieldKey, string>> = {}
  const values = {} as Record<NumericFieldKey, number | null>
  for (const key of numericFieldKeys) {
    if (key === 'max_steps' && fields.numbers.max_steps.trim() === '') {
      values.max_steps = null
      continue
    }
    const parsed = parseNumberField(key, fields.numbers[key])
    if ('error' in parsed) errors[key] = parsed.error
    else values[key] = parsed.value
  }

  const positions = context.model?.maxPositionEmbeddings ?? null
  if (!errors.max_length && positions !== null && (values.max_length ?? 0) > positions) {
    errors.max_length = `${fieldLabels.max_length}: this model reads at most ${positions} tokens; enter ${positions} or less.`
  }
  // What this device can train is decided by the rule the CLI and the run supervisor share.
  if (context.device || context.demo) {
    const device = context.device ?? { kind: 'gpu' as const, label: 'the GPU', bf16Supported: null }
    for (const problem of trainingDeviceProblems({ method: fields.method, precision: fields.precision, fullWeights: fields.full_weights, demo: context.demo }, device)) {
      errors[problem.field] ??= `${fieldLabels[problem.field]}: ${problem.message}`
    }
  }

  // Pure bf16 weights compute in bf16 (the runtime's choose_compute refuses anything else).
  if (fields.method === 'full' && fields.full_weights === 'bf16') {
    if (context.demo) {
      errors.full_weights ??= `${fieldLabels.full_weights}: the tiny demo model trains fp32 weights; pure bf16 applies to Hugging Face models.`
    } else if (fields.precision === 'fp16' || fields.precision === 'fp32') {
      errors.full_weights ??= `${fieldLabels.full_weights}: pure bf16 weights compute in bf16; set Precision to auto or bf16, or choose fp32 master weights.`
    } else if (context.device?.kind === 'gpu' && context.device.bf16Supported === false) {
      errors.full_weights ??= `${fieldLabels.full_weights}: ${context.device.label} has no bf16; choose fp32 master weights.`
    }
  }

  const names = fields.lora_target_modules
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '')
  const targetModules: 'all-linear' | string[] = names.length === 1 && names[0] === 'all-linear' ? 'all-linear' : names
  if (fields.method !== 'full') {
    if (names.length === 0) errors.lora_target_modules = `${fieldLabels.lora_target_modules}: name at least one layer (e.g. q_proj, v_proj) or enter all-linear.`
    else if (targetModules !== 'all-linear' && names.includes('all-linear')) errors.lora_target_modules = `${fieldLabels.lora_target_modules}: all-linear already means every layer; enter it alone.`
    else if (context.model) {
      try {
        resolveLoraTargets(context.model, targetModules)
      } catch (error) {
        if (!(error instanceof LoraTargetError)) throw error
        errors.lora_target_modules = `${fieldLabels.lora_target_modules}: ${error.message.replace(/^lora\.target_modules /, '')}`
      }
    }
  }

  if (Object.keys(errors).length > 0) return { ok: false, errors }
  const number = (key: NumericFieldKey): number => values[key] as number
  const params: TrainingParams = {
    ...fields.base,
    max_length: number('max_length'),
    micro_batch_size: number('micro_batch_size'),
    gradient_accumulation_steps: number('gradient_accumulation_steps'),
    epochs: number('epochs'),
    max_steps: values.max_steps ?? null,
    learning_rate: number('learning_rate'),
    scheduler: fields.scheduler,
    warmup_steps: number('warmup_steps'),
    weight_decay: number('weight_decay'),
    lora: {
      r: number('lora_r'),
      alpha: number('lora_alpha'),
      dropout: number('lora_dropout'),
      // A full finetune ignores LoRA settings; keep what was there rather than an empty list.
      target_modules: fields.method === 'full' && names.length === 0 ? fields.base.lora.target_modules : targetModules
    },
    gradient_checkpointing: fields.gradient_checkpointing,
    packing: fields.packing,
    precision: fields.precision,
    full_weights: fields.full_weights,
    eval_every_steps: number('eval_every_steps'),
    save_every_steps: number('save_every_steps'),
    seed: number('seed')
  }
  return { ok: true, method: fields.method, params }
}

/** What the estimator reads of the parameters. */
export function estimateParamsOf(method: TrainingMethod, params: TrainingParams): EstimateParams {
  return {
    method,
    precision: params.precision,
    full_weights: params.full_weights,
    max_length: params.max_length,
    micro_batch_size: params.micro_batch_size,
    gradient_accumulation_steps: params.gradient_accumulation_steps,
    epochs: params.epochs,
    max_steps: params.max_steps,
    lora: params.lora,
    gradient_checkpointing: params.gradient_checkpointing,
    packing: params.packing,
    attention: params.attention
  }
}

/** A suggestion's estimator params applied onto complete run params. */
export function applyEstimateParams(params: TrainingParams, change: EstimateParams): { method: TrainingMethod; params: TrainingParams } {
  const { method, ...rest } = change
  return { method, params: { ...params, ...rest, lora: { ...change.lora } } }
}
