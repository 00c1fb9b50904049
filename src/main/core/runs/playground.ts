import type { ChildProcess } from 'node:child_process'
import crypto from 'node:crypto'
import type { PythonRuntimeStatus } from '../../../shared/contract'
import type { GenerateResult, PlaygroundAnswer, PlaygroundInput, PlaygroundModel, RunFailure } from '../../../shared/contract/runs'
import type { EventHub } from '../event-hub'
import { startJsonLinesChild } from '../runtime/json-lines-child'
import { runtimeEnvironment } from '../runtime/runtime-env'
import { UserFacingError } from '../user-facing-error'
import { OutputBatcher } from './output-batcher'
import { formatPlaygroundPrompt, readRunPromptFormat } from './playground-prompt'
import { placementOf } from './run-placement'
import type { RunRow } from './run-store'
import { runConfigOf } from './run-summary'

export interface GenerateRequest {
  input: PlaygroundInput
  /** Which models answer, in this order (default: the finetuned one). */
  models?: PlaygroundModel[]
  maxNewTokens?: number
  temperature?: number
  /** Matches the playground.output events of this request; made up when absent. */
  requestId?: string
}

export interface PlaygroundDeps {
  env: NodeJS.ProcessEnv
  runtimeDir: string
  events: EventHub
  pythonRuntime(): Promise<PythonRuntimeStatus>
  /** The run training on this GPU right now, if any (the playground then stays off that GPU). */
  trainingOnGpu(gpuIndex: number): string | null
}

/** One line the runtime's `generate --json` writes on stdout. */
type RuntimeLine =
  | { type: 'text'; model: PlaygroundModel; text: string }
  | { type: 'answer'; model: PlaygroundModel; text: string; stop: 'end' | 'length'; new_tokens: number; prompt_tokens: number }
  | { type: 'failure'; kind: string; message: string; advice: string[] }

/**
 * Tries a run's model: `python -m localtune_runtime generate --json`, a child process whose
 * stdin takes the request and whose stdout is JSON lines (text deltas, whole answers, a failure).
 * Data travels on that pipe only; stderr carries what a person reads and is kept for the failure
 * report. The prompt is formatted with the shared formatter, as the training examples were.
 */
export class Playground {
  private readonly running = new Set<ChildProcess>()

  constructor(private readonly deps: PlaygroundDeps) {}

  async generate(row: RunRow, request: GenerateRequest): Promise<GenerateResult> {
    const requestId = request.requestId ?? crypto.randomUUID()
    const python = await this.deps.pythonRuntime()
    if (!python.found || !python.executable || python.problem) {
      throw new UserFacingError(python.problem ?? 'No Python with torch was found for the runtime.', { details: python.fix ? [python.fix] : [] })
    }
    const config = runConfigOf(row)
    const mode = config?.mode ?? 'chat'
    const { prompt, markup } = formatPlaygroundPrompt(readRunPromptFormat(row.run_dir, mode), request.input)
    // A model loaded next to a training run on the same GPU takes memory the run counted on:
    // answer on the CPU instead, and say so.
    // A run trained on several GPUs answers on the first of them: one is plenty to generate.
    const gpu = placementOf(row).gpus[0] ?? null
    const busyWith = gpu === null ? null : this.deps.trainingOnGpu(gpu)
    const notice = busyWith ? `GPU ${gpu} is training run ${busyWith}, so this answer was generated on the CPU (slower).` : null
    const env = runtimeEnvironment(this.deps.env, this.deps.runtimeDir, {
      allowDownloads: config?.model.allow_downloads === true,
      cudaVisibleDevices: gpu === null || busyWith ? '' : String(gpu)
    })
    const runtimeRequest = {
      prompt,
      markup,
      models: request.models ?? ['finetuned'],
      max_new_tokens: request.maxNewTokens ?? 128,
      temperature: request.temperature ?? 0.7
    }
    return this.runGenerate(row, python.executable, env, runtimeRequest, requestId, prompt, notice)
  }

  private async runGenerate(row: RunRow, python: string, env: NodeJS.ProcessEnv, runtimeRequest: object, requestId: string, prompt: string, notice: string | null): Promise<GenerateResult> {
    const answers: PlaygroundAnswer[] = []
    let failure: RunFailure | null = null
    let batchedModel: PlaygroundModel | null = null
    const batcher = new OutputBatcher({
      onFlush: (text) => this.deps.events.publish('playground.output', { requestId, runId: row.id, model: batchedModel, text, done: false })
    })
    const { child, ended } = startJsonLinesChild(python, ['-m', 'localtune_runtime', 'generate', '--run-dir', row.run_dir, '--json'], {
      cwd: row.run_dir,
      env,
      stdin: JSON.stringify(runtimeRequest),
      onLine: (line) => {
        const parsed = parseRuntimeLine(line)
        if (!parsed) return
        if (parsed.type === 'text') {
          if (batchedModel !== parsed.model) {
            batcher.flush()
            batchedModel = parsed.model
          }
          batcher.push(parsed.text)
        } else if (parsed.type === 'answer') {
          answers.push({ model: parsed.model, text: parsed.text, stop: parsed.stop, newTokens: parsed.new_tokens, promptTokens: parsed.prompt_tokens })
        } else {
          failure = { message: parsed.message, kind: parsed.kind, advice: parsed.advice, exitCode: null, signal: null, outputTail: [] }
        }
      }
    })
    this.running.add(child)
    const { exitCode, signal, spawnError, outputTail } = await ended
    this.running.delete(child)
    batcher.flush()
    batcher.dispose()
    this.deps.events.publish('playground.output', { requestId, runId: row.id, model: null, text: '', done: true })
    let result: RunFailure | null = failure ? { ...(failure as RunFailure), exitCode, outputTail } : null
    if (!result && spawnError) result = { message: `The runtime could not be started: ${spawnError.message}`, kind: null, advice: [], exitCode, signal: null, outputTail }
    if (!result && (exitCode !== 0 || signal !== null)) {
      const how = signal ? `was ended by ${signal}` : `exited with code ${exitCode ?? 'unknown'}`
      result = { message: `Generation ${how}; its last lines are below.`, kind: null, advice: [], exitCode, signal, outputTail }
    }
    return { requestId, prompt, answers, notice, exitCode, failure: result }
  }

  /** Ends generations still going (the app is closing). */
  close(): void {
    for (const child of this.running) child.kill('SIGKILL')
    this.running.clear()
  }
}

function parseRuntimeLine(line: string): RuntimeLine | null {
  try {
    const value = JSON.parse(line) as RuntimeLine
    return value && typeof value === 'object' && typeof value.type === 'string' ? value : null
  } catch {
    return null // not ours: the runtime writes only JSON lines here, but a library might print
  }
}
