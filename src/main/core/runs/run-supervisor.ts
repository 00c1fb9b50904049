import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { PythonRuntimeStatus } from '../../../shared/contract'
import type { DeviceChoice, GenerateResult, RunSummary } from '../../../shared/contract/runs'
import type { EventHub } from '../event-hub'
import { createProjectRepository, type ProjectRepository } from '../projects/project-repository'
import type { LocalTuneDatabase } from '../store/database'
import { UserFacingError } from '../user-facing-error'
import { demoCsvName, demoRunSettings, prepareDemoData } from './demo-run'
import { DeviceQueue } from './device-queue'
import { RunEventIngest } from './event-ingest'
import { Playground, type GenerateRequest } from './playground'
import { RunAttempt } from './run-attempt'
import { buildRunConfig, createRunFolder, newRunId, runsRoot } from './run-folder'
import { rebuildRunIndex } from './run-index-rebuild'
import { ownedBy, ownerAlive } from './run-ownership'
import { placementColumns, placementOf, queueDevicesOf, resolvePlacement, writePlacementFile } from './run-placement'
import { RunReader } from './run-reader'
import { recoverRun } from './run-recovery'
import { runAgainRequest, type RunAgainChanges, type StartRunRequest } from './run-requests'
import { runStartProblem } from './run-start-check'
import { RunWaiters } from './run-waiters'
import type { RunRow } from './run-store'
import { isLiveStatus, runStatusOf, runtimeAlive, summarizeRun } from './run-summary'
import { defaultTerminalSize, type TerminalSize } from './runtime-process'

/** What the supervisor needs from the core (a subset of `Core`, so tests can build it directly). */
export interface RunSupervisorDeps {
  home: string
  /** The install folder: the demo's sample CSV is under resources/demo/. */
  appRoot: string
  db: LocalTuneDatabase
  events: EventHub
  env: NodeJS.ProcessEnv
  runtimeDir: string
  pythonRuntime(refresh?: boolean): Promise<PythonRuntimeStatus>
}

export interface RunSupervisorOptions {
  /** How long a run may take to finish its step and save after a stop request before it is killed. */
  stopTimeoutMs?: number
  /** Terminal output is pushed at most this often (see OutputBatcher). */
  outputIntervalMs?: number
  outputMaxBatchChars?: number
  /** Fallback poll of events.jsonl when fs.watch stays silent. */
  eventsPollIntervalMs?: number
  /** How often queued runs look whether another LocalTune process freed their device. */
  queuePollIntervalMs?: number
  /** How often runs of other LocalTune processes are checked for a host that died (pid and start time). */
  peerCheckIntervalMs?: number
  /** Where problems that are not a run's failure go (an invalid events line). */
  warn?: (message: string) => void
}

export type { RunAgainChanges, StartRunRequest } from './run-requests'
export { mergeParams } from './run-requests'

const nowIso = (): string => new Date().toISOString()

/**
 * Runs training jobs: what the app and the CLI call to start, stop, resume, wait for and delete
 * runs. Each run is a folder (run.json, data, events.jsonl, output.log, checkpoints/, final/) and
 * a `runs` row that indexes it. The parts: DeviceQueue (one job per device), RunAttempt (one
 * runtime process, from spawn to outcome) and recoverRun (runs whose supervisor is gone); what
 * only reads (lists, curves, results) is inherited from RunReader.
 *
 * Ownership across processes: every row records the host (pid + start time + token) that runs
 * it, so the desktop app and a `localtune train` in a terminal share one home without taking each
 * other's runs, and a GPU busy in one is busy for the other.
 */
export class RunSupervisor extends RunReader {
  readonly hostToken = crypto.randomBytes(8).toString('hex')
  private readonly projects: ProjectRepository
  private readonly ingest: RunEventIngest
  private readonly queue: DeviceQueue
  private readonly attempts = new Map<string, RunAttempt>()
  private readonly sizes = new Map<string, TerminalSize>()
  private readonly waiters: RunWaiters
  private readonly stopTimeoutMs: number
  private readonly warn: (message: string) => void
  private readonly peerTimer: NodeJS.Timeout
  private readonly playground: Playground
  private closed = false

  constructor(
    protected override readonly deps: RunSupervisorDeps,
    private readonly options: RunSupervisorOptions = {}
  ) {
    super(deps)
    this.projects = createProjectRepository(deps.db)
    this.ingest = new RunEventIngest(deps.db)
    this.waiters = new RunWaiters(this.store, (runId) => this.summary(runId))
    this.playground = new Playground({
      ...deps,
      trainingOnGpu: (gpuIndex) => this.store.withStatus(['running', 'stopping']).find((row) => placementOf(row).gpus.includes(gpuIndex))?.id ?? null
    })
    this.stopTimeoutMs = options.stopTimeoutMs ?? 60_000
    this.warn = options.warn ?? ((message) => console.warn(message))
    this.queue = new DeviceQueue({
      store: this.store,
      hostToken: this.hostToken,
      pollIntervalMs: options.queuePollIntervalMs ?? 2000,
      hasAttempt: (runId) => this.attempts.has(runId),
      launch: (row) => this.launch(row),
      recover: (row) => this.recover(row)
    })
    // The index first (run folders the database lost), then the runs their hosts left behind.
    rebuildRunIndex({ home: deps.home, db: deps.db, warn: this.warn })
    this.recoverOrphanedRuns()
    // A peer host that crashes tells nobody: look for dead owners on a timer, not only at start.
    this.peerTimer = setInterval(() => {
      if (!this.closed) this.recoverOrphanedRuns()
    }, options.peerCheckIntervalMs ?? 5000)
    this.peerTimer.unref()
  }

  // ---- starting ------------------------------------------------------------------------------

  /** Creates the run folder and row, queues the run on its device, and starts it when the device is free. */
  async startRun(request: StartRunRequest): Promise<RunSummary> {
    this.assertOpen()
    const runId = newRunId()
    const validJsonl = request.validJsonl ?? null
    const config = buildRunConfig(runId, request.settings, validJsonl !== null)
    const device = request.device ?? (await this.defaultDevice())
    const python = await this.deps.pythonRuntime()
    // Refused here, before a folder or row exists: a run that cannot start is not a failed run.
    const placement = resolvePlacement(device, python)
    const problem = runStartProblem(request.settings, placement, python)
    if (problem) throw new UserFacingError(problem, { code: 'invalid_request', details: ['method', 'params.precision', 'device'] })
    const projectId = request.projectId ?? null
    const project = projectId === null ? null : this.projects.get(projectId)
    if (projectId !== null && !project) {
      throw new UserFacingError(`There is no project "${projectId}". Pick one from the app's project list.`, { code: 'not_found' })
    }
    const runDir = createRunFolder({ home: this.deps.home, runId, config, trainJsonl: request.trainJsonl, validJsonl })
    writePlacementFile(runDir, placement)
    const now = nowIso()
    this.store.insert({
      id: runId,
      project_id: projectId,
      status: 'queued',
      run_dir: runDir,
      created_at: now,
      queued_at: now,
      config_json: JSON.stringify(config),
      dataset_label: request.datasetLabel ?? project?.datasetFileName ?? null,
      ...placementColumns(placement),
      ...ownedBy(this.hostToken)
    })
    this.publishStatus(runId)
    this.queue.pump()
    return this.summary(runId)
  }

  /**
   * The demo: the bundled sample CSV, formatted by the dataset core, trains the tiny model on the
   * CPU (queued behind any other CPU run).
   */
  async startDemoRun(options: { maxSteps?: number } = {}): Promise<RunSummary> {
    this.assertOpen()
    const scratch = path.join(this.deps.home, 'demo')
    fs.mkdirSync(scratch, { recursive: true })
    const outDir = fs.mkdtempSync(path.join(scratch, 'dataset-'))
    try {
      const data = await prepareDemoData(this.deps.appRoot, outDir)
      return await this.startRun({
        projectId: null,
        settings: demoRunSettings(options.maxSteps),
        trainJsonl: data.trainJsonl,
        validJsonl: data.validJsonl,
        device: { kind: 'cpu' },
        datasetLabel: `${demoCsvName} (demo)`
      })
    } finally {
      // The run folder has its own copies now.
      fs.rmSync(outDir, { recursive: true, force: true })
    }
  }

  /** A new run with the settings and data of `runId`, some params changed (see runAgainRequest). */
  runAgainWithChanges(runId: string, paramsPatch: Record<string, unknown>, changes: RunAgainChanges = {}): Promise<RunSummary> {
    return this.startRun(runAgainRequest(this.requireRow(runId), paramsPatch, changes))
  }

  /**
   * Continues a run in its own folder with `--resume`: the runtime restores the last checkpoint
   * (or starts at step 0 when none was saved) and appends to the same events.jsonl, so the
   * curves continue where they were; steps repeated after the checkpoint replace their points.
   */
  resumeRun(runId: string): RunSummary {
    this.assertOpen()
    const row = this.requireRow(runId)
    const status = runStatusOf(row)
    if (isLiveStatus(status)) throw new UserFacingError(`Run ${runId} is already ${status}.`, { code: 'conflict' })
    if (status === 'completed') {
      throw new UserFacingError(`Run ${runId} completed all its steps; there is nothing to resume. Use "run again with changes" to train more.`, { code: 'conflict' })
    }
    if (runtimeAlive(row)) {
      throw new UserFacingError(`Run ${runId}'s training process (pid ${row.pid}) is still running: wait until it has stopped, then resume.`, { code: 'conflict' })
    }
    this.store.update(runId, {
      status: 'queued',
      queued_at: nowIso(),
      resume_requested: 1,
      ...ownedBy(this.hostToken),
      stop_requested_at: null,
      error_json: null,
      exit_code: null,
      exit_signal: null,
      ended_at: null
    })
    this.publishStatus(runId)
    this.queue.pump()
    return this.summary(runId)
  }

  // ---- stopping ------------------------------------------------------------------------------

  /**
   * Asks a run to stop: the runtime finishes its step, saves a checkpoint and exits, and the run
   * is `stopped`. After the stop timeout it is killed (`stopped_forcibly`). `force` kills at once.
   * A queued run leaves the queue (`cancelled`). A run of another LocalTune process is signalled
   * by the pid in its row; that process records the outcome.
   */
  stopRun(runId: string, options: { force?: boolean } = {}): RunSummary {
    const row = this.requireRow(runId)
    const status = runStatusOf(row)
    if (status === 'queued') {
      this.store.update(runId, { status: 'cancelled', ended_at: nowIso(), resume_requested: 0 })
      this.publishStatus(runId)
      this.publishQueue(row)
      this.queue.pump()
      return this.summary(runId)
    }
    if (status !== 'running' && status !== 'stopping') {
      throw new UserFacingError(`Run ${runId} is not running (it is ${status}).`, { code: 'conflict' })
    }
    const attempt = this.attempts.get(runId)
    if (attempt) {
      if (options.force) attempt.forceKill()
      else attempt.requestStop()
      return this.summary(runId)
    }
    if (runtimeAlive(row) && row.pid) {
      // Once asked is enough: a second SIGINT makes the runtime quit without saving.
      if (row.stop_requested_at && !options.force) return this.summary(runId)
      process.kill(row.pid, options.force ? 'SIGKILL' : 'SIGINT')
      this.store.update(runId, { status: 'stopping', stop_requested_at: row.stop_requested_at ?? nowIso() })
      this.publishStatus(runId)
      return this.summary(runId)
    }
    if (!ownerAlive(row)) {
      this.recover(row)
      return this.summary(runId)
    }
    throw new UserFacingError(`Run ${runId} is starting in another LocalTune window or terminal; try again in a moment.`, { code: 'conflict' })
  }

  /** Resolves with the run's summary once it is no longer queued, running or stopping. */
  waitForRun(runId: string, options: { timeoutMs?: number } = {}): Promise<RunSummary> {
    this.requireRow(runId)
    return this.waiters.waitFor(runId, options)
  }

  /** Asks every run of this supervisor to stop and waits until they have (killed after the stop timeout). */
  async stopAll(): Promise<void> {
    for (const row of this.store.withStatus(['queued'])) {
      if (row.host_token === this.hostToken) this.stopRun(row.id)
    }
    const running = [...this.attempts.values()]
    for (const attempt of running) attempt.requestStop()
    await Promise.all(running.map((attempt) => attempt.exited))
  }

  // ---- the terminal and the playground -------------------------------------------------------

  /** Sets the run's terminal size (the UI's terminal view); applies now if it runs, else at start. */
  resizeTerminal(runId: string, cols: number, rows: number): boolean {
    this.requireRow(runId)
    const size = { cols: Math.max(10, Math.round(cols)), rows: Math.max(2, Math.round(rows)) }
    this.sizes.set(runId, size)
    return this.attempts.get(runId)?.resize(size) ?? false
  }

  /** Answers with the run's finetuned model and/or its base; text streams as playground.output. */
  generate(runId: string, request: GenerateRequest): Promise<GenerateResult> {
    this.assertOpen()
    return this.playground.generate(this.requireRow(runId), request)
  }

  /** Deletes a run's folder and rows. Refused while it is queued or running: stop it first. */
  deleteRun(runId: string): void {
    const row = this.requireRow(runId)
    const status = runStatusOf(row)
    if (isLiveStatus(status) || this.attempts.has(runId) || runtimeAlive(row)) {
      throw new UserFacingError(`Run ${runId} is ${status}: stop it before deleting it.`, { code: 'conflict' })
    }
    const root = path.resolve(runsRoot(this.deps.home))
    const dir = path.resolve(row.run_dir)
    // Only ever remove folders LocalTune made under <home>/runs, whatever the row says.
    if (path.dirname(dir) === root) fs.rmSync(dir, { recursive: true, force: true })
    this.store.delete(runId)
    this.sizes.delete(runId)
  }

  // ---- recovery ------------------------------------------------------------------------------

  /** Marks the runs left queued, running or stopping by a supervisor that is gone (see recoverRun). */
  recoverOrphanedRuns(): RunSummary[] {
    const recovered: RunSummary[] = []
    for (const row of this.store.withStatus(['queued', 'running', 'stopping'])) {
      if (row.host_token === this.hostToken || ownerAlive(row)) continue
      this.recover(row)
      recovered.push(this.summary(row.id))
    }
    return recovered
  }

  private recover(row: RunRow): void {
    recoverRun({ store: this.store, ingest: this.ingest, warn: this.warn }, row)
    this.publishStatus(row.id)
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  /**
   * Stops watching: file watchers, timers, output. Runs still going are asked to stop (they save
   * a checkpoint if they get the time) and released, so the next supervisor recovers them; the
   * pty closes when this process exits. Hosts that can wait call `stopAll()` first.
   */
  close(): void {
    if (this.closed) return
    for (const attempt of this.attempts.values()) attempt.detach()
    this.closed = true
    clearInterval(this.peerTimer)
    this.queue.close()
    this.waiters.cancelAll()
    this.playground.close()
    this.store.releaseHost(this.hostToken)
  }

  // ---- one attempt per queued run ------------------------------------------------------------

  private launch(row: RunRow): void {
    const attempt = new RunAttempt(row, {
      store: this.store,
      ingest: this.ingest,
      events: this.deps.events,
      env: this.deps.env,
      runtimeDir: this.deps.runtimeDir,
      pythonRuntime: () => this.deps.pythonRuntime(),
      hostToken: this.hostToken,
      stopTimeoutMs: this.stopTimeoutMs,
      outputIntervalMs: this.options.outputIntervalMs,
      outputMaxBatchChars: this.options.outputMaxBatchChars,
      eventsPollIntervalMs: this.options.eventsPollIntervalMs,
      terminalSize: () => this.sizes.get(row.id) ?? defaultTerminalSize,
      warn: this.warn,
      statusChanged: (runId) => this.publishStatus(runId),
      ended: (ended) => {
        this.attempts.delete(ended.runId)
        this.queue.pump()
      }
    })
    this.attempts.set(row.id, attempt)
    attempt.start()
    this.publishQueue(row)
  }

  private async defaultDevice(): Promise<DeviceChoice> {
    const python = await this.deps.pythonRuntime()
    const first = python.gpus[0]
    return first ? { kind: 'gpu', index: first.index } : { kind: 'cpu' }
  }

  // ---- pushes --------------------------------------------------------------------------------

  private publishStatus(runId: string): void {
    if (this.closed) return
    const row = this.store.get(runId)
    if (row) {
      const summary = summarizeRun(row, this.store)
      this.deps.events.publish('run.status', { runId, status: summary.status, queuePosition: summary.queuePosition, summary })
    }
    this.waiters.checkAll()
  }

  /** Everyone still waiting on one of the run's devices moved up one place. */
  private publishQueue(row: RunRow): void {
    for (const queued of this.store.queue(queueDevicesOf(row))) this.publishStatus(queued.id)
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The run supervisor is closed.')
  }
}
