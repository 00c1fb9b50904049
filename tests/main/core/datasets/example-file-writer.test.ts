import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ExampleWriterThread } from '../../../../src/main/core/datasets/example-file-writer'
import { jsonLine } from '../../../../src/main/core/datasets/training-export'
import type { FormattedExample } from '../../../../src/shared/dataset/formatted-example'

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

describe('ExampleFileWriter (JSON encoding on a worker thread)', () => {
  it('writes exactly the bytes JSON.stringify would, for every kind of character', async () => {
    const thread = new ExampleWriterThread()
    try {
      const file = path.join(dir, 'out.jsonl')
      const writer = thread.open(file)
      const expected: string[] = []
      for (let i = 0; i < 20_000; i++) {
        const chat = { prompt: randomText(i, i % 100), response: randomText(i + 7, i % 200) }
        // every fifth chat example comes from a chat template and carries its markup ranges
        const markup: Array<[number, number]> = [
          [0, i % 7],
          [i % 7, 40]
        ]
        const example: FormattedExample = i % 3 === 0 ? { text: randomText(i, i % 300) } : i % 5 === 1 ? { ...chat, markup } : chat
        writer.addExample(example, i + 1)
        expected.push(jsonLine(example, i + 1))
        if (i % 5000 === 0) await writer.flush()
      }
      await writer.close()
      expect(writer.lines).toBe(20_000)
      expect(fs.readFileSync(file, 'utf8')).toBe(`${expected.join('\n')}\n`)
    } finally {
      await thread.stop()
    }
  })

  it('handles an example larger than a batch, and several files at once', async () => {
    const thread = new ExampleWriterThread()
    try {
      const text = 'x"'.repeat(3 * 1024 * 1024)
      const big = thread.open(path.join(dir, 'big.jsonl'))
      const small = thread.open(path.join(dir, 'small.jsonl'))
      big.addExample({ text }, 1)
      small.addExample({ prompt: 'p', response: 'r' }, 7)
      big.addExample({ text: 'small' }, 2)
      await Promise.all([big.close(), small.close()])
      const lines = fs.readFileSync(path.join(dir, 'big.jsonl'), 'utf8').split('\n')
      expect(JSON.parse(lines[0] as string)).toEqual({ text, row: 1 })
      expect(JSON.parse(lines[1] as string)).toEqual({ text: 'small', row: 2 })
      expect(fs.readFileSync(path.join(dir, 'small.jsonl'), 'utf8')).toBe('{"prompt":"p","response":"r","row":7}\n')
    } finally {
      await thread.stop()
    }
  })

  it('reports a file it cannot write', async () => {
    const thread = new ExampleWriterThread()
    try {
      const writer = thread.open(path.join(dir, 'missing-folder', 'out.jsonl'))
      writer.addExample({ text: 'x' }, 1)
      await expect(writer.close()).rejects.toThrow(/Writing the training file failed: .*ENOENT/)
    } finally {
      await thread.stop()
    }
  })

  it.skipIf(!fs.existsSync('/proc/self/fd'))('closes files left open when stopped early', async () => {
    const openFiles = (): string[] =>
      fs.readdirSync('/proc/self/fd').map((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`)
        } catch {
          return ''
        }
      })
    const thread = new ExampleWriterThread()
    const file = path.join(fs.realpathSync(dir), 'partial.jsonl')
    const writer = thread.open(file)
    writer.addExample({ text: 'x' }, 1)
    await writer.flush()
    await vi.waitFor(() => expect(openFiles()).toContain(file), { timeout: 5000 })
    await thread.stop()
    expect(openFiles()).not.toContain(file)
  })
})
