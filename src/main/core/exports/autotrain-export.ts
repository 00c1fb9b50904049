import fs from 'node:fs'
import path from 'node:path'
import Papa from 'papaparse'
import { stringify } from 'yaml'
import type { TrainingParams } from '../../../shared/run-config/run-config-schema'
import { UserFacingError } from '../user-facing-error'
import { exportsRoot } from './export-records'
import type { ExportRunFacts } from './export-run-facts'

/**
 * A run's settings as an AutoTrain Advanced config (`autotrain --config config.yml`), beside its
 * training texts as the CSV AutoTrain reads (one `text` column: exactly the examples LocalTune
 * trained on). The way in is autotrain.ts.
 */

export interface AutoTrainExportInput {
  name: string
  modelId: string
  method: 'full' | 'lora' | 'qlora'
  params: TrainingParams
  merge: boolean
  /** Examples training saw, to turn warmup steps into AutoTrain's ratio. */
  trainExamples: number
  /** The folder and split name of the CSV written beside the config (`<folder>/<split>.csv`). */
  dataFolder: string
  trainSplit: string
}

/** A run's settings as an AutoTrain config, with the notes on what AutoTrain cannot express. */
export function localTuneToAutoTrain(input: AutoTrainExportInput): { yaml: string; notes: string[] } {
  const { params } = input
  const notes: string[] = []
  const steps = Math.ceil(input.trainExamples / (params.micro_batch_size * params.gradient_accumulation_steps)) * params.epochs
  const warmupRatio = steps > 0 ? Math.round((params.warmup_steps / steps) * 10_000) / 10_000 : 0
  if (params.max_steps !== null) notes.push(`max_steps ${params.max_steps}: AutoTrain has no step limit; it trains ${params.epochs} epoch(s).`)
  if (params.scheduler === 'constant') notes.push('scheduler constant: written as constant_with_warmup (LocalTune\'s constant schedule has a warmup too).')
  if (params.precision === 'auto') notes.push('precision auto: written as bf16; use fp16 on GPUs older than Ampere (LocalTune picks that itself).')
  if (params.attention === 'eager' || params.attention === 'sdpa') notes.push(`attention ${params.attention}: AutoTrain chooses the attention kernel itself.`)
  notes.push('train_on_response_only: AutoTrain\'s SFT trains on every token of the text; LocalTune trained on the response only unless this was off.')
  notes.push(`eval_every_steps / save_every_steps (${params.eval_every_steps} / ${params.save_every_steps}): AutoTrain evaluates and saves per epoch.`)
  const config = {
    task: 'llm-sft',
    base_model: input.modelId,
    project_name: input.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'localtune-project',
    log: 'none',
    backend: 'local',
    data: {
      path: input.dataFolder,
      train_split: input.trainSplit,
      valid_split: null,
      chat_template: null,
      column_mapping: { text_column: 'text' }
    },
    params: {
      trainer: params.packing ? 'default' : 'sft',
      block_size: params.max_length,
      model_max_length: Math.max(params.max_length, 2048),
      epochs: params.epochs,
      batch_size: params.micro_batch_size,
      gradient_accumulation: params.gradient_accumulation_steps,
      lr: params.learning_rate,
      warmup_ratio: warmupRatio,
      scheduler: params.scheduler === 'constant' ? 'constant_with_warmup' : params.scheduler,
      optimizer: 'adamw_torch',
      weight_decay: params.weight_decay,
      max_grad_norm: params.max_grad_norm,
      seed: params.seed,
      peft: input.method !== 'full',
      quantization: input.method === 'qlora' ? 'int4' : null,
      lora_r: params.lora.r,
      lora_alpha: params.lora.alpha,
      lora_dropout: params.lora.dropout,
      target_modules: params.lora.target_modules === 'all-linear' ? 'all-linear' : params.lora.target_modules.join(','),
      merge_adapter: input.merge,
      mixed_precision: params.precision === 'fp32' ? null : params.precision === 'auto' ? 'bf16' : params.precision,
      disable_gradient_checkpointing: !params.gradient_checkpointing,
      padding: 'right',
      add_eos_token: true,
      save_total_limit: params.keep_checkpoints,
      logging_steps: params.log_every_steps
    },
    hub: { push_to_hub: false }
  }
  const header = ['AutoTrain Advanced config written by LocalTune: autotrain --config config.yml', 'The CSV beside it holds the exact texts LocalTune trained on (column "text").', ...notes].map((line) => `# ${line}`).join('\n')
  return { yaml: `${header}\n${stringify(config)}`, notes }
}

export interface AutoTrainExport {
  folder: string
  configPath: string
  csvPath: string
  yaml: string
  notes: string[]
}

/** Writes the run's AutoTrain config and CSV to `<home>/exports/<runId>/autotrain/`. */
export function writeAutoTrainExport(home: string, facts: ExportRunFacts): AutoTrainExport {
  const trainFile = path.join(facts.row.run_dir, facts.config.data.train)
  let lines: string[]
  try {
    lines = fs.readFileSync(trainFile, 'utf8').split('\n').filter((line) => line.trim())
  } catch {
    throw new UserFacingError(`The run's training file ${trainFile} is missing, and the AutoTrain data is made from it.`, { code: 'not_found', details: [trainFile] })
  }
  const texts = lines.map((line, index) => {
    const example = JSON.parse(line) as { prompt?: string; response?: string; text?: string }
    const text = example.text ?? (example.prompt ?? '') + (example.response ?? '')
    if (!text) throw new UserFacingError(`${trainFile} line ${index + 1} holds no text.`, { details: [trainFile] })
    return { text }
  })
  const folder = path.join(exportsRoot(home, facts.row.id), 'autotrain')
  fs.mkdirSync(folder, { recursive: true })
  const csvPath = path.join(folder, 'train.csv')
  fs.writeFileSync(csvPath, Papa.unparse(texts, { columns: ['text'], newline: '\n' }))
  const { yaml, notes } = localTuneToAutoTrain({
    name: `localtune-${facts.row.id}`,
    modelId: facts.config.model.path ?? facts.config.model.id,
    method: facts.config.method,
    params: facts.config.params,
    merge: facts.config.merge,
    trainExamples: texts.length,
    dataFolder: folder,
    trainSplit: 'train'
  })
  const configPath = path.join(folder, 'config.yml')
  fs.writeFileSync(configPath, yaml)
  return { folder, configPath, csvPath, yaml, notes }
}
