import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readTrainingTexts } from '../../../../src/main/core/tokens/training-texts'

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-jsonl-'))
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

async function collect(file: string): Promise<string[]> {
  const texts: string[] = []
  for await (const text of readTrainingTexts(file)) texts.push(text)
  return texts
}

describe('readTrainingTexts', () => {
  it('yields prompt + response and text lines, skipping blank lines, with CRLF', async () => {
    const file = path.join(dir, 'train.jsonl')
    fs.writeFileSync(file, '{"prompt":"Q: 2+2?\\nA: ","response":"4"}\r\n\r\n{"text":"plain text"}\r\n')
    expect(await collect(file)).toEqual(['Q: 2+2?\nA: 4', 'plain text'])
  })

  it('names the file and line of a line that is not JSON', async () => {
    const file = path.join(dir, 'train.jsonl')
    fs.writeFileSync(file, '{"text":"ok"}\n{"text": broken}\n')
    await expect(collect(file)).rejects.toThrow(`${file} line 2 is not valid JSON`)
  })

  it('says which keys a line needs', async () => {
    const file = path.join(dir, 'train.jsonl')
    fs.writeFileSync(file, '{"question":"x","answer":"y"}\n')
    await expect(collect(file)).rejects.toThrow(/line 1 needs \{"prompt": "...", "response": "..."\} or \{"text": "..."\}; it has keys question, answer/)
  })

  it('tells the user to export the dataset when the file is missing', async () => {
    await expect(collect(path.join(dir, 'missing.jsonl'))).rejects.toThrow(/does not exist: export the dataset first/)
  })
})
