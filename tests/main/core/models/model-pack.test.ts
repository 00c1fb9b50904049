import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli } from '../../../../src/main/cli/main'
import { findCachedRepo } from '../../../../src/main/core/models/hf-cache'
import { resolveModel } from '../../../../src/main/core/models/model-catalog'
import { cliContext, collectingIo } from '../../../helpers/temp-home'
import { writeSafetensors } from './write-safetensors'

const configFixture = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../fixtures/models/meta-llama--Llama-3.2-1B/config.json')
const tensors: Record<string, [string, number[]]> = {
  'model.embed_tokens.weight': ['BF16', [64, 16]],
  'model.layers.0.self_attn.q_proj.weight': ['BF16', [16, 16]]
}

let root: string
let connectedCache: string
let offlineCache: string
const commit = 'a'.repeat(40)

/** A cached repo as huggingface_hub writes it: files in blobs/, links in snapshots/<commit>/. */
function cacheModel(cache: string, id: string): void {
  const repo = path.join(cache, `models--${id.replace('/', '--')}`)
  const snapshot = path.join(repo, 'snapshots', commit)
  fs.mkdirSync(path.join(repo, 'blobs'), { recursive: true })
  fs.mkdirSync(snapshot, { recursive: true })
  fs.mkdirSync(path.join(repo, 'refs'))
  fs.writeFileSync(path.join(repo, 'refs', 'main'), commit)
  const staging = path.join(root, 'staging')
  const write = (name: string, make: (file: string) => void) => {
    make(staging)
    const blob = crypto.createHash('sha256').update(fs.readFileSync(staging)).digest('hex')
    fs.renameSync(staging, path.join(repo, 'blobs', blob))
    fs.symlinkSync(path.join('..', '..', 'blobs', blob), path.join(snapshot, name))
  }
  write('config.json', (file) => fs.copyFileSync(configFixture, file))
  write('tokenizer.json', (file) => fs.writeFileSync(file, '{"version": "1.0", "model": {"type": "BPE", "vocab": {}, "merges": []}}'))
  write('tokenizer_config.json', (file) => fs.writeFileSync(file, '{"model_max_length": 128}'))
  write('model.safetensors', (file) => writeSafetensors(file, tensors))
}

async function cli(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  const { io, out, err } = collectingIo()
  const code = await runCli(argv, io, cliContext(env, root, path.join(root, 'home')))
  return { code, out: out.join('\n'), err: err.join('\n') }
}

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-model-pack-'))
  connectedCache = path.join(root, 'connected-hub')
  offlineCache = path.join(root, 'offline-hub')
  cacheModel(connectedCache, 'acme/tiny-llama')
})

afterEach(() => fs.rmSync(root, { recursive: true, force: true }))

describe('models pack / models add', () => {
  it('packs a cached model with its tokenizer and config, and adds it to another cache where --model finds it', async () => {
    const packDir = path.join(root, 'usb', 'tiny-llama')
    const packed = await cli(['models', 'pack', 'acme/tiny-llama', '--out', packDir], { HF_HUB_CACHE: connectedCache })
    expect(packed.code, packed.err).toBe(0)
    expect(packed.out).toContain('Packed acme/tiny-llama: 4 files')
    // The copy's progress on stderr (a line every 10% off a terminal), ending at the total.
    const total = fs.readdirSync(packDir).filter((name) => name !== 'localtune-model.json').reduce((sum, name) => sum + fs.statSync(path.join(packDir, name)).size, 0)
    expect(packed.err.split('\n').at(-1)).toBe(`copied ${(total / 1024).toFixed(0)} KiB / ${(total / 1024).toFixed(0)} KiB (tokenizer_config.json)`)
    // Real files, not links into another machine's blobs/.
    expect(fs.lstatSync(path.join(packDir, 'model.safetensors')).isFile()).toBe(true)
    const manifest = JSON.parse(fs.readFileSync(path.join(packDir, 'localtune-model.json'), 'utf8'))
    expect(manifest).toMatchObject({ id: 'acme/tiny-llama', revision: commit })
    expect(manifest.files.map((file: { path: string }) => file.path)).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'])

    const added = await cli(['models', 'add', packDir], { HF_HUB_CACHE: offlineCache })
    expect(added.code, added.err).toBe(0)
    expect(findCachedRepo(offlineCache, 'acme/tiny-llama')).toMatchObject({ revision: commit, note: null })
    const entry = resolveModel('acme/tiny-llama', { env: { HF_HUB_CACHE: offlineCache } })
    expect(entry).toMatchObject({ source: 'hf-cache', revision: commit })
    expect(entry.parameters?.total).toBe(64 * 16 + 16 * 16)
    expect(entry.problems).toEqual([])
  })

  it('stops on Ctrl+C, removing the partial pack and adding nothing', async () => {
    const packDir = path.join(root, 'usb', 'tiny-llama')
    const { io, err } = collectingIo()
    const pressed = { ...cliContext({ HF_HUB_CACHE: connectedCache }, root, path.join(root, 'home')), interrupted: Promise.resolve() }
    expect(await runCli(['models', 'pack', 'acme/tiny-llama', '--out', packDir], io, pressed)).toBe(130)
    expect(err.join('\n')).toContain('Stopped: the partial pack was removed; the model is untouched.')
    expect(fs.existsSync(path.join(root, 'usb'))).toBe(false)
    expect(findCachedRepo(connectedCache, 'acme/tiny-llama')).toMatchObject({ revision: commit })
  })

  it('refuses a damaged copy and a truncated safetensors header, and adds nothing', async () => {
    const packDir = path.join(root, 'usb', 'tiny-llama')
    expect((await cli(['models', 'pack', 'acme/tiny-llama', '--out', packDir], { HF_HUB_CACHE: connectedCache })).code).toBe(0)
    fs.appendFileSync(path.join(packDir, 'config.json'), ' ')
    const damaged = await cli(['models', 'add', packDir], { HF_HUB_CACHE: offlineCache })
    expect(damaged.code).toBe(1)
    expect(damaged.err).toContain('config.json in')
    expect(damaged.err).toContain('does not match its manifest')
    expect(fs.existsSync(offlineCache)).toBe(false)

    // A plain folder (no manifest) with a cut-off header: the header check catches it.
    const plain = path.join(root, 'plain')
    fs.mkdirSync(plain)
    fs.copyFileSync(configFixture, path.join(plain, 'config.json'))
    fs.writeFileSync(path.join(plain, 'model.safetensors'), Buffer.from([200, 0, 0, 0, 0, 0, 0, 0, 123]))
    const truncated = await cli(['models', 'add', plain, '--id', 'acme/plain'], { HF_HUB_CACHE: offlineCache })
    expect(truncated.code).toBe(1)
    expect(truncated.err).toContain('is not a valid safetensors file')
    expect(fs.existsSync(offlineCache)).toBe(false)

    const noId = await cli(['models', 'add', plain], { HF_HUB_CACHE: offlineCache })
    expect(noId.err).toContain('give one with --id org/name')
  })
})
