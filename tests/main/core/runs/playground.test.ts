import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { makeTrainingHome, startQuickRun, type TrainingHome } from '../../../helpers/training-home'

// Each test trains the demo a few steps first: allow for a busy 2-core machine.
describe('Playground (generate over a pipe)', { timeout: 240_000 }, () => {
  let home: TrainingHome | null = null
  afterEach(() => {
    home?.cleanup()
    home = null
  })

  it('formats the fields like the training data, then answers with the finetuned model and the base model in turn', async () => {
    home = makeTrainingHome()
    const { core, pushes } = home
    const trained = await startQuickRun(core, { maxSteps: 3 })
    await core.runs.waitForRun(trained.id, { timeoutMs: 120_000 })

    const result = await core.runs.generate(trained.id, {
      input: { kind: 'fields', instruction: 'How many feet are in a mile?', context: '' },
      models: ['finetuned', 'base'],
      maxNewTokens: 24,
      temperature: 0,
      requestId: 'req-1'
    })
    expect(result).toMatchObject({ requestId: 'req-1', exitCode: 0, failure: null, notice: null })
    // the prompt is the shared formatter's: the LocalTune format, ending where the response starts
    expect(result.prompt).toMatch(/\n### Instruction: How many feet are in a mile\?\n### Response:$/)
    expect(result.answers.map((answer) => answer.model)).toEqual(['finetuned', 'base'])
    const [tuned, base] = result.answers
    expect(tuned!.text.length, 'the finetuned model answered nothing').toBeGreaterThan(0)
    expect(tuned!.text).not.toBe(base!.text)
    expect(tuned!.promptTokens).toBe(Buffer.byteLength(result.prompt)) // bytes are the demo's tokens

    const streamed = pushes.filter((push) => push.name === 'playground.output').map((push) => push.payload as { requestId: string; runId: string; model?: string | null; text: string; done: boolean })
    expect(streamed.every((push) => push.requestId === 'req-1' && push.runId === trained.id)).toBe(true)
    expect(streamed.filter((push) => push.done)).toHaveLength(1)
    expect(streamed.at(-1)).toMatchObject({ text: '', done: true })
    for (const answer of result.answers) {
      expect(
        streamed
          .filter((push) => push.model === answer.model)
          .map((push) => push.text)
          .join('')
      ).toBe(answer.text)
    }
    // The runtime's messages (stderr) never mix into the text.
    expect(result.answers.map((answer) => answer.text).join('')).not.toContain('DEMO MODEL')
  })

  it("uses a raw prompt as typed, refuses plain text for a run that trained on instructions, and formats with the run's chat template", async () => {
    home = makeTrainingHome()
    const { core } = home
    const trained = await startQuickRun(core, { maxSteps: 2 })
    await core.runs.waitForRun(trained.id, { timeoutMs: 120_000 })
    const raw = await core.runs.generate(trained.id, { input: { kind: 'raw', prompt: 'Once upon a' }, maxNewTokens: 8, temperature: 0 })
    expect(raw).toMatchObject({ prompt: 'Once upon a', exitCode: 0, failure: null })
    expect(raw.answers).toHaveLength(1)
    await expect(core.runs.generate(trained.id, { input: { kind: 'text', text: 'Once' } })).rejects.toThrow(/instructions and responses/)

    const runDir = core.runs.getRun(trained.id).runDir
    const summaryFile = path.join(runDir, 'dataset-summary.json')
    expect(fs.existsSync(summaryFile), 'the run folder keeps how its examples were formatted').toBe(true)
    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'))
    summary.chatTemplate = { template: '{% for m in messages %}<|{{ m.role }}|>\n{{ m.content }}<|end|>\n{% endfor %}', eosToken: '<|end|>' }
    fs.writeFileSync(summaryFile, JSON.stringify(summary))
    const templated = await core.runs.generate(trained.id, { input: { kind: 'fields', instruction: 'Hi', context: 'there' }, maxNewTokens: 4, temperature: 0 })
    expect(templated.failure).toBeNull()
    expect(templated.prompt).toBe('<|user|>\nHi\n\nthere<|end|>\n<|assistant|>\n')
  })

  it("reports the runtime's failure, sent as data on the pipe, when the run has no finished model yet", async () => {
    home = makeTrainingHome()
    const { core } = home
    const running = await startQuickRun(core, { maxSteps: 2000 })
    const queued = await startQuickRun(core, { maxSteps: 2 })
    core.runs.stopRun(queued.id)
    core.runs.stopRun(running.id, { force: true })
    const result = await core.runs.generate(queued.id, { input: { kind: 'raw', prompt: 'hello' }, maxNewTokens: 4 })
    expect(result.answers).toEqual([])
    expect(result.exitCode).toBe(1)
    expect(result.failure).toMatchObject({ kind: 'model_files', message: expect.stringContaining('final') })
    expect(result.failure?.advice.join(' ')).toContain('--base')
    expect(result.failure?.outputTail.join('\n')).toContain('error (model_files)') // what a person would have read
  })
})
