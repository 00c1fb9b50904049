import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { makeTrainingHome, readEventsFile, startQuickRun, waitUntil, type TrainingHome } from '../../../helpers/training-home'

describe('RunSupervisor stop and resume', () => {
  let home: TrainingHome | null = null
  afterEach(() => {
    home?.cleanup()
    home = null
  })

  it('stops a run gracefully at a checkpoint, then resumes it in the same folder so the curve continues', async () => {
    home = makeTrainingHome()
    const { core } = home
    const started = await startQuickRun(core, { maxSteps: 40, params: { save_every_steps: 100 } })
    await waitUntil(() => core.runs.getRunMetrics(started.id).step.length >= 3, 'three progress points')

    const stopping = core.runs.stopRun(started.id)
    expect(stopping.status).toBe('stopping')
    // Asking twice is one request: a second SIGINT would make the runtime quit without saving.
    expect(core.runs.stopRun(started.id).status).toBe('stopping')
    const stopped = await core.runs.waitForRun(started.id, { timeoutMs: 60_000 })
    expect(stopped.status).toBe('stopped')
    expect(stopped.failure).toBeNull()
    expect(stopped.canResume).toBe(true)
    const stopStep = stopped.lastStep!
    expect(stopStep).toBeGreaterThanOrEqual(3)
    expect(stopStep).toBeLessThan(40)
    expect(fs.existsSync(path.join(stopped.runDir, 'checkpoints', `step-${stopStep}`))).toBe(true)
    expect(core.runs.getRun(started.id).checkpoints.map((checkpoint) => checkpoint.step)).toEqual([stopStep])
    expect(fs.readFileSync(path.join(stopped.runDir, 'output.log'), 'utf8')).toContain('Stop requested')

    const resumed = core.runs.resumeRun(started.id)
    expect(['queued', 'running']).toContain(resumed.status)
    expect(() => core.runs.resumeRun(started.id)).toThrow(/already/)
    // Alone this takes seconds; beside another file's training on CI's 2 cores it once took over 90 s.
    const done = await core.runs.waitForRun(started.id, { timeoutMs: 180_000 })
    expect(done.status).toBe('completed')
    expect(done.lastStep).toBe(40)
    expect(done.runDir).toBe(started.runDir)

    const events = readEventsFile(done.runDir)
    const starts = events.filter((event) => event.type === 'started')
    expect(starts.map((event) => event.resumed_from_step)).toEqual([null, stopStep])
    // One point per step from 1 to 40: the resumed attempt continued the same curve.
    expect(core.runs.getRunMetrics(started.id).step).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
    expect(done.durationSeconds).toBeGreaterThan(0)
    expect(fs.readFileSync(path.join(done.runDir, 'output.log'), 'utf8')).toContain(`Resuming run ${started.id}`)
    expect(() => core.runs.resumeRun(started.id)).toThrow(/nothing to resume/)
  }, 300_000)

  it('kills a run that does not stop within the stop timeout, and says so', async () => {
    home = makeTrainingHome({ stopTimeoutMs: 1 })
    const { core } = home
    const started = await startQuickRun(core, { maxSteps: 2000 })
    await waitUntil(() => core.runs.getRunMetrics(started.id).step.length >= 1, 'the first progress point')
    core.runs.stopRun(started.id)
    const run = await core.runs.waitForRun(started.id, { timeoutMs: 30_000 })
    expect(run.status).toBe('stopped_forcibly')
    expect(run.failure?.signal).toBe('SIGKILL')
    expect(run.failure?.message).toContain('did not stop within 1 ms')
    expect(run.canResume).toBe(true)
  })

  it('takes a queued run out of the queue without ever starting it', async () => {
    home = makeTrainingHome()
    const { core } = home
    const first = await startQuickRun(core, { maxSteps: 2000 })
    const second = await startQuickRun(core, { maxSteps: 5 })
    expect(second.status).toBe('queued')
    const cancelled = core.runs.stopRun(second.id)
    expect(cancelled.status).toBe('cancelled')
    core.runs.stopRun(first.id, { force: true })
    await core.runs.waitForRun(first.id, { timeoutMs: 30_000 })
    expect(core.runs.summary(second.id)).toMatchObject({ status: 'cancelled', pid: null, startedAt: null })
    expect(fs.existsSync(path.join(second.runDir, 'events.jsonl'))).toBe(false)
  })

  it('runs again with changed params as a new run, and compares the two', async () => {
    home = makeTrainingHome()
    const { core } = home
    const first = await startQuickRun(core, { maxSteps: 3 })
    await core.runs.waitForRun(first.id, { timeoutMs: 60_000 })
    const again = await core.runs.runAgainWithChanges(first.id, { learning_rate: 0.0005, lora: { r: 4 } })
    expect(again.id).not.toBe(first.id)
    const second = await core.runs.waitForRun(again.id, { timeoutMs: 60_000 })
    expect(second.status).toBe('completed')
    const config = core.runs.getRun(again.id).config
    expect(config.params.learning_rate).toBe(0.0005)
    expect(config.params.lora).toMatchObject({ r: 4, alpha: 32 })
    expect(config.params.micro_batch_size).toBe(2)

    const comparison = core.runs.compareRuns(first.id, again.id)
    expect(comparison.differences).toEqual([
      { setting: 'params.learning_rate', a: '0.001', b: '0.0005' },
      { setting: 'params.lora.r', a: '16', b: '4' }
    ])
    expect(comparison.train.map((metrics) => metrics.step.length)).toEqual([3, 3])
  })
})
