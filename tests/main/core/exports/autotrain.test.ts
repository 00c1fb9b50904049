import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { runCli } from '../../../../src/main/cli/main'
import { createCore } from '../../../../src/main/core/create-core'
import { AutoTrainConfigError, autoTrainToLocalTune, readAutoTrainConfig, warmupStepsFor } from '../../../../src/main/core/exports/autotrain'
import { localTuneToAutoTrain } from '../../../../src/main/core/exports/autotrain-export'
import { RunStore } from '../../../../src/main/core/runs/run-store'
import { defaultTrainingParams } from '../../../../src/shared/run-config/run-config-schema'
import { cliContext, collectingIo, makeTempHome } from '../../../helpers/temp-home'

let cleanup = () => {}
afterEach(() => cleanup())

function tempDir(): string {
  const temp = makeTempHome()
  cleanup = temp.cleanup
  return temp.home
}

/** AutoTrain's documented LLM config shape, with a local CSV folder. */
function writeConfig(dir: string, yaml: string): string {
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'data', 'train.csv'), 'text\n"### Human: hi ### Assistant: hello"\n"### Human: bye ### Assistant: goodbye"\n')
  const file = path.join(dir, 'config.yml')
  fs.writeFileSync(file, yaml)
  return file
}

const fullConfig = `task: llm-sft
base_model: localtune/tiny-demo
project_name: autotrain-demo
log: tensorboard
backend: local
data:
  path: data
  train_split: train
  valid_split: null
  chat_template: chatml
  column_mapping:
    text_column: text
params:
  block_size: 512
  model_max_length: 1024
  epochs: 3
  batch_size: 2
  lr: 3e-4
  peft: true
  quantization: null
  target_modules: q_proj,v_proj
  padding: right
  optimizer: paged_adamw_8bit
  scheduler: cosine
  gradient_accumulation: 4
  mixed_precision: bf16
  merge_adapter: true
  lora_r: 8
  lora_alpha: 16
  lora_dropout: 0.1
  warmup_ratio: 0.1
  unsloth: false
hub:
  username: \${HF_USERNAME}
  token: \${HF_TOKEN}
  push_to_hub: true
`

describe('AutoTrain configs into LocalTune', () => {
  it('maps every parameter it can and says why for every one it cannot', () => {
    const dir = tempDir()
    const file = writeConfig(dir, fullConfig)
    const imported = autoTrainToLocalTune(readAutoTrainConfig(file), file)
    expect(imported).toMatchObject({ name: 'autotrain-demo', modelId: 'localtune/tiny-demo', csvPath: path.join(dir, 'data', 'train.csv'), method: 'lora', merge: true, mapping: { mode: 'generic', text: 'text' }, split: { kind: 'none' } })
    expect(imported.params).toMatchObject({
      max_length: 512,
      epochs: 3,
      micro_batch_size: 2,
      gradient_accumulation_steps: 4,
      learning_rate: 3e-4,
      scheduler: 'cosine',
      precision: 'bf16',
      packing: false,
      gradient_checkpointing: true,
      lora: { r: 8, alpha: 16, dropout: 0.1, target_modules: ['q_proj', 'v_proj'] }
    })
    const refused = Object.fromEntries(imported.notHonoured.map((entry) => [entry.key, entry.note]))
    expect(Object.keys(refused).sort()).toEqual(['data.chat_template', 'hub.push_to_hub', 'hub.token', 'hub.username', 'log', 'params.optimizer', 'params.unsloth'].sort())
    expect(refused['params.optimizer']).toBe('LocalTune trains with AdamW (fused on CUDA)')
    expect(refused['hub.push_to_hub']).toContain('offline')
    expect(imported.notHonoured.find((entry) => entry.key === 'hub.token')?.value).toBe('(hidden)')
    expect(imported.honoured.map((entry) => entry.key)).toContain('params.lr')
  })

  it("takes AutoTrain's own defaults for parameters the config leaves out", () => {
    const dir = tempDir()
    const file = writeConfig(dir, 'task: llm\nbase_model: localtune/tiny-demo\ndata:\n  path: data\n')
    const imported = autoTrainToLocalTune(readAutoTrainConfig(file), file)
    expect(imported.method).toBe('full')
    expect(imported.params).toMatchObject({ learning_rate: 3e-5, epochs: 1, micro_batch_size: 2, gradient_accumulation_steps: 4, max_length: 2048, precision: 'fp32', packing: true })
    expect(imported.warmupRatio).toBe(0.1)
    expect(imported.honoured.find((entry) => entry.key === 'params.lr')?.value).toBe('0.00003 (AutoTrain default)')
    expect(warmupStepsFor(0.1, 100, imported.params)).toBe(Math.round(0.1 * Math.ceil(100 / 8)))
  })

  it('refuses what LocalTune cannot train, saying what to do', () => {
    const dir = tempDir()
    const attempt = (yaml: string) => () => {
      const file = writeConfig(dir, yaml)
      return autoTrainToLocalTune(readAutoTrainConfig(file), file)
    }
    expect(attempt('task: llm-orpo\nbase_model: m\ndata: {path: data}\n')).toThrow(/task: llm-orpo cannot be imported: preference and reward training/)
    expect(attempt('task: text-classification\nbase_model: m\ndata: {path: data}\n')).toThrow(/LocalTune finetunes causal language models only/)
    expect(attempt('task: llm\nbase_model: m\ndata: {path: data}\nparams: {trainer: dpo}\n')).toThrow(/params.trainer: dpo cannot be imported/)
    expect(attempt('task: llm\nbase_model: m\ndata: {path: argilla/some-dataset}\n')).toThrow(/does not download datasets: save its train split as train.csv/)
    expect(attempt('task: llm\nbase_model: m\ndata: {path: data, train_split: other}\n')).toThrow(/should be .*other\.csv .* which does not exist/)
    expect(attempt('task: llm\nbase_model: m\ndata: {path: data}\nparams: {epochs: many}\n')).toThrow('params.epochs must be a number, got many.')
    expect(attempt('task: llm\nbase_model: m\n  data: [\n')).toThrow(AutoTrainConfigError)
    expect(attempt('task: llm\nbase_model: m\n  data: [\n')).toThrow(/is not valid YAML at line \d+, column \d+/)
  })

  it('round trip: a config written by LocalTune reads back to the same settings', () => {
    const dir = tempDir()
    const params = { ...defaultTrainingParams, max_length: 768, micro_batch_size: 4, gradient_accumulation_steps: 2, epochs: 2, learning_rate: 1e-4, warmup_steps: 5, precision: 'bf16' as const, lora: { r: 32, alpha: 64, dropout: 0.05, target_modules: 'all-linear' as const }, gradient_checkpointing: true, seed: 7 }
    const { yaml, notes } = localTuneToAutoTrain({ name: 'My Project', modelId: 'localtune/tiny-demo', method: 'qlora', params, merge: false, trainExamples: 200, dataFolder: path.join(dir, 'data'), trainSplit: 'train' })
    expect(notes.some((note) => note.startsWith('train_on_response_only'))).toBe(true)
    const file = writeConfig(dir, yaml)
    expect(parse(yaml).project_name).toBe('my-project')
    const back = autoTrainToLocalTune(readAutoTrainConfig(file), file)
    expect(back.method).toBe('qlora')
    expect(back.params).toMatchObject({ max_length: 768, micro_batch_size: 4, gradient_accumulation_steps: 2, epochs: 2, learning_rate: 1e-4, precision: 'bf16', seed: 7, gradient_checkpointing: true, packing: false, lora: params.lora })
    expect(warmupStepsFor(back.warmupRatio, 200, back.params)).toBe(5)
    expect(back.notHonoured).toEqual([])
  })
})

describe('localtune import autotrain and the export of a run as an AutoTrain config', () => {
  it('creates a project from a config: data imported, parameters mapped, estimate made, the unhonoured listed', async () => {
    const dir = tempDir()
    const env = { ...process.env, LOCALTUNE_HOME: path.join(dir, 'home') }
    // bf16 cannot train on the CPU: the estimate's device rule says so and nothing is created.
    const bf16 = collectingIo()
    expect(await runCli(['import', 'autotrain', writeConfig(dir, fullConfig), '--cpu'], bf16.io, cliContext(env, dir, path.join(dir, 'home')))).toBe(1)
    expect(bf16.err.join('\n')).toMatch(/^These settings cannot train on CPU.*bf16 needs a CUDA GPU/)
    const file = writeConfig(dir, fullConfig.replace('quantization: null', 'quantization: null\n  save_total_limit: 2').replace('mixed_precision: bf16', 'mixed_precision: none'))
    const { io, out, err } = collectingIo()
    const code = await runCli(['import', 'autotrain', file, '--cpu'], io, cliContext(env, dir, path.join(dir, 'home')))
    expect(code, err.join('\n')).toBe(0)
    const text = out.join('\n')
    expect(text).toMatch(/^Project \S+ "autotrain-demo": 2 training and 0 validation examples of train\.csv, localtune\/tiny-demo, lora\./)
    expect(text).toContain('params.optimizer: paged_adamw_8bit')
    expect(text).toContain('Train it: localtune train --project ')
    const core = createCore({ env, home: path.join(dir, 'home') })
    try {
      const projects = await core.handlers['projects.list']({})
      expect(projects).toHaveLength(1)
      const project = projects[0]
      expect(project).toMatchObject({ name: 'autotrain-demo', mode: 'generic', trainExamples: 2, settings: { method: 'lora', merge: true, params: { epochs: 3, learning_rate: 3e-4, keep_checkpoints: 2, warmup_steps: 0 } } }) // 0.1 of 3 optimizer steps rounds to 0
      expect(project!.estimate?.verdict).toMatch(/fits|tight/)
    } finally {
      core.close()
    }
  })

  it("saves a run's settings as an AutoTrain config with the texts it trained on", async () => {
    const dir = tempDir()
    const home = path.join(dir, 'home')
    const core = createCore({ env: { ...process.env, LOCALTUNE_HOME: home }, home })
    try {
      const runDir = path.join(home, 'runs', 'run-1')
      fs.mkdirSync(runDir, { recursive: true })
      fs.writeFileSync(path.join(runDir, 'train.jsonl'), `${JSON.stringify({ prompt: 'Q: "a",\nb', response: ' A' })}\n${JSON.stringify({ prompt: 'Q2', response: ' A2' })}\n`)
      const config = { schema_version: 1, run_id: 'run-1', model: { id: 'Qwen/Qwen2.5-0.5B', path: null, trust_remote_code: false, allow_downloads: false }, method: 'lora', mode: 'chat', data: { train: 'train.jsonl', valid: null }, params: { ...defaultTrainingParams, warmup_steps: 1 }, merge: false }
      fs.writeFileSync(path.join(runDir, 'run.json'), JSON.stringify(config))
      new RunStore(core.db).insert({ id: 'run-1', project_id: null, status: 'completed', run_dir: runDir, created_at: new Date().toISOString(), config_json: JSON.stringify(config) })
      const saved = await core.handlers['exports.autotrain-config']({ runId: 'run-1' })
      expect(saved.configPath).toBe(path.join(home, 'exports', 'run-1', 'autotrain', 'config.yml'))
      expect(fs.readFileSync(saved.csvPath, 'utf8')).toBe('text\n"Q: ""a"",\nb A"\nQ2 A2')
      const yaml = parse(fs.readFileSync(saved.configPath, 'utf8'))
      expect(yaml).toMatchObject({ task: 'llm-sft', base_model: 'Qwen/Qwen2.5-0.5B', data: { path: saved.folder, train_split: 'train', column_mapping: { text_column: 'text' } }, params: { peft: true, quantization: null, lr: defaultTrainingParams.learning_rate, warmup_ratio: 1 } })
    } finally {
      core.close()
    }
  })
})
