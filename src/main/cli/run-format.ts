import type { RunSummary } from '../../shared/contract/runs'

/** 75 → "1:15", 3725 → "1:02:05". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '?'
  const total = Math.round(seconds)
  const hours = Math.floor(total / 3600)
  const minutes = Math.floor((total % 3600) / 60)
  const secs = total % 60
  const two = (value: number) => String(value).padStart(2, '0')
  return hours > 0 ? `${hours}:${two(minutes)}:${two(secs)}` : `${minutes}:${two(secs)}`
}

export function formatLoss(loss: number | null | undefined): string {
  return loss === null || loss === undefined || !Number.isFinite(loss) ? '-' : loss.toFixed(4)
}

export function formatSteps(run: Pick<RunSummary, 'lastStep' | 'totalSteps'>): string {
  if (run.totalSteps === null) return run.lastStep === null ? '-' : String(run.lastStep)
  return `${run.lastStep ?? 0}/${run.totalSteps}`
}

/** The status as a person reads it, with the queue position while queued. */
export function describeStatus(run: Pick<RunSummary, 'status' | 'queuePosition'>): string {
  if (run.status === 'queued' && run.queuePosition !== null) return `queued (#${run.queuePosition})`
  return run.status.replace('_', ' ')
}

/**
 * One line of progress: "train  42% [#########-----------]  63/150  loss 2.3141  0:12<0:17".
 * Drawn by the CLI from progress events, so it looks the same whatever the runtime prints.
 */
export function progressLine(progress: { step: number; totalSteps: number; loss: number | null; elapsedSeconds: number | null; etaSeconds: number | null }, barWidth = 24): string {
  const fraction = progress.totalSteps > 0 ? Math.min(1, progress.step / progress.totalSteps) : 0
  const filled = Math.round(fraction * barWidth)
  const bar = `${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}`
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4)
  const steps = `${progress.step}/${progress.totalSteps}`.padStart(String(progress.totalSteps).length * 2 + 1)
  return `train ${percent} [${bar}] ${steps}  loss ${formatLoss(progress.loss)}  ${formatDuration(progress.elapsedSeconds)}<${formatDuration(progress.etaSeconds)}`
}

/** A fixed-width table, the last column left ragged. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? []
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ').trimEnd())
}
