import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createCore } from '../../../../src/main/core/create-core'
import { outcomeFromEvents } from '../../../../src/main/core/runs/run-index-rebuild'
import { databaseStatus } from '../../../../src/main/core/store/database'
import type { RunEvent } from '../../../../src/shared/run-events'
import { startCrashingHost } from '../../../helpers/crashing-host'
import { makeTempHome } from '../../../helpers/temp-home'
import { makeTrainingHome, readEventsFile, startQuickRun, testPython } from '../../../helpers/training-home'

/** What a person does when the app "lost everything": the database files are gone or replaced. */
function removeDatabase(home: string, files: readonly string[] = ['localtune.db', 'localtune.db-wal', 'localtune.db-shm']): void {
  for (const name of files) fs.rmSync(path.join(home, name), { force: true })
}

describe('the run index rebuilt from the run folders', () => {
  const cleanups: Array<() => void> = []
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup()
  })

  it('brings back a run killed with kill -9 mid-run whose database was deleted, with every point of its events.jsonl', async () => {
    const temp = makeTempHome()
    cleanups.push(temp.cleanup)
    const env = { ...process.env, LOCALTUNE_HOME: temp.home, LOCALTUNE_PYTHON: testPython }
    const host = await startCrashingHost(env, 3)
    cleanups.push(host.cleanup)
    const { runId, runDir } = host
    await host.crash()

    // After kill -9 the rows may live only in the WAL; deleting it (or the whole database) used
    // to leave an empty History next to an intact run folder.
    removeDatabase(temp.home)
    const core = createCore({ env, home: temp.home, runs: { warn: () => {} } })
    cleanups.push(() => core.close())
    const run = core.runs.summary(runId)
    expect(run.status).toBe('interrupted')
    expect(run.canResume).toBe(true)
    expect(run.failure?.message).toContain('read back from its folder')
    const progress = readEventsFile(runDir).filter((event) => event.type === 'progress')
    expect(core.runs.getRunMetrics(runId).step).toEqual(progress.map((event) => event.step))
    expect(run.lastStep).toBe(progress.at(-1)?.step)
    expect(run.device).toBe('cpu')
    // The doctor tells what happened instead of "fine".
    const status = databaseStatus(core.db)
    expect(status.problems).toEqual([])
    expect(status.repairs.join(' ')).toContain(runId)
    const doctor = await core.handlers['system.doctor']({ refresh: false })
    const check = doctor.checks.find((item) => item.id === 'database')
    expect(check?.level).toBe('warning')
    expect(check?.detail).toContain('lost')
  }, 180_000)

  it('brings back finished runs with their outcome and curves, and reads metrics again when the index is behind', async () => {
    const home = makeTrainingHome()
    cleanups.push(home.cleanup)
    const finished = await startQuickRun(home.core, { maxSteps: 3 })
    await home.core.runs.waitForRun(finished.id, { timeoutMs: 90_000 })
    const before = home.core.runs.summary(finished.id)
    const curve = home.core.runs.getRunMetrics(finished.id)

    // (The first core keeps its handle on the deleted file, like a LocalTune that is still open.)
    removeDatabase(home.home)
    const again = createCore({ env: home.env, home: home.home, runs: { warn: () => {} } })
    cleanups.push(() => again.close())
    const run = again.runs.summary(finished.id)
    expect(run).toMatchObject({ status: 'completed', failure: null, lastStep: before.lastStep, totalSteps: before.totalSteps, finalLoss: before.finalLoss, device: 'cpu' })
    expect(run.durationSeconds).toBeGreaterThan(0)
    expect(again.runs.getRunMetrics(finished.id)).toEqual(curve)
    expect(again.runs.listProjectsWithRuns().flatMap((group) => group.runs.map((listed) => listed.id))).toContain(finished.id)

    // An older database that has the row but is behind the events file.
    again.db.prepare('DELETE FROM metrics WHERE run_id = ?').run(finished.id)
    again.db.prepare('UPDATE runs SET events_offset = 0 WHERE id = ?').run(finished.id)
    const third = createCore({ env: home.env, home: home.home, runs: { warn: () => {} } })
    cleanups.push(() => third.close())
    expect(third.runs.getRunMetrics(finished.id)).toEqual(curve)
  }, 180_000)

  it('leaves a folder that another LocalTune is creating right now alone', () => {
    const temp = makeTempHome()
    cleanups.push(temp.cleanup)
    const runDir = path.join(temp.home, 'runs', '20260101-000000-abcd')
    fs.mkdirSync(runDir, { recursive: true })
    fs.writeFileSync(path.join(runDir, 'run.json'), '{}')
    const core = createCore({ home: temp.home, env: { ...process.env, LOCALTUNE_HOME: temp.home }, runs: { warn: () => {} } })
    cleanups.push(() => core.close())
    expect(core.runs.listRuns()).toEqual([])
  })
})

describe('outcomeFromEvents', () => {
  const envelope = { v: 1, run_id: 'r', demo: true } as const
  const started = { ...envelope, type: 'started', time: 1 } as unknown as RunEvent
  const finished = (status: 'completed' | 'failed') =>
    ({ ...envelope, type: 'finished', time: 3, status, step: 2, final_dir: null, adapter_path: null, weights_path: null, merged_path: null, final_train_loss: null, final_eval_loss: null, peak_memory_bytes: null, elapsed_seconds: 2 }) as RunEvent
  const error = { ...envelope, type: 'error', time: 2, kind: 'data', message: 'row 3 is empty', advice: ['fix row 3'], step: 1 } as RunEvent

  it('takes the last attempt’s finished status, with its error for a failure', () => {
    expect(outcomeFromEvents([started, finished('completed')], null, []).status).toBe('completed')
    const failed = outcomeFromEvents([started, error, finished('failed')], null, ['tail'])
    expect(failed.status).toBe('failed')
    expect(failed.failure).toMatchObject({ message: 'row 3 is empty', kind: 'data', advice: ['fix row 3'], outputTail: ['tail'] })
  })

  it('calls an unfinished attempt interrupted and says where resume continues', () => {
    const outcome = outcomeFromEvents([started, finished('completed'), started], 4, [])
    expect(outcome.status).toBe('interrupted')
    expect(outcome.failure?.message).toContain('checkpoint at step 4')
    expect(outcomeFromEvents([], null, []).failure?.message).toContain('had not started')
  })
})
