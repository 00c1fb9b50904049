import type { ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { ParsedRequestOf, PythonRuntimeStatus, ResponseOf, RunFailure } from '../../../shared/contract'
import type { EstimateVerification, VerifyProgress } from '../../../shared/contract/estimate-schemas'
import { parseRunConfig, RUN_CONFIG_SCHEMA_VERSION } from '../../../shared/run-config/run-config-schema'
import type { EventHub } from '../event-hub'
import { startJsonLinesChild } from '../runtime/json-lines-child'
import { runtimeEnvironment } from '../runtime/runtime-env'
import { UserFacingError } from '../user-facing-error'
import { parseVerifyLine, type VerifyResultLine } from './verify-lines'

export type VerifyRequest = ParsedRequestOf<'estimate.verify'>
export type VerifyAnswer = ResponseOf<'estimate.verify'>

export interface EstimateVerifierDeps {
  env: NodeJS.ProcessEnv
  runtimeDir: string
  events: EventHub
  pythonRuntime(): Promise<PythonRuntimeStatus>
  /** Where the runtime's temporary folder goes (default: the OS's); tests use their own. */
  tempRoot?: string
}

/** The prefix of every verification's temporary folder (removed when it ends, however it ends). */
export const verifyTempPrefix = 'localtune-verify-'
/** A cancelled verification gets this long to end on SIGTERM before SIGKILL. */
const cancelGraceMs = 3000

interface Running {
  child: ChildProcess
  cancelled: boolean
}

/**
 * "Verify on this machine": `python -m localtune_runtime verify --json` in a child process whose
 * stdin takes the request (the run settings as a run.json object) and whose stdout is JSON lines
 * (progress, then the measurement or a failure). Progress goes out as `estimate.verify-progress`.
 * The child runs with TMPDIR in a folder of its own, removed when the child has ended (also when
 * it failed or was cancelled), so nothing is left on disk.
 */
export class EstimateVerifier {
  private readonly running = new Map<string, Running>()
  /** Verifications between their request and their process (finding Python): a cancel then is kept here. */
  private readonly starting = new Map<string, { cancelled: boolean }>()

  constructor(private readonly deps: EstimateVerifierDeps) {}

  async verify(request: VerifyRequest): Promise<VerifyAnswer> {
    if (this.running.has(request.verificationId) || this.starting.has(request.verificationId)) {
      throw new UserFacingError(`Verification ${request.verificationId} is already running.`, { code: 'conflict', details: ['verificationId'] })
    }
    const trainPath = path.resolve(request.trainJsonlPath)
    if (!fs.existsSync(trainPath) || !fs.statSync(trainPath).isFile()) {
      throw new UserFacingError(`The training file ${trainPath} does not exist: finish the Data step (it writes the file), then verify again.`, { code: 'not_found', details: ['trainJsonlPath'] })
    }
    const parsed = parseRunConfig({ schema_version: RUN_CONFIG_SCHEMA_VERSION, run_id: `verify-${request.verificationId}`, ...request.settings, data: { train: trainPath, valid: null } })
    if (!parsed.ok) throw new UserFacingError('The settings to verify are not valid; fix the ones named below.', { code: 'invalid_request', details: parsed.errors })
    const starting = { cancelled: false }
    this.starting.set(request.verificationId, starting)
    let python: PythonRuntimeStatus
    try {
      python = await this.deps.pythonRuntime()
    } finally {
      this.starting.delete(request.verificationId)
    }
    if (starting.cancelled) return { status: 'cancelled', verificationId: request.verificationId }
    if (!python.found || !python.executable || python.problem) {
      throw new UserFacingError(python.problem ?? 'No Python with torch was found for the runtime.', { details: python.fix ? [python.fix] : [] })
    }
    const tempDir = fs.mkdtempSync(path.join(this.deps.tempRoot ?? os.tmpdir(), verifyTempPrefix))
    const env = runtimeEnvironment(this.deps.env, this.deps.runtimeDir, {
      allowDownloads: parsed.config.model.allow_downloads === true,
      cudaVisibleDevices: request.device.kind === 'gpu' ? String(request.device.index) : ''
    })
    env.TMPDIR = tempDir
    const runtimeRequest = { config: parsed.config, steps: request.steps, memory_limit_bytes: request.memoryLimitBytes }
    this.publish({ verificationId: request.verificationId, stage: 'starting', step: null, steps: request.steps, message: 'Starting the runtime' })
    try {
      return await this.runVerify(python.executable, env, tempDir, request, JSON.stringify(runtimeRequest))
    } finally {
      fs.rmSync(tempDir, { recursive: true, force: true })
    }
  }

  /** Ends a running verification; false when there is none by that id (it may have just finished). */
  cancel(verificationId: string): boolean {
    const starting = this.starting.get(verificationId)
    if (starting) {
      starting.cancelled = true
      return true
    }
    const entry = this.running.get(verificationId)
    if (!entry) return false
    entry.cancelled = true
    entry.child.kill('SIGTERM')
    const force = setTimeout(() => entry.child.kill('SIGKILL'), cancelGraceMs)
    entry.child.once('close', () => clearTimeout(force))
    return true
  }

  /** Ends every verification (the app is closing). */
  close(): void {
    for (const entry of this.running.values()) {
      entry.cancelled = true
      entry.child.kill('SIGKILL')
    }
  }

  private publish(progress: VerifyProgress): void {
    this.deps.events.publish('estimate.verify-progress', progress)
  }

  private async runVerify(python: string, env: NodeJS.ProcessEnv, cwd: string, request: VerifyRequest, stdin: string): Promise<VerifyAnswer> {
    const { verificationId } = request
    const started = Date.now()
    let result: VerifyResultLine | null = null
    let failure: Pick<RunFailure, 'kind' | 'message' | 'advice'> | null = null
    const { child, ended } = startJsonLinesChild(python, ['-m', 'localtune_runtime', 'verify', '--json'], {
      cwd,
      env,
      stdin,
      onLine: (text) => {
        const line = parseVerifyLine(text)
        if (!line) return
        if (line.type === 'progress') this.publish({ verificationId, stage: line.stage, step: line.step, steps: line.steps, message: line.message })
        else if (line.type === 'result') result = line
        else failure = { kind: line.kind, message: line.message, advice: line.advice }
      }
    })
    const entry: Running = { child, cancelled: false }
    this.running.set(verificationId, entry)
    const { exitCode, signal, spawnError, outputTail } = await ended
    this.running.delete(verificationId)
    if (entry.cancelled) return { status: 'cancelled', verificationId }
    const measured = result as VerifyResultLine | null
    if (measured) return { status: 'measured', verification: verificationOf(verificationId, measured, (Date.now() - started) / 1000) }
    const said = failure as Pick<RunFailure, 'kind' | 'message' | 'advice'> | null
    const how = spawnError ? `could not be started: ${spawnError.message}` : signal ? `was ended by ${signal}` : `exited with code ${exitCode ?? 'unknown'} without a result`
    return {
      status: 'failed',
      verificationId,
      failure: {
        message: said?.message ?? `The verification ${how}; its last lines are below.`,
        kind: said?.kind ?? null,
        advice: said?.advice ?? [],
        exitCode,
        signal,
        outputTail
      }
    }
  }
}

function verificationOf(verificationId: string, line: VerifyResultLine, elapsedSeconds: number): EstimateVerification {
  const m = line.memory
  return {
    verificationId,
    fits: line.fits,
    cause: line.cause,
    message: line.message,
    device: line.device,
    precision: line.precision,
    method: line.method,
    limitBytes: line.limit_bytes,
    memory: {
      kind: m.kind,
      peakBytes: m.peak_bytes,
      runtimeBytes: m.runtime_bytes,
      weightsBytes: m.weights_bytes,
      optimizerStateBytes: m.optimizer_state_bytes,
      stepBytes: m.step_bytes,
      allocatedPeakBytes: m.allocated_peak_bytes,
      reservedPeakBytes: m.reserved_peak_bytes,
      deviceUsedBytes: m.device_used_bytes
    },
    batch: {
      sequences: line.batch.sequences,
      longestTokens: line.batch.longest_tokens,
      paddedTokens: line.batch.padded_tokens,
      microBatchSize: line.batch.micro_batch_size,
      maxLength: line.batch.max_length
    },
    steps: line.steps,
    secondsPerStep: line.seconds_per_step,
    tokensPerSecond: line.tokens_per_second,
    elapsedSeconds
  }
}
