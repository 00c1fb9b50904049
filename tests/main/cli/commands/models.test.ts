import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { modelsCommand } from '../../../../src/main/cli/commands/models'
import type { ModelCatalog } from '../../../../src/main/core/models/model-catalog'
import { cliContext, collectingIo } from '../../../helpers/temp-home'
import { writeSafetensors } from '../../core/models/write-safetensors'

const fixtures = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../fixtures/models')
let root: string
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-cli-models-'))
})
afterEach(() => fs.rmSync(root, { recursive: true, force: true }))

function context(env: NodeJS.ProcessEnv) {
  return cliContext(env, root, path.join(root, 'home'))
}

function cacheSmolLm(hub: string): void {
  const snapshot = path.join(hub, 'models--HuggingFaceTB--SmolLM2-135M', 'snapshots', 'c'.repeat(40))
  fs.mkdirSync(snapshot, { recursive: true })
  fs.mkdirSync(path.join(hub, 'models--HuggingFaceTB--SmolLM2-135M', 'refs'))
  fs.writeFileSync(path.join(hub, 'models--HuggingFaceTB--SmolLM2-135M', 'refs', 'main'), 'c'.repeat(40))
  fs.copyFileSync(path.join(fixtures, 'HuggingFaceTB--SmolLM2-135M', 'config.json'), path.join(snapshot, 'config.json'))
  writeSafetensors(path.join(snapshot, 'model.safetensors'), { 'model.embed_tokens.weight': ['BF16', [1000, 576]] })
}

describe('localtune models', () => {
  it('always lists the demo, even with an empty cache', async () => {
    const { out, io } = collectingIo()
    expect(await modelsCommand.run([], io, context({ HF_HUB_CACHE: path.join(root, 'empty') }))).toBe(0)
    expect(out[0]).toBe(`Hugging Face cache: ${path.join(root, 'empty')} (no models there)`)
    expect(out.join('\n')).toMatch(/localtune\/tiny-demo \(demo, CPU\)\s+990\.5K\s+fp32\s+yes\s+no\s+built-in/)
  })

  it('lists cached models with exact parameter counts and their problems', async () => {
    const hub = path.join(root, 'hub')
    cacheSmolLm(hub)
    const { out, io } = collectingIo()
    await modelsCommand.run([], io, context({ HF_HUB_CACHE: hub }))
    const text = out.join('\n')
    expect(text).toMatch(/HuggingFaceTB\/SmolLM2-135M \(CPU: slowly\)\s+576\.0K\s+bf16\s+no\s+no\s+hf-cache/)
    expect(text).toContain('HuggingFaceTB/SmolLM2-135M: no tokenizer.json: token statistics will be approximate')
  })

  it('spells the stored dtype as the app does (fp32, not the safetensors F32)', async () => {
    const folder = path.join(root, 'f32-model')
    fs.mkdirSync(folder)
    fs.copyFileSync(path.join(fixtures, 'HuggingFaceTB--SmolLM2-135M', 'config.json'), path.join(folder, 'config.json'))
    writeSafetensors(path.join(folder, 'model.safetensors'), { 'model.embed_tokens.weight': ['F32', [10, 576]] })
    const { out, io } = collectingIo()
    await modelsCommand.run(['--folder', folder], io, context({ HF_HUB_CACHE: path.join(root, 'empty') }))
    expect(out.join('\n')).toMatch(/f32-model \(CPU: slowly\)\s+5\.8K\s+fp32\s/)
  })

  it('prints JSON and includes --folder models', async () => {
    const hub = path.join(root, 'hub')
    cacheSmolLm(hub)
    const folder = path.join(root, 'gpt2-local')
    fs.mkdirSync(folder)
    fs.copyFileSync(path.join(fixtures, 'openai-community--gpt2', 'config.json'), path.join(folder, 'config.json'))
    const { out, io } = collectingIo()
    await modelsCommand.run(['--json', '--folder', 'gpt2-local'], io, context({ HF_HUB_CACHE: hub }))
    const catalog = JSON.parse(out.join('\n')) as ModelCatalog
    expect(catalog.models.map((model) => [model.id, model.source])).toEqual([
      ['localtune/tiny-demo', 'built-in'],
      ['HuggingFaceTB/SmolLM2-135M', 'hf-cache'],
      [folder, 'folder']
    ])
    expect(catalog.models[2]?.parameters).toEqual({ total: 124_439_808, byDtype: {}, source: 'config' })
  })

  it('rejects an unknown option', async () => {
    const { io } = collectingIo()
    await expect(modelsCommand.run(['--nope'], io, context({ HF_HUB_CACHE: root }))).rejects.toThrow(/Unknown option '--nope'/)
  })
})
