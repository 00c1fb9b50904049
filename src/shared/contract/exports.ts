import { z } from 'zod'
import { confirmedPathsSchema } from './confirmed-paths'
import { defineChannel, defineEventStream } from './define'
import { playgroundInputSchema } from './runs'

/**
 * Exports of a finished run: the PEFT adapter, a merged transformers model, or a GGUF file for
 * llama.cpp / Ollama / LM Studio, each proven by loading it in the tool it is for and comparing
 * its answers with the trained model's (docs/exports.md).
 */

export const exportFormatSchema = z.enum(['adapter', 'merged', 'gguf'])
export type ExportFormat = z.infer<typeof exportFormatSchema>

/** The GGUF types the runtime's `gguf` package can write (python-runtime/localtune_runtime/export/__init__.py). */
export const ggufQuantSchema = z.enum(['f32', 'f16', 'bf16', 'q8_0', 'q5_1', 'q5_0', 'q4_1', 'q4_0'])
export type GgufQuant = z.infer<typeof ggufQuantSchema>

export const ggufQuantLabels: Record<GgufQuant, string> = {
  f32: 'f32: exact, 4 bytes a weight',
  f16: 'f16: same answers as the trained model, 2 bytes a weight',
  bf16: 'bf16: 2 bytes a weight, the range of f32 (llama.cpp computes it more slowly on some CPUs)',
  q8_0: 'q8_0: about 1 byte a weight, answers almost always the same (recommended)',
  q5_1: 'q5_1: about 0.75 bytes a weight',
  q5_0: 'q5_0: about 0.69 bytes a weight',
  q4_1: 'q4_1: about 0.63 bytes a weight',
  q4_0: 'q4_0: about 0.56 bytes a weight, the smallest; answers drift most'
}

export const exportFormatLabels: Record<ExportFormat, string> = {
  gguf: 'GGUF for Ollama, LM Studio and llama.cpp',
  merged: 'Merged model (safetensors, loads with transformers alone)',
  adapter: 'PEFT adapter (small; needs the base model)'
}

export const exportOptionsSchema = z.object({
  format: exportFormatSchema,
  /** GGUF only. */
  quant: ggufQuantSchema.default('q8_0'),
  /** GGUF only: write an Ollama Modelfile beside the file. */
  ollama: z.boolean().default(true),
  /** An absolute folder; default `<home>/exports/<runId>/<format>[-<quant>]`. */
  outDir: z.string().min(1).optional()
})
export type ExportOptions = z.input<typeof exportOptionsSchema>

export const exportPlanSchema = z.object({
  runId: z.string(),
  format: exportFormatSchema,
  quant: ggufQuantSchema.nullable(),
  outDir: z.string(),
  /** What the export will write, estimated from the weight headers before anything starts. */
  estimatedBytes: z.number().nonnegative(),
  /** Free space where outDir is (or would be); null when the system did not say. */
  freeBytes: z.number().nonnegative().nullable(),
  enoughSpace: z.boolean(),
  /** Null when the export can start; otherwise why not and what to do, for the person. */
  refusal: z.string().nullable(),
  /** Existing files in outDir that the export replaces. */
  replaces: z.array(z.string())
})
export type ExportPlan = z.infer<typeof exportPlanSchema>

export const exportStageSchema = z.enum(['plan', 'load', 'reference', 'write', 'verify', 'done'])
export type ExportStage = z.infer<typeof exportStageSchema>

/** One reference prompt: the trained model's greedy answer against the export's. */
export const promptComparisonSchema = z.object({
  prompt: z.string(),
  /** Whether the export splits the prompt into exactly the ids training used. */
  tokensMatch: z.boolean(),
  promptTokens: z.number().int(),
  expectedText: z.string(),
  actualText: z.string(),
  /** Answer tokens of the trained model, the end-of-answer token counted as one. */
  answerTokens: z.number().int(),
  /** How many of them the export produced identically, in order, before the first difference. */
  agreeingTokens: z.number().int(),
  firstDifference: z.number().int().nullable(),
  /** The trained model's logit gap between its two best tokens where the answers part. */
  marginAtDifference: z.number().nullable()
})

export const exportVerificationSchema = z.object({
  /** The tool that loaded the export: "llama.cpp (node-llama-cpp 3.22.1)", "transformers", … */
  tool: z.string(),
  /**
   * same: every prompt tokenized identically and every answer identical.
   * close: identical tokens, answers part only where the trained model itself was nearly
   * undecided (its two best tokens within `nearTieLogitGap`): rounding decides those.
   * different: answers part where the trained model was sure: the export is not the model.
   * failed: the export could not be loaded, its tokenizer splits the prompt differently, or a
   * template it carries (Ollama's, the GGUF chat template) does not write the training prompt.
   */
  status: z.enum(['same', 'close', 'different', 'failed']),
  /** One line for the person, e.g. "verified in llama.cpp: same answer as the trained model". */
  summary: z.string(),
  /** Fraction of the trained model's answer tokens the export reproduced in order. */
  tokenAgreement: z.number().min(0).max(1),
  prompts: z.array(promptComparisonSchema),
  /** The prompt layouts written into the export, checked against the training format. */
  templates: z.array(z.object({ name: z.string(), matches: z.boolean(), detail: z.string() }))
})
export type ExportVerification = z.infer<typeof exportVerificationSchema>

export const exportInstructionSchema = z.object({
  tool: z.string(),
  /** Shell lines or file text to copy. */
  code: z.string(),
  note: z.string()
})

export const exportRecordSchema = z.object({
  /** Unique per run: the format and quant, e.g. "gguf-q8_0". */
  id: z.string(),
  runId: z.string(),
  format: exportFormatSchema,
  quant: ggufQuantSchema.nullable(),
  outDir: z.string(),
  createdAt: z.string(),
  files: z.array(z.object({ path: z.string(), bytes: z.number().int().nonnegative() })),
  totalBytes: z.number().int().nonnegative(),
  /** GGUF: the file's absolute path. */
  ggufPath: z.string().nullable(),
  /** The Ollama Modelfile's text, when one was written. */
  modelfile: z.string().nullable(),
  instructions: z.array(exportInstructionSchema),
  verification: exportVerificationSchema,
  notes: z.array(z.string())
})
export type ExportRecord = z.infer<typeof exportRecordSchema>

const runIdRequest = z.object({ runId: z.string().min(1) })

export const exportsChannels = {
  'exports.plan': defineChannel({
    summary: 'What an export of a run will write, its estimated size, the free space, or why it cannot be made',
    request: runIdRequest.extend({ options: exportOptionsSchema, confirmedPaths: confirmedPathsSchema }),
    response: exportPlanSchema
  }),
  'exports.start': defineChannel({
    summary: 'Export a run and verify the export in the tool it is for; streams exports.progress, answers when verified',
    request: runIdRequest.extend({ options: exportOptionsSchema, confirmedPaths: confirmedPathsSchema }),
    response: exportRecordSchema
  }),
  'exports.list': defineChannel({
    summary: "A run's exports, newest first, with their verification",
    request: runIdRequest,
    response: z.array(exportRecordSchema)
  }),
  'exports.generate': defineChannel({
    summary: "Answer a prompt with a run's GGUF export in llama.cpp; streams playground.output",
    request: runIdRequest.extend({
      exportId: z.string().min(1),
      input: playgroundInputSchema,
      maxNewTokens: z.number().int().min(1).max(4096).default(128),
      /** 0 (the default) always picks the most likely token, as the export check does. */
      temperature: z.number().min(0).max(5).default(0),
      requestId: z.string().min(1).optional()
    }),
    response: z.object({ requestId: z.string(), text: z.string(), tokens: z.number().int(), seconds: z.number(), stop: z.enum(['end', 'length']) })
  }),
  'exports.autotrain-config': defineChannel({
    summary: "Save a run's settings as an AutoTrain Advanced config (config.yml) with the texts it trained on (train.csv)",
    request: runIdRequest,
    response: z.object({ folder: z.string(), configPath: z.string(), csvPath: z.string(), yaml: z.string(), notes: z.array(z.string()) })
  })
}

export const exportsEventStreams = {
  'exports.progress': defineEventStream({
    summary: 'Where a running export is: stage, a line for the person, and the fraction of the stage done',
    payload: z.object({
      runId: z.string(),
      exportId: z.string(),
      stage: exportStageSchema,
      message: z.string(),
      /** 0..1 within the stage; null when the stage cannot be counted. */
      fraction: z.number().min(0).max(1).nullable()
    })
  })
}
