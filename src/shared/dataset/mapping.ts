import { z } from 'zod'

/**
 * Which CSV columns feed which part of a training example. Values are column names as
 * LocalTune shows them (see CsvLayout.columns). Schemas here are what the contract validates.
 */
export const datasetModeSchema = z.enum(['generic', 'chat'])
export type DatasetMode = z.infer<typeof datasetModeSchema>

const columnName = z.string().min(1, 'Choose a column.')

export const genericMappingSchema = z.object({
  mode: z.literal('generic'),
  /** The column whose cell is the whole training text. */
  text: columnName
})

export const chatMappingSchema = z.object({
  mode: z.literal('chat'),
  /** The instruction / question. */
  prompt: columnName,
  /** The answer the model learns to write. */
  response: columnName,
  /** Extra input the instruction refers to (Alpaca's `input`); optional. */
  context: columnName.optional(),
  /** A per-row preamble (system prompt); optional. */
  promptStart: columnName.optional()
})

export const datasetMappingSchema = z.discriminatedUnion('mode', [genericMappingSchema, chatMappingSchema])

export type GenericMapping = z.infer<typeof genericMappingSchema>
export type ChatMapping = z.infer<typeof chatMappingSchema>
export type DatasetMapping = z.infer<typeof datasetMappingSchema>

export const chatTemplateSpecSchema = z.object({
  /** The Jinja `chat_template` from the model's tokenizer_config.json. */
  template: z.string().min(1),
  bosToken: z.string().optional(),
  eosToken: z.string().optional(),
  /** Other variables some templates read (e.g. `pad_token`, `unk_token`). */
  extraVariables: z.record(z.string(), z.string()).optional()
})
export type ChatTemplateSpec = z.infer<typeof chatTemplateSpecSchema>

export const trainingFormatOptionsSchema = z.object({
  /**
   * Preamble for every chat row whose prompt_start cell is empty or absent. Without it the
   * built-in Alpaca preambles are used (one for rows with context, one for rows without).
   */
  promptStartText: z.string().optional(),
  /** Chat mode: learn only from the response part (the prompt carries no loss). Default on. */
  trainOnResponseOnly: z.boolean().optional(),
  /** Chat mode: render with the model's own chat template instead of the LocalTune format. */
  chatTemplate: chatTemplateSpecSchema.optional()
})
export type TrainingFormatOptions = z.infer<typeof trainingFormatOptionsSchema>

/** Whether the response-only loss applies: on by default in chat mode, never in generic mode. */
export function resolveTrainOnResponseOnly(mode: DatasetMode, options: TrainingFormatOptions = {}): boolean {
  return mode === 'chat' ? (options.trainOnResponseOnly ?? true) : false
}

/** The columns a mapping reads, with the role each plays, in a stable order. */
export function mappedColumns(mapping: DatasetMapping): { role: string; column: string }[] {
  if (mapping.mode === 'generic') return [{ role: 'text', column: mapping.text }]
  const roles: { role: string; column: string }[] = []
  if (mapping.promptStart) roles.push({ role: 'prompt_start', column: mapping.promptStart })
  roles.push({ role: 'prompt', column: mapping.prompt })
  if (mapping.context) roles.push({ role: 'context', column: mapping.context })
  roles.push({ role: 'response', column: mapping.response })
  return roles
}

/** Names of mapped columns that the file does not have; empty when the mapping fits. */
export function missingMappedColumns(mapping: DatasetMapping, columns: readonly string[]): { role: string; column: string }[] {
  const known = new Set(columns)
  return mappedColumns(mapping).filter((entry) => !known.has(entry.column))
}
