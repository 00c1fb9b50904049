import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { resolveHfHubCache } from '../../../../src/main/core/models/hf-cache'
import { listModels, ModelNotFoundError, resolveModel } from '../../../../src/main/core/models/model-catalog'
import { writeSafetensors } from './write-safetensors'

const fixtures = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../fixtures/models')
const gpt2Tokenizer = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../../../shared/data/model-configs/openai-community--gpt2/tokenizer.json')

let root: string
let hub: string
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-models-'))
  hub = path.join(root, 'hub')
  fs.mkdirSync(hub)
})
afterEach(() => fs.rmSync(root, { recursive: true, force: true }))

/**
 * Lays a model out as huggingface_hub does: content in blobs/<sha256>, snapshots/<commit>/<file>
 * as relative links to the blobs, refs/main holding the commit.
 */
function cacheModel(id: string, files: Record<string, string | ((file: string) => void)>, options: { commit?: string; writeRef?: boolean } = {}): string {
  const repo = path.join(hub, `models--${id.replace('/', '--')}`)
  const commit = options.commit ?? crypto.createHash('sha1').update(id).digest('hex')
  const snapshot = path.join(repo, 'snapshots', commit)
  fs.mkdirSync(path.join(repo, 'blobs'), { recursive: true })
  fs.mkdirSync(snapshot, { recursive: true })
  if (options.writeRef !== false) {
    fs.mkdirSync(path.join(repo, 'refs'), { recursive: true })
    fs.writeFileSync(path.join(repo, 'refs', 'main'), commit)
  }
  for (const [name, content] of Object.entries(files)) {
    const staging = path.join(root, `staging-${crypto.randomUUID()}`)
    if (typeof content === 'string') fs.copyFileSync(content, staging)
    else content(staging)
    const blob = crypto.createHash('sha256').update(fs.readFileSync(staging)).digest('hex')
    fs.renameSync(staging, path.join(repo, 'blobs', blob))
    fs.symlinkSync(path.join('..', '..', 'blobs', blob), path.join(snapshot, name))
  }
  return snapshot
}

const fixture = (dir: string, file = 'config.json'): string => path.join(fixtures, dir, file)
// A small but real set of Llama-style tensors (shapes shrunk so the test files stay tiny).
const smallLlamaTensors: Record<string, [string, number[]]> = {
  'model.embed_tokens.weight': ['BF16', [64, 16]],
  'model.layers.0.self_attn.q_proj.weight': ['BF16', [16, 16]],
  'model.layers.0.mlp.down_proj.weight': ['BF16', [16, 32]],
  'model.layers.0.input_layernorm.weight': ['F32', [16]]
}

describe('model catalog over a Hugging Face cache', () => {
  it('always lists the built-in demo first, labelled as a CPU-capable demo', () => {
    const catalog = listModels({ env: { HF_HUB_CACHE: hub } })
    expect(catalog.cacheDir).toBe(hub)
    expect(catalog.models[0]).toMatchObject({ id: 'localtune/tiny-demo', source: 'built-in', isDemo: true, cpuCapable: true, hasTokenizer: true })
    expect(catalog.models[0]?.architecture?.vocabSize).toBe(258)
    expect(catalog.models[0]?.parameters?.total).toBeGreaterThan(500_000)
    expect(catalog.models[0]?.parameters?.total).toBeLessThan(3_000_000)
  })

  it('reads a cached model: architecture from its CRLF config.json, exact parameters from the safetensors header, revision from refs/main', () => {
    const snapshot = cacheModel('meta-llama/Llama-3.2-1B', {
      'config.json': fixture('meta-llama--Llama-3.2-1B'),
      'model.safetensors': (file) => writeSafetensors(file, smallLlamaTensors, { metadata: { format: 'pt' } })
    }, { commit: '4e20de362430cd3b72f300e6b0f18e50e7166e08' })
    const entry = listModels({ env: { HF_HUB_CACHE: hub } }).models.find((model) => model.id === 'meta-llama/Llama-3.2-1B')
    expect(entry).toMatchObject({ source: 'hf-cache', path: snapshot, revision: '4e20de362430cd3b72f300e6b0f18e50e7166e08', hasTokenizer: false, hasChatTemplate: false, isDemo: false })
    expect(entry?.architecture).toMatchObject({ hiddenSize: 2048, numLayers: 16, numAttentionHeads: 32, numKeyValueHeads: 8, headDim: 64, intermediateSize: 8192, vocabSize: 128256, tieWordEmbeddings: true, dtype: 'bfloat16', maxPositionEmbeddings: 131072 })
    expect(entry?.parameters).toEqual({ total: 64 * 16 + 16 * 16 + 16 * 32 + 16, byDtype: { BF16: 64 * 16 + 16 * 16 + 16 * 32, F32: 16 }, source: 'safetensors' })
    expect(entry?.weightBytes).toBe(fs.statSync(path.join(snapshot, 'model.safetensors')).size)
    expect(entry?.problems).toContain('no tokenizer.json: token statistics will be approximate')
  })

  it('sums sharded weights through model.safetensors.index.json and reads the v5 config schema', () => {
    cacheModel('HuggingFaceTB/SmolLM2-135M', {
      'config.json': fixture('HuggingFaceTB--SmolLM2-135M'),
      'tokenizer.json': gpt2Tokenizer,
      'model.safetensors.index.json': (file) => fs.writeFileSync(file, JSON.stringify({ metadata: { total_size: 0 }, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors', c: 'model-00002-of-00002.safetensors' } })),
      'model-00001-of-00002.safetensors': (file) => writeSafetensors(file, { a: ['BF16', [10, 20]] }),
      'model-00002-of-00002.safetensors': (file) => writeSafetensors(file, { b: ['BF16', [5, 4]], c: ['F32', [7]] })
    })
    const entry = listModels({ env: { HF_HUB_CACHE: hub } }).models.find((model) => model.id === 'HuggingFaceTB/SmolLM2-135M')
    expect(entry?.architecture).toMatchObject({ dtype: 'bfloat16', hiddenSize: 576, numLayers: 30, numKeyValueHeads: 3, headDim: 64 })
    expect(entry?.parameters).toEqual({ total: 200 + 20 + 7, byDtype: { BF16: 220, F32: 7 }, source: 'safetensors' })
    expect(entry?.hasTokenizer).toBe(true)
    expect(entry?.problems).toEqual([])
  })

  it('says the download is incomplete when a shard is missing, and falls back to the config count', () => {
    cacheModel('Qwen/Qwen2.5-1.5B-Instruct', {
      'config.json': fixture('Qwen--Qwen2.5-1.5B-Instruct'),
      'model.safetensors.index.json': (file) => fs.writeFileSync(file, JSON.stringify({ weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } })),
      'model-00001-of-00002.safetensors': (file) => writeSafetensors(file, { a: ['BF16', [4, 4]] })
    })
    const entry = listModels({ env: { HF_HUB_CACHE: hub } }).models.find((model) => model.id === 'Qwen/Qwen2.5-1.5B-Instruct')
    expect(entry?.problems.join(' ')).toMatch(/1 of 2 weight shards are missing .*model-00002-of-00002\.safetensors.*incomplete/)
    expect(entry?.parameters).toEqual({ total: 1_543_714_304, byDtype: {}, source: 'config' })
    expect(entry?.architecture?.dtype).toBe('float16')
  })

  it('flags a truncated safetensors file', () => {
    cacheModel('meta-llama/Llama-2-7b-hf', {
      'config.json': fixture('meta-llama--Llama-2-7b-hf'),
      'model.safetensors': (file) => writeSafetensors(file, smallLlamaTensors, { truncateDataBy: 100 })
    })
    const entry = listModels({ env: { HF_HUB_CACHE: hub } }).models.find((model) => model.id === 'meta-llama/Llama-2-7b-hf')
    expect(entry?.problems.join(' ')).toMatch(/shorter than its header says.*download is incomplete/)
    expect(entry?.parameters?.source).toBe('config')
  })

  it('finds the chat template in tokenizer_config.json and in chat_template.jinja', () => {
    cacheModel('Qwen/Qwen2.5-0.5B', { 'config.json': fixture('Qwen--Qwen2.5-0.5B'), 'tokenizer_config.json': fixture('Qwen--Qwen2.5-0.5B', 'tokenizer_config.json') })
    cacheModel('TinyLlama/TinyLlama-1.1B-Chat-v1.0', {
      'config.json': fixture('TinyLlama--TinyLlama-1.1B-Chat-v1.0'),
      'chat_template.jinja': (file) => fs.writeFileSync(file, "{% for message in messages %}{{ message['content'] }}{% endfor %}")
    })
    cacheModel('openai-community/gpt2', { 'config.json': fixture('openai-community--gpt2'), 'tokenizer_config.json': fixture('openai-community--gpt2', 'tokenizer_config.json') })
    const models = listModels({ env: { HF_HUB_CACHE: hub } }).models
    const byId = new Map(models.map((model) => [model.id, model]))
    expect(byId.get('Qwen/Qwen2.5-0.5B')?.hasChatTemplate).toBe(true)
    expect(byId.get('TinyLlama/TinyLlama-1.1B-Chat-v1.0')?.hasChatTemplate).toBe(true)
    expect(byId.get('TinyLlama/TinyLlama-1.1B-Chat-v1.0')?.architecture?.numKeyValueHeads).toBe(4)
    expect(byId.get('openai-community/gpt2')?.hasChatTemplate).toBe(false)
    expect(byId.get('openai-community/gpt2')?.parameters).toEqual({ total: 124_439_808, byDtype: {}, source: 'config' })
    expect(models.map((model) => model.id)).toEqual(['localtune/tiny-demo', 'openai-community/gpt2', 'Qwen/Qwen2.5-0.5B', 'TinyLlama/TinyLlama-1.1B-Chat-v1.0'])
  })

  it('uses the newest snapshot and says so when refs/main is missing', () => {
    cacheModel('meta-llama/Llama-3.2-1B', { 'config.json': fixture('meta-llama--Llama-3.2-1B') }, { writeRef: false, commit: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' })
    const entry = listModels({ env: { HF_HUB_CACHE: hub } }).models.find((model) => model.id === 'meta-llama/Llama-3.2-1B')
    expect(entry?.revision).toBe('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')
    expect(entry?.problems[0]).toMatch(/no refs\/main; using snapshot aaaaaaaaaaaa/)
  })

  it('reports a config.json it cannot read instead of hiding the model', () => {
    cacheModel('broken/model', { 'config.json': (file) => fs.writeFileSync(file, '{"model_type": "llama", "hidden_size": ') })
    const entry = listModels({ env: { HF_HUB_CACHE: hub } }).models.find((model) => model.id === 'broken/model')
    expect(entry?.architecture).toBeNull()
    expect(entry?.problems.join(' ')).toMatch(/config\.json is not valid JSON/)
  })
})

describe('model folders the user adds', () => {
  it('lists a model folder, a folder of model folders, and says when a folder is gone', () => {
    const single = path.join(root, 'my-llama')
    fs.mkdirSync(single)
    fs.copyFileSync(fixture('meta-llama--Llama-3.2-1B'), path.join(single, 'config.json'))
    writeSafetensors(path.join(single, 'model.safetensors'), smallLlamaTensors)
    const parent = path.join(root, 'models')
    fs.mkdirSync(path.join(parent, 'gpt2'), { recursive: true })
    fs.copyFileSync(fixture('openai-community--gpt2'), path.join(parent, 'gpt2', 'config.json'))
    fs.mkdirSync(path.join(parent, 'not-a-model'))
    const catalog = listModels({ env: { HF_HUB_CACHE: hub }, folders: [single, parent, path.join(root, 'gone')] })
    const folderEntries = catalog.models.filter((model) => model.source === 'folder')
    expect(folderEntries.map((model) => model.id)).toEqual([single, path.join(parent, 'gpt2'), path.join(root, 'gone')])
    expect(folderEntries[0]).toMatchObject({ displayName: 'my-llama', parameters: { source: 'safetensors' } })
    expect(folderEntries[2]?.problems[0]).toMatch(/does not exist/)
  })
})

describe('resolveModel', () => {
  it('finds a cached Hub id, a folder, and the demo', () => {
    cacheModel('meta-llama/Llama-3.2-1B', { 'config.json': fixture('meta-llama--Llama-3.2-1B') })
    expect(resolveModel('meta-llama/Llama-3.2-1B', { env: { HF_HUB_CACHE: hub } }).architecture?.numLayers).toBe(16)
    const folder = path.join(root, 'local-gpt2')
    fs.mkdirSync(folder)
    fs.copyFileSync(fixture('openai-community--gpt2'), path.join(folder, 'config.json'))
    expect(resolveModel('./local-gpt2', { env: { HF_HUB_CACHE: hub }, cwd: root })).toMatchObject({ id: folder, source: 'folder' })
    expect(resolveModel('localtune/tiny-demo', { env: { HF_HUB_CACHE: hub } }).isDemo).toBe(true)
  })

  it('gives the offline message for a Hub id that is not cached', () => {
    expect(() => resolveModel('Qwen/Qwen2.5-7B-Instruct', { env: { HF_HUB_CACHE: hub } })).toThrow(ModelNotFoundError)
    expect(() => resolveModel('Qwen/Qwen2.5-7B-Instruct', { env: { HF_HUB_CACHE: hub } })).toThrow(
      `Qwen/Qwen2.5-7B-Instruct is not in the Hugging Face cache at ${hub}; LocalTune runs offline: download it once with \`huggingface-cli download Qwen/Qwen2.5-7B-Instruct\` on a machine with internet, or add a folder that holds it`
    )
  })

  it('names what is wrong with a path', () => {
    const empty = path.join(root, 'empty')
    fs.mkdirSync(empty)
    expect(() => resolveModel(empty, { env: { HF_HUB_CACHE: hub } })).toThrow(/has no config\.json: point --model at the folder/)
    expect(() => resolveModel(path.join(root, 'nope'), { env: { HF_HUB_CACHE: hub } })).toThrow(/The model folder .*nope does not exist/)
  })
})

describe('where the Hugging Face cache is', () => {
  it('follows huggingface_hub: HF_HUB_CACHE, then HF_HOME/hub, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(resolveHfHubCache({ HF_HUB_CACHE: '/a/hub', HF_HOME: '/b' })).toBe(path.resolve('/a/hub'))
    expect(resolveHfHubCache({ HF_HOME: '/b' })).toBe(path.resolve('/b/hub'))
    expect(resolveHfHubCache({ XDG_CACHE_HOME: '/c' })).toBe(path.resolve('/c/huggingface/hub'))
    expect(resolveHfHubCache({ HOME: '/home/ana' })).toBe(path.join('/home/ana', '.cache', 'huggingface', 'hub'))
  })
})
