import { z } from 'zod'

/**
 * The JSON lines `python -m localtune_runtime verify --json` writes on stdout, checked here: a
 * line that does not match is not ours (a library printing) and is skipped, never half-read.
 */
const bytes = z.number().nonnegative()

const progressLine = z.object({
  type: z.literal('progress'),
  stage: z.enum(['tokenizer', 'data', 'model', 'step']),
  step: z.number().int().nullable(),
  steps: z.number().int(),
  message: z.string()
})

const resultLine = z.object({
  type: z.literal('result'),
  fits: z.boolean(),
  cause: z.enum(['out_of_memory', 'over_limit']).nullable(),
  message: z.string().nullable(),
  device: z.string(),
  precision: z.string(),
  method: z.string(),
  limit_bytes: bytes.nullable(),
  memory: z.object({
    kind: z.enum(['cuda', 'cpu-resident']),
    peak_bytes: bytes,
    runtime_bytes: bytes.nullable(),
    weights_bytes: bytes.nullable(),
    optimizer_state_bytes: bytes.nullable(),
    step_bytes: bytes.nullable(),
    allocated_peak_bytes: bytes.nullable(),
    reserved_peak_bytes: bytes.nullable(),
    device_used_bytes: bytes.nullable()
  }),
  batch: z.object({
    sequences: z.number().int(),
    longest_tokens: z.number().int(),
    padded_tokens: z.number().int(),
    micro_batch_size: z.number().int().positive(),
    max_length: z.number().int().positive()
  }),
  steps: z.array(z.object({ step: z.number().int(), seconds: z.number(), loss: z.number() })),
  seconds_per_step: z.number().nullable(),
  tokens_per_second: z.number().nullable()
})

const failureLine = z.object({
  type: z.literal('failure'),
  kind: z.string(),
  message: z.string(),
  advice: z.array(z.string())
})

const verifyLine = z.discriminatedUnion('type', [progressLine, resultLine, failureLine])
export type VerifyLine = z.infer<typeof verifyLine>
export type VerifyResultLine = z.infer<typeof resultLine>

export function parseVerifyLine(text: string): VerifyLine | null {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return null
  }
  const parsed = verifyLine.safeParse(value)
  return parsed.success ? parsed.data : null
}
