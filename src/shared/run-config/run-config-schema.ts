import { z } from 'zod'

/**
 * run.json, version 1: what the app writes into a run folder and the Python runtime reads. These
 * zod schemas are the one definition: `npm run protocol:generate` writes them as JSON Schema to
 * python-runtime/localtune_runtime/run.schema.json, which config.py validates every run.json
 * against (config.py's dataclasses document each field). A test fails while that file is stale.
 * Both sides are also tested against python-runtime/tests/fixtures/run-v1.json, run-v1-invalid.json
 * and training-params-defaults-v1.json.
 *
 * Every object is strict: an unknown key is an error on both sides (a typo must not be ignored).
 * Only checks JSON Schema can express belong in these schemas (no .refine: it would not reach the
 * runtime); a rule across fields goes in `runConfigProblems` and its twin in config.py.
 */

export const RUN_CONFIG_SCHEMA_VERSION = 1
export const TINY_DEMO_MODEL_ID = 'localtune/tiny-demo'

export const trainingMethodSchema = z.enum(['full', 'lora', 'qlora'])
export const trainingModeSchema = z.enum(['chat', 'generic'])
export const schedulerSchema = z.enum(['linear', 'cosine', 'constant'])
export const precisionSchema = z.enum(['auto', 'bf16', 'fp16', 'fp32'])
export const attentionSchema = z.enum(['auto', 'sdpa', 'eager', 'flash_attention_2'])
/**
 * Full finetuning's weights: "fp32" master weights with bf16/fp16 compute under autocast
 * (4 B weights + 8 B AdamW state per parameter), or pure "bf16": weights, gradients and AdamW
 * state in bf16 (half of that), as transformers.Trainer trains a model loaded in bf16. The cost:
 * an update smaller than about 1/256 of a weight rounds away, so long runs at low learning rates
 * can stall. LoRA and QLoRA ignore it (their adapters stay fp32).
 */
export const fullWeightsSchema = z.enum(['fp32', 'bf16'])

export type TrainingMethod = z.infer<typeof trainingMethodSchema>
export type TrainingMode = z.infer<typeof trainingModeSchema>

/** POSIX "/x", Windows "C:\x" or "C:/x", UNC "\\server\share"; the same rule as config.py. */
const absolutePath = /^(\/|[A-Za-z]:[\\/]|\\\\)/

/**
 * A string matching `pattern`. `problem` is the message on both sides: zod's, and the runtime's,
 * which reads it from the JSON Schema's `errorMessage` (validators ignore unknown keywords).
 */
const matching = (pattern: RegExp, problem: string) => z.string().regex(pattern, problem).meta({ errorMessage: problem })

/** At least one character that is not white space. */
const nonEmpty = matching(/\S/, 'must be a non-empty string')

export const loraParamsSchema = z.strictObject({
  /** Rank of the low-rank update matrices. */
  r: z.int().min(1),
  /** Scaling numerator: the update is multiplied by alpha / r. */
  alpha: z.number().positive(),
  /** Dropout on the LoRA input during training; 0 disables it. */
  dropout: z.number().min(0).lt(1),
  /** "all-linear" or module names such as ["q_proj", "v_proj"]. */
  target_modules: z.union([z.literal('all-linear'), z.array(nonEmpty).min(1)])
})
export type LoraParams = z.infer<typeof loraParamsSchema>

/** The resolved training parameters: every field present (as in the `started` event). */
export const trainingParamsSchema = z.strictObject({
  max_length: z.int().min(8),
  micro_batch_size: z.int().min(1),
  gradient_accumulation_steps: z.int().min(1),
  epochs: z.int().min(1),
  /** Overrides epochs when set. */
  max_steps: z.int().min(1).nullable(),
  learning_rate: z.number().positive(),
  scheduler: schedulerSchema,
  warmup_steps: z.int().min(0),
  weight_decay: z.number().min(0),
  /** 0 disables clipping. */
  max_grad_norm: z.number().min(0),
  lora: loraParamsSchema,
  gradient_checkpointing: z.boolean(),
  packing: z.boolean(),
  precision: precisionSchema,
  full_weights: fullWeightsSchema,
  attention: attentionSchema,
  eval_every_steps: z.int().min(1),
  save_every_steps: z.int().min(1),
  keep_checkpoints: z.int().min(1),
  seed: z.int().min(0),
  train_on_response_only: z.boolean(),
  log_every_steps: z.int().min(1)
})
export type TrainingParams = z.infer<typeof trainingParamsSchema>

/** The runtime's defaults for every parameter run.json leaves out. */
export const defaultTrainingParams: TrainingParams = {
  max_length: 512,
  micro_batch_size: 4,
  gradient_accumulation_steps: 1,
  epochs: 1,
  max_steps: null,
  learning_rate: 2e-4,
  scheduler: 'linear',
  warmup_steps: 0,
  weight_decay: 0,
  max_grad_norm: 1,
  lora: { r: 16, alpha: 32, dropout: 0.05, target_modules: 'all-linear' },
  gradient_checkpointing: false,
  packing: false,
  precision: 'auto',
  full_weights: 'fp32',
  attention: 'auto',
  eval_every_steps: 50,
  save_every_steps: 100,
  keep_checkpoints: 2,
  seed: 42,
  train_on_response_only: true,
  log_every_steps: 1
}

/** Fills the parameters (and LoRA settings) that are left out with their defaults. */
export function withDefaultParams(params: Partial<Omit<TrainingParams, 'lora'>> & { lora?: Partial<LoraParams> }): TrainingParams {
  return { ...defaultTrainingParams, ...params, lora: { ...defaultTrainingParams.lora, ...params.lora } }
}

/** run.json `params`: any subset of the parameters; the output has every one. */
export const runConfigParamsSchema = trainingParamsSchema
  .partial()
  .extend({ lora: loraParamsSchema.partial().optional() })
  .optional()
  .transform((params) => withDefaultParams(params ?? {}))
  .pipe(trainingParamsSchema)

export const modelSpecSchema = z.strictObject({
  /** Hugging Face id, or "localtune/tiny-demo". */
  id: nonEmpty,
  /** Absolute folder with config.json and weights; null looks the id up in the HF cache. */
  path: matching(absolutePath, 'must be an absolute folder path or null').nullable().default(null),
  /** Let the model's own Python code run. */
  trust_remote_code: z.boolean().default(false),
  /** Let transformers download missing files; off means HF_HUB_OFFLINE=1. */
  allow_downloads: z.boolean().default(false)
})
export type ModelSpec = z.infer<typeof modelSpecSchema>

export const dataSpecSchema = z.strictObject({
  /** Relative to the run folder (or absolute). */
  train: nonEmpty,
  valid: nonEmpty.nullable().default(null)
})

/**
 * The whole run.json. Field checks only: it stays a plain object schema so it can be picked and
 * extended. `parseRunConfig` adds the one cross-field rule (QLoRA needs a real model).
 */
export const runConfigSchema = z.strictObject({
  schema_version: z.literal(RUN_CONFIG_SCHEMA_VERSION),
  run_id: nonEmpty,
  model: modelSpecSchema,
  method: trainingMethodSchema,
  mode: trainingModeSchema,
  data: dataSpecSchema,
  params: runConfigParamsSchema,
  /** Also write the base model with the adapter merged in (final/merged). */
  merge: z.boolean().default(false)
})
export type RunConfig = z.infer<typeof runConfigSchema>
export type RunConfigInput = z.input<typeof runConfigSchema>

/** Problems that involve more than one field, as "field: problem" lines (empty when none). */
export function runConfigProblems(config: RunConfig): string[] {
  const problems: string[] = []
  if (config.method === 'qlora' && config.model.id === TINY_DEMO_MODEL_ID) {
    problems.push("method: 'qlora' needs a real Hugging Face model quantized to 4 bits with bitsandbytes; the tiny demo model cannot be quantized. Use 'lora' or 'full' with localtune/tiny-demo")
  }
  return problems
}

export type ParseRunConfigResult = { ok: true; config: RunConfig } | { ok: false; errors: string[] }

/**
 * A zod issue as "field: problem" lines; an unknown key is named by its own path, as the runtime
 * names it ("params.learnig_rate: is not a known setting").
 */
export function describeFieldIssue(issue: z.core.$ZodIssue, root = '(root)'): string[] {
  const join = (path: readonly PropertyKey[]) => (path.length ? path.map(String).join('.') : root)
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${join([...issue.path, key])}: is not a known setting`)
  return [`${join(issue.path)}: ${issue.message}`]
}

/** Validates a parsed run.json as the runtime will, naming each field that is wrong. */
export function parseRunConfig(value: unknown): ParseRunConfigResult {
  const parsed = runConfigSchema.safeParse(value)
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.flatMap((issue) => describeFieldIssue(issue, '(run.json)')) }
  }
  const problems = runConfigProblems(parsed.data)
  return problems.length ? { ok: false, errors: problems } : { ok: true, config: parsed.data }
}
