import fs from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dispatchContractCall } from '../../../../src/main/core/contract-dispatch'
import type { Core } from '../../../../src/main/core/create-core'
import { modelFolderHome } from './model-folder-home'
import { writeSafetensors } from './write-safetensors'

// The Model screen's "Pack for another machine" and "Add a model from a folder or disk", through
// the contract: models.pack and models.add-packed over model-pack.ts, with a two-tensor model.

/** The answer of a copy that finished (a cancelled one fails the test here). */
function done<T extends { status: string }>(answer: T): Extract<T, { status: 'done' }> {
  expect(answer.status).toBe('done')
  return answer as Extract<T, { status: 'done' }>
}

let core: Core
let home: string
let cleanup: () => void
let hfCache: string
let modelDir: string

beforeEach(() => {
  ;({ core, home, cleanup, hfCache, modelDir } = modelFolderHome('tiny-llama'))
  fs.writeFileSync(path.join(modelDir, 'tokenizer_config.json'), '{"model_max_length": 128}')
  writeSafetensors(path.join(modelDir, 'model.safetensors'), { 'model.embed_tokens.weight': ['BF16', [64, 16]], 'model.layers.0.self_attn.q_proj.weight': ['BF16', [16, 16]] })
})

afterEach(() => cleanup())

describe('models.pack and models.add-packed', () => {
  it('packs a model folder onto a "disk", adds it to the cache under an id, and the catalog lists it', async () => {
    const usb = path.join(home, 'usb', 'tiny-llama')
    const packed = done(await core.handlers['models.pack']({ model: modelDir, outDir: usb }))
    expect(packed).toMatchObject({ id: 'tiny-llama', dir: usb, files: 4 })
    expect(packed.bytes).toBe(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'].reduce((sum, file) => sum + fs.statSync(path.join(modelDir, file)).size, 0))
    expect(fs.existsSync(path.join(usb, 'localtune-model.json'))).toBe(true)

    const added = done(await core.handlers['models.add-packed']({ path: usb, id: 'acme/tiny-llama' }))
    expect(added.added.snapshotDir.startsWith(path.join(hfCache, 'models--acme--tiny-llama', 'snapshots'))).toBe(true)
    const listed = added.models.find((model) => model.id === 'acme/tiny-llama')
    expect(listed).toMatchObject({ source: 'hf-cache', problems: [] })
    expect(listed?.parameters?.total).toBe(64 * 16 + 16 * 16)
    // Packing it again from the cache, by id, names it by its id this time.
    expect(await core.handlers['models.pack']({ model: 'acme/tiny-llama', outDir: path.join(home, 'usb2') })).toMatchObject({ id: 'acme/tiny-llama', files: 4 })
  })

  it('refuses a cut-off safetensors file and a folder with no id, naming the folder and the file, and adds nothing', async () => {
    fs.writeFileSync(path.join(modelDir, 'model.safetensors'), Buffer.from([200, 0, 0, 0, 0, 0, 0, 0, 123]))
    const truncated = await dispatchContractCall(core.handlers, 'models.add-packed', { path: modelDir, id: 'acme/cut' })
    expect(truncated).toMatchObject({ ok: false, error: { code: 'invalid_request', details: ['path'] } })
    expect((truncated as { error: { message: string } }).error.message).toContain('model.safetensors')
    expect((truncated as { error: { message: string } }).error.message).toContain('is not a valid safetensors file')

    const noId = await dispatchContractCall(core.handlers, 'models.add-packed', { path: modelDir })
    expect(noId).toMatchObject({ ok: false, error: { code: 'invalid_request', details: ['id'], message: expect.stringContaining(`${modelDir} has no localtune-model.json`) } })
    expect(fs.existsSync(hfCache)).toBe(false)
  })

  it('refuses to pack into a folder that is not empty, or a path that is not full', async () => {
    const busy = path.join(home, 'busy')
    fs.mkdirSync(busy)
    fs.writeFileSync(path.join(busy, 'notes.txt'), 'mine')
    const refused = await dispatchContractCall(core.handlers, 'models.pack', { model: modelDir, outDir: busy })
    expect(refused).toMatchObject({ ok: false, error: { message: `${busy} is not empty; pack into a new or empty folder.`, details: ['outDir'] } })
    const relative = await dispatchContractCall(core.handlers, 'models.pack', { model: modelDir, outDir: 'usb' })
    expect(relative).toMatchObject({ ok: false, error: { code: 'invalid_request', message: expect.stringContaining('"usb" is not a full path') } })
  })
})
