import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { modelWeightFiles, readSafetensorsHeader, SafetensorsError, tallyParameters } from '../../../../src/main/core/models/safetensors'
import { writeSafetensors } from './write-safetensors'

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-st-'))
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

describe('safetensors headers', () => {
  it('reads tensor names, dtypes, shapes and metadata without the data', () => {
    const file = path.join(dir, 'model.safetensors')
    writeSafetensors(file, { 'lm_head.weight': ['F16', [32, 8]], 'norm.weight': ['F32', [8]] }, { metadata: { format: 'pt' } })
    const header = readSafetensorsHeader(file)
    expect(header.metadata).toEqual({ format: 'pt' })
    expect(header.tensors).toEqual([
      { name: 'lm_head.weight', dtype: 'F16', shape: [32, 8], dataOffsets: [0, 512] },
      { name: 'norm.weight', dtype: 'F32', shape: [8], dataOffsets: [512, 544] }
    ])
    expect(tallyParameters([file])).toEqual({ total: 264, byDtype: { F16: 256, F32: 8 }, files: [file] })
  })

  it('counts a scalar tensor as one parameter', () => {
    const file = path.join(dir, 'scalar.safetensors')
    writeSafetensors(file, { scale: ['F32', []] })
    expect(tallyParameters([file]).total).toBe(1)
  })

  it('rejects a file too short, a header longer than the file, and a header that is not JSON', () => {
    const short = path.join(dir, 'short.safetensors')
    fs.writeFileSync(short, Buffer.from([1, 2, 3]))
    expect(() => readSafetensorsHeader(short)).toThrow(/too short to be a safetensors file/)

    const lying = path.join(dir, 'lying.safetensors')
    const prefix = Buffer.alloc(8)
    prefix.writeBigUInt64LE(10_000n)
    fs.writeFileSync(lying, Buffer.concat([prefix, Buffer.from('{}')]))
    expect(() => readSafetensorsHeader(lying)).toThrow(/header claims 10000 bytes but the file has 10/)

    const garbled = path.join(dir, 'garbled.safetensors')
    const body = Buffer.from('{"a": {"dtype": "F32",')
    const length = Buffer.alloc(8)
    length.writeBigUInt64LE(BigInt(body.length))
    fs.writeFileSync(garbled, Buffer.concat([length, body]))
    expect(() => readSafetensorsHeader(garbled)).toThrow(SafetensorsError)
    expect(() => readSafetensorsHeader(garbled)).toThrow(/damaged header \(not JSON/)
  })

  it('says a missing file is an unfinished download', () => {
    expect(() => readSafetensorsHeader(path.join(dir, 'gone.safetensors'))).toThrow(/is missing .*download did not finish/)
  })

  it('picks weight files: index shards, else model.safetensors, else model*.safetensors', () => {
    writeSafetensors(path.join(dir, 'model-00001-of-00002.safetensors'), { a: ['BF16', [2]] })
    writeSafetensors(path.join(dir, 'model-00002-of-00002.safetensors'), { b: ['BF16', [2]] })
    writeSafetensors(path.join(dir, 'consolidated.safetensors'), { all: ['BF16', [4]] })
    expect(modelWeightFiles(dir).map((file) => path.basename(file))).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'])
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } }))
    expect(tallyParameters(modelWeightFiles(dir)).total).toBe(4)
  })
})
