import fs from 'node:fs'
import path from 'node:path'
import { isMap, parseDocument } from 'yaml'
import type { DatasetMapping } from '../../../shared/dataset/mapping'
import type { ValidationSplit } from '../../../shared/dataset/validation-split'
import type { TrainingParams } from '../../../shared/run-config/run-config-schema'
import { defaultTrainingParams } from '../../../shared/run-config/run-config-schema'

/**
 * AutoTrain Advanced's LLM configs (`autotrain --config config.yml`, tasks llm / llm-sft /
 * llm-generic) into LocalTune (the way out is autotrain-export.ts).
 *
 * Every key is read; what LocalTune honours is listed with what it became, everything else
 * with why not, so nothing is dropped silently. AutoTrain's own defaults apply to absent
 * parameters (its LLMTrainingParams), so an imported project trains what AutoTrain would have.
 */

export class AutoTrainConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'AutoTrainConfigError'
  }
}

/** AutoTrain's defaults (LLMTrainingParams) for the parameters LocalTune maps. */
const autoTrainDefaults = {
  lr: 3e-5,
  epochs: 1,
  batch_size: 2,
  gradient_accumulation: 4,
  warmup_ratio: 0.1,
  scheduler: 'linear',
  weight_decay: 0,
  max_grad_norm: 1,
  seed: 42,
  block_size: -1,
  model_max_length: 2048,
  peft: false,
  quantization: 'int4',
  lora_r: 16,
  lora_alpha: 32,
  lora_dropout: 0.05,
  target_modules: 'all-linear',
  mixed_precision: null,
  disable_gradient_checkpointing: false,
  merge_adapter: false,
  save_total_limit: 1,
  logging_steps: -1,
  trainer: 'default',
  padding: 'right',
  optimizer: 'adamw_torch',
  add_eos_token: true
} as const

export interface MappedKey {
  key: string
  value: string
  /** What it became in LocalTune (honoured) or why it is not honoured. */
  note: string
}

export interface AutoTrainImport {
  name: string
  /** The CSV the config's data.path and train_split name. */
  csvPath: string
  /** A second CSV for validation (data.valid_split), or none. */
  split: ValidationSplit
  modelId: string
  mapping: DatasetMapping
  method: 'full' | 'lora' | 'qlora'
  params: TrainingParams
  merge: boolean
  /** AutoTrain's warmup is a fraction of the steps: steps once the data's size is known. */
  warmupRatio: number
  honoured: MappedKey[]
  notHonoured: MappedKey[]
}

function show(value: unknown): string {
  return value === null || value === undefined ? 'null' : typeof value === 'object' ? JSON.stringify(value) : String(value)
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) throw new AutoTrainConfigError(`${where} must be a mapping of keys to values, got ${show(value)}.`)
  return value as Record<string, unknown>
}

/** Reads a config file; a YAML error names the line and column. */
export function readAutoTrainConfig(file: string): Record<string, unknown> {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    throw new AutoTrainConfigError(`${file} cannot be read: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message}.`)
  }
  const document = parseDocument(text, { prettyErrors: true })
  if (document.errors.length > 0) {
    const first = document.errors[0]!
    const where = first.linePos?.[0] ? ` at line ${first.linePos[0].line}, column ${first.linePos[0].col}` : ''
    throw new AutoTrainConfigError(`${file} is not valid YAML${where}: ${first.message.split('\n')[0]}`)
  }
  if (!isMap(document.contents)) throw new AutoTrainConfigError(`${file} must be a YAML mapping (task:, base_model:, data:, params:, …).`)
  return document.toJS() as Record<string, unknown>
}

function number(value: unknown, key: string): number {
  const parsed = typeof value === 'string' ? Number(value) : value
  if (typeof parsed !== 'number' || !Number.isFinite(parsed)) throw new AutoTrainConfigError(`params.${key} must be a number, got ${show(value)}.`)
  return parsed
}

function positiveInt(value: unknown, key: string): number {
  const parsed = number(value, key)
  if (!Number.isInteger(parsed) || parsed < 1) throw new AutoTrainConfigError(`params.${key} must be a whole number of at least 1, got ${show(value)}.`)
  return parsed
}

function flag(value: unknown, key: string): boolean {
  if (typeof value === 'boolean') return value
  throw new AutoTrainConfigError(`params.${key} must be true or false, got ${show(value)}.`)
}

/** The CSV of data.path + train_split, relative to the config's folder. */
function csvOf(dataPath: string, split: string, configDir: string, what: string): string {
  const resolved = path.resolve(configDir, dataPath)
  if (fs.existsSync(resolved) && fs.statSync(resolved).isFile()) {
    if (!/\.csv$/i.test(resolved)) throw new AutoTrainConfigError(`data.path ${resolved} is not a CSV file; LocalTune trains CSV files.`)
    return resolved
  }
  if (fs.existsSync(resolved) && fs.statSync(resolved).isDirectory()) {
    const csv = path.join(resolved, `${split}.csv`)
    if (fs.existsSync(csv)) return csv
    const other = fs.readdirSync(resolved).filter((name) => name.startsWith(`${split}.`))
    throw new AutoTrainConfigError(
      other.length > 0
        ? `The ${what} is ${path.join(resolved, other[0]!)}; LocalTune reads CSV files. Save it as ${csv} (same columns).`
        : `The ${what} should be ${csv} (data.path + ${what === 'training data' ? 'train_split' : 'valid_split'} + .csv), which does not exist.`
    )
  }
  if (/^[\w.-]+\/[\w.-]+$/.test(dataPath)) {
    throw new AutoTrainConfigError(`data.path "${dataPath}" is not a folder here; it looks like a Hugging Face dataset. LocalTune works offline and does not download datasets: save its ${split} split as ${split}.csv in a folder and set data.path to that folder.`)
  }
  throw new AutoTrainConfigError(`data.path ${resolved} does not exist.`)
}

/**
 * The LocalTune project an AutoTrain config describes. Refuses what LocalTune cannot train at all
 * (other tasks, preference trainers, data it cannot read); lists every other key it cannot honour.
 */
export function autoTrainToLocalTune(config: Record<string, unknown>, configFile: string): AutoTrainImport {
  const honoured: MappedKey[] = []
  const notHonoured: MappedKey[] = []
  const known = new Set(['task', 'base_model', 'project_name', 'data', 'params', 'log', 'backend', 'hub'])
  for (const key of Object.keys(config)) if (!known.has(key)) notHonoured.push({ key, value: show(config[key]), note: 'not a key of AutoTrain LLM configs that LocalTune knows' })

  const task = String(config.task ?? '')
  if (!['llm', 'llm-sft', 'llm-generic'].includes(task)) {
    const why = /^llm-(orpo|dpo|reward)$/.test(task) ? 'preference and reward training (ORPO, DPO, reward models) need pairs of chosen and rejected answers; LocalTune trains supervised finetuning only' : 'LocalTune finetunes causal language models only (AutoTrain tasks llm, llm-sft, llm-generic)'
    throw new AutoTrainConfigError(`task: ${task || '(missing)'} cannot be imported: ${why}.`)
  }
  if (typeof config.base_model !== 'string' || !config.base_model.trim()) throw new AutoTrainConfigError('base_model is missing: name the model (a Hugging Face id in your cache, or a folder).')
  const modelId = config.base_model.trim()
  honoured.push({ key: 'base_model', value: modelId, note: 'the model (from the Hugging Face cache or a folder; never downloaded)' })
  const name = typeof config.project_name === 'string' && config.project_name.trim() ? config.project_name.trim() : path.basename(configFile).replace(/\.ya?ml$/i, '')
  honoured.push({ key: 'project_name', value: name, note: 'the project name' })
  if (config.log !== undefined && config.log !== 'none') notHonoured.push({ key: 'log', value: show(config.log), note: 'LocalTune records metrics in the run folder (events.jsonl) and charts them itself; no TensorBoard or W&B' })
  if (config.backend !== undefined && !String(config.backend).startsWith('local')) notHonoured.push({ key: 'backend', value: show(config.backend), note: 'LocalTune trains on this machine only' })
  const hub = record(config.hub, 'hub')
  if (hub.push_to_hub === true) notHonoured.push({ key: 'hub.push_to_hub', value: 'true', note: 'LocalTune works offline and uploads nothing; export the model instead' })
  for (const key of Object.keys(hub)) if (key !== 'push_to_hub') notHonoured.push({ key: `hub.${key}`, value: key === 'token' ? '(hidden)' : show(hub[key]), note: 'only used to push to the Hub, which LocalTune does not do' })

  const data = record(config.data, 'data')
  const params = record(config.params, 'params')
  const configDir = path.dirname(path.resolve(configFile))
  if (typeof data.path !== 'string' || !data.path.trim()) throw new AutoTrainConfigError('data.path is missing: the folder that holds train.csv (or the CSV itself).')
  const trainSplit = typeof data.train_split === 'string' && data.train_split ? data.train_split : 'train'
  const csvPath = csvOf(data.path, trainSplit, configDir, 'training data')
  honoured.push({ key: 'data.path + data.train_split', value: `${data.path} + ${trainSplit}`, note: csvPath })
  let split: ValidationSplit = { kind: 'none' }
  if (typeof data.valid_split === 'string' && data.valid_split) {
    split = { kind: 'file', path: csvOf(data.path, data.valid_split, configDir, 'validation data') }
    honoured.push({ key: 'data.valid_split', value: data.valid_split, note: `validation rows from ${split.path}` })
  } else {
    honoured.push({ key: 'data.valid_split', value: 'null', note: 'no validation set: every row trains, as in AutoTrain' })
  }
  const columns = record(data.column_mapping, 'data.column_mapping')
  const textColumn = typeof columns.text_column === 'string' && columns.text_column ? columns.text_column : 'text'
  honoured.push({ key: 'data.column_mapping.text_column', value: textColumn, note: 'the text column: each cell is one training text (generic mode)' })
  for (const key of ['prompt_text_column', 'rejected_text_column']) {
    if (columns[key] !== undefined && columns[key] !== null) notHonoured.push({ key: `data.column_mapping.${key}`, value: show(columns[key]), note: 'used by ORPO/DPO only; supervised finetuning trains the text column' })
  }
  if (data.chat_template !== undefined && data.chat_template !== null && data.chat_template !== 'none') {
    notHonoured.push({
      key: 'data.chat_template',
      value: show(data.chat_template),
      note: 'AutoTrain applies it to a column of message lists, which a CSV cell does not hold: the text column trains as written. To train prompt/response columns with the model\'s chat template, map them on the Data screen'
    })
  }

  const get = <K extends keyof typeof autoTrainDefaults>(key: K): unknown => (params[key] === undefined ? autoTrainDefaults[key] : params[key])
  const used = new Set<string>()
  const take = <K extends keyof typeof autoTrainDefaults>(key: K): unknown => {
    used.add(key)
    return get(key)
  }
  const said = (key: string, value: unknown, note: string) => honoured.push({ key: `params.${key}`, value: show(value) + (params[key] === undefined ? ' (AutoTrain default)' : ''), note })
  const refused = (key: string, value: unknown, note: string) => notHonoured.push({ key: `params.${key}`, value: show(value), note })

  // AutoTrain's llm-sft and llm-generic tasks choose the trainer themselves (sft, default).
  const taskTrainer = task === 'llm-sft' ? 'sft' : task === 'llm-generic' ? 'default' : null
  const trainer = taskTrainer ?? String(take('trainer'))
  if (taskTrainer) used.add('trainer')
  if (taskTrainer && params.trainer !== undefined && params.trainer !== taskTrainer) refused('trainer', params.trainer, `task ${task} trains with the ${taskTrainer} trainer`)
  if (!['default', 'generic', 'sft'].includes(trainer)) throw new AutoTrainConfigError(`params.trainer: ${trainer} cannot be imported: LocalTune trains supervised finetuning only (AutoTrain trainers default and sft).`)
  // AutoTrain's default trainer joins the texts into block_size blocks; its sft trainer keeps them apart.
  const packing = trainer !== 'sft'
  said(taskTrainer ? 'trainer (from task)' : 'trainer', trainer, packing ? 'packing on: texts are packed into rows of max_length (no attention across texts)' : 'one text per row (packing off)')

  const blockSize = number(take('block_size'), 'block_size')
  const modelMaxLength = positiveInt(take('model_max_length'), 'model_max_length')
  const maxLength = blockSize > 0 ? blockSize : modelMaxLength
  said(blockSize > 0 ? 'block_size' : 'model_max_length', blockSize > 0 ? blockSize : modelMaxLength, `max_length ${maxLength}${blockSize > 0 ? '' : ' (block_size -1: AutoTrain sizes blocks itself; LocalTune takes model_max_length)'}`)
  const epochs = positiveInt(take('epochs'), 'epochs')
  said('epochs', epochs, `epochs ${epochs}`)
  const batch = positiveInt(take('batch_size'), 'batch_size')
  said('batch_size', batch, `micro_batch_size ${batch}`)
  const accumulation = positiveInt(take('gradient_accumulation'), 'gradient_accumulation')
  said('gradient_accumulation', accumulation, `gradient_accumulation_steps ${accumulation}`)
  const lr = number(take('lr'), 'lr')
  said('lr', lr, `learning_rate ${lr}`)
  const warmupRatio = number(take('warmup_ratio'), 'warmup_ratio')
  said('warmup_ratio', warmupRatio, 'warmup_steps: this fraction of the optimizer steps, counted once the data is read')
  const scheduler = String(take('scheduler'))
  let localScheduler: TrainingParams['scheduler'] = 'linear'
  if (scheduler === 'linear' || scheduler === 'cosine' || scheduler === 'constant' || scheduler === 'constant_with_warmup') {
    localScheduler = scheduler === 'linear' || scheduler === 'cosine' ? scheduler : 'constant'
    said('scheduler', scheduler, `scheduler ${localScheduler}${localScheduler === 'constant' ? ' (after the warmup)' : ''}`)
  } else {
    refused('scheduler', scheduler, 'LocalTune has linear, cosine and constant (with warmup) schedules; linear is used')
  }
  const weightDecay = number(take('weight_decay'), 'weight_decay')
  said('weight_decay', weightDecay, `weight_decay ${weightDecay} (AdamW, on matrices only)`)
  const maxGradNorm = number(take('max_grad_norm'), 'max_grad_norm')
  said('max_grad_norm', maxGradNorm, `max_grad_norm ${maxGradNorm}`)
  const seed = number(take('seed'), 'seed')
  said('seed', seed, `seed ${seed}`)

  const peft = flag(take('peft'), 'peft')
  const quantization = take('quantization')
  let method: AutoTrainImport['method'] = peft ? 'lora' : 'full'
  if (peft && quantization === 'int4') method = 'qlora'
  said('peft', peft, peft ? 'LoRA adapters' : 'full finetuning (every weight)')
  if (peft && quantization === 'int8') refused('quantization', quantization, 'LocalTune quantizes the base to 4 bits (QLoRA) or not at all; int8 becomes LoRA on a 16-bit base')
  else if (peft) said('quantization', quantization, quantization === 'int4' ? 'method qlora (NF4 base, needs an NVIDIA GPU and bitsandbytes)' : 'method lora (16-bit base)')
  else if (params.quantization !== undefined && params.quantization !== null) refused('quantization', quantization, 'AutoTrain quantizes only with peft; full finetuning keeps full weights')
  const loraR = positiveInt(take('lora_r'), 'lora_r')
  const loraAlpha = number(take('lora_alpha'), 'lora_alpha')
  const loraDropout = number(take('lora_dropout'), 'lora_dropout')
  const targets = take('target_modules')
  const targetModules = targets === null || targets === undefined || targets === 'all-linear' ? ('all-linear' as const) : String(targets).split(',').map((name) => name.trim()).filter(Boolean)
  if (peft) {
    said('lora_r', loraR, `lora.r ${loraR}`)
    said('lora_alpha', loraAlpha, `lora.alpha ${loraAlpha}`)
    said('lora_dropout', loraDropout, `lora.dropout ${loraDropout}`)
    said('target_modules', targets, `lora.target_modules ${show(targetModules)}`)
  }
  const mixed = take('mixed_precision')
  const precision: TrainingParams['precision'] = mixed === 'bf16' ? 'bf16' : mixed === 'fp16' ? 'fp16' : 'fp32'
  if (mixed !== null && mixed !== 'bf16' && mixed !== 'fp16' && mixed !== 'none') refused('mixed_precision', mixed, 'not bf16, fp16 or none; fp32 is used')
  else said('mixed_precision', mixed, precision === 'fp32' ? 'precision fp32 (AutoTrain trains in full precision without mixed_precision)' : `precision ${precision}`)
  const noCheckpointing = flag(take('disable_gradient_checkpointing'), 'disable_gradient_checkpointing')
  said('disable_gradient_checkpointing', noCheckpointing, `gradient_checkpointing ${noCheckpointing ? 'off' : 'on'}`)
  const merge = flag(take('merge_adapter'), 'merge_adapter')
  said('merge_adapter', merge, merge ? 'merge: final/merged is written after training (export "merged" does the same later)' : 'no merged copy')
  const keep = number(take('save_total_limit'), 'save_total_limit')
  const keepCheckpoints = Math.max(1, Math.round(keep))
  said('save_total_limit', keep, `keep_checkpoints ${keepCheckpoints}`)
  const loggingSteps = number(take('logging_steps'), 'logging_steps')
  const logEvery = loggingSteps > 0 ? Math.round(loggingSteps) : 1
  said('logging_steps', loggingSteps, `log_every_steps ${logEvery}${loggingSteps > 0 ? '' : ' (-1: AutoTrain picks; LocalTune logs every step)'}`)
  const padding = take('padding')
  if (padding !== 'right' && padding !== null) refused('padding', padding, 'LocalTune pads on the right (padding carries no loss, so the side does not change training)')
  const optimizer = String(take('optimizer'))
  if (optimizer === 'adamw_torch' || optimizer === 'adamw_hf' || optimizer === 'adamw_torch_fused') said('optimizer', optimizer, 'AdamW')
  else refused('optimizer', optimizer, 'LocalTune trains with AdamW (fused on CUDA)')
  const eos = take('add_eos_token')
  if (eos === false) refused('add_eos_token', eos, 'LocalTune always ends every example with EOS, so the model learns to stop')
  else said('add_eos_token', eos, 'every example ends with EOS')

  const attention: TrainingParams['attention'] = params.use_flash_attention_2 === true ? 'flash_attention_2' : 'auto'
  if (params.use_flash_attention_2 !== undefined) {
    used.add('use_flash_attention_2')
    said('use_flash_attention_2', params.use_flash_attention_2, `attention ${attention}`)
  }
  const reasons: Record<string, string> = {
    evaluation_strategy: 'LocalTune evaluates every eval_every_steps steps and at the end',
    save_strategy: 'LocalTune saves a resumable checkpoint every save_every_steps steps and when stopped',
    auto_find_batch_size: 'LocalTune estimates memory before training instead (the Parameters screen suggests a batch that fits)',
    unsloth: 'LocalTune trains with transformers and peft',
    distributed_backend: 'LocalTune trains on one device (several GPUs run as PyTorch ranks in a later version)',
    max_prompt_length: 'used by ORPO/DPO only',
    max_completion_length: 'used by ORPO/DPO only',
    model_ref: 'used by DPO only',
    dpo_beta: 'used by DPO only',
    push_to_hub: 'LocalTune works offline and uploads nothing',
    username: 'only used to push to the Hub',
    token: 'only used to push to the Hub',
    repo_id: 'only used to push to the Hub'
  }
  for (const key of Object.keys(params)) {
    if (used.has(key)) continue
    refused(key, key === 'token' ? '(hidden)' : params[key], reasons[key] ?? 'not an AutoTrain LLM parameter LocalTune knows')
  }

  return {
    name,
    csvPath,
    split,
    modelId,
    mapping: { mode: 'generic', text: textColumn },
    method,
    merge: peft ? merge : false,
    warmupRatio,
    params: {
      ...defaultTrainingParams,
      max_length: maxLength,
      micro_batch_size: batch,
      gradient_accumulation_steps: accumulation,
      epochs,
      max_steps: null,
      learning_rate: lr,
      scheduler: localScheduler,
      warmup_steps: 0,
      weight_decay: weightDecay,
      max_grad_norm: maxGradNorm,
      lora: { r: loraR, alpha: loraAlpha, dropout: loraDropout, target_modules: targetModules },
      gradient_checkpointing: !noCheckpointing,
      packing,
      precision,
      attention,
      keep_checkpoints: keepCheckpoints,
      seed,
      log_every_steps: logEvery
    },
    honoured,
    notHonoured
  }
}

/** Warmup steps for AutoTrain's warmup_ratio: the fraction of the optimizer steps the run will take. */
export function warmupStepsFor(ratio: number, trainExamples: number, params: Pick<TrainingParams, 'micro_batch_size' | 'gradient_accumulation_steps' | 'epochs'>): number {
  const steps = Math.ceil(trainExamples / (params.micro_batch_size * params.gradient_accumulation_steps)) * params.epochs
  return Math.max(0, Math.round(ratio * steps))
}
