import fs from 'node:fs'
import path from 'node:path'
import type { TrainingFormatOptions } from '../../../shared/dataset/mapping'
import type { RunConfig } from '../../../shared/run-config/run-config-schema'
import { TINY_DEMO_MODEL_ID } from '../../../shared/run-config/run-config-schema'
import { resolveModel } from '../models/model-catalog'
import { readRunPromptFormat } from '../runs/playground-prompt'
import { finalDirName } from '../runs/run-results'
import type { RunRow, RunStore } from '../runs/run-store'
import { isLiveStatus, runConfigOf, runStatusOf } from '../runs/run-summary'
import { UserFacingError } from '../user-facing-error'
import { readJsonObject } from './export-records'
import { ggufRefusal } from './size-estimate'

/** What an export needs to know of a run: its settings, its output and the weights it starts from. */
export interface ExportRunFacts {
  row: RunRow
  config: RunConfig
  finalDir: string
  /** The base model's folder (LoRA/QLoRA) or final/ (full): the weights the export starts from. */
  weightsDir: string | null
  weightsProblem: string | null
  architecture: string | null
  tiedEmbeddings: boolean
  vocabSize: number | null
}

export function readExportRunFacts(store: RunStore, env: NodeJS.ProcessEnv, runId: string): ExportRunFacts {
  const row = store.get(runId)
  if (!row) throw new UserFacingError(`There is no run ${runId}. \`localtune runs\` lists the runs.`, { code: 'not_found' })
  const config = runConfigOf(row)
  if (!config) throw new UserFacingError(`Run ${runId} has no readable run.json in ${row.run_dir}.`, { details: [row.run_dir] })
  const finalDir = path.join(row.run_dir, finalDirName)
  let weightsDir: string | null = null
  let weightsProblem: string | null = null
  if (config.method === 'full') weightsDir = finalDir
  else if (config.model.path) weightsDir = config.model.path
  else if (config.model.id !== TINY_DEMO_MODEL_ID) {
    try {
      weightsDir = resolveModel(config.model.id, { env }).path
    } catch (error) {
      weightsProblem = (error as Error).message
    }
  }
  const modelConfig = weightsDir ? readJsonObject(path.join(weightsDir, 'config.json')) : null
  const architectures = modelConfig?.architectures
  const architecture = Array.isArray(architectures) && typeof architectures[0] === 'string' ? architectures[0] : null
  const vocabSize = typeof modelConfig?.vocab_size === 'number' ? modelConfig.vocab_size : null
  return { row, config, finalDir, weightsDir, weightsProblem, architecture, tiedEmbeddings: modelConfig?.tie_word_embeddings === true, vocabSize }
}

/** The run's format options (the LocalTune format's preamble, or the chat template it trained with). */
export function trainingFormatOf(row: RunRow, mode: 'chat' | 'generic'): TrainingFormatOptions {
  const format = readRunPromptFormat(row.run_dir, mode)
  return { ...(format.promptStartText ? { promptStartText: format.promptStartText } : {}), ...(format.chatTemplate ? { chatTemplate: format.chatTemplate } : {}) }
}

/** Why the run cannot be exported in this format, or null. */
export function exportRefusal(facts: ExportRunFacts, options: { format: string }): string | null {
  const { row, config } = facts
  const status = runStatusOf(row)
  if (isLiveStatus(status)) return `Run ${row.id} is still ${status}: export it when it has finished (or stop it; a stopped run saves its model).`
  if (config.model.id === TINY_DEMO_MODEL_ID) return 'localtune/tiny-demo is LocalTune\'s own byte-level demo model: transformers, llama.cpp and Ollama cannot load it, so it has no export. Train a real model (for example Qwen/Qwen2.5-0.5B) to export it.'
  if (!fs.existsSync(facts.finalDir)) return `Run ${row.id} saved no model (${facts.finalDir} does not exist): resume it and let it finish or stop, then export.`
  if (options.format === 'adapter' && config.method === 'full') return 'This run trained all weights: there is no adapter. Export "merged" or "gguf".'
  if (facts.weightsProblem) return facts.weightsProblem
  if (options.format === 'gguf') return ggufRefusal(facts.architecture)
  return null
}

/** The first line of a JSONL file as an object, without reading the whole file. */
export function firstJsonlRecord(file: string): Record<string, unknown> | null {
  try {
    const fd = fs.openSync(file, 'r')
    const buffer = Buffer.alloc(256 * 1024)
    const read = fs.readSync(fd, buffer, 0, buffer.length, 0)
    fs.closeSync(fd)
    return JSON.parse(buffer.subarray(0, read).toString('utf8').split('\n')[0] ?? '') as Record<string, unknown>
  } catch {
    return null
  }
}
