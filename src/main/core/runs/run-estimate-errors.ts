import Database from 'better-sqlite3'
import fs from 'node:fs'
import path from 'node:path'
import type { RunEstimateError } from '../../../shared/contract/estimate-schemas'
import type { LocalTuneDatabase } from '../store/database'

/**
 * Every run teaches the estimator's error bar: the estimate a run was started with (recorded at
 * start, from the project's verified estimate) beside what the run measured (the peak its
 * `finished` event reported, the time between its progress events), both from SQLite. Rows are
 * only ever reported, never fitted: one run is one data point.
 */

/** What the project's estimate said, as `projects.create` saved it (verifiedEstimateOf in the renderer). */
interface SavedEstimate {
  peakBytes: number
  deviceLabel: string
  measured?: unknown
  details?: { allocatedBytes?: unknown; device?: { kind?: unknown }; time?: { lowSeconds?: unknown; highSeconds?: unknown; optimizerSteps?: unknown } | null }
}

const finite = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null)

/**
 * Records the estimate a run starts with. `measured` GPU peaks are the allocator's (torch's
 * max_memory_allocated), so a GPU run is judged against the estimate's allocated bytes; a CPU
 * run against the whole process memory the estimate requires.
 */
export function recordRunEstimate(db: LocalTuneDatabase, runId: string, estimate: SavedEstimate | null): void {
  if (!estimate) return
  const details = estimate.details ?? {}
  const onGpu = details.device?.kind === 'gpu'
  const allocated = finite(details.allocatedBytes)
  const time = details.time ?? null
  const steps = finite(time?.optimizerSteps)
  const low = finite(time?.lowSeconds)
  const high = finite(time?.highSeconds)
  db.prepare(
    `INSERT OR REPLACE INTO run_estimates (run_id, peak_bytes, peak_kind, seconds_per_step_low, seconds_per_step_high, basis, device_label)
     VALUES (?, ?, ?, ?, ?, ?, ?)`
  ).run(
    runId,
    onGpu && allocated !== null ? allocated : estimate.peakBytes,
    onGpu ? 'gpu-allocated' : 'process',
    steps && low !== null ? low / steps : null,
    steps && high !== null ? high / steps : null,
    estimate.measured ? 'measured' : 'estimated',
    estimate.deviceLabel
  )
}

interface Row {
  run_id: string
  peak_bytes: number
  peak_kind: 'gpu-allocated' | 'process'
  seconds_per_step_low: number | null
  seconds_per_step_high: number | null
  basis: 'estimated' | 'measured'
  device_label: string
  measured_peak: number | null
  status: string
}

/** Median seconds per optimizer step from the progress events' times (the first interval, with set-up in it, left out). */
function measuredSecondsPerStep(db: LocalTuneDatabase, runId: string): number | null {
  const points = db.prepare("SELECT step, time FROM metrics WHERE run_id = ? AND kind = 'train' ORDER BY step").all(runId) as Array<{ step: number; time: number }>
  const perStep: number[] = []
  for (let i = 2; i < points.length; i++) {
    const [before, after] = [points[i - 1]!, points[i]!]
    if (after.step > before.step) perStep.push((after.time - before.time) / (after.step - before.step))
  }
  if (perStep.length === 0) return null
  perStep.sort((a, b) => a - b)
  const middle = Math.floor(perStep.length / 2)
  return perStep.length % 2 ? perStep[middle]! : (perStep[middle - 1]! + perStep[middle]!) / 2
}

/** The estimate error of every run that has a recorded estimate, newest run first. */
export function readRunEstimateErrors(db: LocalTuneDatabase, options: { runIds?: readonly string[] } = {}): RunEstimateError[] {
  const rows = db
    .prepare(
      `SELECT e.*, r.peak_memory_bytes AS measured_peak, r.status FROM run_estimates e JOIN runs r ON r.id = e.run_id ORDER BY r.created_at DESC, r.id`
    )
    .all() as Row[]
  const wanted = options.runIds ? new Set(options.runIds) : null
  return rows
    .filter((row) => !wanted || wanted.has(row.run_id))
    .map((row) => {
      const secondsPerStep = measuredSecondsPerStep(db, row.run_id)
      const low = row.seconds_per_step_low
      const high = row.seconds_per_step_high
      // The range's geometric middle: the estimate is a factor range, so errors are read as ratios.
      const middle = low !== null && high !== null && low > 0 && high > 0 ? Math.sqrt(low * high) : null
      return {
        runId: row.run_id,
        basis: row.basis,
        deviceLabel: row.device_label,
        peakKind: row.peak_kind,
        estimatedPeakBytes: row.peak_bytes,
        measuredPeakBytes: row.measured_peak,
        peakError: row.measured_peak !== null && row.peak_bytes > 0 ? row.measured_peak / row.peak_bytes - 1 : null,
        estimatedSecondsPerStep: low !== null && high !== null ? { low, high } : null,
        measuredSecondsPerStep: secondsPerStep,
        stepTimeError: secondsPerStep !== null && middle !== null ? secondsPerStep / middle - 1 : null,
        stepTimeWithinRange: secondsPerStep !== null && low !== null && high !== null ? secondsPerStep >= low && secondsPerStep <= high : null
      }
    })
}

/**
 * The same rows from a LocalTune home's database, opened read-only (the benchmark reads a home it
 * does not own: nothing is migrated or written). Null when the home has no database; empty when
 * its database predates run_estimates.
 */
export function readHomeRunEstimateErrors(home: string): RunEstimateError[] | null {
  const file = path.join(home, 'localtune.db')
  if (!fs.existsSync(file)) return null
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'run_estimates'").get()
    return table ? readRunEstimateErrors(db) : []
  } finally {
    db.close()
  }
}
