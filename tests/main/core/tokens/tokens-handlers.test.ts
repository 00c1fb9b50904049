import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dispatchContractCall } from '../../../../src/main/core/contract-dispatch'
import { createCore, type Core } from '../../../../src/main/core/create-core'
import { makeTempHome } from '../../../helpers/temp-home'

const configs = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../../../shared/data/model-configs')

describe('tokens.stats', () => {
  let home: string
  let cleanup: () => void
  let core: Core
  let train: string

  beforeEach(() => {
    const temp = makeTempHome()
    home = temp.home
    cleanup = temp.cleanup
    core = createCore({ home, env: { ...process.env, LOCALTUNE_HOME: home } })
    train = path.join(home, 'drafts', 'ds-1', 'train.jsonl')
    fs.mkdirSync(path.dirname(train), { recursive: true })
    fs.writeFileSync(train, [{ prompt: 'Say hi. ', response: 'hi' }, { prompt: 'Convert 3 km to metres. ', response: '3000 metres' }, { text: 'plain text row' }].map((line) => JSON.stringify(line)).join('\n') + '\n')
  })

  afterEach(() => {
    core.close()
    cleanup()
  })

  it("counts the demo model's byte tokens exactly, from the dataset's draft folder", async () => {
    const answer = await core.handlers['tokens.stats']({ datasetId: 'ds-1', model: { id: 'localtune/tiny-demo', path: null } })
    expect(answer.trainPath).toBe(train)
    // UTF-8 bytes + EOS of prompt + response (or text).
    expect(answer.stats.counts).toEqual([8 + 2 + 1, 24 + 11 + 1, 14 + 1])
    expect(answer.stats.approximate).toBe(false)
    expect(answer.stats.maxTokens).toBe(36)
  })

  it("counts with the model's tokenizer.json, and labels the approximation when there is none", async () => {
    const gpt2 = path.join(home, 'gpt2')
    fs.mkdirSync(gpt2)
    fs.copyFileSync(path.join(configs, 'openai-community--gpt2', 'config.json'), path.join(gpt2, 'config.json'))
    const approximate = await core.handlers['tokens.stats']({ trainJsonlPath: train, model: { id: gpt2, path: gpt2 } })
    expect(approximate.stats.approximate).toBe(true)
    expect(approximate.stats.method).toContain('approximated')

    fs.copyFileSync(path.join(configs, 'openai-community--gpt2', 'tokenizer.json'), path.join(gpt2, 'tokenizer.json'))
    const exact = await core.handlers['tokens.stats']({ trainJsonlPath: train, model: { id: gpt2, path: gpt2 } })
    expect(exact.stats.approximate).toBe(false)
    expect(exact.stats.method).toContain('tokenizer.json')
    expect(exact.stats.exampleCount).toBe(3)
  })

  it('names the missing file and refuses a request with neither or both sources', async () => {
    const missing = await dispatchContractCall(core.handlers, 'tokens.stats', { datasetId: 'ds-2', model: { id: 'localtune/tiny-demo', path: null } })
    expect(missing).toMatchObject({ ok: false, error: { code: 'not_found', details: ['datasetId'] } })
    expect((missing as { error: { message: string } }).error.message).toContain('finish the Data step')
    const neither = await dispatchContractCall(core.handlers, 'tokens.stats', { model: { id: 'localtune/tiny-demo', path: null } })
    expect(neither).toMatchObject({ ok: false, error: { code: 'invalid_request' } })
    expect((neither as { error: { details: string[] } }).error.details[0]).toContain('exactly one')
  })
})
