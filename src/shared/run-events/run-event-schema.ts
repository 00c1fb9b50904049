import { z } from 'zod'
import { describeFieldIssue, fullWeightsSchema, trainingMethodSchema, trainingModeSchema, trainingParamsSchema } from '../run-config/run-config-schema'

/**
 * One line of `<run>/events.jsonl`, version 1. These zod schemas are the one definition:
 * `npm run protocol:generate` writes them as JSON Schema to
 * python-runtime/localtune_runtime/events.schema.json, which the runtime validates every event
 * against before writing it (tests/shared/protocol-schemas.test.ts fails while that file is
 * stale). Both sides are also tested on the shared fixtures events-v1.jsonl and
 * events-v1-invalid.json. Objects are strict; only checks JSON Schema can express belong here.
 */

/**
 * The `started` event's config: the resolved parameters. `full_weights` is absent from the events
 * of runs trained before pure bf16 existed (they kept fp32 weights), and those runs stay readable.
 */
export const startedConfigSchema = trainingParamsSchema.extend({ full_weights: fullWeightsSchema.default('fp32') })

export const RUN_EVENT_VERSION = 1

const count = z.int().min(0)
const positiveCount = z.int().min(1)
const seconds = z.number().min(0)

const envelope = {
  /** Event format version; a reader rejects versions it does not know. */
  v: z.literal(RUN_EVENT_VERSION),
  /** Unix time in seconds when the event was written. */
  time: z.number().min(0),
  /** run_id from run.json (the run folder name if run.json could not be read). */
  run_id: z.string().min(1),
  /** True on every event of a tiny-demo run (not a real language model); required on `started`. */
  demo: z.boolean().optional()
}

// disk: a write failed on a full, read-only or unwritable disk (the path and errno are in the message).
export const errorKindSchema = z.enum(['config', 'data', 'model_files', 'tokenizer', 'out_of_memory', 'unsupported_precision', 'missing_package', 'interrupted', 'disk', 'internal'])
export type ErrorKind = z.infer<typeof errorKindSchema>

export const finishedStatusSchema = z.enum(['completed', 'stopped', 'failed'])
export type FinishedStatus = z.infer<typeof finishedStatusSchema>

/** CUDA memory of the runtime process in bytes; null on the CPU. */
export const gpuMemorySchema = z.strictObject({
  allocated_bytes: count.nullable(),
  reserved_bytes: count.nullable(),
  peak_bytes: count.nullable()
})

/** CUDA memory figures at the moment of an out-of-memory error, in bytes. */
export const oomMemorySchema = z.strictObject({
  allocated_bytes: count.nullable(),
  reserved_bytes: count.nullable(),
  peak_bytes: count.nullable(),
  total_bytes: count.nullable(),
  free_bytes: count.nullable()
})

/** Training is about to take its first step (or its first step after a resume). */
export const startedEventSchema = z.strictObject({
  ...envelope,
  type: z.literal('started'),
  versions: z.strictObject({ python: z.string(), torch: z.string().nullable(), transformers: z.string().nullable(), peft: z.string().nullable() }),
  /**
   * The runtime's lock file (localtune-runtime.lock.json in the venv `localtune setup-runtime`
   * made): where it is, its flavour and creation time, and every installed package's exact
   * version. null when the Python was not set up by LocalTune; absent in events written before
   * the lock existed, which is why it is optional.
   */
  runtime_lock: z
    .strictObject({
      path: z.string().min(1),
      flavour: z.enum(['cpu', 'cuda']),
      created_at: z.string().min(1),
      packages: z.record(z.string(), z.string().min(1))
    })
    .nullable()
    .optional(),
  /** "cpu" or the CUDA device, e.g. "cuda:0 (NVIDIA GeForce RTX 4090)". */
  device: z.string().min(1),
  /** The resolved precision ("auto" is never written here). */
  precision: z.enum(['bf16', 'fp16', 'fp32']),
  method: trainingMethodSchema,
  mode: trainingModeSchema,
  /** The resolved run.json params, every field present. */
  config: startedConfigSchema,
  total_steps: positiveCount,
  resumed_from_step: count.nullable(),
  /**
   * How many processes (torchrun ranks, one per GPU) train together; 1 for a single process.
   * Absent in events written before distributed training.
   */
  world_size: positiveCount.optional(),
  /**
   * How the ranks share the model: "ddp" (each holds all of it; LoRA, QLoRA and the demo model)
   * or "fsdp" (each holds 1/world_size of the weights, gradients and optimizer state; full
   * finetuning of a Hugging Face model); null for a single process. Absent in older events.
   */
  parallelism: z.enum(['ddp', 'fsdp']).nullable().optional(),
  /** Sequences per optimizer step: micro_batch_size × gradient_accumulation_steps × world_size. Absent in older events. */
  effective_batch_size: positiveCount.optional(),
  model: z.strictObject({ id: z.string().min(1), total_parameters: count, trainable_parameters: count }),
  /** Examples after tokenization: truncated ones were cut to max_length, skipped ones had no token carrying loss. */
  data: z.strictObject({ train_examples: positiveCount, valid_examples: count, truncated_examples: count, skipped_examples: count }),
  /** True for the built-in tiny demo model (not a real language model). */
  demo: z.boolean()
})

/** One optimizer step finished (written every log_every_steps steps). */
export const progressEventSchema = z.strictObject({
  ...envelope,
  type: z.literal('progress'),
  step: positiveCount,
  total_steps: positiveCount,
  /** Fractional epochs done, e.g. 1.5. */
  epoch: z.number().min(0),
  /** Mean training loss per target token over the step; null if not finite. */
  loss: z.number().nullable(),
  lr: z.number().min(0),
  /** Global gradient norm before clipping; null if not finite (an fp16 overflow step). */
  grad_norm: z.number().min(0).nullable(),
  tokens_per_second: z.number().min(0),
  examples_per_second: z.number().min(0),
  elapsed_seconds: seconds,
  eta_seconds: seconds.nullable(),
  /** Of rank 0's process. */
  gpu_memory: gpuMemorySchema,
  /**
   * Distributed runs only: each rank's peak memory so far in bytes, in rank order (its GPU's peak
   * allocation; on the CPU its process's peak resident memory; null where the OS does not say).
   */
  rank_peak_bytes: z.array(count.nullable()).min(1).optional()
})

/** Validation loss, every eval_every_steps steps and at the end. */
export const evalEventSchema = z.strictObject({
  ...envelope,
  type: z.literal('eval'),
  step: count,
  eval_loss: z.number().nullable(),
  eval_examples: positiveCount
})

/** A resumable checkpoint was written. */
export const checkpointEventSchema = z.strictObject({
  ...envelope,
  type: z.literal('checkpoint'),
  step: positiveCount,
  /** Relative to the run folder, e.g. "checkpoints/step-100". */
  path: z.string().min(1)
})

/** Something the person should know; training goes on. */
export const warningEventSchema = z.strictObject({
  ...envelope,
  type: z.literal('warning'),
  message: z.string().min(1),
  /** What it is about; written now: tokenizer, data, precision, attention, save_format, merge, resume, model. */
  kind: z.string().min(1)
})

/** Training failed; a finished event with status "failed" follows. */
export const errorEventSchema = z.strictObject({
  ...envelope,
  type: z.literal('error'),
  kind: errorKindSchema,
  message: z.string().min(1),
  /** Concrete things to try, best first. */
  advice: z.array(z.string().min(1)),
  step: count.nullable(),
  /** Only for out_of_memory on a GPU. */
  memory: oomMemorySchema.optional(),
  /** Distributed runs only: the rank (process) that failed first, or that stopped without a word. */
  rank: count.optional()
})

/** The last event of a run attempt. "stopped" (stopped on request) is a success: exit code 0. */
export const finishedEventSchema = z.strictObject({
  ...envelope,
  type: z.literal('finished'),
  status: finishedStatusSchema,
  step: count,
  /** Paths are relative to the run folder; null when nothing was saved. */
  final_dir: z.string().nullable(),
  /** The LoRA adapter file. */
  adapter_path: z.string().nullable(),
  /** Full model weights file. */
  weights_path: z.string().nullable(),
  /** Folder of the merged model (merge: true). */
  merged_path: z.string().nullable(),
  /** Mean training loss of the last (up to) 10 steps. */
  final_train_loss: z.number().nullable(),
  final_eval_loss: z.number().nullable(),
  peak_memory_bytes: count.nullable(),
  elapsed_seconds: seconds
})

export const runEventSchema = z.discriminatedUnion('type', [
  startedEventSchema,
  progressEventSchema,
  evalEventSchema,
  checkpointEventSchema,
  warningEventSchema,
  errorEventSchema,
  finishedEventSchema
])

export type RunEvent = z.infer<typeof runEventSchema>
export type RunEventType = RunEvent['type']
export type StartedEvent = z.infer<typeof startedEventSchema>
export type ProgressEvent = z.infer<typeof progressEventSchema>
export type EvalEvent = z.infer<typeof evalEventSchema>
export type CheckpointEvent = z.infer<typeof checkpointEventSchema>
export type WarningEvent = z.infer<typeof warningEventSchema>
export type ErrorEvent = z.infer<typeof errorEventSchema>
export type FinishedEvent = z.infer<typeof finishedEventSchema>
export type GpuMemory = z.infer<typeof gpuMemorySchema>

/** Every event schema by its type, for code that needs them one by one. */
export const runEventSchemasByType = {
  started: startedEventSchema,
  progress: progressEventSchema,
  eval: evalEventSchema,
  checkpoint: checkpointEventSchema,
  warning: warningEventSchema,
  error: errorEventSchema,
  finished: finishedEventSchema
} as const satisfies Record<RunEventType, z.ZodType>

export type ParseRunEventLineResult = { ok: true; event: RunEvent } | { ok: false; error: string }

/** Parses one line of events.jsonl; the error names the field and the problem. */
export function parseRunEventLine(line: string): ParseRunEventLineResult {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch (error) {
    return { ok: false, error: `not valid JSON: ${(error as Error).message}` }
  }
  if (typeof value === 'object' && value !== null && 'v' in value && value.v !== RUN_EVENT_VERSION) {
    return { ok: false, error: `event version ${JSON.stringify(value.v)} is not supported (this app reads version ${RUN_EVENT_VERSION})` }
  }
  const parsed = runEventSchema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    return { ok: false, error: issue ? (describeFieldIssue(issue, '(event)')[0] ?? issue.message) : 'invalid event' }
  }
  return { ok: true, event: parsed.data }
}
