import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { JsonlWriter, splitLinesByPosition } from '../../../../src/main/core/datasets/jsonl-files'

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-'))
})
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('JsonlWriter and splitLinesByPosition', () => {
  it('writes lines', async () => {
    const file = path.join(dir, 'lines.jsonl')
    const writer = new JsonlWriter(file)
    writer.add('{"a":1}')
    writer.add('{"b":"x"}')
    await writer.close()
    expect(fs.readFileSync(file, 'utf8')).toBe('{"a":1}\n{"b":"x"}\n')
    expect(writer.lines).toBe(2)
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
