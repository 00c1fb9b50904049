import type { Verdict } from '../../../shared/estimator'

/** Memory as the panel writes it: GiB from 1 GiB up, MiB below (the demo model is tiny). */
export function formatMemory(bytes: number): string {
  const GiB = 1024 ** 3
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(2)} GiB`
  return `${(bytes / 1024 ** 2).toFixed(bytes >= 100 * 1024 ** 2 ? 0 : 1)} MiB`
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`
  const minutes = Math.round(seconds / 60)
  if (minutes < 60) return `${minutes} min`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`
  return `${(hours / 24).toFixed(1)} days`
}

export const verdictLabels: Record<Verdict, string> = { fits: 'Fits', tight: 'Tight', 'does-not-fit': 'Does not fit' }

/** One line per Auto choice: the value as a person reads it. */
export function choiceValueLabel(value: string | number | boolean | null): string {
  if (value === null) return '—'
  if (typeof value === 'boolean') return value ? 'on' : 'off'
  if (typeof value === 'number' && value !== 0 && Math.abs(value) < 0.001) return value.toExponential(0)
  return String(value)
}
