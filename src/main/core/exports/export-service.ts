import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { PythonRuntimeStatus } from '../../../shared/contract'
import { exportOptionsSchema, type ExportOptions, type ExportPlan, type ExportRecord, type ExportStage, type GgufQuant } from '../../../shared/contract/exports'
import type { PlaygroundInput } from '../../../shared/contract/runs'
import type { TrainingFormatOptions } from '../../../shared/dataset/mapping'
import { formatBytes } from '../../../shared/units'
import type { EventHub } from '../event-hub'
import { formatPlaygroundPrompt, readRunPromptFormat } from '../runs/playground-prompt'
import { RunStore } from '../runs/run-store'
import { runtimeEnvironment } from '../runtime/runtime-env'
import type { LocalTuneDatabase } from '../store/database'
import { UserFacingError } from '../user-facing-error'
import { writeAutoTrainExport, type AutoTrainExport } from './autotrain-export'
import { folderInstructions, ggufInstructions } from './export-instructions'
import { buildExportRecord, exportIdOf, exportsRoot, listExports, rememberExport } from './export-records'
import { exportRefusal, firstJsonlRecord, readExportRunFacts, trainingFormatOf, type ExportRunFacts } from './export-run-facts'
import { compareWithReference, folderVerification } from './export-verification'
import { LlamaCppHost, nodeLlamaCppVersion } from './llama-cpp-host'
import { modelfileText, ollamaModelName } from './modelfile'
import { promptLayoutFor, type PromptLayout } from './prompt-layout'
import { runRuntimeExport, RuntimeExportFailure, type RuntimeExportResult } from './runtime-export'
import { estimateExportBytes } from './size-estimate'
import { templateChecks } from './template-checks'

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

export class ExportService {
  private readonly store: RunStore
  private readonly llama: LlamaCppHost
  private running: { runId: string; exportId: string; abort: AbortController } | null = null

  constructor(private readonly deps: ExportServiceDeps) {
    this.store = new RunStore(deps.db)
    this.llama = new LlamaCppHost({ env: deps.env })
  }

  private runFacts(runId: string): ExportRunFacts {
    return readExportRunFacts(this.store, this.deps.env, runId)
  }

  async plan(runId: string, rawOptions: ExportOptions): Promise<ExportPlan> {
    const options = exportOptionsSchema.parse(rawOptions)
    const facts = this.runFacts(runId)
    const outDir = path.resolve(options.outDir ?? path.join(exportsRoot(this.deps.home, runId), exportIdOf(options)))
    const refusal = exportRefusal(facts, options)
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
      const firstPrompt = firstJsonlRecord(path.join(facts.row.run_dir, facts.config.data.train))?.prompt
      const format = trainingFormatOf(facts.row, facts.config.mode)
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
      rememberExport(this.deps.home, record)
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
      verification = compareWithReference(references, runs, options.quant, tool, templateChecks(layout, result, facts.chatTemplate, format))
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
    const instructions = ggufInstructions({ ggufPath: gguf.path, outDir: result.out_dir, ollamaName: ollamaModelName(runId), withModelfile: modelfile !== null })
    const notes = [...result.notes]
    if (layout.kind === 'localtune') notes.push('Ollama takes one prompt: for rows that had an input, write it into the prompt after the instruction as "\\n### Input: …", exactly as in training.')
    return buildExportRecord({ runId, id: exportId, format: 'gguf', quant: options.quant, outDir: result.out_dir, files, ggufPath: gguf.path, modelfile, instructions, verification, notes })
  }

  private finishFolder(runId: string, exportId: string, result: RuntimeExportResult): ExportRecord {
    return buildExportRecord({
      runId,
      id: exportId,
      format: result.format,
      quant: null,
      outDir: result.out_dir,
      files: result.files,
      ggufPath: null,
      modelfile: null,
      instructions: folderInstructions({ format: result.format, dir: result.out_dir, baseModel: result.model_id }),
      verification: folderVerification(result),
      notes: result.notes
    })
  }

  list(runId: string): ExportRecord[] {
    return listExports(this.deps.home, runId)
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
  autoTrainConfig(runId: string): AutoTrainExport {
    return writeAutoTrainExport(this.deps.home, this.runFacts(runId))
  }

  close(): void {
    this.running?.abort.abort()
    this.llama.close()
  }
}
