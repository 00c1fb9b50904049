import { runFailureSchema, runStatusSchema, type RunFailure, type RunStatus, type RunSummary } from '../../../shared/contract/runs'
import { TINY_DEMO_MODEL_ID, type RunConfig } from '../../../shared/run-config/run-config-schema'
import { isProcessAlive } from './process-liveness'
import { placementOf, worldSizeOf } from './run-placement'
import type { RunRow, RunStore } from './run-store'

const resumableStatuses: ReadonlySet<RunStatus> = new Set(['stopped', 'stopped_forcibly', 'failed', 'interrupted', 'cancelled'])

export function runStatusOf(row: RunRow): RunStatus {
  const parsed = runStatusSchema.safeParse(row.status)
  return parsed.success ? parsed.data : 'failed'
}

export function runConfigOf(row: RunRow): RunConfig | null {
  if (!row.config_json) return null
  try {
    return JSON.parse(row.config_json) as RunConfig
  } catch {
    return null
  }
}

export function runFailureOf(row: RunRow): RunFailure | null {
  if (!row.error_json) return null
  try {
    const parsed = runFailureSchema.safeParse(JSON.parse(row.error_json))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

/** Whether the runtime process recorded for the run is still alive (any host's). */
export function runtimeAlive(row: RunRow): boolean {
  return isProcessAlive(row.pid, { commandIncludes: 'localtune_runtime' })
}

export function isLiveStatus(status: RunStatus): boolean {
  return status === 'queued' || status === 'running' || status === 'stopping'
}

export function summarizeRun(row: RunRow, store: RunStore, now: Date = new Date()): RunSummary {
  const status = runStatusOf(row)
  const config = runConfigOf(row)
  const placement = placementOf(row)
  const attemptSeconds =
    (status === 'running' || status === 'stopping') && row.attempt_started_at ? Math.max(0, (now.getTime() - Date.parse(row.attempt_started_at)) / 1000) : 0
  return {
    id: row.id,
    projectId: row.project_id,
    demo: config?.model.id === TINY_DEMO_MODEL_ID,
    status,
    queuePosition: store.queuePosition(row),
    baseModel: config?.model.id ?? 'unknown',
    method: config?.method ?? 'unknown',
    mode: config?.mode ?? 'unknown',
    dataset: row.dataset_label,
    device: row.device_key,
    deviceLabel: row.device_label,
    gpuIndices: placement.gpus,
    ranks: worldSizeOf(placement),
    nodes: placement.nodes?.count ?? 1,
    lastStep: row.last_step,
    totalSteps: row.total_steps,
    finalLoss: row.final_loss,
    finalEvalLoss: row.final_eval_loss,
    peakMemoryBytes: row.peak_memory_bytes,
    durationSeconds: Math.round((row.active_seconds + attemptSeconds) * 10) / 10,
    createdAt: row.created_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    runDir: row.run_dir,
    failure: runFailureOf(row),
    canResume: resumableStatuses.has(status) && !runtimeAlive(row),
    pid: row.pid
  }
}
