import { afterEach, describe, expect, it } from 'vitest'
import { readHomeRunEstimateErrors, readRunEstimateErrors, recordRunEstimate } from '../../../../src/main/core/runs/run-estimate-errors'
import { openDatabase, type LocalTuneDatabase } from '../../../../src/main/core/store/database'
import { makeTempHome } from '../../../helpers/temp-home'

/** History's estimate error per run: what a run started with (recorded) beside what it measured (its rows in SQLite). */
describe('run estimate errors', () => {
  const cleanups: Array<() => void> = []
  afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()))

  let home = ''
  function database(): LocalTuneDatabase {
    const temp = makeTempHome()
    home = temp.home
    const db = openDatabase(temp.home)
    cleanups.push(() => {
      if (db.open) db.close()
      temp.cleanup()
    })
    return db
  }

  function run(db: LocalTuneDatabase, id: string, createdAt: string, peak: number | null, stepTimes: number[]): void {
    db.prepare("INSERT INTO runs (id, status, run_dir, peak_memory_bytes, created_at) VALUES (?, 'completed', '/runs/x', ?, ?)").run(id, peak, createdAt)
    stepTimes.forEach((time, index) => db.prepare("INSERT INTO metrics (run_id, kind, step, loss, time) VALUES (?, 'train', ?, 1.0, ?)").run(id, index + 1, time))
  }

  const time = { lowSeconds: 100, highSeconds: 400, optimizerSteps: 100 } // 1–4 s per step, middle 2 s

  it('a GPU run: its allocator peak against the estimate allocated bytes, and its median step time against the range', () => {
    const db = database()
    // Steps at t = 0, 10 (set-up in the first interval), 13, 16, 19: 3 s per step.
    run(db, 'gpu-run', '2026-12-01T10:00:00Z', 12e9, [0, 10, 13, 16, 19])
    recordRunEstimate(db, 'gpu-run', { peakBytes: 11e9, deviceLabel: 'RTX 4090', measured: { fits: true }, details: { allocatedBytes: 10e9, device: { kind: 'gpu' }, time } })
    const [errors] = readRunEstimateErrors(db)
    expect(errors).toMatchObject({ runId: 'gpu-run', basis: 'measured', peakKind: 'gpu-allocated', estimatedPeakBytes: 10e9, measuredPeakBytes: 12e9, measuredSecondsPerStep: 3, stepTimeWithinRange: true })
    expect(errors!.peakError).toBeCloseTo(0.2)
    expect(errors!.stepTimeError).toBeCloseTo(0.5) // 3 s against the range's middle, 2 s
    expect(errors!.estimatedSecondsPerStep).toEqual({ low: 1, high: 4 })
  })

  it('a CPU run without a reported peak has no peak error; a run with no recorded estimate is not listed', () => {
    const db = database()
    run(db, 'cpu-run', '2026-12-01T11:00:00Z', null, [0, 5, 5.5])
    recordRunEstimate(db, 'cpu-run', { peakBytes: 2e9, deviceLabel: 'CPU', details: { device: { kind: 'cpu' }, time: null } })
    run(db, 'demo-run', '2026-12-01T12:00:00Z', null, [0, 1])
    const errors = readRunEstimateErrors(db)
    expect(errors.map((row) => row.runId)).toEqual(['cpu-run'])
    expect(errors[0]).toMatchObject({ basis: 'estimated', peakKind: 'process', measuredPeakBytes: null, peakError: null, measuredSecondsPerStep: 0.5, estimatedSecondsPerStep: null, stepTimeError: null })
    expect(readRunEstimateErrors(db, { runIds: ['other'] })).toEqual([])
  })

  it("the benchmark reads a home's runs read-only, and says when a home has no database", () => {
    const db = database()
    run(db, 'gpu-run', '2026-12-01T10:00:00Z', 12e9, [0, 10, 13])
    recordRunEstimate(db, 'gpu-run', { peakBytes: 11e9, deviceLabel: 'RTX 4090', details: { allocatedBytes: 10e9, device: { kind: 'gpu' }, time } })
    db.close()
    expect(readHomeRunEstimateErrors(home)?.map((row) => [row.runId, row.measuredPeakBytes])).toEqual([['gpu-run', 12e9]])
    const empty = makeTempHome()
    cleanups.push(empty.cleanup)
    expect(readHomeRunEstimateErrors(empty.home)).toBeNull()
  })
})
