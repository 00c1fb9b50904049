import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ggufQuantSchema } from '../../../../src/shared/contract/exports'
import { freeBytesAt } from '../../../../src/main/core/exports/export-service'
import { estimateExportBytes, ggufArchitectures, ggufRefusal, ggufTensorBytes, ggufTokenizerBytes } from '../../../../src/main/core/exports/size-estimate'
import { makeTempHome } from '../../../helpers/temp-home'

const runtimeExport = path.resolve(import.meta.dirname, '..', '..', '..', '..', 'python-runtime', 'localtune_runtime', 'export')

/** A safetensors file with these tensors (zeros): an 8-byte header length, the JSON header, the data. */
function writeSafetensors(file: string, tensors: Record<string, { dtype: 'F32' | 'BF16'; shape: number[] }>): void {
  const header: Record<string, unknown> = {}
  let offset = 0
  for (const [name, tensor] of Object.entries(tensors)) {
    const bytes = tensor.shape.reduce((a, b) => a * b, 1) * (tensor.dtype === 'F32' ? 4 : 2)
    header[name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + bytes] }
    offset += bytes
  }
  const json = Buffer.from(JSON.stringify(header))
  const length = Buffer.alloc(8)
  length.writeBigUInt64LE(BigInt(json.length))
  fs.writeFileSync(file, Buffer.concat([length, json, Buffer.alloc(offset)]))
}

describe('export sizes before anything is written', () => {
  let cleanup = () => {}
  afterEach(() => cleanup())

  it('sizes GGUF tensors as the runtime writes them', () => {
    expect(ggufTensorBytes([64], 'model.norm.weight', 'q4_0')).toBe(256) // vectors stay f32
    expect(ggufTensorBytes([64, 128], 'model.layers.0.mlp.down_proj.weight', 'q8_0')).toBe((64 * 128 * 34) / 32)
    expect(ggufTensorBytes([64, 128], 'model.layers.0.mlp.down_proj.weight', 'f16')).toBe(64 * 128 * 2)
    expect(ggufTensorBytes([64, 48], 'model.layers.0.self_attn.q_proj.weight', 'q4_0')).toBe(64 * 48 * 2) // 48 columns: f16
    expect(ggufTensorBytes([1000, 64], 'model.embed_tokens.weight', 'q4_0')).toBe((1000 * 64 * 34) / 32) // kept q8_0
  })

  it('adds up a model folder for merged and GGUF exports, leaving out a tied output matrix', () => {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    const weights = path.join(temp.home, 'model')
    const final = path.join(temp.home, 'final')
    fs.mkdirSync(weights)
    fs.mkdirSync(final)
    writeSafetensors(path.join(weights, 'model.safetensors'), {
      'model.embed_tokens.weight': { dtype: 'BF16', shape: [1024, 64] },
      'lm_head.weight': { dtype: 'BF16', shape: [1024, 64] },
      'model.layers.0.mlp.down_proj.weight': { dtype: 'BF16', shape: [64, 128] },
      'model.norm.weight': { dtype: 'F32', shape: [64] }
    })
    fs.writeFileSync(path.join(final, 'tokenizer.json'), 'x'.repeat(1000))
    fs.writeFileSync(path.join(final, 'adapter_model.safetensors'), 'y'.repeat(5000))
    const base = { weightsDir: weights, finalDir: final, quant: 'f16' as const, vocabSize: 1024 }
    // A tensor's info in the GGUF header: name, dims, type, offset, half the alignment.
    const info = (name: string, dims: number) => name.length + 24 + 8 * dims + 16
    expect(estimateExportBytes({ ...base, format: 'adapter', tiedEmbeddings: true })).toBe(6000)
    const tied = estimateExportBytes({ ...base, format: 'gguf', tiedEmbeddings: true })
    // tokenizer.json that is not JSON counts with its own size (1000 bytes).
    const infos = info('model.embed_tokens.weight', 2) + info('model.layers.0.mlp.down_proj.weight', 2) + info('model.norm.weight', 1)
    expect(tied).toBe(1024 * 64 * 2 + 64 * 128 * 2 + 64 * 4 + infos + 1000 + 4096)
    expect(estimateExportBytes({ ...base, format: 'gguf', tiedEmbeddings: false })).toBe(tied + 1024 * 64 * 2 + info('lm_head.weight', 2))
    expect(estimateExportBytes({ ...base, format: 'merged', tiedEmbeddings: true })).toBe(1024 * 64 * 2 + 64 * 128 * 2 + 64 * 4 + 3 * 160 + 1000 + 4096)
  })

  it('counts the tokenizer as GGUF stores it: tokens padded to the vocabulary, scores or merges', () => {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    const tokenizer = (model: object) => fs.writeFileSync(path.join(temp.home, 'tokenizer.json'), JSON.stringify({ model, added_tokens: [{ id: 3, content: '</s>' }] }))
    tokenizer({ type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: ['a b'] })
    // 4 tokens (8 + length + type), one merge (8 + 3), one pad token "[PAD4]".
    expect(ggufTokenizerBytes(temp.home, 5)).toBe(13 + 13 + 14 + 16 + 11 + 18)
    tokenizer({ type: 'BPE', byte_fallback: true, vocab: { a: 0, b: 1, ab: 2 }, merges: ['a b'] })
    expect(ggufTokenizerBytes(temp.home, 4)).toBe(17 + 17 + 18 + 20)
  })

  it('finds the free space of a folder that does not exist yet', async () => {
    const temp = makeTempHome()
    cleanup = temp.cleanup
    expect(await freeBytesAt(path.join(temp.home, 'exports', 'run', 'gguf-q8_0'))).toBeGreaterThan(0)
  })
})

describe('the TypeScript side agrees with the runtime', () => {
  it('on the architectures written as GGUF', () => {
    const writer = fs.readFileSync(path.join(runtimeExport, 'gguf_writer.py'), 'utf8')
    const block = /SUPPORTED: Dict\[[^\]]*\]\] = \{([\s\S]*?)\n\}/.exec(writer)?.[1] ?? ''
    const python = [...block.matchAll(/"(\w+ForCausalLM)"/g)].map((match) => match[1]).sort()
    expect(python.length).toBeGreaterThan(0)
    expect([...ggufArchitectures].sort()).toEqual(python)
    expect(ggufRefusal('LlamaForCausalLM')).toBeNull()
    expect(ggufRefusal('Phi3ForCausalLM')).toMatch(/^Phi3ForCausalLM cannot be exported to GGUF by LocalTune: .*convert_hf_to_gguf\.py/)
  })

  it('on the GGUF types it can write', () => {
    const init = fs.readFileSync(path.join(runtimeExport, '__init__.py'), 'utf8')
    const block = /QUANTS = \{([\s\S]*?)\n\}/.exec(init)?.[1] ?? ''
    expect([...block.matchAll(/^\s+"(\w+)":/gm)].map((match) => match[1])).toEqual([...ggufQuantSchema.options])
  })
})
