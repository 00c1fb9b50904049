import { afterEach, describe, expect, it } from 'vitest'
import { runCli } from '../../../../src/main/cli/main'
import { collectingIo } from '../../../helpers/temp-home'
import { makeTrainingHome, startQuickRun, waitUntil, type TrainingHome } from '../../../helpers/training-home'

describe('localtune resume', () => {
  let home: TrainingHome | null = null
  afterEach(() => {
    home?.cleanup()
    home = null
  })

  it('continues a stopped run to the end, showing progress from the resumed step', async () => {
    home = makeTrainingHome()
    const run = await startQuickRun(home.core, { maxSteps: 12, params: { save_every_steps: 100 } })
    await waitUntil(() => home!.core.runs.getRunMetrics(run.id).step.length >= 2, 'two progress points')
    home.core.runs.stopRun(run.id)
    const stopped = await home.core.runs.waitForRun(run.id, { timeoutMs: 60_000 })
    expect(stopped.status).toBe('stopped')

    const { io, out, err } = collectingIo()
    expect(await runCli(['resume', run.id], io, { env: home.env, home: home.home })).toBe(0)
    expect(err.join('\n')).toContain(`Resumed at step ${stopped.lastStep}`)
    expect(out.join('\n')).toContain(`Run ${run.id}: completed at step 12/12`)
    expect(home.core.runs.getRunMetrics(run.id).step).toEqual(Array.from({ length: 12 }, (_, i) => i + 1))
  })

  it('refuses a run that completed, and says why', async () => {
    home = makeTrainingHome()
    const run = await startQuickRun(home.core, { maxSteps: 2 })
    await home.core.runs.waitForRun(run.id, { timeoutMs: 60_000 })
    const { io, err } = collectingIo()
    expect(await runCli(['resume', run.id], io, { env: home.env, home: home.home })).toBe(1)
    expect(err.join('\n')).toContain('nothing to resume')
  })
})
