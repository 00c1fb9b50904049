import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dispatchContractCall } from '../../../src/main/core/contract-dispatch'
import { createCore, type Core } from '../../../src/main/core/create-core'
import { makeTempHome } from '../../helpers/temp-home'

// projects.create is tested in projects-handlers.test.ts; these are the other ways in.
describe('risky model settings on every channel that takes run settings', () => {
  let core: Core
  let cleanup: () => void
  let missingTrain: string
  beforeEach(() => {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    core = createCore({ home: temp.home, env: { ...process.env, LOCALTUNE_HOME: temp.home } })
    // In the LocalTune home, so the outside-path check lets it through to the risk check.
    missingTrain = `${temp.home}/nowhere/train.jsonl`
  })
  afterEach(() => {
    core.close()
    cleanup()
  })

  const settings = { model: { id: 'someone/model', path: null, trust_remote_code: true }, method: 'lora', mode: 'chat', params: { max_steps: 1 } }

  it('runs.start refuses trust_remote_code unless confirmed, and then goes on to its own checks', async () => {
    const request = { projectId: null, settings, trainJsonl: missingTrain }
    const refused = await dispatchContractCall(core.handlers, 'runs.start', request)
    expect(refused).toMatchObject({ ok: false, error: { code: 'conflict', details: ['settings.model.trust_remote_code'] } })
    const confirmed = await dispatchContractCall(core.handlers, 'runs.start', { ...request, confirmedRisks: ['trust_remote_code'] })
    // Past the risk check: refused only for the training file this test leaves out.
    expect(confirmed).toMatchObject({ ok: false, error: { code: 'invalid_request', details: [`training: ${missingTrain}`] } })
  })

  it('estimate.verify refuses downloads unless confirmed', async () => {
    const request = {
      verificationId: 'v1',
      trainJsonlPath: missingTrain,
      settings: { ...settings, model: { id: 'someone/model', path: null, allow_downloads: true } },
      device: { kind: 'cpu' }
    }
    const refused = await dispatchContractCall(core.handlers, 'estimate.verify', request)
    expect(refused).toMatchObject({ ok: false, error: { code: 'conflict', message: expect.stringContaining('settings.model.allow_downloads is on but not confirmed'), details: ['settings.model.allow_downloads'] } })
  })
})
