import type { MetricKind, ProjectRuns, RunComparison, RunMetrics, RunSummary } from '../../../shared/contract/runs'
import type { LocalTuneDatabase } from '../store/database'
import { UserFacingError } from '../user-facing-error'
import { RunStore } from './run-store'
import { runConfigOf, summarizeRun } from './run-summary'

interface MetricRow {
  step: number
  loss: number | null
  lr: number | null
  grad_norm: number | null
  tokens_per_second: number | null
  epoch: number | null
  gpu_memory_bytes: number | null
  time: number
}

/**
 * What the history screens and `localtune runs` read: lists, curves and comparisons, straight
 * from the SQLite index (kept in step with each run's events.jsonl by the supervisor).
 */
export class RunHistory {
  private readonly store: RunStore

  constructor(private readonly db: LocalTuneDatabase) {
    this.store = new RunStore(db)
  }

  listRuns(options: { projectId?: string | null } = {}): RunSummary[] {
    const rows = options.projectId === undefined ? this.store.all() : this.store.byProject(options.projectId)
    const now = new Date()
    return rows.map((row) => summarizeRun(row, this.store, now))
  }

  /** Every project with its runs (newest first), then the runs of no project (the demo) when there are any. */
  listProjectsWithRuns(): ProjectRuns[] {
    const projects = this.db.prepare('SELECT id, name FROM projects ORDER BY updated_at DESC, id').all() as Array<{ id: string; name: string }>
    const runs = this.listRuns()
    const groups: ProjectRuns[] = projects.map((project) => ({ projectId: project.id, name: project.name, runs: runs.filter((run) => run.projectId === project.id) }))
    const loose = runs.filter((run) => run.projectId === null)
    if (loose.length > 0) groups.push({ projectId: null, name: 'Demo and other runs', runs: loose })
    return groups
  }

  getRunMetrics(runId: string, options: { kind?: MetricKind; sinceStep?: number } = {}): RunMetrics {
    this.requireRun(runId)
    const kind = options.kind ?? 'train'
    const rows = this.db
      .prepare('SELECT step, loss, lr, grad_norm, tokens_per_second, epoch, gpu_memory_bytes, time FROM metrics WHERE run_id = ? AND kind = ? AND step > ? ORDER BY step')
      .all(runId, kind, options.sinceStep ?? -1) as MetricRow[]
    return {
      runId,
      kind,
      step: rows.map((row) => row.step),
      loss: rows.map((row) => row.loss),
      lr: rows.map((row) => row.lr),
      gradNorm: rows.map((row) => row.grad_norm),
      tokensPerSecond: rows.map((row) => row.tokens_per_second),
      epoch: rows.map((row) => row.epoch),
      gpuMemoryBytes: rows.map((row) => row.gpu_memory_bytes),
      time: rows.map((row) => row.time)
    }
  }

  /** Two runs side by side: the settings that differ (model, method, every param) and both curves. */
  compareRuns(a: string, b: string): RunComparison {
    const rowA = this.requireRun(a)
    const rowB = this.requireRun(b)
    const configA = runConfigOf(rowA)
    const configB = runConfigOf(rowB)
    const settingsA = flatten({ model: configA?.model, method: configA?.method, mode: configA?.mode, params: configA?.params, merge: configA?.merge })
    const settingsB = flatten({ model: configB?.model, method: configB?.method, mode: configB?.mode, params: configB?.params, merge: configB?.merge })
    const names = [...new Set([...Object.keys(settingsA), ...Object.keys(settingsB)])].sort()
    const differences = names
      .filter((name) => settingsA[name] !== settingsB[name])
      .map((name) => ({ setting: name, a: settingsA[name] ?? '(not set)', b: settingsB[name] ?? '(not set)' }))
    const now = new Date()
    return {
      runs: [summarizeRun(rowA, this.store, now), summarizeRun(rowB, this.store, now)],
      differences,
      train: [this.getRunMetrics(a, { kind: 'train' }), this.getRunMetrics(b, { kind: 'train' })],
      eval: [this.getRunMetrics(a, { kind: 'eval' }), this.getRunMetrics(b, { kind: 'eval' })]
    }
  }

  private requireRun(runId: string) {
    const row = this.store.get(runId)
    if (!row) throw new UserFacingError(`There is no run "${runId}". \`localtune runs\` lists the runs there are.`, { code: 'not_found' })
    return row
  }
}

/** {params: {lora: {r: 8}}} → {"params.lora.r": "8"}; arrays and scalars as JSON text. */
function flatten(value: unknown, prefix = '', into: Record<string, string> = {}): Record<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, into)
  } else if (value !== undefined) {
    into[prefix] = JSON.stringify(value)
  }
  return into
}
