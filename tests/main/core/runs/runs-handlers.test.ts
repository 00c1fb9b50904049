import { afterEach, describe, expect, it } from 'vitest'
import { dispatchContractCall } from '../../../../src/main/core/contract-dispatch'
import { channelNames, eventNames } from '../../../../src/shared/contract'
import { makeTrainingHome, type TrainingHome } from '../../../helpers/training-home'

describe('runs.* channels', () => {
  let home: TrainingHome | null = null
  afterEach(() => {
    home?.cleanup()
    home = null
  })

  it('are declared with their event streams', () => {
    expect(channelNames).toEqual(
      expect.arrayContaining(['runs.start-demo', 'runs.start', 'runs.stop', 'runs.resume', 'runs.run-again', 'runs.list', 'runs.projects', 'runs.get', 'runs.metrics', 'runs.compare', 'runs.delete', 'runs.results', 'runs.generate', 'runs.resize-terminal', 'runs.output-tail'])
    )
    expect(eventNames).toEqual(expect.arrayContaining(['run.output', 'run.event', 'run.status', 'playground.output']))
  })

  it('answer through contract dispatch with values that match their response schemas', async () => {
    home = makeTrainingHome()
    const { core } = home
    const call = async (channel: string, payload: unknown) => {
      const envelope = await dispatchContractCall(core.handlers, channel, payload)
      if (!envelope.ok) throw new Error(`${channel}: ${envelope.error.message} ${envelope.error.details.join('; ')}`)
      return envelope.value as Record<string, unknown>
    }
    const started = await call('runs.start-demo', { maxSteps: 3 })
    const runId = started.id as string
    await core.runs.waitForRun(runId, { timeoutMs: 60_000 })

    expect(((await call('runs.list', {})).runs as unknown[]).length).toBe(1)
    expect(((await call('runs.list', { projectId: 'nope' })).runs as unknown[]).length).toBe(0)
    expect(await call('runs.projects', {})).toEqual({ projects: [expect.objectContaining({ projectId: null, runs: [expect.objectContaining({ id: runId })] })] })
    expect(await call('runs.get', { runId })).toMatchObject({ id: runId, status: 'completed', config: { run_id: runId, params: { max_steps: 3 } } })
    expect(await call('runs.metrics', { runId })).toMatchObject({ kind: 'train', step: [1, 2, 3] })
    expect(await call('runs.metrics', { runId, kind: 'eval', sinceStep: 3 })).toMatchObject({ kind: 'eval', step: [] })
    expect(await call('runs.results', { runId })).toMatchObject({ runId, demo: true, modelCard: expect.any(String) })
    expect((await call('runs.output-tail', { runId, maxBytes: 200 })).truncated).toBe(true)
    expect(await call('runs.resize-terminal', { runId, cols: 100, rows: 30 })).toEqual({ resized: false })
    const again = await call('runs.run-again', { runId, paramsPatch: { max_steps: 2 } })
    await core.runs.waitForRun(again.id as string, { timeoutMs: 60_000 })
    expect((await call('runs.compare', { a: runId, b: again.id })).differences).toEqual([{ setting: 'params.max_steps', a: '3', b: '2' }])
    expect(await call('runs.generate', { runId, input: { kind: 'fields', instruction: 'Hi' }, maxNewTokens: 4, requestId: 'r1' })).toMatchObject({
      requestId: 'r1',
      exitCode: 0,
      failure: null,
      answers: [{ model: 'finetuned' }]
    })
    expect(await call('runs.delete', { runId: again.id })).toEqual({ deleted: true })

    const invalid = await dispatchContractCall(core.handlers, 'runs.resize-terminal', { runId, cols: 2, rows: 30 })
    expect(invalid).toMatchObject({ ok: false, error: { code: 'invalid_request', details: [expect.stringContaining('cols')] } })
    expect(await dispatchContractCall(core.handlers, 'runs.get', { runId: 'nope' })).toMatchObject({ ok: false, error: { code: 'not_found' } })
    expect(await dispatchContractCall(core.handlers, 'runs.stop', { runId })).toMatchObject({ ok: false, error: { code: 'conflict' } })
    const badSettings = await dispatchContractCall(core.handlers, 'runs.start', {
      projectId: null,
      settings: { model: { id: 'x/y' }, method: 'lora', mode: 'chat', params: { learning_rate: 0 } },
      trainJsonl: '/nowhere/train.jsonl'
    })
    expect(badSettings).toMatchObject({ ok: false, error: { code: 'invalid_request', details: [expect.stringContaining('learning_rate')] } })
  })
})
