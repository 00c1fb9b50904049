import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dispatchContractCall } from '../../../../src/main/core/contract-dispatch'
import type { Core } from '../../../../src/main/core/create-core'
import { coreWithOwnHfCache, type OwnHfCacheCore } from '../../../helpers/own-hf-cache-core'

const configs = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../../../shared/data/model-configs')

describe('models.* channels', () => {
  let started: OwnHfCacheCore
  let home: string
  let env: NodeJS.ProcessEnv
  let core: Core
  let models: string

  beforeEach(() => {
    started = coreWithOwnHfCache()
    ;({ home, env, core } = started)
    models = path.join(home, 'my-models')
    const gpt2 = path.join(models, 'gpt2-local')
    fs.mkdirSync(gpt2, { recursive: true })
    for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(configs, 'openai-community--gpt2', file), path.join(gpt2, file))
  })

  afterEach(() => started.cleanup())

  it('lists the built-in demo first, clearly marked, with its architecture', async () => {
    const list = await core.handlers['models.list']({})
    expect(list.models[0]).toMatchObject({ id: 'localtune/tiny-demo', isDemo: true, source: 'built-in', path: null })
    expect(list.models[0]?.architecture?.isTinyDemo).toBe(true)
    expect(list.folders).toEqual([])
    expect(list.cacheDir).toBe(env.HF_HUB_CACHE)
  })

  it('remembers an added folder across restarts and lists what it holds', async () => {
    const added = await dispatchContractCall(core.handlers, 'models.add-folder', { path: models })
    expect(added.ok).toBe(true)
    const value = (added as { value: { added: string; found: Array<{ displayName: string; hasTokenizer: boolean; architecture: { modelType: string } | null }>; folders: string[] } }).value
    expect(value.added).toBe(models)
    expect(value.found.map((entry) => entry.displayName)).toEqual(['gpt2-local'])
    expect(value.found[0]?.architecture?.modelType).toBe('gpt2')
    expect(value.found[0]?.hasTokenizer).toBe(true)

    core = started.restart()
    const list = await core.handlers['models.list']({})
    expect(list.folders).toEqual([models])
    expect(list.models.map((entry) => entry.displayName)).toContain('gpt2-local')

    const removed = await core.handlers['models.remove-folder']({ path: models })
    expect(removed.folders).toEqual([])
    expect(removed.models.map((entry) => entry.displayName)).not.toContain('gpt2-local')
  })

  it('refuses folders that are not there, relative, or hold no model, saying what to do', async () => {
    const missing = await dispatchContractCall(core.handlers, 'models.add-folder', { path: path.join(home, 'nope') })
    expect(missing).toMatchObject({ ok: false, error: { code: 'not_found', details: ['path'] } })
    expect((missing as { error: { message: string } }).error.message).toContain('does not exist')
    const relative = await dispatchContractCall(core.handlers, 'models.add-folder', { path: 'models/llama' })
    expect((relative as { error: { message: string } }).error.message).toContain('not a full path')
    const empty = path.join(home, 'empty')
    fs.mkdirSync(empty)
    const nothing = await dispatchContractCall(core.handlers, 'models.add-folder', { path: empty })
    expect((nothing as { error: { message: string } }).error.message).toContain('No model in')
    const blank = await dispatchContractCall(core.handlers, 'models.add-folder', { path: '  ' })
    expect(blank).toMatchObject({ ok: false, error: { code: 'invalid_request' } })
    expect((await core.handlers['models.list']({})).folders).toEqual([])
  })

  it('models.resolve explains that an uncached Hub id needs a download elsewhere (LocalTune is offline)', async () => {
    const envelope = await dispatchContractCall(core.handlers, 'models.resolve', { id: 'Qwen/Qwen2.5-0.5B-Instruct' })
    expect(envelope).toMatchObject({ ok: false, error: { code: 'not_found', details: ['id'] } })
    const message = (envelope as { error: { message: string } }).error.message
    expect(message).toContain('not in the Hugging Face cache')
    expect(message).toContain('offline')
    expect(message).toContain('huggingface-cli download Qwen/Qwen2.5-0.5B-Instruct')
    const demo = await core.handlers['models.resolve']({ id: 'localtune/tiny-demo' })
    expect(demo.isDemo).toBe(true)
  })
})
