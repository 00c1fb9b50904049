import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EstimateVerifier, verifyTempPrefix } from '../../../../src/main/core/estimate-verify/estimate-verifier'
import { dispatchContractCall } from '../../../../src/main/core/contract-dispatch'
import { EventHub } from '../../../../src/main/core/event-hub'
import { discoverPythonRuntime } from '../../../../src/main/core/runtime/python-discovery'
import { pythonRuntimeDir } from '../../../../src/main/core/app-root'
import { estimateVerifyRequestSchema } from '../../../../src/shared/contract/estimate'
import type { VerifyProgress } from '../../../../src/shared/contract/estimate-schemas'
import { buildTestModel, testModels } from '../../../helpers/model-factory'
import { makeTrainingHome, testPython, waitUntil, type TrainingHome } from '../../../helpers/training-home'

/**
 * "Verify on this machine" through the core: the real runtime (python-runtime/.venv) loads a
 * 2-layer SmolLM2-shaped model and takes real steps on the longest examples of a train.jsonl.
 */
describe('estimate.verify', { timeout: 120_000 }, () => {
  let scratch: string
  let modelFolder: string
  let trainJsonl: string

  beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-verify-test-'))
    modelFolder = path.join(scratch, 'smol')
    buildTestModel(testPython, { ...testModels.smolLm2Tiny, out: modelFolder })
    const short = Array.from({ length: 8 }, (_, i) => ({ prompt: `Q: colour ${i}?\nA: `, response: `red ${i}`, row: i + 1 }))
    const long = { prompt: 'Tell a long story. '.repeat(20), response: 'Once upon a time '.repeat(8), row: 100 }
    trainJsonl = path.join(scratch, 'train.jsonl')
    fs.writeFileSync(trainJsonl, [...short.slice(0, 4), long, ...short.slice(4)].map((line) => JSON.stringify(line)).join('\n') + '\n')
  }, 120_000)
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }))

  const settings = () => ({
    model: { id: 'local/smol', path: modelFolder },
    method: 'lora' as const,
    mode: 'chat' as const,
    params: { max_length: 256, micro_batch_size: 2, lora: { r: 4, alpha: 8, dropout: 0 } },
    merge: false
  })

  describe('through the contract', () => {
    let home: TrainingHome
    beforeAll(() => {
      home = makeTrainingHome()
    })
    afterAll(() => home.cleanup())

    it('measures peak memory and step time on the longest examples and pushes its progress', async () => {
      const answer = await dispatchContractCall(home.core.handlers, 'estimate.verify', {
        verificationId: 'v-1',
        trainJsonlPath: trainJsonl,
        settings: settings(),
        device: { kind: 'cpu' },
        memoryLimitBytes: null
      })
      expect(answer.ok, JSON.stringify(answer)).toBe(true)
      const result = (answer as { ok: true; value: { status: string; verification: Record<string, unknown> } }).value
      expect(result.status).toBe('measured')
      const v = result.verification as { fits: boolean; batch: { sequences: number; longestTokens: number }; memory: { kind: string; peakBytes: number; weightsBytes: number }; steps: unknown[]; secondsPerStep: number }
      expect(v.fits).toBe(true)
      // The long example is one of the two measured: far longer than any short one.
      expect(v.batch.sequences).toBe(2)
      expect(v.batch.longestTokens).toBeGreaterThan(100)
      expect(v.memory.kind).toBe('cpu-resident')
      expect(v.memory.peakBytes).toBeGreaterThan(v.memory.weightsBytes)
      expect(v.steps).toHaveLength(3)
      expect(v.secondsPerStep).toBeGreaterThan(0)
      const progress = home.pushes.filter((push) => push.name === 'estimate.verify-progress').map((push) => push.payload as VerifyProgress)
      expect(progress.map((p) => p.stage)).toEqual(['starting', 'tokenizer', 'data', 'model', 'step', 'step', 'step'])
      expect(progress.every((p) => p.verificationId === 'v-1')).toBe(true)
    })

    it('names a training file that is not there', async () => {
      const answer = await dispatchContractCall(home.core.handlers, 'estimate.verify', { verificationId: 'v-2', trainJsonlPath: path.join(scratch, 'gone.jsonl'), settings: settings(), device: { kind: 'cpu' } })
      expect(answer).toMatchObject({ ok: false, error: { message: expect.stringMatching(/gone\.jsonl does not exist: finish the Data step/) } })
    })
  })

  it('cancels: the process ends, the answer says cancelled, and its temporary folder is gone', async () => {
    const tempRoot = fs.mkdtempSync(path.join(scratch, 'tmp-'))
    const env = { ...process.env, LOCALTUNE_PYTHON: testPython }
    const events = new EventHub()
    const progress: VerifyProgress[] = []
    events.subscribe((name, payload) => {
      if (name === 'estimate.verify-progress') progress.push(payload as VerifyProgress)
    })
    const runtimeDir = pythonRuntimeDir(env)
    const verifier = new EstimateVerifier({ env, runtimeDir, events, tempRoot, pythonRuntime: () => discoverPythonRuntime({ env, home: scratch, runtimeDir }) })
    const answer = verifier.verify(estimateVerifyRequestSchema.parse({ verificationId: 'v-3', trainJsonlPath: trainJsonl, settings: settings(), device: { kind: 'cpu' }, steps: 20 }))
    // Cancelled as soon as the runtime process exists: the folder is there, the process is alive.
    await waitUntil(() => progress.some((p) => p.stage === 'starting'), 'the runtime to start', 60_000)
    expect(fs.readdirSync(tempRoot).filter((name) => name.startsWith(verifyTempPrefix))).toHaveLength(1)
    expect(verifier.cancel('v-3')).toBe(true)
    await expect(answer).resolves.toEqual({ status: 'cancelled', verificationId: 'v-3' })
    expect(fs.readdirSync(tempRoot)).toEqual([])
    expect(verifier.cancel('v-3')).toBe(false)

    // Cancelled while Python is still being found: no process, no folder.
    const early = verifier.verify(estimateVerifyRequestSchema.parse({ verificationId: 'v-4', trainJsonlPath: trainJsonl, settings: settings(), device: { kind: 'cpu' } }))
    expect(verifier.cancel('v-4')).toBe(true)
    await expect(early).resolves.toEqual({ status: 'cancelled', verificationId: 'v-4' })
    expect(fs.readdirSync(tempRoot)).toEqual([])
  })
})
