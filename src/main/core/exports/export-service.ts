import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Template } from '@huggingface/jinja'
import Papa from 'papaparse'
import type { PythonRuntimeStatus } from '../../../shared/contract'
import {
  exportOptionsSchema,
  exportRecordSchema,
  type ExportOptions,
  type ExportPlan,
  type ExportRecord,
  type ExportStage,
  type GgufQuant
} from '../../../shared/contract/exports'
import type { PlaygroundInput } from '../../../shared/contract/runs'
import type { ChatTemplateSpec, TrainingFormatOptions } from '../../../shared/dataset/mapping'
import type { RunConfig } from '../../../shared/run-config/run-config-schema'
import { formatBytes } from '../../../shared/units'
import { TINY_DEMO_MODEL_ID } from '../../../shared/run-config/run-config-schema'
import type { EventHub } from '../event-hub'
import { resolveModel } from '../models/model-catalog'
import { formatPlaygroundPrompt, readRunPromptFormat } from '../runs/playground-prompt'
import { finalDirName } from '../runs/run-results'
import { RunStore, type RunRow } from '../runs/run-store'
import { isLiveStatus, runConfigOf, runStatusOf } from '../runs/run-summary'
import { runtimeEnvironment } from '../runtime/runtime-env'
import type { LocalTuneDatabase } from '../store/database'
import { UserFacingError } from '../user-facing-error'
import { localTuneToAutoTrain } from './autotrain'
import { compareWithReference, folderVerification, type TemplateCheck } from './export-verification'
import { LlamaCppHost, nodeLlamaCppVersion } from './llama-cpp-host'
import { modelfileText, ollamaModelName } from './modelfile'
import { promptLayoutFor, renderOllamaPrompt, type PromptLayout } from './prompt-layout'
import { runRuntimeExport, RuntimeExportFailure, type RuntimeExportResult } from './runtime-export'
import { estimateExportBytes, ggufRefusal } from './size-estimate'

/**
 * Exports of finished runs: plan (size, free space, refusals), export through the Python
 * runtime, prove the export in the tool it is for, write its Modelfile and instructions, and
 * remember it. Records live in `<home>/exports/<runId>/<exportId>.json` (the files themselves in
 * the export's folder, by default `<home>/exports/<runId>/<exportId>/`).
 */

export interface ExportServiceDeps {
  home: string
  env: NodeJS.ProcessEnv
  runtimeDir: string
  db: LocalTuneDatabase
  events: EventHub
  pythonRuntime(): Promise<PythonRuntimeStatus>
}

/** Space the export must leave free beyond its own size (the system and the app keep writing). */
const headroomBytes = 256 * 1024 * 1024

const recordFile = 'localtune-export.json'

export function exportIdOf(options: { format: string; quant?: string }): string {
  return options.format === 'gguf' ? `gguf-${options.quant ?? 'q8_0'}` : options.format
}

export function exportsRoot(home: string, runId: string): string {
  return path.join(home, 'exports', runId)
}

/** Free bytes on the file system that holds `dir` (or its nearest existing parent). */
export async function freeBytesAt(dir: string): Promise<number | null> {
  let at = path.resolve(dir)
  while (!fs.existsSync(at)) {
    const parent = path.dirname(at)
    if (parent === at) return null
    at = parent
  }
  try {
    const stats = await fs.promises.statfs(at)
    return Number(stats.bavail) * Number(stats.bsize)
  } catch {
    return null
  }
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>
  } catch {
    return null
  }
}

/** The first line of a JSONL file as an object, without reading the whole file. */
function firstRecord(file: string): Record<string, unknown> | null {
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

interface RunFacts {
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

export class ExportService {
  private readonly store: RunStore
  private readonly llama: LlamaCppHost
  private running: { runId: string; exportId: string; abort: AbortController } | null = null

  constructor(private readonly deps: ExportServiceDeps) {
    this.store = new RunStore(deps.db)
    this.llama = new LlamaCppHost({ env: deps.env })
  }

  private runFacts(runId: string): RunFacts {
    const row = this.store.get(runId)
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
        weightsDir = resolveModel(config.model.id, { env: this.deps.env }).path
      } catch (error) {
        weightsProblem = (error as Error).message
      }
    }
    const modelConfig = weightsDir ? readJson(path.join(weightsDir, 'config.json')) : null
    const architectures = modelConfig?.architectures
    const architecture = Array.isArray(architectures) && typeof architectures[0] === 'string' ? architectures[0] : null
    const vocabSize = typeof modelConfig?.vocab_size === 'number' ? modelConfig.vocab_size : null
    return { row, config, finalDir, weightsDir, weightsProblem, architecture, tiedEmbeddings: modelConfig?.tie_word_embeddings === true, vocabSize }
  }

  /** The run's format options (the LocalTune format's preamble, or the chat template it trained with). */
  private trainingFormat(row: RunRow, mode: 'chat' | 'generic'): TrainingFormatOptions {
    const format = readRunPromptFormat(row.run_dir, mode)
    return { ...(format.promptStartText ? { promptStartText: format.promptStartText } : {}), ...(format.chatTemplate ? { chatTemplate: format.chatTemplate } : {}) }
  }

  private refusal(facts: RunFacts, options: { format: string }): string | null {
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

  async plan(runId: string, rawOptions: ExportOptions): Promise<ExportPlan> {
    const options = exportOptionsSchema.parse(rawOptions)
    const facts = this.runFacts(runId)
    const outDir = path.resolve(options.outDir ?? path.join(exportsRoot(this.deps.home, runId), exportIdOf(options)))
    const refusal = this.refusal(facts, options)
    let estimatedBytes = 0
    if (!refusal && facts.weightsDir) {
      estimatedBytes = estimateExportBytes({ format: options.format, quant: options.quant, weightsDir: facts.weightsDir, finalDir: facts.finalDir, tiedEmbeddings: facts.tiedEmbeddings, vocabSize: facts.vocabSize })
    }
    const freeBytes = await freeBytesAt(outDir)
    const replaces = fs.existsSync(outDir) ? fs.readdirSync(outDir).filter((name) => fs.statSync(path.join(outDir, name)).isFile()) : []
    return {
      runId,
      format: options.format,
      quant: options.format === 'gguf' ? options.quant : null,
      outDir,
      estimatedBytes,
      freeBytes,
      enoughSpace: freeBytes === null || freeBytes >= estimatedBytes + headroomBytes,
      refusal,
      replaces
    }
  }

  private progress(runId: string, exportId: string, stage: ExportStage, message: string, fraction: number | null): void {
    this.deps.events.publish('exports.progress', { runId, exportId, stage, message, fraction })
  }

  async start(runId: string, rawOptions: ExportOptions): Promise<ExportRecord> {
    const options = exportOptionsSchema.parse(rawOptions)
    const exportId = exportIdOf(options)
    if (this.running) {
      throw new UserFacingError(`Another export is running (run ${this.running.runId}, ${this.running.exportId}); exports take the whole machine's memory one at a time. Start this one when it has finished.`, { code: 'conflict' })
    }
    const plan = await this.plan(runId, options)
    if (plan.refusal) throw new UserFacingError(plan.refusal, { code: 'conflict' })
    if (!plan.enoughSpace) {
      throw new UserFacingError(
        `The export needs about ${formatBytes(plan.estimatedBytes)} (plus ${formatBytes(headroomBytes)} to spare) but only ${formatBytes(plan.freeBytes ?? 0)} is free where it would go (${plan.outDir}). Free some space or choose another folder.`,
        { details: [plan.outDir] }
      )
    }
    const python = await this.deps.pythonRuntime()
    if (!python.found || !python.executable || python.problem) {
      throw new UserFacingError(python.problem ?? 'No Python with torch was found for the runtime, and the export runs in it.', { details: python.fix ? [python.fix] : [] })
    }
    const facts = this.runFacts(runId)
    const abort = new AbortController()
    this.running = { runId, exportId, abort }
    let chatTemplateFile: string | null = null
    try {
      this.progress(runId, exportId, 'plan', `Exporting ${exportId} to ${plan.outDir} (about ${formatBytes(plan.estimatedBytes)})`, null)
      const firstPrompt = firstRecord(path.join(facts.row.run_dir, facts.config.data.train))?.prompt
      const format = this.trainingFormat(facts.row, facts.config.mode)
      const layout = promptLayoutFor(facts.config.mode, format, typeof firstPrompt === 'string' ? firstPrompt : null)
      if (options.format === 'gguf' && layout.ggufChatTemplate !== null) {
        chatTemplateFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'localtune-export-')), 'chat_template.jinja')
        fs.writeFileSync(chatTemplateFile, layout.ggufChatTemplate)
      }
      const result = await runRuntimeExport({
        python: python.executable,
        env: runtimeEnvironment(this.deps.env, this.deps.runtimeDir, { allowDownloads: facts.config.model.allow_downloads === true }),
        runtimeDir: this.deps.runtimeDir,
        runDir: facts.row.run_dir,
        format: options.format,
        quant: options.quant,
        outDir: plan.outDir,
        fileName: options.format === 'gguf' ? `${ollamaModelName(runId)}-${options.quant}.gguf` : undefined,
        chatTemplateFile: chatTemplateFile ?? undefined,
        signal: abort.signal,
        onProgress: (progress) => {
          const fraction = progress.done !== null && progress.total ? Math.min(1, progress.done / progress.total) : null
          this.progress(runId, exportId, progress.stage, progress.message, fraction)
        }
      })
      const record = options.format === 'gguf' ? await this.finishGguf(runId, exportId, options, result, layout, format) : this.finishFolder(runId, exportId, result)
      this.remember(record)
      this.progress(runId, exportId, 'done', record.verification.summary, 1)
      return record
    } catch (error) {
      if (error instanceof RuntimeExportFailure) {
        throw new UserFacingError(error.message, { details: [...error.advice, ...(error.kind ? [] : error.stderrTail)] })
      }
      throw error
    } finally {
      this.running = null
      if (chatTemplateFile) fs.rmSync(path.dirname(chatTemplateFile), { recursive: true, force: true })
    }
  }

  private templateChecks(layout: PromptLayout, result: RuntimeExportResult, chatTemplate: string | null, format: TrainingFormatOptions): TemplateCheck[] {
    if (layout.kind === 'generic') return []
    const checks: TemplateCheck[] = []
    const prompts = result.reference.prompts.map((reference) => reference.prompt)
    const describe = (name: string, render: (fields: { system: string | null; user: string }) => string): TemplateCheck => {
      for (const prompt of prompts) {
        const fields = layout.fieldsOf(prompt)
        if (!fields) return { name, matches: false, detail: `The training prompt does not have the layout the current formatter writes, so the template cannot reproduce it: ${JSON.stringify(prompt.slice(-60))}` }
        let rendered: string
        try {
          rendered = render(fields)
        } catch (error) {
          return { name, matches: false, detail: `The template failed to render: ${(error as Error).message}` }
        }
        if (rendered !== prompt) return { name, matches: false, detail: `It writes ${JSON.stringify(rendered.slice(-80))} where training had ${JSON.stringify(prompt.slice(-80))}.` }
      }
      return { name, matches: true, detail: `Renders the ${prompts.length} reference prompts character for character.` }
    }
    checks.push(describe('the Ollama template', (fields) => renderOllamaPrompt(layout, fields)))
    if (chatTemplate) {
      const template = new Template(chatTemplate)
      const tokens: Partial<ChatTemplateSpec> = format.chatTemplate ?? {}
      checks.push(
        describe("the GGUF file's chat template", (fields) =>
          template.render({
            ...tokens.extraVariables,
            messages: [...(fields.system !== null ? [{ role: 'system', content: fields.system }] : []), { role: 'user', content: fields.user }],
            bos_token: tokens.bosToken ?? '',
            eos_token: tokens.eosToken ?? '',
            add_generation_prompt: true
          })
        )
      )
    }
    return checks
  }

  private async finishGguf(runId: string, exportId: string, options: { quant: GgufQuant; ollama: boolean }, result: RuntimeExportResult, layout: PromptLayout, format: TrainingFormatOptions): Promise<ExportRecord> {
    const gguf = result.gguf
    if (!gguf) throw new Error('The runtime returned no GGUF details for a GGUF export.')
    const version = nodeLlamaCppVersion()
    const tool = `llama.cpp (node-llama-cpp${version ? ` ${version}` : ''})`
    this.progress(runId, exportId, 'verify', `Loading ${gguf.file} in ${tool} and answering the reference prompts`, null)
    const references = result.reference.prompts
    let verification
    try {
      const { facts, runs } = await this.llama.check(
        gguf.path,
        references.map((reference) => ({ prompt: reference.prompt, parseSpecial: reference.parse_special, maxNewTokens: result.reference.max_new_tokens }))
      )
      verification = compareWithReference(references, runs, options.quant, tool, this.templateChecks(layout, result, facts.chatTemplate, format))
    } catch (error) {
      verification = {
        tool,
        status: 'failed' as const,
        summary: `not verified: ${tool} could not load ${gguf.file}: ${(error as Error).message}`,
        tokenAgreement: 0,
        prompts: [],
        templates: []
      }
    }
    const files = [...result.files]
    let modelfile: string | null = null
    if (options.ollama) {
      modelfile = modelfileText({ ggufFileName: gguf.file, layout, stopTexts: gguf.tokenizer.stop_texts, runId, baseModel: result.model_id })
      fs.writeFileSync(path.join(result.out_dir, 'Modelfile'), modelfile)
      files.push({ path: 'Modelfile', bytes: Buffer.byteLength(modelfile) })
    }
    const name = ollamaModelName(runId)
    const instructions = [
      ...(modelfile
        ? [{ tool: 'Ollama', code: `cd ${shellQuote(result.out_dir)}\nollama create ${name} -f Modelfile\nollama run ${name}`, note: 'The Modelfile\'s TEMPLATE writes prompts the way the training examples were written, and its stop lines end answers where the model learned to.' }]
        : []),
      {
        tool: 'LM Studio',
        code: `lms import ${shellQuote(gguf.path)}`,
        note: 'Or copy the file into LM Studio\'s models folder (~/.lmstudio/models/localtune/<name>/). Its chat formats messages with the chat template stored in the file, which writes the training format.'
      },
      {
        tool: 'llama.cpp',
        code: `llama-server -m ${shellQuote(gguf.path)} --jinja\n# or one prompt, written in the training format:\nllama-cli -m ${shellQuote(gguf.path)} --temp 0 -n 128 -f prompt.txt`,
        note: '--jinja makes the server format chat messages with the chat template stored in the file.'
      }
    ]
    const notes = [...result.notes]
    if (layout.kind === 'localtune') notes.push('Ollama takes one prompt: for rows that had an input, write it into the prompt after the instruction as "\\n### Input: …", exactly as in training.')
    return this.record(runId, exportId, 'gguf', options.quant, result.out_dir, files, gguf.path, modelfile, instructions, verification, notes)
  }

  private finishFolder(runId: string, exportId: string, result: RuntimeExportResult): ExportRecord {
    const verification = folderVerification(result)
    const dir = result.out_dir
    const instructions =
      result.format === 'merged'
        ? [
            {
              tool: 'transformers',
              code: `from transformers import AutoModelForCausalLM, AutoTokenizer\n\nmodel = AutoModelForCausalLM.from_pretrained(${JSON.stringify(dir)}, dtype="auto")\ntokenizer = AutoTokenizer.from_pretrained(${JSON.stringify(dir)})`,
              note: 'generation_config.json ends answers at the EOS the run trained the model to write.'
            }
          ]
        : [
            {
              tool: 'peft',
              code: `from peft import AutoPeftModelForCausalLM\nfrom transformers import AutoTokenizer\n\nmodel = AutoPeftModelForCausalLM.from_pretrained(${JSON.stringify(dir)}, dtype="auto")\ntokenizer = AutoTokenizer.from_pretrained(${JSON.stringify(dir)})`,
              note: `The adapter needs its base model (${result.model_id}); peft finds it through adapter_config.json.`
            }
          ]
    return this.record(runId, exportId, result.format, null, dir, result.files, null, null, instructions, verification, result.notes)
  }

  private record(
    runId: string,
    id: string,
    format: ExportRecord['format'],
    quant: GgufQuant | null,
    outDir: string,
    files: ExportRecord['files'],
    ggufPath: string | null,
    modelfile: string | null,
    instructions: ExportRecord['instructions'],
    verification: ExportRecord['verification'],
    notes: string[]
  ): ExportRecord {
    return exportRecordSchema.parse({
      id,
      runId,
      format,
      quant,
      outDir,
      createdAt: new Date().toISOString(),
      files,
      totalBytes: files.reduce((sum, file) => sum + file.bytes, 0),
      ggufPath,
      modelfile,
      instructions,
      verification,
      notes
    })
  }

  private remember(record: ExportRecord): void {
    const root = exportsRoot(this.deps.home, record.runId)
    fs.mkdirSync(root, { recursive: true })
    const text = `${JSON.stringify(record, null, 2)}\n`
    fs.writeFileSync(path.join(root, `${record.id}.json`), text)
    fs.writeFileSync(path.join(record.outDir, recordFile), text)
  }

  list(runId: string): ExportRecord[] {
    const root = exportsRoot(this.deps.home, runId)
    if (!fs.existsSync(root)) return []
    const records: ExportRecord[] = []
    for (const name of fs.readdirSync(root)) {
      if (!name.endsWith('.json')) continue
      const parsed = exportRecordSchema.safeParse(readJson(path.join(root, name)))
      if (parsed.success && parsed.data.runId === runId) records.push(parsed.data)
    }
    return records.sort((a, b) => b.createdAt.localeCompare(a.createdAt))
  }

  /**
   * An answer from a GGUF export in llama.cpp, streamed as playground.output. The input is
   * formatted with the run's own format, exactly as the transformers playground does.
   */
  async generate(
    runId: string,
    exportId: string,
    input: PlaygroundInput,
    options: { maxNewTokens: number; temperature: number; requestId: string }
  ): Promise<{ requestId: string; text: string; tokens: number; seconds: number; stop: 'end' | 'length' }> {
    const record = this.list(runId).find((candidate) => candidate.id === exportId)
    if (!record?.ggufPath) throw new UserFacingError(`Run ${runId} has no GGUF export "${exportId}"; export one from the Results screen first.`, { code: 'not_found' })
    if (!fs.existsSync(record.ggufPath)) throw new UserFacingError(`${record.ggufPath} is gone; export the run again.`, { code: 'not_found', details: [record.ggufPath] })
    const facts = this.runFacts(runId)
    const { prompt, markup } = formatPlaygroundPrompt(readRunPromptFormat(facts.row.run_dir, facts.config.mode), input)
    const { requestId } = options
    const started = Date.now()
    try {
      // Special-token text is read as control tokens only where a chat template wrote markup.
      const answer = await this.llama.generate(record.ggufPath, { prompt, parseSpecial: markup.length > 0, maxNewTokens: options.maxNewTokens }, options.temperature, (text) =>
        this.deps.events.publish('playground.output', { requestId, runId, model: null, text, done: false })
      )
      return { requestId, text: answer.text, tokens: answer.tokens, seconds: (Date.now() - started) / 1000, stop: answer.stop }
    } finally {
      this.deps.events.publish('playground.output', { requestId, runId, model: null, text: '', done: true })
    }
  }

  /**
   * The run's settings as an AutoTrain Advanced config, beside a CSV of the exact texts it
   * trained on (AutoTrain's SFT reads one text column): `<home>/exports/<runId>/autotrain/`.
   */
  autoTrainConfig(runId: string): { folder: string; configPath: string; csvPath: string; yaml: string; notes: string[] } {
    const facts = this.runFacts(runId)
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
    const folder = path.join(exportsRoot(this.deps.home, runId), 'autotrain')
    fs.mkdirSync(folder, { recursive: true })
    const csvPath = path.join(folder, 'train.csv')
    fs.writeFileSync(csvPath, Papa.unparse(texts, { columns: ['text'], newline: '\n' }))
    const { yaml, notes } = localTuneToAutoTrain({
      name: `localtune-${runId}`,
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

  close(): void {
    this.running?.abort.abort()
    this.llama.close()
  }
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`
}
