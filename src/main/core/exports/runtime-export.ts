import { spawn } from 'node:child_process'
import readline from 'node:readline'
import type { ExportFormat, GgufQuant } from '../../../shared/contract/exports'

/**
 * `python -m localtune_runtime export` as a child process with pipes (not a pty): its stdout is
 * JSON lines (progress, then one result or one failure), its stderr is what a person reads.
 * Structured data is only ever read from stdout; stderr is kept for the failure report.
 */

export interface RuntimeExportRequest {
  python: string
  env: NodeJS.ProcessEnv
  runtimeDir: string
  runDir: string
  format: ExportFormat
  quant: GgufQuant
  outDir: string
  fileName?: string
  chatTemplateFile?: string
  name?: string
  maxNewTokens?: number
  onProgress(progress: RuntimeExportProgress): void
  /** Aborting kills the process (SIGTERM, then SIGKILL after 5 s). */
  signal?: AbortSignal
}

export interface RuntimeExportProgress {
  stage: 'load' | 'reference' | 'write' | 'verify'
  message: string
  done: number | null
  total: number | null
}

/** One reference prompt with the trained model's greedy answer (reference.py's ReferencePrompt). */
export interface ReferencePrompt {
  prompt: string
  parse_special: boolean
  prompt_ids: number[]
  tokens: number[]
  margins: number[]
  stop: 'end' | 'length'
  stop_id: number | null
  text: string
}

export interface RuntimeExportResult {
  format: ExportFormat
  run_id: string
  model_id: string
  method: string
  mode: string
  out_dir: string
  dtype: string
  reference: { device: string; max_new_tokens: number; eos_id: number; stop_ids: number[]; prompts: ReferencePrompt[] }
  notes: string[]
  files: Array<{ path: string; bytes: number }>
  verification?: { tool: string; same: boolean; answers: Array<{ tokens: number[]; stop_id: number | null; first_difference: number | null; same: boolean }> }
  gguf?: {
    file: string
    path: string
    bytes: number
    architecture: string
    quant: GgufQuant
    tensor_types: Record<string, number>
    fallbacks: string[]
    context_length: number
    tokenizer: { model: string; pre: string | null; tokens: number; merges: number; add_bos: boolean; special_ids: Record<string, number>; stop_texts: string[]; chat_template: boolean }
    chat_template: string | null
  }
}

export class RuntimeExportFailure extends Error {
  constructor(
    message: string,
    readonly kind: string | null,
    readonly advice: string[],
    readonly stderrTail: string[]
  ) {
    super(message)
    this.name = 'RuntimeExportFailure'
  }
}

export function runRuntimeExport(request: RuntimeExportRequest): Promise<RuntimeExportResult> {
  const args = ['-m', 'localtune_runtime', 'export', '--run-dir', request.runDir, '--format', request.format, '--quant', request.quant, '--out', request.outDir]
  if (request.fileName) args.push('--file-name', request.fileName)
  if (request.chatTemplateFile) args.push('--chat-template', request.chatTemplateFile)
  if (request.name) args.push('--name', request.name)
  if (request.maxNewTokens) args.push('--max-new-tokens', String(request.maxNewTokens))
  return new Promise((resolve, reject) => {
    const child = spawn(request.python, args, { cwd: request.runtimeDir, env: request.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let result: RuntimeExportResult | null = null
    let failure: { kind: string; message: string; advice: string[] } | null = null
    const stderr: string[] = []
    let killTimer: NodeJS.Timeout | null = null
    const abort = () => {
      child.kill('SIGTERM')
      killTimer = setTimeout(() => child.kill('SIGKILL'), 5000)
    }
    request.signal?.addEventListener('abort', abort, { once: true })
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.trim()) return
      let record: { type?: string } & Record<string, unknown>
      try {
        record = JSON.parse(line) as typeof record
      } catch {
        stderr.push(`(stdout) ${line}`)
        return
      }
      if (record.type === 'progress') request.onProgress(record as unknown as RuntimeExportProgress)
      else if (record.type === 'result') result = record as unknown as RuntimeExportResult
      else if (record.type === 'failure') failure = record as unknown as { kind: string; message: string; advice: string[] }
    })
    readline.createInterface({ input: child.stderr }).on('line', (line) => {
      stderr.push(line)
      if (stderr.length > 200) stderr.shift()
    })
    child.on('error', (error) => reject(new RuntimeExportFailure(`The runtime's Python (${request.python}) could not be started: ${error.message}`, null, ['Check the Python runtime with `localtune doctor`.'], [])))
    child.on('close', (code, signal) => {
      if (killTimer) clearTimeout(killTimer)
      request.signal?.removeEventListener('abort', abort)
      const tail = stderr.filter((line) => line.trim()).slice(-30)
      if (code === 0 && result) return resolve(result)
      const found = failure as { kind: string; message: string; advice: string[] } | null
      if (found) return reject(new RuntimeExportFailure(found.message, found.kind, found.advice, tail))
      if (request.signal?.aborted) return reject(new RuntimeExportFailure('The export was cancelled.', 'cancelled', [], tail))
      const how = signal ? `was ended by ${signal}` : `exited with code ${code ?? 'unknown'}`
      reject(new RuntimeExportFailure(`The runtime's export ${how} without a result; its last lines are below.`, null, [], tail))
    })
  })
}
