import type { RunStatus } from '../../../shared/contract'
import { ContractCallError } from '../../api/client'

/** A run that has a process (or waits for one): its screen updates live. */
export function isLiveStatus(status: RunStatus): boolean {
  return status === 'queued' || status === 'running' || status === 'stopping'
}

export const statusLabels: Record<RunStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  stopping: 'Stopping',
  completed: 'Completed',
  stopped: 'Stopped',
  stopped_forcibly: 'Stopped (forced)',
  failed: 'Failed',
  interrupted: 'Interrupted',
  cancelled: 'Cancelled'
}

/** 75 → "1:15", 3725 → "1:02:05". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—'
  const total = Math.max(0, Math.round(seconds))
  const hours = Math.floor(total / 3600)
  const minutes = Math.floor((total % 3600) / 60)
  const rest = String(total % 60).padStart(2, '0')
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`
}

/** Bytes in binary units as people read them: "512 B", "3.4 KiB", "7.81 GiB". */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)} ${units[unit]}`
}

export function formatLoss(loss: number | null | undefined): string {
  return loss === null || loss === undefined || !Number.isFinite(loss) ? '—' : loss.toFixed(4)
}

/** Learning rates are tiny: 2e-4 reads better as "2.00e-4" than "0.0002". */
export function formatLearningRate(lr: number | null | undefined): string {
  if (lr === null || lr === undefined || !Number.isFinite(lr)) return '—'
  return lr === 0 ? '0' : lr.toExponential(2)
}

export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : Math.round(value).toLocaleString('en')
}

/** The core's message with where the problem is, for an alert. */
export function messageOf(error: unknown): string {
  if (error instanceof ContractCallError) return [error.message, ...error.details].join('\n')
  return error instanceof Error ? error.message : String(error)
}
