import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { JsonlWriter, splitLinesByPosition } from '../../../../src/main/core/datasets/jsonl-files'
import { jsonLine } from '../../../../src/main/core/datasets/training-export'

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-'))
})
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

// Every character class JSON treats differently, plus multi-byte UTF-8 and non-BMP characters.
const alphabet = ['a', ' ', '"', '\\', '/', '\n', '\r', '\t', '\b', '\f', '\u0000', '\u0001', '\u001f', '\u007f', 'é', '€', '東', '😀', '\u2028', '\u2029', '\ufeff']

function randomText(seed: number, length: number): string {
  let state = seed
  let text = ''
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0
    text += alphabet[state % alphabet.length]
  }
  return text
}

describe('JsonlWriter', () => {
  it('writes exactly the bytes JSON.stringify would, for every kind of character', async () => {
    const file = path.join(dir, 'out.jsonl')
    const writer = new JsonlWriter(file)
    const expected: string[] = []
    for (let i = 0; i < 300; i++) {
      const example = i % 3 === 0 ? { text: randomText(i, i * 7) } : { prompt: randomText(i, i), response: randomText(i + 1000, i * 3) }
      writer.addExample(example, i + 1)
      expected.push(jsonLine(example, i + 1))
    }
    await writer.close()
    expect(fs.readFileSync(file, 'utf8')).toBe(`${expected.join('\n')}\n`)
  })

  it('handles a line larger than its buffer', async () => {
    const file = path.join(dir, 'big.jsonl')
    const writer = new JsonlWriter(file)
    const text = 'x"'.repeat(3 * 1024 * 1024)
    writer.addExample({ text }, 1)
    writer.addExample({ text: 'small' }, 2)
    await writer.close()
    expect(fs.readFileSync(file, 'utf8').split('\n').slice(0, 2).map((line) => JSON.parse(line))).toEqual([
      { text, row: 1 },
      { text: 'small', row: 2 }
    ])
  })

  it('splits lines between two files by position, in order', async () => {
    const source = path.join(dir, 'all.jsonl')
    fs.writeFileSync(source, Array.from({ length: 10 }, (_, i) => `{"row":${i}}`).join('\n') + '\n')
    const counts = await splitLinesByPosition(source, path.join(dir, 't.jsonl'), path.join(dir, 'v.jsonl'), (position) => position % 4 === 1)
    expect(counts).toEqual({ train: 7, validation: 3 })
    expect(fs.readFileSync(path.join(dir, 'v.jsonl'), 'utf8')).toBe('{"row":1}\n{"row":5}\n{"row":9}\n')
    expect(fs.readFileSync(path.join(dir, 't.jsonl'), 'utf8').split('\n')).toHaveLength(8)
  })
})
