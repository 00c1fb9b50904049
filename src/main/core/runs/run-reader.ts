import fs from 'node:fs'
import path from 'node:path'
import type { DemoPlan, MetricKind, ProjectRuns, RunComparison, RunDetail, RunMetrics, RunResults, RunSummary } from '../../../shared/contract/runs'
import type { LocalTuneDatabase } from '../store/database'
import { UserFacingError } from '../user-facing-error'
import { buildDemoPlan } from './demo-plan'
import { outputLogFile, readLogTail } from './output-log'
import { readRunConfigFile } from './run-folder'
import { RunHistory } from './run-history'
import { finalDirName, runResults } from './run-results'
import { RunStore, type RunRow } from './run-store'
import { runConfigOf, summarizeRun } from './run-summary'

export interface RunReaderDeps {
  db: LocalTuneDatabase
  home: string
  /** The install folder: the demo's sample CSV is under resources/demo/. */
  appRoot: string
  runtimeDir: string
}

/**
 * The read side of runs: one run (summary, settings, checkpoints, results, terminal output) and
 * the history (lists, curves, comparisons). Reads only; starting and stopping is the supervisor's.
 */
export class RunReader {
  protected readonly store: RunStore
  private readonly history: RunHistory

  constructor(protected readonly deps: RunReaderDeps) {
    this.store = new RunStore(deps.db)
    this.history = new RunHistory(deps.db)
  }

  requireRow(runId: string): RunRow {
    const row = this.store.get(runId)
    if (!row) throw new UserFacingError(`There is no run "${runId}". \`localtune runs\` lists the runs there are.`, { code: 'not_found' })
    return row
  }

  summary(runId: string): RunSummary {
    return summarizeRun(this.requireRow(runId), this.store)
  }

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
    const checkpoints = this.store
      .checkpoints(runId)
      .filter((checkpoint) => fs.existsSync(path.join(row.run_dir, checkpoint.path)))
      .map((checkpoint) => ({ step: checkpoint.step, path: checkpoint.path, createdAt: checkpoint.created_at }))
    return { ...summarizeRun(row, this.store), config, checkpoints }
  }

  /** What the demo would do and roughly how long it takes, timed by this machine's last demo run when there is one. */
  demoPlan(): Promise<DemoPlan> {
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

  /** The end of output.log: what a terminal view opened mid-run shows first. */
  outputTail(runId: string, maxBytes = 256 * 1024): { runId: string; data: string; truncated: boolean } {
    const row = this.requireRow(runId)
    return { runId, ...readLogTail(path.join(row.run_dir, outputLogFile), maxBytes) }
  }
}
