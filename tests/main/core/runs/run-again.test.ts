import { afterEach, describe, expect, it } from 'vitest'
import { makeTrainingHome, startQuickRun, type TrainingHome } from '../../../helpers/training-home'

describe('run again with changes', () => {
  let training: TrainingHome | null = null
  afterEach(() => {
    training?.cleanup()
    training = null
  })

  it('changes the method and precision of the new run, keeps the data, and refuses what the device cannot train', async () => {
    training = makeTrainingHome()
    const first = await training.core.runs.waitForRun((await startQuickRun(training.core, { maxSteps: 1 })).id, { timeoutMs: 90_000 })
    expect(first.status).toBe('completed')

    const again = await training.core.handlers['runs.run-again']({ runId: first.id, paramsPatch: { precision: 'fp32', lora: { r: 4 } }, method: 'lora', device: { kind: 'cpu' } })
    const detail = training.core.runs.getRun(again.id)
    expect(detail.config).toMatchObject({ method: 'lora', merge: false, params: { precision: 'fp32', max_steps: 1, lora: { r: 4 } } })
    expect(detail.device).toBe('cpu')
    const compared = training.core.runs.compareRuns(first.id, again.id).differences.map((difference) => difference.setting)
    expect(compared).toEqual(expect.arrayContaining(['method', 'params.precision', 'params.lora.r']))
    await training.core.runs.waitForRun(again.id, { timeoutMs: 90_000 })

    await expect(training.core.handlers['runs.run-again']({ runId: first.id, paramsPatch: {}, method: 'qlora' })).rejects.toMatchObject({ details: [expect.stringContaining("method: 'qlora' needs a real Hugging Face model")] })
    expect(training.core.runs.listRuns()).toHaveLength(2)
  }, 180_000)
})
