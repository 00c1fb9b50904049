import path from 'node:path'
import type { PythonRuntimeStatus } from '../../../shared/contract'
import type { RunFailure, RunStatus } from '../../../shared/contract/runs'
import type { ErrorEvent, FinishedEvent } from '../../../shared/run-events'
import type { EventHub } from '../event-hub'
import { runtimeEnvironment } from '../runtime/runtime-env'
import { checkpointSteps, eventsFile, parseEventLines, rejectedLineNote, type RunEventIngest } from './event-ingest'
import { EventsTail } from './events-tail'
import { OutputBatcher } from './output-batcher'
import { OutputLog, outputLogFile, outputTailLines } from './output-log'
import { decideOutcome } from './run-outcome'
import { ownedBy } from './run-ownership'
import { cudaVisibleDevicesOf, describePlacement, followerNodeOf, placementOf, runtimeArgs, worldSizeOf, type RunPlacement } from './run-placement'
import type { RunRow, RunStore } from './run-store'
import { runConfigOf } from './run-summary'
import { RuntimeProcess, type RuntimeExit, type TerminalSize } from './runtime-process'

export interface RunAttemptDeps {
  store: RunStore
  ingest: RunEventIngest
  events: EventHub
  env: NodeJS.ProcessEnv
  runtimeDir: string
  pythonRuntime(): Promise<PythonRuntimeStatus>
  hostToken: string
  /** How long a run may take to finish its step and save after a stop request before it is killed. */
  stopTimeoutMs: number
  outputIntervalMs?: number
  outputMaxBatchChars?: number
  eventsPollIntervalMs?: number
  /** The size the run's terminal view last asked for, read when the process starts. */
  terminalSize(): TerminalSize
  warn(message: string): void
  /** The run's row changed in a way the UI shows. */
  statusChanged(runId: string): void
  /** The attempt is over (its outcome recorded unless the supervisor closed first): the device is free. */
  ended(attempt: RunAttempt): void
}

interface StartFailure {
  message: string
  advice: string[]
}

const nowIso = (): string => new Date().toISOString()

/** torchrun's default shutdown timeout (30 s) for its ranks, and a little more for itself. */
const torchrunShutdownMs = 40_000

/**
 * One attempt of a run, from launch to the exit of its runtime process: spawns
 * `python -m localtune_runtime train` in a pty, tails events.jsonl into SQLite and pushes each
 * event, logs and pushes the terminal output, stops on request (asks, then kills after the stop
 * timeout), and records how it ended.
 */
export class RunAttempt {
  readonly runId: string
  /** Resolves once the runtime process has exited (or never started). */
  readonly exited: Promise<void>
  private markExited: () => void = () => {}
  private process: RuntimeProcess | null = null
  private log: OutputLog | null = null
  private tail: EventsTail | null = null
  private readonly batcher: OutputBatcher
  private stopRequested = false
  private forced = false
  /** Where this attempt trains, read from its row at launch. */
  private placement: RunPlacement | null = null
  /** Several ranks, started by torchrun (the pty's process is torchrun, not the runtime). */
  private viaTorchrun = false
  private stopTimer: NodeJS.Timeout | null = null
  private lastError: ErrorEvent | null = null
  private lastFinished: FinishedEvent | null = null
  private detached = false
  private over = false

  constructor(
    private readonly row: RunRow,
    private readonly deps: RunAttemptDeps
  ) {
    this.runId = row.id
    this.exited = new Promise<void>((resolve) => {
      this.markExited = resolve
    })
    this.batcher = new OutputBatcher({
      intervalMs: deps.outputIntervalMs,
      maxBatchChars: deps.outputMaxBatchChars,
      onFlush: (data) => deps.events.publish('run.output', { runId: row.id, data })
    })
  }

  /** Marks the run running and starts its runtime (a failure to start is recorded as the run's failure). */
  start(): void {
    const now = nowIso()
    this.deps.store.update(this.runId, {
      status: 'running',
      attempt_started_at: now,
      started_at: this.row.started_at ?? now,
      pid: null,
      exit_code: null,
      exit_signal: null,
      error_json: null,
      stop_requested_at: null,
      ended_at: null
    })
    this.deps.statusChanged(this.runId)
    this.spawn().catch((error: unknown) => {
      this.end({ exitCode: null, signal: null }, {
        message: `The training runtime could not be started: ${error instanceof Error ? error.message : String(error)}`,
        advice: ['Run `localtune doctor` to check the Python runtime.']
      })
    })
  }

  /** Applies a terminal size to the running process; false when there is none (yet, or any more). */
  resize(size: TerminalSize): boolean {
    if (!this.process || this.process.hasExited) return false
    this.process.resize(size)
    return true
  }

  /** Asks the run to finish its step, save and exit; killed after the stop timeout. */
  requestStop(): void {
    if (this.stopRequested) return
    this.stopRequested = true
    if (!this.detached) {
      this.deps.store.update(this.runId, { status: 'stopping', stop_requested_at: nowIso() })
      this.deps.statusChanged(this.runId)
    }
    if (this.process) this.sendStop()
  }

  forceKill(): void {
    this.stopRequested = true
    this.forced = true
    if (!this.process) {
      this.requestStop()
      return
    }
    if (!this.viaTorchrun) {
      this.process.signal('SIGKILL')
      return
    }
    // torchrun starts its ranks in sessions of their own: SIGKILL on it would leave them
    // running, holding their GPUs. SIGTERM makes it end them (killed after its shutdown timeout);
    // SIGKILL follows only if torchrun itself does not go.
    this.process.signal('SIGTERM')
    const child = this.process
    setTimeout(() => child.signal('SIGKILL'), torchrunShutdownMs).unref()
  }

  /**
   * The supervisor closes: the run is asked to stop (it saves a checkpoint if it gets the time)
   * but nothing more is watched or recorded; the next supervisor's recovery records the outcome.
   */
  detach(): void {
    this.requestStop()
    this.detached = true
    if (this.stopTimer) clearTimeout(this.stopTimer)
    this.tail?.stop()
    this.batcher.dispose()
    this.log?.close()
    this.log = null
  }

  private async spawn(): Promise<void> {
    const { row, deps } = this
    const python = await deps.pythonRuntime()
    if (this.detached) return
    if (this.stopRequested) {
      this.end({ exitCode: null, signal: null }, null, 'cancelled')
      return
    }
    if (!python.found || !python.executable || python.problem) {
      this.end({ exitCode: null, signal: null }, {
        message: python.problem ?? 'No Python with torch was found for the training runtime.',
        advice: [python.fix ?? 'Run `npm run runtime:setup`, or set LOCALTUNE_PYTHON to a Python that has torch.', 'Run `localtune doctor` to see every Python that was tried.']
      })
      return
    }
    const resume = row.resume_requested === 1
    const placement = placementOf(row)
    this.placement = placement
    const env = runtimeEnvironment(deps.env, deps.runtimeDir, {
      allowDownloads: runConfigOf(row)?.model.allow_downloads === true,
      // An empty list hides every GPU: a CPU run stays on the CPU even on a GPU machine.
      cudaVisibleDevices: cudaVisibleDevicesOf(placement)
    })
    this.log = new OutputLog(path.join(row.run_dir, outputLogFile), (error) =>
      deps.warn(`Run ${row.id}: could not write ${outputLogFile} (${error.message}); the terminal output is still shown live but no longer saved.`)
    )
    const ranks = worldSizeOf(placement)
    this.viaTorchrun = ranks > 1
    const banner = `\r\n[LocalTune] ${resume ? 'Resuming' : 'Starting'} run ${row.id} on ${describePlacement(placement)}${ranks > 1 ? ` (${ranks} ranks, torchrun)` : ''} at ${new Date().toLocaleString()}\r\n`
    this.log.append(banner)
    this.batcher.push(banner)
    this.tail = new EventsTail({
      file: path.join(row.run_dir, eventsFile),
      offset: row.events_offset,
      pollIntervalMs: deps.eventsPollIntervalMs,
      onLines: (lines, nextOffset) => this.ingestLines(lines, nextOffset),
      onError: (error) => deps.warn(`Run ${row.id}: reading ${eventsFile} failed, will retry: ${error instanceof Error ? error.message : String(error)}`)
    })
    this.tail.start()
    this.process = new RuntimeProcess({
      python: python.executable,
      args: runtimeArgs(placement, row.run_dir, resume),
      cwd: row.run_dir,
      env,
      size: deps.terminalSize(),
      onData: (data) => {
        this.log?.append(data)
        if (!this.detached) this.batcher.push(data)
      },
      onExit: (exit) => this.end(exit)
    })
    deps.store.update(row.id, { pid: this.process.pid, ...ownedBy(deps.hostToken) })
    deps.statusChanged(row.id)
    if (this.stopRequested) this.sendStop()
  }

  private ingestLines(lines: string[], nextOffset: number): void {
    if (this.detached) return
    const { events, rejected } = parseEventLines(lines)
    for (const line of rejected) {
      // Said where the person looks at the run (its terminal and output.log), not only in the host's log.
      const note = rejectedLineNote(line)
      this.deps.warn(`Run ${this.runId}: ${note}`)
      const text = `\r\n[LocalTune] ${note}\r\n`
      this.log?.append(text)
      this.batcher.push(text)
    }
    this.deps.ingest.apply(this.runId, events, nextOffset)
    let statusChanged = false
    for (const event of events) {
      if (event.type === 'error') this.lastError = event
      if (event.type === 'finished') this.lastFinished = event
      if (event.type === 'started') statusChanged = true
      this.deps.events.publish('run.event', { runId: this.runId, event })
    }
    if (statusChanged) this.deps.statusChanged(this.runId)
  }

  /**
   * The runtime reads `stop` on stdin and handles the first SIGINT the same way: finish the step,
   * save, exit 0. Under torchrun the line alone: the ranks read it and agree to stop after the
   * same step, and torchrun exits 0 after them; a SIGINT would make torchrun kill the ranks after
   * its 30 s shutdown timeout, even mid-save, and exit 1.
   */
  private sendStop(): void {
    const child = this.process
    if (!child || child.hasExited) return
    child.writeLine('stop')
    if (!this.viaTorchrun) child.signal('SIGINT')
    if (!this.stopTimer) this.stopTimer = setTimeout(() => this.forceKill(), this.deps.stopTimeoutMs)
  }

  /** Records how the attempt ended (from its exit, or a failure before it could start). */
  private end(exit: RuntimeExit, startFailure: StartFailure | null = null, forcedStatus?: RunStatus): void {
    if (this.over) return
    this.over = true
    if (this.stopTimer) clearTimeout(this.stopTimer)
    if (!this.detached) {
      try {
        this.tail?.drain()
      } catch (error) {
        // Recovery or the next resume re-reads the file; the exit must still be recorded.
        this.deps.warn(`Run ${this.runId}: could not read the last events: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
    this.tail?.stop()
    this.batcher.dispose()
    this.log?.close()
    this.log = null
    this.markExited()
    if (!this.detached) this.recordOutcome(exit, startFailure, forcedStatus)
    this.deps.ended(this)
  }

  private recordOutcome(exit: RuntimeExit, startFailure: StartFailure | null, forcedStatus: RunStatus | undefined): void {
    const row = this.deps.store.get(this.runId)
    if (!row) return
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
        error: this.lastError,
        finished: this.lastFinished,
        stopRequested: this.stopRequested || row.stop_requested_at !== null,
        forced: this.forced,
        stopTimeoutMs: this.deps.stopTimeoutMs,
        lastCheckpointStep: checkpointSteps(row.run_dir).at(-1) ?? null,
        outputTail,
        followerNode: followerNodeOf(this.placement ?? placementOf(row))
      })
      status = outcome.status
      failure = outcome.failure
    }
    const now = new Date()
    const attemptSeconds = row.attempt_started_at ? Math.max(0, (now.getTime() - Date.parse(row.attempt_started_at)) / 1000) : 0
    this.deps.store.update(this.runId, {
      status,
      exit_code: exit.exitCode,
      exit_signal: exit.signal,
      error_json: failure ? JSON.stringify(failure) : null,
      ended_at: now.toISOString(),
      active_seconds: row.active_seconds + attemptSeconds,
      attempt_started_at: null,
      resume_requested: 0
    })
    this.deps.statusChanged(this.runId)
  }
}
