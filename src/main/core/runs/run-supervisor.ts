import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { PythonRuntimeStatus } from '../../../shared/contract'
import type {
  DemoPlan,
  DeviceChoice,
  MetricKind,
  ProjectRuns,
  RunComparison,
  RunDetail,
  RunFailure,
  RunMetrics,
  RunResults,
  RunSettings,
  RunStatus,
  RunSummary
} from '../../../shared/contract/runs'
import type { ErrorEvent, FinishedEvent } from '../../../shared/run-events'
import type { TrainingMethod } from '../../../shared/run-config/run-config-schema'
import type { EventHub } from '../event-hub'
import { runtimeEnvironment } from '../runtime/runtime-env'
import type { LocalTuneDatabase } from '../store/database'
import { UserFacingError } from '../user-facing-error'
import { checkpointSteps, eventsFile, parseEventLines, rejectedLineNote, RunEventIngest } from './event-ingest'
import { EventsTail } from './events-tail'
import { OutputBatcher } from './output-batcher'
import { OutputLog, outputLogFile, outputTailLines, readLogTail } from './output-log'
import type { GenerateResult } from '../../../shared/contract/runs'
import { Playground, type GenerateRequest } from './playground'
import { isSameProcessAlive, processStartTime } from './process-liveness'
import { runStartProblem } from './run-start-check'
import { buildRunConfig, createRunFolder, newRunId, readRunConfigFile, runsRoot } from './run-folder'
import { demoCsvName, demoRunSettings, prepareDemoData } from './demo-run'
import { RunHistory } from './run-history'
import { rebuildRunIndex } from './run-index-rebuild'
import { decideOutcome } from './run-outcome'
import { finalDirName, runResults } from './run-results'
import { buildDemoPlan } from './demo-plan'
import { RunStore, type RunRow } from './run-store'
import { isLiveStatus, runConfigOf, runStatusOf, runtimeAlive, summarizeRun } from './run-summary'
import { defaultTerminalSize, RuntimeProcess, type RuntimeExit, type TerminalSize } from './runtime-process'

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

export interface StartRunRequest {
  /** null (or absent) for runs outside a project, like the demo. */
  projectId?: string | null
  settings: RunSettings
  /** Formatted examples, copied into the run folder. */
  trainJsonl: string
  validJsonl?: string | null
  /** Default: the first GPU the runtime sees, else the CPU. */
  device?: DeviceChoice
  /** The dataset as the user knows it; default: the project's CSV file name. */
  datasetLabel?: string | null
}

/** What "Run again with changes" may change besides params; absent keeps the earlier run's. */
export interface RunAgainChanges {
  method?: TrainingMethod
  device?: DeviceChoice
  merge?: boolean
}

/** One attempt of a run this supervisor is running: from launch to the exit of its process. */
interface ActiveRun {
  runId: string
  runDir: string
  process: RuntimeProcess | null
  log: OutputLog | null
  tail: EventsTail | null
  batcher: OutputBatcher
  stopRequested: boolean
  forced: boolean
  stopTimer: NodeJS.Timeout | null
  lastError: ErrorEvent | null
  lastFinished: FinishedEvent | null
  exited: Promise<void>
  markExited(): void
}

// Supervisors alive in this process, by host token: a run row owned by this pid but by a token
// not in here was left behind by a supervisor that closed (or a test that created another).
const liveHostTokens = new Set<string>()

const nowIso = (): string => new Date().toISOString()

/** This process's start time, recorded with its pid on every run it owns (see hostAlive). */
const hostStarted = processStartTime(process.pid)

/**
 * Runs training jobs: one runtime process per device at a time, the rest queued. Each run is a
 * folder (run.json, data, events.jsonl, output.log, checkpoints/, final/) and a `runs` row that
 * indexes it. The runtime's events are tailed into SQLite and pushed live; its terminal output
 * is logged and pushed in batches. Stop asks nicely, then kills; resume continues in the same
 * folder; runs left behind by a crashed LocalTune are found and marked when a supervisor starts.
 *
 * Ownership across processes: every row records the host (pid + token) that runs it, so the
 * desktop app and a `localtune train` in a terminal share one home without taking each other's
 * runs, and a GPU busy in one is busy for the other.
 */
export class RunSupervisor {
  readonly hostToken = crypto.randomBytes(8).toString('hex')
  private readonly store: RunStore
  private readonly ingest: RunEventIngest
  private readonly active = new Map<string, ActiveRun>()
  private readonly sizes = new Map<string, TerminalSize>()
  private readonly waiters = new Set<{ check(): void; cancel(): void }>()
  private readonly stopTimeoutMs: number
  private readonly warn: (message: string) => void
  private queueTimer: NodeJS.Timeout | null = null
  private readonly peerTimer: NodeJS.Timeout
  private closed = false

  private readonly history: RunHistory
  private readonly playground: Playground

  constructor(
    private readonly deps: RunSupervisorDeps,
    private readonly options: RunSupervisorOptions = {}
  ) {
    this.store = new RunStore(deps.db)
    this.history = new RunHistory(deps.db)
    this.playground = new Playground({
      ...deps,
      trainingOnGpu: (gpuIndex) => this.store.withStatus(['running', 'stopping']).find((row) => row.gpu_index === gpuIndex)?.id ?? null
    })
    this.ingest = new RunEventIngest(deps.db)
    this.stopTimeoutMs = options.stopTimeoutMs ?? 60_000
    this.warn = options.warn ?? ((message) => console.warn(message))
    liveHostTokens.add(this.hostToken)
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
    // Refused here, before a folder or row exists: a run that cannot start is not a failed run.
    const problem = runStartProblem(request.settings, device, await this.deps.pythonRuntime())
    if (problem) throw new UserFacingError(problem, { code: 'invalid_request', details: ['method', 'params.precision', 'device'] })
    const projectId = request.projectId ?? null
    if (projectId !== null && !this.deps.db.prepare('SELECT 1 FROM projects WHERE id = ?').get(projectId)) {
      throw new UserFacingError(`There is no project "${projectId}". Pick one from the app's project list.`, { code: 'not_found' })
    }
    const runDir = createRunFolder({ home: this.deps.home, runId, config, trainJsonl: request.trainJsonl, validJsonl })
    const now = nowIso()
    this.store.insert({
      id: runId,
      project_id: projectId,
      status: 'queued',
      run_dir: runDir,
      created_at: now,
      queued_at: now,
      config_json: JSON.stringify(config),
      dataset_label: request.datasetLabel ?? this.projectDatasetLabel(projectId),
      device_key: device.kind === 'cpu' ? 'cpu' : `cuda:${device.index}`,
      gpu_index: device.kind === 'cpu' ? null : device.index,
      host_pid: process.pid,
      host_started: hostStarted,
      host_token: this.hostToken
    })
    this.publishStatus(runId)
    this.pump()
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

  /**
   * A new run with the settings and data of `runId`, some params changed (e.g. a lower learning
   * rate, or fp32 where fp16 failed) and optionally another method, device or merge choice.
   */
  async runAgainWithChanges(runId: string, paramsPatch: Record<string, unknown>, changes: RunAgainChanges = {}): Promise<RunSummary> {
    const row = this.requireRow(runId)
    const config = readRunConfigFile(row.run_dir)
    const dataPath = (name: string) => (path.isAbsolute(name) ? name : path.join(row.run_dir, name))
    const settings: RunSettings = {
      model: config.model,
      method: changes.method ?? config.method,
      mode: config.mode,
      params: mergeParams(config.params as Record<string, unknown>, paramsPatch) as RunSettings['params'],
      merge: changes.merge ?? config.merge
    }
    return this.startRun({
      projectId: row.project_id,
      settings,
      trainJsonl: dataPath(config.data.train),
      validJsonl: config.data.valid ? dataPath(config.data.valid) : null,
      device: changes.device ?? (row.gpu_index === null ? { kind: 'cpu' } : { kind: 'gpu', index: row.gpu_index }),
      datasetLabel: row.dataset_label
    })
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
      host_pid: process.pid,
      host_started: hostStarted,
      host_token: this.hostToken,
      stop_requested_at: null,
      error_json: null,
      exit_code: null,
      exit_signal: null,
      ended_at: null
    })
    this.publishStatus(runId)
    this.pump()
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
      this.publishQueue(row.device_key)
      this.pump()
      return this.summary(runId)
    }
    if (status !== 'running' && status !== 'stopping') {
      throw new UserFacingError(`Run ${runId} is not running (it is ${status}).`, { code: 'conflict' })
    }
    const active = this.active.get(runId)
    if (active) {
      if (options.force) this.forceKill(active)
      else this.requestStop(active)
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
    if (!this.hostAlive(row)) {
      this.recoverRun(row)
      return this.summary(runId)
    }
    throw new UserFacingError(`Run ${runId} is starting in another LocalTune window or terminal; try again in a moment.`, { code: 'conflict' })
  }

  /** Resolves with the run's summary once it is no longer queued, running or stopping. */
  waitForRun(runId: string, options: { timeoutMs?: number } = {}): Promise<RunSummary> {
    this.requireRow(runId)
    return new Promise((resolve, reject) => {
      const timers: NodeJS.Timeout[] = []
      const finish = (error: Error | null) => {
        this.waiters.delete(waiter)
        for (const timer of timers) clearTimeout(timer)
        if (error) reject(error)
        else resolve(this.summary(runId))
      }
      const waiter = {
        check: () => {
          const row = this.store.get(runId)
          if (!row) finish(new UserFacingError(`Run ${runId} was deleted.`, { code: 'not_found' }))
          else if (!isLiveStatus(runStatusOf(row))) finish(null)
        },
        cancel: () => finish(new Error('The run supervisor closed while waiting for a run.'))
      }
      this.waiters.add(waiter)
      // Runs of other processes change only in the database: look there too.
      timers.push(setInterval(waiter.check, 500))
      if (options.timeoutMs !== undefined) {
        const seconds = Math.round(options.timeoutMs / 1000)
        timers.push(setTimeout(() => finish(new UserFacingError(`Run ${runId} is still ${this.requireRow(runId).status} after ${seconds} s.`, { code: 'conflict' })), options.timeoutMs))
      }
      waiter.check()
    })
  }

  /** Asks every run of this supervisor to stop and waits until they have (killed after the stop timeout). */
  async stopAll(): Promise<void> {
    for (const row of this.store.withStatus(['queued'])) {
      if (row.host_token === this.hostToken) this.stopRun(row.id)
    }
    const running = [...this.active.values()]
    for (const run of running) this.requestStop(run)
    await Promise.all(running.map((run) => run.exited))
  }

  // ---- the terminal --------------------------------------------------------------------------

  /** Sets the run's terminal size (the UI's terminal view); applies now if it runs, else at start. */
  resizeTerminal(runId: string, cols: number, rows: number): boolean {
    this.requireRow(runId)
    const size = { cols: Math.max(10, Math.round(cols)), rows: Math.max(2, Math.round(rows)) }
    this.sizes.set(runId, size)
    const running = this.active.get(runId)?.process
    if (!running || running.hasExited) return false
    running.resize(size)
    return true
  }

  /** The end of output.log: what a terminal view opened mid-run shows first. */
  outputTail(runId: string, maxBytes = 256 * 1024): { runId: string; data: string; truncated: boolean } {
    const row = this.requireRow(runId)
    return { runId, ...readLogTail(path.join(row.run_dir, outputLogFile), maxBytes) }
  }

  // ---- reading -------------------------------------------------------------------------------

  listRuns(options: { projectId?: string | null } = {}): RunSummary[] {
    return this.history.listRuns(options)
  }

  listProjectsWithRuns(): ProjectRuns[] {
    return this.history.listProjectsWithRuns()
  }

  getRunMetrics(runId: string, options: { kind?: MetricKind; sinceStep?: number } = {}): RunMetrics {
    return this.history.getRunMetrics(runId, options)
  }

  compareRuns(a: string, b: string): RunComparison {
    return this.history.compareRuns(a, b)
  }

  /** The run with its settings and the checkpoints still on disk. */
  getRun(runId: string): RunDetail {
    const row = this.requireRow(runId)
    const config = runConfigOf(row) ?? readRunConfigFile(row.run_dir)
    const checkpoints = (this.deps.db.prepare('SELECT step, path, created_at FROM checkpoints WHERE run_id = ? ORDER BY step').all(runId) as Array<{ step: number; path: string; created_at: string }>)
      .filter((checkpoint) => fs.existsSync(path.join(row.run_dir, checkpoint.path)))
      .map((checkpoint) => ({ step: checkpoint.step, path: checkpoint.path, createdAt: checkpoint.created_at }))
    return { ...summarizeRun(row, this.store), config, checkpoints }
  }

  /** What the demo would do and roughly how long it takes, timed by this machine's last demo run when there is one. */
  async demoPlan(): Promise<DemoPlan> {
    const lastDemo = this.history.listRuns().find((run) => run.demo && (run.lastStep ?? 0) >= 6)
    const measured = lastDemo ? { runId: lastDemo.id, stepTimes: this.history.getRunMetrics(lastDemo.id, { kind: 'train' }).time } : null
    return buildDemoPlan({ appRoot: this.deps.appRoot, home: this.deps.home, measured })
  }

  /** The folder a person wants to see for a run: its final/ output when there is one, else the run folder. */
  folderToShow(runId: string): string {
    const row = this.requireRow(runId)
    const output = path.join(row.run_dir, finalDirName)
    return fs.existsSync(output) ? output : row.run_dir
  }

  runResults(runId: string): RunResults {
    return runResults(this.requireRow(runId), this.deps.runtimeDir)
  }

  /** Answers with the run's finetuned model and/or its base; text streams as playground.output. */
  generate(runId: string, request: GenerateRequest): Promise<GenerateResult> {
    this.assertOpen()
    return this.playground.generate(this.requireRow(runId), request)
  }

  summary(runId: string): RunSummary {
    return summarizeRun(this.requireRow(runId), this.store)
  }

  requireRow(runId: string): RunRow {
    const row = this.store.get(runId)
    if (!row) throw new UserFacingError(`There is no run "${runId}". \`localtune runs\` lists the runs there are.`, { code: 'not_found' })
    return row
  }

  /** Deletes a run's folder and rows. Refused while it is queued or running: stop it first. */
  deleteRun(runId: string): void {
    const row = this.requireRow(runId)
    const status = runStatusOf(row)
    if (isLiveStatus(status) || this.active.has(runId) || runtimeAlive(row)) {
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

  /**
   * Finds runs left `queued`, `running` or `stopping` by a LocalTune process that is gone, re-reads
   * their events.jsonl in full (the source of truth) into SQLite, and marks them: the status of
   * their `finished` event when the runtime got that far, else `interrupted`, resumable.
   */
  recoverOrphanedRuns(): RunSummary[] {
    const recovered: RunSummary[] = []
    for (const row of this.store.withStatus(['queued', 'running', 'stopping'])) {
      if (row.host_token === this.hostToken || this.hostAlive(row)) continue
      this.recoverRun(row)
      recovered.push(this.summary(row.id))
    }
    return recovered
  }

  private recoverRun(row: RunRow): void {
    const wasQueued = row.status === 'queued'
    const stillRunning = !wasQueued && runtimeAlive(row)
    if (stillRunning && row.pid) {
      // Its terminal is gone and nobody supervises it: let it save and stop rather than train blind.
      process.kill(row.pid, 'SIGINT')
    }
    const { events, rejected } = this.ingest.rebuild(row.id, row.run_dir)
    for (const line of rejected) this.warn(`Run ${row.id}: skipped an invalid line of ${eventsFile} (${line.problem}): ${line.line}`)
    const lastStarted = events.map((event) => event.type).lastIndexOf('started')
    const sinceStart = events.slice(Math.max(0, lastStarted))
    const finished = [...sinceStart].reverse().find((event): event is FinishedEvent => event.type === 'finished')
    const error = [...sinceStart].reverse().find((event): event is ErrorEvent => event.type === 'error')
    const checkpoint = checkpointSteps(row.run_dir).at(-1) ?? null
    const outputTail = outputTailLines(path.join(row.run_dir, outputLogFile))
    let status: RunStatus = 'interrupted'
    let failure: RunFailure | null
    if (!wasQueued && !stillRunning && finished) {
      status = finished.status
      failure = finished.status === 'failed' && error ? { message: error.message, kind: error.kind, advice: [...error.advice], exitCode: null, signal: null, outputTail } : null
    } else {
      const where = checkpoint === null ? 'No checkpoint was saved yet, so resuming starts again from step 0.' : `Resume continues from the checkpoint at step ${checkpoint}.`
      const message = wasQueued
        ? 'LocalTune closed while this run waited in the queue. Resume starts it.'
        : stillRunning
          ? `LocalTune closed while this run was training; its process (pid ${row.pid}) was asked to save and stop. Resume it once it has stopped.`
          : `LocalTune closed or crashed while this run was training, and its process${row.pid ? ` (pid ${row.pid})` : ''} is gone. ${where}`
      failure = { message, kind: null, advice: [], exitCode: null, signal: null, outputTail: wasQueued ? [] : outputTail }
    }
    const attemptSeconds = row.attempt_started_at ? Math.max(0, (Date.now() - Date.parse(row.attempt_started_at)) / 1000) : 0
    const lastEventTime = events.at(-1)?.time
    this.store.update(row.id, {
      status,
      error_json: failure ? JSON.stringify(failure) : null,
      ended_at: lastEventTime ? new Date(lastEventTime * 1000).toISOString() : nowIso(),
      // The app died at some unknown moment: count up to the runtime's last word, not up to now.
      active_seconds: row.active_seconds + (lastEventTime && row.attempt_started_at ? Math.max(0, lastEventTime - Date.parse(row.attempt_started_at) / 1000) : attemptSeconds),
      attempt_started_at: null,
      resume_requested: 0
    })
    this.publishStatus(row.id)
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  /**
   * Stops watching: file watchers, timers, output. Runs still going are asked to stop (they save
   * a checkpoint if they get the time); the pty closes when this process exits, and a runtime
   * that outlives that is found by the next supervisor's recovery. Hosts that can wait call
   * `stopAll()` first.
   */
  close(): void {
    if (this.closed) return
    for (const run of this.active.values()) {
      this.requestStop(run)
      if (run.stopTimer) clearTimeout(run.stopTimer)
      run.tail?.stop()
      run.batcher.dispose()
      run.log?.close()
      run.log = null
    }
    this.closed = true
    clearInterval(this.peerTimer)
    if (this.queueTimer) clearInterval(this.queueTimer)
    this.queueTimer = null
    for (const waiter of [...this.waiters]) waiter.cancel()
    this.playground.close()
    liveHostTokens.delete(this.hostToken)
  }

  // ---- the queue -----------------------------------------------------------------------------

  /** Starts the first queued run of every free device, when it is ours to start. */
  private pump(): void {
    if (this.closed) return
    const devices = new Set(this.store.withStatus(['queued']).map((row) => row.device_key))
    let ownQueued = false
    for (const device of devices) {
      if (this.deviceBusy(device)) {
        ownQueued ||= this.store.queue(device).some((row) => row.host_token === this.hostToken)
        continue
      }
      for (const row of this.store.queue(device)) {
        if (row.host_token === this.hostToken) {
          this.launch(row)
          break
        }
        if (this.hostAlive(row)) {
          // Another LocalTune process is first in line for this device.
          ownQueued ||= this.store.queue(device).some((queued) => queued.host_token === this.hostToken)
          break
        }
        this.recoverRun(row)
      }
    }
    if (ownQueued && !this.queueTimer) {
      this.queueTimer = setInterval(() => this.pump(), this.options.queuePollIntervalMs ?? 2000)
      this.queueTimer.unref()
    } else if (!ownQueued && this.queueTimer) {
      clearInterval(this.queueTimer)
      this.queueTimer = null
    }
  }

  private deviceBusy(device: string): boolean {
    return this.store
      .withStatus(['running', 'stopping'])
      .some((row) => row.device_key === device && (this.active.has(row.id) || runtimeAlive(row) || (row.host_token !== this.hostToken && row.pid === null && this.hostAlive(row))))
  }

  private hostAlive(row: RunRow): boolean {
    if (!row.host_pid) return false
    if (row.host_pid === process.pid) return row.host_token !== null && liveHostTokens.has(row.host_token)
    return isSameProcessAlive(row.host_pid, row.host_started)
  }

  private async defaultDevice(): Promise<DeviceChoice> {
    const python = await this.deps.pythonRuntime()
    const first = python.gpus[0]
    return first ? { kind: 'gpu', index: first.index } : { kind: 'cpu' }
  }

  private projectDatasetLabel(projectId: string | null): string | null {
    if (projectId === null) return null
    const found = this.deps.db
      .prepare('SELECT datasets.file_name AS name FROM projects LEFT JOIN datasets ON datasets.id = projects.dataset_id WHERE projects.id = ?')
      .get(projectId) as { name: string | null } | undefined
    return found?.name ?? null
  }

  // ---- one attempt ---------------------------------------------------------------------------

  private launch(row: RunRow): void {
    const now = nowIso()
    this.store.update(row.id, {
      status: 'running',
      attempt_started_at: now,
      started_at: row.started_at ?? now,
      pid: null,
      exit_code: null,
      exit_signal: null,
      error_json: null,
      stop_requested_at: null,
      ended_at: null
    })
    let markExited = () => {}
    const exited = new Promise<void>((resolve) => {
      markExited = resolve
    })
    const active: ActiveRun = {
      runId: row.id,
      runDir: row.run_dir,
      process: null,
      log: null,
      tail: null,
      batcher: new OutputBatcher({
        intervalMs: this.options.outputIntervalMs,
        maxBatchChars: this.options.outputMaxBatchChars,
        onFlush: (data) => this.deps.events.publish('run.output', { runId: row.id, data })
      }),
      stopRequested: false,
      forced: false,
      stopTimer: null,
      lastError: null,
      lastFinished: null,
      exited,
      markExited
    }
    this.active.set(row.id, active)
    this.publishStatus(row.id)
    this.publishQueue(row.device_key)
    this.spawn(active, row).catch((error: unknown) => {
      this.endAttempt(active, { exitCode: null, signal: null }, {
        message: `The training runtime could not be started: ${error instanceof Error ? error.message : String(error)}`,
        advice: ['Run `localtune doctor` to check the Python runtime.']
      })
    })
  }

  private async spawn(active: ActiveRun, row: RunRow): Promise<void> {
    const python = await this.deps.pythonRuntime()
    if (this.closed) return
    if (active.stopRequested) {
      this.endAttempt(active, { exitCode: null, signal: null }, null, 'cancelled')
      return
    }
    if (!python.found || !python.executable || python.problem) {
      this.endAttempt(active, { exitCode: null, signal: null }, {
        message: python.problem ?? 'No Python with torch was found for the training runtime.',
        advice: [python.fix ?? 'Run `npm run runtime:setup`, or set LOCALTUNE_PYTHON to a Python that has torch.', 'Run `localtune doctor` to see every Python that was tried.']
      })
      return
    }
    const config = runConfigOf(row)
    const resume = row.resume_requested === 1
    const env = runtimeEnvironment(this.deps.env, this.deps.runtimeDir, {
      allowDownloads: config?.model.allow_downloads === true,
      // An empty list hides every GPU: a CPU run stays on the CPU even on a GPU machine.
      cudaVisibleDevices: row.gpu_index === null ? '' : String(row.gpu_index)
    })
    active.log = new OutputLog(path.join(row.run_dir, outputLogFile), (error) =>
      this.warn(`Run ${row.id}: could not write ${outputLogFile} (${error.message}); the terminal output is still shown live but no longer saved.`)
    )
    const banner = `\r\n[LocalTune] ${resume ? 'Resuming' : 'Starting'} run ${row.id} on ${row.device_key} at ${new Date().toLocaleString()}\r\n`
    active.log.append(banner)
    active.batcher.push(banner)
    active.tail = new EventsTail({
      file: path.join(row.run_dir, eventsFile),
      offset: row.events_offset,
      pollIntervalMs: this.options.eventsPollIntervalMs,
      onLines: (lines, nextOffset) => this.ingestLines(active, lines, nextOffset),
      onError: (error) => this.warn(`Run ${row.id}: reading ${eventsFile} failed, will retry: ${error instanceof Error ? error.message : String(error)}`)
    })
    active.tail.start()
    active.process = new RuntimeProcess({
      python: python.executable,
      args: ['-m', 'localtune_runtime', 'train', '--run-dir', row.run_dir, ...(resume ? ['--resume'] : [])],
      cwd: row.run_dir,
      env,
      size: this.sizes.get(row.id) ?? defaultTerminalSize,
      onData: (data) => {
        active.log?.append(data)
        if (!this.closed) active.batcher.push(data)
      },
      onExit: (exit) => this.endAttempt(active, exit)
    })
    this.store.update(row.id, { pid: active.process.pid, host_pid: process.pid, host_started: hostStarted, host_token: this.hostToken })
    this.publishStatus(row.id)
    if (active.stopRequested) this.sendStop(active)
  }

  private ingestLines(active: ActiveRun, lines: string[], nextOffset: number): void {
    if (this.closed) return
    const { events, rejected } = parseEventLines(lines)
    for (const line of rejected) {
      // Said where the person looks at the run (its terminal and output.log), not only in the host's log.
      const note = rejectedLineNote(line)
      this.warn(`Run ${active.runId}: ${note}`)
      const text = `\r\n[LocalTune] ${note}\r\n`
      active.log?.append(text)
      active.batcher.push(text)
    }
    this.ingest.apply(active.runId, events, nextOffset)
    let statusChanged = false
    for (const event of events) {
      if (event.type === 'error') active.lastError = event
      if (event.type === 'finished') active.lastFinished = event
      if (event.type === 'started') statusChanged = true
      this.deps.events.publish('run.event', { runId: active.runId, event })
    }
    if (statusChanged) this.publishStatus(active.runId)
  }

  private requestStop(active: ActiveRun): void {
    if (active.stopRequested) return
    active.stopRequested = true
    if (!this.closed) {
      this.store.update(active.runId, { status: 'stopping', stop_requested_at: nowIso() })
      this.publishStatus(active.runId)
    }
    if (active.process) this.sendStop(active)
  }

  /** The runtime reads `stop` on stdin and handles the first SIGINT the same way: finish the step, save, exit 0. */
  private sendStop(active: ActiveRun): void {
    const child = active.process
    if (!child || child.hasExited) return
    child.writeLine('stop')
    child.signal('SIGINT')
    if (!active.stopTimer) {
      active.stopTimer = setTimeout(() => this.forceKill(active), this.stopTimeoutMs)
    }
  }

  private forceKill(active: ActiveRun): void {
    active.stopRequested = true
    active.forced = true
    if (active.process) active.process.signal('SIGKILL')
    else this.requestStop(active)
  }

  /** Records how an attempt ended (from its exit, or a failure before it could start) and frees its device. */
  private endAttempt(active: ActiveRun, exit: RuntimeExit, startFailure: { message: string; advice: string[] } | null = null, forcedStatus?: RunStatus): void {
    if (!this.active.has(active.runId)) return
    this.active.delete(active.runId)
    if (active.stopTimer) clearTimeout(active.stopTimer)
    if (!this.closed) {
      try {
        active.tail?.drain()
      } catch (error) {
        // Recovery or the next resume re-reads the file; the exit must still be recorded.
        this.warn(`Run ${active.runId}: could not read the last events: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
    active.tail?.stop()
    active.batcher.dispose()
    active.log?.close()
    active.log = null
    active.markExited()
    if (this.closed) return
    const row = this.requireRow(active.runId)
    const outputTail = outputTailLines(path.join(row.run_dir, outputLogFile))
    let status: RunStatus
    let failure: RunFailure | null
    if (forcedStatus) {
      status = forcedStatus
      failure = null
    } else if (startFailure) {
      status = 'failed'
      failure = { ...startFailure, kind: null, exitCode: null, signal: null, outputTail }
    } else {
      const outcome = decideOutcome({
        exitCode: exit.exitCode,
        signal: exit.signal,
        error: active.lastError,
        finished: active.lastFinished,
        stopRequested: active.stopRequested || row.stop_requested_at !== null,
        forced: active.forced,
        stopTimeoutMs: this.stopTimeoutMs,
        lastCheckpointStep: checkpointSteps(row.run_dir).at(-1) ?? null,
        outputTail
      })
      status = outcome.status
      failure = outcome.failure
    }
    const now = new Date()
    const attemptSeconds = row.attempt_started_at ? Math.max(0, (now.getTime() - Date.parse(row.attempt_started_at)) / 1000) : 0
    this.store.update(active.runId, {
      status,
      exit_code: exit.exitCode,
      exit_signal: exit.signal,
      error_json: failure ? JSON.stringify(failure) : null,
      ended_at: now.toISOString(),
      active_seconds: row.active_seconds + attemptSeconds,
      attempt_started_at: null,
      resume_requested: 0
    })
    this.publishStatus(active.runId)
    this.pump()
  }

  // ---- pushes --------------------------------------------------------------------------------

  private publishStatus(runId: string): void {
    if (this.closed) return
    const row = this.store.get(runId)
    if (row) {
      const summary = summarizeRun(row, this.store)
      this.deps.events.publish('run.status', { runId, status: summary.status, queuePosition: summary.queuePosition, summary })
    }
    for (const waiter of [...this.waiters]) waiter.check()
  }

  /** Everyone still waiting on a device moved up one place. */
  private publishQueue(device: string): void {
    for (const row of this.store.queue(device)) this.publishStatus(row.id)
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The run supervisor is closed.')
  }
}

/** Params with a patch applied; nested objects (lora) are merged key by key, not replaced. */
export function mergeParams(params: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...params }
  for (const [key, value] of Object.entries(patch)) {
    const current = merged[key]
    const bothObjects = isPlainObject(current) && isPlainObject(value)
    merged[key] = bothObjects ? mergeParams(current, value) : value
  }
  return merged
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
