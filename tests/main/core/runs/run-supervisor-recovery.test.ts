import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createCore } from '../../../../src/main/core/create-core'
import { startCrashingHost } from '../../../helpers/crashing-host'
import { makeTempHome } from '../../../helpers/temp-home'
import { makeTrainingHome, readEventsFile, startQuickRun, testPython, waitUntil, type TrainingHome } from '../../../helpers/training-home'

/** A pid that is certainly not running: a process that already exited. */
function deadPid(): number {
  const child = spawnSync('true')
  return child.pid ?? 999_999
}

describe('RunSupervisor crash recovery', () => {
  const cleanups: Array<() => void> = []
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup()
  })

  it('marks a run interrupted, with every point the runtime wrote, when the app is killed with kill -9 mid-run', async () => {
    const temp = makeTempHome()
    cleanups.push(temp.cleanup)
    const env = { ...process.env, LOCALTUNE_HOME: temp.home, LOCALTUNE_PYTHON: testPython }
    const host = await startCrashingHost(env, 5)
    cleanups.push(host.cleanup)
    const { runId, runDir } = host
    expect(host.runtimePid).toEqual(expect.any(Number))
    // The runtime leads its own session with the pty as its terminal: when the host dies the
    // kernel hangs that terminal up and SIGHUP ends the runtime too (no orphan keeps training).
    await host.crash()

    const core = createCore({ env, home: temp.home, runs: { warn: () => {} } })
    cleanups.push(() => core.close())
    const run = core.runs.summary(runId)
    expect(run.status).toBe('interrupted')
    expect(run.canResume).toBe(true)
    expect(run.failure?.message).toContain('closed or crashed')
    expect(run.failure?.outputTail.length).toBeGreaterThan(0)
    const progress = readEventsFile(runDir).filter((event) => event.type === 'progress')
    const metrics = core.runs.getRunMetrics(runId)
    expect(metrics.step.length).toBe(progress.length)
    expect(metrics.step).toEqual(progress.map((event) => event.step))
    expect(run.lastStep).toBe(progress.at(-1)?.step)
  })

  it('takes the status from the events file when the runtime finished before the app died, and rebuilds lost rows', async () => {
    const home: TrainingHome = makeTrainingHome()
    cleanups.push(home.cleanup)
    const finished = await startQuickRun(home.core, { maxSteps: 4 })
    await home.core.runs.waitForRun(finished.id, { timeoutMs: 60_000 })
    // As if the app died after the runtime's last event but before it recorded the exit, with
    // the index behind the file.
    home.core.db.prepare("UPDATE runs SET status = 'running', host_pid = ?, host_token = 'gone', final_loss = NULL WHERE id = ?").run(deadPid(), finished.id)
    home.core.db.prepare('DELETE FROM metrics WHERE run_id = ?').run(finished.id)

    const other = createCore({ env: home.env, home: home.home, runs: { warn: () => {} } })
    cleanups.push(() => other.close())
    const run = other.runs.summary(finished.id)
    expect(run.status).toBe('completed')
    expect(run.failure).toBeNull()
    expect(run.finalLoss).toEqual(expect.any(Number))
    expect(other.runs.getRunMetrics(finished.id).step).toEqual([1, 2, 3, 4])
  })

  it('marks runs queued by a LocalTune that is gone as interrupted, and leaves runs of a live one alone', async () => {
    const home: TrainingHome = makeTrainingHome()
    cleanups.push(home.cleanup)
    const running = await startQuickRun(home.core, { maxSteps: 2000 })
    const queued = await startQuickRun(home.core, { maxSteps: 2 })
    await waitUntil(() => home.core.runs.getRunMetrics(running.id).step.length >= 1, 'the first run to train')
    // A second LocalTune (another window, a terminal) over the same home sees the first one alive.
    const other = createCore({ env: home.env, home: home.home, runs: { warn: () => {} } })
    cleanups.push(() => other.close())
    expect(other.runs.summary(running.id).status).toBe('running')
    expect(other.runs.summary(queued.id)).toMatchObject({ status: 'queued', queuePosition: 1 })

    home.core.db.prepare("UPDATE runs SET host_pid = ?, host_token = 'gone' WHERE id = ?").run(deadPid(), queued.id)
    const third = createCore({ env: home.env, home: home.home, runs: { warn: () => {} } })
    cleanups.push(() => third.close())
    const recovered = third.runs.summary(queued.id)
    expect(recovered.status).toBe('interrupted')
    expect(recovered.failure?.message).toContain('waited in the queue')
    expect(recovered.canResume).toBe(true)
    expect(fs.existsSync(path.join(recovered.runDir, 'events.jsonl'))).toBe(false)
    expect(third.runs.summary(running.id).status).toBe('running')
  })
})
