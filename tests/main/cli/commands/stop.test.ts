import { afterEach, describe, expect, it } from 'vitest'
import { runCli } from '../../../../src/main/cli/main'
import { collectingIo } from '../../../helpers/temp-home'
import { makeTrainingHome, startQuickRun, waitUntil, type TrainingHome } from '../../../helpers/training-home'

describe('localtune stop', () => {
  let home: TrainingHome | null = null
  afterEach(() => {
    home?.cleanup()
    home = null
  })

  it('stops a run that another LocalTune process is running, by its pid, and waits for it to save', async () => {
    home = makeTrainingHome()
    const owner = home.core
    const run = await startQuickRun(owner, { maxSteps: 2000 })
    await waitUntil(() => owner.runs.getRunMetrics(run.id).step.length >= 2, 'two progress points')

    const { io, out, err } = collectingIo()
    expect(await runCli(['stop', run.id], io, { env: home.env, home: home.home })).toBe(0)
    expect(err.join('\n')).toContain(`Asked run ${run.id} to stop`)
    expect(out.join('\n')).toMatch(new RegExp(`Run ${run.id}: stopped at step \\d+\\. Resume it with: localtune resume ${run.id}`))
    // The owner recorded the outcome from the runtime's own finished event.
    expect(owner.runs.summary(run.id)).toMatchObject({ status: 'stopped', failure: null })
  })

  it('says what is wrong with a run that is not there or not running', async () => {
    home = makeTrainingHome()
    const ctx = { env: home.env, home: home.home }
    const missing = collectingIo()
    expect(await runCli(['stop', 'nope'], missing.io, ctx)).toBe(1)
    expect(missing.err.join('\n')).toContain('There is no run "nope"')
    expect(await runCli(['stop'], collectingIo().io, ctx)).toBe(2)

    const run = await startQuickRun(home.core, { maxSteps: 2 })
    await home.core.runs.waitForRun(run.id, { timeoutMs: 60_000 })
    const done = collectingIo()
    expect(await runCli(['stop', run.id], done.io, ctx)).toBe(1)
    expect(done.err.join('\n')).toContain('is not running (it is completed)')
  })
})
