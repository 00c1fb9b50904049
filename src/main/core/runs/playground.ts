import crypto from 'node:crypto'
import type { PythonRuntimeStatus } from '../../../shared/contract'
import type { RunFailure } from '../../../shared/contract/runs'
import { terminalToPlainLines } from '../../../shared/terminal/plain-lines'
import type { EventHub } from '../event-hub'
import { runtimeEnvironment } from '../runtime/runtime-env'
import { UserFacingError } from '../user-facing-error'
import { OutputBatcher } from './output-batcher'
import { signalName } from './run-outcome'
import type { RunRow } from './run-store'
import { runConfigOf } from './run-summary'
import { RuntimeProcess } from './runtime-process'

export interface GenerateRequest {
  prompt: string
  /** Use the base model without the run's finetuned weights (for side-by-side comparison). */
  base?: boolean
  maxNewTokens?: number
  /** Matches the playground.output events of this request; made up when absent. */
  requestId?: string
}

export interface GenerateResult {
  requestId: string
  text: string
  exitCode: number | null
  failure: RunFailure | null
}

export interface PlaygroundDeps {
  env: NodeJS.ProcessEnv
  runtimeDir: string
  events: EventHub
  pythonRuntime(): Promise<PythonRuntimeStatus>
}

// The runtime prints its messages (stderr) before this line and only generated text (stdout)
// after it; in a pty both arrive on one stream, so this line is where the text starts.
const textStartsAfter = /Generating with [^\n]*\n/

/**
 * Tries a run's model: `python -m localtune_runtime generate` in a pty, the generated text
 * pushed as `playground.output` deltas (batched like terminal output) and returned whole.
 */
export class Playground {
  private readonly running = new Set<RuntimeProcess>()

  constructor(private readonly deps: PlaygroundDeps) {}

  async generate(row: RunRow, request: GenerateRequest): Promise<GenerateResult> {
    const requestId = request.requestId ?? crypto.randomUUID()
    const python = await this.deps.pythonRuntime()
    if (!python.found || !python.executable || python.problem) {
      throw new UserFacingError(python.problem ?? 'No Python with torch was found for the runtime.', { details: python.fix ? [python.fix] : [] })
    }
    const config = runConfigOf(row)
    const env = runtimeEnvironment(this.deps.env, this.deps.runtimeDir, {
      allowDownloads: config?.model.allow_downloads === true,
      cudaVisibleDevices: row.gpu_index === null ? '' : String(row.gpu_index)
    })
    const args = ['-m', 'localtune_runtime', 'generate', '--run-dir', row.run_dir, '--prompt', request.prompt, '--max-new-tokens', String(request.maxNewTokens ?? 128)]
    if (request.base) args.push('--base')

    const batcher = new OutputBatcher({
      onFlush: (text) => this.deps.events.publish('playground.output', { requestId, runId: row.id, text, done: false })
    })
    let raw = ''
    let sent = 0
    let textStart: number | null = null
    return new Promise<GenerateResult>((resolve) => {
      const child = new RuntimeProcess({
        python: python.executable!,
        args,
        cwd: row.run_dir,
        env,
        size: { cols: 200, rows: 50 },
        onData: (data) => {
          raw += data
          if (textStart === null) {
            const marker = textStartsAfter.exec(raw)
            if (!marker) return
            textStart = marker.index + marker[0].length
            sent = textStart
          }
          // Hold back a lone trailing CR: it may be the first half of the pty's CRLF.
          const end = raw.endsWith('\r') ? raw.length - 1 : raw.length
          if (end > sent) {
            batcher.push(fromTerminal(raw.slice(sent, end)))
            sent = end
          }
        },
        onExit: ({ exitCode, signal }) => {
          this.running.delete(child)
          if (textStart !== null && raw.length > sent) batcher.push(fromTerminal(raw.slice(sent)))
          batcher.dispose()
          this.deps.events.publish('playground.output', { requestId, runId: row.id, text: '', done: true })
          const text = textStart === null ? '' : fromTerminal(raw.slice(textStart))
          const failure = exitCode === 0 && signal === null ? null : describeFailure(raw, exitCode, signal)
          resolve({ requestId, text, exitCode, failure })
        }
      })
      this.running.add(child)
    })
  }

  /** Ends generations still going (the app is closing). */
  close(): void {
    for (const child of this.running) child.signal('SIGKILL')
    this.running.clear()
  }
}

/** The pty turns each LF into CRLF; the text the model wrote had LF. */
function fromTerminal(text: string): string {
  return text.replace(/\r\n/g, '\n')
}

/** The runtime prints failures as "error (kind): message" followed by "  - advice" lines. */
function describeFailure(raw: string, exitCode: number | null, signal: number | null): RunFailure {
  const lines = terminalToPlainLines(raw)
  const at = lines.findIndex((line) => /^error \([a-z_]+\): /.test(line))
  const outputTail = lines.filter((line) => line.trim()).slice(-40)
  if (at !== -1) {
    const match = /^error \(([a-z_]+)\): (.*)$/.exec(lines[at] ?? '')
    const advice: string[] = []
    for (const line of lines.slice(at + 1)) {
      const tip = /^\s+- (.*)$/.exec(line)
      if (!tip) break
      advice.push(tip[1] ?? '')
    }
    return { message: match?.[2] ?? 'Generation failed.', kind: match?.[1] ?? null, advice, exitCode, signal: signalName(signal), outputTail }
  }
  const how = signal ? `was ended by ${signalName(signal)}` : `exited with code ${exitCode ?? 'unknown'}`
  return { message: `Generation ${how}; its last lines are below.`, kind: null, advice: [], exitCode, signal: signalName(signal), outputTail }
}
