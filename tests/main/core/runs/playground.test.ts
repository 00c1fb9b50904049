import { afterEach, describe, expect, it } from 'vitest'
import { makeTrainingHome, startQuickRun, type TrainingHome } from '../../../helpers/training-home'

describe('Playground (generate)', () => {
  let home: TrainingHome | null = null
  afterEach(() => {
    home?.cleanup()
    home = null
  })

  it("streams text from a run's finetuned model and from its base model", async () => {
    home = makeTrainingHome()
    const { core, pushes } = home
    const trained = await startQuickRun(core, { maxSteps: 3 })
    await core.runs.waitForRun(trained.id, { timeoutMs: 60_000 })

    const prompt = 'Below is an instruction that describes a task.\n### Instruction: How many feet are in a mile?\n### Response: '
    const result = await core.runs.generate(trained.id, { prompt, maxNewTokens: 24, requestId: 'req-1' })
    expect(result).toMatchObject({ requestId: 'req-1', exitCode: 0, failure: null })
    const streamed = pushes.filter((push) => push.name === 'playground.output').map((push) => push.payload as { requestId: string; runId: string; text: string; done: boolean })
    expect(streamed.every((push) => push.requestId === 'req-1' && push.runId === trained.id)).toBe(true)
    expect(streamed.at(-1)).toMatchObject({ text: '', done: true })
    expect(streamed.filter((push) => push.done)).toHaveLength(1)
    expect(streamed.map((push) => push.text).join('')).toBe(result.text)
    // The runtime's own messages come before the text and are not part of it.
    expect(result.text).not.toContain('DEMO MODEL')
    expect(result.text).not.toContain('Generating with')

    const base = await core.runs.generate(trained.id, { prompt, base: true, maxNewTokens: 8 })
    expect(base).toMatchObject({ exitCode: 0, failure: null })
    expect(base.requestId).not.toBe('req-1')
  })

  it("reports the runtime's error when the run has no finished model yet", async () => {
    home = makeTrainingHome()
    const { core } = home
    const running = await startQuickRun(core, { maxSteps: 2000 })
    const queued = await startQuickRun(core, { maxSteps: 2 })
    core.runs.stopRun(queued.id)
    core.runs.stopRun(running.id, { force: true })
    const result = await core.runs.generate(queued.id, { prompt: 'hello', maxNewTokens: 4 })
    expect(result.text).toBe('')
    expect(result.exitCode).toBe(1)
    expect(result.failure).toMatchObject({ kind: 'model_files', message: expect.stringContaining('final') })
    expect(result.failure?.advice.join(' ')).toContain('--base')
  })
})
