import type { LocalTuneDatabase } from '../store/database'
import { queueDevicesOf } from './run-placement'

/** A `runs` row as stored (migrations 1, 2, 4 and 7). */
export interface RunRow {
  id: string
  project_id: string | null
  status: string
  run_dir: string
  gpu_index: number | null
  pid: number | null
  exit_code: number | null
  exit_signal: number | null
  error_json: string | null
  total_steps: number | null
  last_step: number | null
  final_loss: number | null
  final_eval_loss: number | null
  peak_memory_bytes: number | null
  events_offset: number
  created_at: string
  started_at: string | null
  ended_at: string | null
  config_json: string | null
  dataset_label: string | null
  device_key: string
  device_label: string | null
  queued_at: string | null
  host_pid: number | null
  host_token: string | null
  /** processStartTime(host_pid) when the row was claimed (migration 4); null for older rows. */
  host_started: string | null
  resume_requested: number
  stop_requested_at: string | null
  attempt_started_at: string | null
  active_seconds: number
  final_dir: string | null
  /** Where it trains (run-placement.ts); null for rows from before migration 7. */
  placement_json: string | null
}

export type RunPatch = Partial<Omit<RunRow, 'id' | 'created_at'>>

const patchableColumns = new Set<string>([
  'project_id', 'status', 'run_dir', 'gpu_index', 'pid', 'exit_code', 'exit_signal', 'error_json', 'total_steps',
  'last_step', 'final_loss', 'final_eval_loss', 'peak_memory_bytes', 'events_offset', 'started_at', 'ended_at',
  'config_json', 'dataset_label', 'device_key', 'device_label', 'queued_at', 'host_pid', 'host_token', 'host_started',
  'resume_requested', 'stop_requested_at', 'attempt_started_at', 'active_seconds', 'final_dir', 'placement_json'
])

/** Statuses in which a run has (or is about to have) a runtime process. */
export const liveStatuses = ['queued', 'running', 'stopping'] as const

/** A checkpoint the runtime reported (the `checkpoints` table). */
export interface CheckpointRow {
  step: number
  path: string
  created_at: string
}

/** The `runs` table: plain reads and writes, no decisions. */
export class RunStore {
  constructor(readonly db: LocalTuneDatabase) {}

  insert(row: Pick<RunRow, 'id' | 'project_id' | 'status' | 'run_dir' | 'created_at'> & RunPatch): void {
    const columns = Object.keys(row).filter((column) => column === 'id' || column === 'created_at' || patchableColumns.has(column))
    const sql = `INSERT INTO runs (${columns.join(', ')}) VALUES (${columns.map((column) => `@${column}`).join(', ')})`
    this.db.prepare(sql).run(row)
  }

  get(id: string): RunRow | undefined {
    return this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined
  }

  update(id: string, patch: RunPatch): void {
    const columns = Object.keys(patch).filter((column) => patchableColumns.has(column))
    if (columns.length === 0) return
    const sql = `UPDATE runs SET ${columns.map((column) => `${column} = @${column}`).join(', ')} WHERE id = @id`
    this.db.prepare(sql).run({ ...patch, id })
  }

  all(): RunRow[] {
    return this.db.prepare('SELECT * FROM runs ORDER BY created_at DESC, id DESC').all() as RunRow[]
  }

  byProject(projectId: string | null): RunRow[] {
    if (projectId === null) return this.db.prepare('SELECT * FROM runs WHERE project_id IS NULL ORDER BY created_at DESC, id DESC').all() as RunRow[]
    return this.db.prepare('SELECT * FROM runs WHERE project_id = ? ORDER BY created_at DESC, id DESC').all(projectId) as RunRow[]
  }

  withStatus(statuses: readonly string[]): RunRow[] {
    const marks = statuses.map(() => '?').join(', ')
    return this.db.prepare(`SELECT * FROM runs WHERE status IN (${marks}) ORDER BY queued_at, created_at, id`).all(...statuses) as RunRow[]
  }

  /** Queued runs that wait for any of these devices (queue keys, see queueDevicesOf), first in line first. */
  queue(devices: readonly string[]): RunRow[] {
    const wanted = new Set(devices)
    return this.withStatus(['queued']).filter((row) => queueDevicesOf(row).some((device) => wanted.has(device)))
  }

  /** 1-based place among the queued runs that want any of its devices, or null when the run is not queued. */
  queuePosition(row: RunRow): number | null {
    if (row.status !== 'queued') return null
    const index = this.queue(queueDevicesOf(row)).findIndex((queued) => queued.id === row.id)
    return index === -1 ? null : index + 1
  }

  /** The run's checkpoints as reported, lowest step first (the folder may have lost some since). */
  checkpoints(runId: string): CheckpointRow[] {
    return this.db.prepare('SELECT step, path, created_at FROM checkpoints WHERE run_id = ? ORDER BY step').all(runId) as CheckpointRow[]
  }

  /**
   * A closing supervisor gives up its live runs: with no host recorded, the next supervisor (in
   * this process or another) recovers them instead of waiting for this process to exit.
   */
  releaseHost(hostToken: string): void {
    this.db
      .prepare("UPDATE runs SET host_pid = NULL, host_started = NULL WHERE host_token = ? AND status IN ('queued', 'running', 'stopping')")
      .run(hostToken)
  }

  /** Deletes the run's rows (metrics and checkpoints go with it through ON DELETE CASCADE). */
  delete(id: string): void {
    this.db.prepare('DELETE FROM runs WHERE id = ?').run(id)
  }
}
