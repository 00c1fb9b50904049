import { afterEach, describe, expect, it } from 'vitest'
import { findAppRoot } from '../../../../src/main/core/app-root'
import { createCore } from '../../../../src/main/core/create-core'
import { dispatchContractCall } from '../../../../src/main/core/contract-dispatch'
import { buildDemoPlan } from '../../../../src/main/core/runs/demo-plan'
import { demoPlanSchema } from '../../../../src/shared/contract/runs'
import { makeTempHome } from '../../../helpers/temp-home'

describe('the demo plan', () => {
  let cleanup: (() => void) | null = null
  afterEach(() => {
    cleanup?.()
    cleanup = null
  })

  it('counts the sample rows as the demo formats them and estimates the time from the tiny model', async () => {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    const plan = demoPlanSchema.parse(await buildDemoPlan({ appRoot: findAppRoot(), home: temp.home, measured: null }))
    expect(plan.model).toBe('localtune/tiny-demo')
    expect(plan.device).toBe('cpu')
    expect(plan.rows).toBeGreaterThan(10)
    expect(plan.trainExamples + plan.validExamples).toBe(plan.rows)
    expect(plan.validExamples).toBeGreaterThan(0)
    expect(plan.modelParameters).toBeGreaterThan(500_000)
    expect(plan.secondsPerStep.source).toBe('estimated')
    expect(plan.secondsPerStep.low).toBeGreaterThan(0)
    expect(plan.secondsPerStep.high).toBeGreaterThanOrEqual(plan.secondsPerStep.low)
    expect(plan.secondsPerStep.basis).toMatch(/GFLOP/)
  })

  it("uses an earlier demo run's step times when there is one, ignoring the gap of a stop and resume", async () => {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    const stepTimes = [100, 101, 102, 103, 104, 105, 106, 400, 401, 402]
    const plan = await buildDemoPlan({ appRoot: findAppRoot(), home: temp.home, measured: { runId: 'r1', stepTimes } })
    expect(plan.secondsPerStep).toMatchObject({ low: 1, high: 1, source: 'measured' })
    expect(plan.secondsPerStep.basis).toContain('r1')
  })

  it('answers runs.demo-plan through the contract, and runs.open-folder says a browser cannot open folders', async () => {
    const temp = makeTempHome()
    const core = createCore({ home: temp.home, env: { ...process.env, LOCALTUNE_HOME: temp.home } })
    cleanup = () => {
      core.close()
      temp.cleanup()
    }
    const plan = await dispatchContractCall(core.handlers, 'runs.demo-plan', {})
    expect(plan).toMatchObject({ ok: true, value: { csvName: 'sample-chat.csv' } })
    const open = await dispatchContractCall(core.handlers, 'runs.open-folder', { runId: 'nope' })
    expect(open).toMatchObject({ ok: false, error: { code: 'not_found' } })
  })
})
