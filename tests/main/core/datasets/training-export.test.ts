import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ingestCsv } from '../../../../src/main/core/datasets/csv-ingest'
import { exportTrainingData, InvalidRowsError, jsonLine, validateDataset } from '../../../../src/main/core/datasets/training-export'
import type { DatasetSummary } from '../../../../src/shared/dataset/summary'
import { formatChatFields } from '../../../../src/shared/dataset/training-format'
import { renderWithChatTemplate } from '../../../../src/shared/dataset/chat-template'

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-'))
})
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

const chat = { mode: 'chat', prompt: 'instruction', context: 'input', response: 'output' } as const

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
}

function writeCsv(name: string, header: string[], rows: string[][]): string {
  const target = path.join(dir, name)
  fs.writeFileSync(target, [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n')
  return target
}

function readJsonl(file: string): { prompt?: string; response?: string; text?: string; row: number }[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line))
}

function numberedRows(count: number): string[][] {
  return Array.from({ length: count }, (_, i) => [`Question ${i + 1}`, i % 3 === 0 ? `context ${i + 1}` : '', `Answer ${i + 1}`])
}

describe('exportTrainingData: the JSONL contract', () => {
  it('writes one {"prompt","response","row"} object per line, formatted by the shared formatter', async () => {
    const tricky = 'quotes " and \\ backslash, tab\t, bell \u0007, emoji 😀, line\u2028sep, \u00e9\u6771'
    const source = writeCsv('chat.csv', ['instruction', 'input', 'output'], [
      ['Fix it', 'He finnished', 'He finished.'],
      ['Say hi', '', 'Hi!'],
      [tricky, '', `multi\nline ${tricky}`]
    ])
    const out = path.join(dir, 'out')
    const summary = await exportTrainingData({ source, mapping: chat, outDir: out })
    const lines = fs.readFileSync(path.join(out, 'train.jsonl'), 'utf8').split('\n')
    expect(lines.at(-1)).toBe('')
    const expected = [
      { cells: { prompt: 'Fix it', context: 'He finnished', response: 'He finished.' }, row: 1 },
      { cells: { prompt: 'Say hi', context: '', response: 'Hi!' }, row: 2 },
      { cells: { prompt: tricky, context: '', response: `multi\nline ${tricky}` }, row: 3 }
    ]
    expected.forEach(({ cells, row }, i) => {
      const example = formatChatFields(cells)
      expect(lines[i]).toBe(jsonLine(example, row))
      expect(JSON.parse(lines[i] as string)).toEqual({ prompt: example.prompt, response: example.response, row })
      expect(Object.keys(JSON.parse(lines[i] as string))).toEqual(['prompt', 'response', 'row'])
    })
    expect(summary.rows).toEqual({ read: 3, trainable: 3, dropped: 0, train: 3, validation: 0 })
    expect(summary.trainOnResponseOnly).toBe(true)
    expect(fs.existsSync(path.join(out, 'valid.jsonl'))).toBe(false)
    expect(JSON.parse(fs.readFileSync(path.join(out, 'dataset-summary.json'), 'utf8'))).toEqual(summary)
    expect(fs.readdirSync(out).sort()).toEqual(['dataset-summary.json', 'train.jsonl'])
  })

  it('writes {"text","row"} in generic mode', async () => {
    const source = writeCsv('generic.csv', ['text'], [['First "doc"'], ['Second\ndoc']])
    const out = path.join(dir, 'out')
    const summary = await exportTrainingData({ source, mapping: { mode: 'generic', text: 'text' }, outDir: out })
    expect(readJsonl(path.join(out, 'train.jsonl'))).toEqual([
      { text: 'First "doc"', row: 1 },
      { text: 'Second\ndoc', row: 2 }
    ])
    expect(summary.trainOnResponseOnly).toBe(false)
  })

  it('writes the chat template rendering when a template is chosen', async () => {
    const config = JSON.parse(
      fs.readFileSync(fileURLToPath(new URL('../../../../../shared/data/model-configs/microsoft--Phi-3-mini-4k-instruct/tokenizer_config.json', import.meta.url)), 'utf8')
    )
    const source = writeCsv('chat.csv', ['instruction', 'input', 'output'], [['Fix it', 'He finnished', 'He finished.']])
    const out = path.join(dir, 'out')
    const spec = { template: config.chat_template as string, eosToken: config.eos_token as string }
    const summary = await exportTrainingData({ source, mapping: chat, outDir: out, format: { chatTemplate: spec } })
    expect(summary.style).toBe('chat-template')
    const [line] = readJsonl(path.join(out, 'train.jsonl'))
    expect(line).toEqual({ ...renderWithChatTemplate(spec.template, { prompt: 'Fix it', context: 'He finnished', response: 'He finished.' }, spec), row: 1 })
    expect(line?.prompt).toBe('<|user|>\nFix it\n\nHe finnished<|end|>\n<|assistant|>\n')
  })
})

describe('exportTrainingData: rows that cannot train', () => {
  const rows = [
    ['Good', '', 'Yes'],
    ['', '', 'No prompt'],
    ['No response', 'ctx', '   '],
    ['Good too', '', 'Also yes']
  ]

  it('writes nothing and lists the rows when dropping was not allowed', async () => {
    const source = writeCsv('bad.csv', ['instruction', 'input', 'output'], rows)
    const out = path.join(dir, 'out')
    const error = await exportTrainingData({ source, mapping: chat, outDir: out }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(InvalidRowsError)
    const message = (error as Error).message
    expect(message).toMatch(/^2 rows cannot be used for training \(1 empty prompt, 1 empty response\), so nothing was written:/)
    expect(message).toContain('row 2 (line 3 of the file): the prompt cell (column "instruction") is empty')
    expect(message).toContain('row 3 (line 4 of the file): the response cell (column "output") is empty')
    expect(message).toContain('--drop-invalid')
    expect(fs.readdirSync(out)).toEqual([])
  })

  it('leaves them out when allowed, and lists every one with its reason', async () => {
    const source = writeCsv('bad.csv', ['instruction', 'input', 'output'], [...rows, ['a', 'b', 'c', 'extra cell']])
    const out = path.join(dir, 'out')
    const summary = await exportTrainingData({ source, mapping: chat, outDir: out, dropInvalidRows: true })
    expect(readJsonl(path.join(out, 'train.jsonl')).map((line) => line.row)).toEqual([1, 4])
    expect(summary.rows).toEqual({ read: 5, trainable: 2, dropped: 3, train: 2, validation: 0 })
    expect(summary.dropped.byReason).toEqual({ 'empty-prompt': 1, 'empty-response': 1, 'parse-error': 1 })
    expect(summary.dropped.rows.map((row) => [row.row, row.line, row.reason])).toEqual([
      [2, 3, 'empty-prompt'],
      [3, 4, 'empty-response'],
      [5, 6, 'parse-error']
    ])
    expect(summary.dropped.rows[2]?.message).toBe('it has 4 cells but the file has 3 columns')
    expect(readJsonl(path.join(out, 'dropped-rows.jsonl'))).toHaveLength(3)
    expect(summary.files.droppedRows).toBe('dropped-rows.jsonl')
  })

  it('validateDataset reports the same without writing', async () => {
    const source = writeCsv('bad.csv', ['instruction', 'input', 'output'], rows)
    const report = await validateDataset({ source, mapping: chat })
    expect(report).toMatchObject({ rowCount: 4, trainableCount: 2, invalid: { count: 2 }, defaultSplit: { kind: 'none' } })
  })
})

describe('exportTrainingData: validation split', () => {
  async function run(split: Parameters<typeof exportTrainingData>[0]['split'], rows = numberedRows(400), name = 'out'): Promise<{ summary: DatasetSummary; train: number[]; valid: number[] }> {
    const source = writeCsv('many.csv', ['instruction', 'input', 'output'], rows)
    const out = path.join(dir, name)
    const summary = await exportTrainingData({ source, mapping: chat, outDir: out, ...(split ? { split } : {}) })
    const validFile = path.join(out, 'valid.jsonl')
    return {
      summary,
      train: readJsonl(path.join(out, 'train.jsonl')).map((line) => line.row),
      valid: fs.existsSync(validFile) ? readJsonl(validFile).map((line) => line.row) : []
    }
  }

  it('by default holds out nothing under 200 rows', async () => {
    const { summary, valid, train } = await run(undefined, numberedRows(150))
    expect(summary.split).toMatchObject({ kind: 'none', chosenBy: 'default' })
    expect(valid).toEqual([])
    expect(train).toEqual(Array.from({ length: 150 }, (_, i) => i + 1))
  })

  it('by default holds out 5% from 200 rows on, the rest trains, nothing lost or doubled', async () => {
    const { summary, train, valid } = await run(undefined)
    expect(summary.split).toMatchObject({ kind: 'percent', chosenBy: 'default', percent: 5, seed: 42, maxRows: 1000 })
    expect(valid).toHaveLength(20)
    expect(summary.rows).toMatchObject({ train: 380, validation: 20 })
    expect([...train, ...valid].sort((a, b) => a - b)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1))
    expect(valid).toEqual([...valid].sort((a, b) => a - b))
  })

  it('picks the same rows for the same seed, in one pass or two', async () => {
    const capped = await run({ kind: 'percent', percent: 10, seed: 7, maxRows: 1000 }, numberedRows(400), 'a')
    const uncapped = await run({ kind: 'percent', percent: 10, seed: 7 }, numberedRows(400), 'b')
    const again = await run({ kind: 'percent', percent: 10, seed: 7 }, numberedRows(400), 'c')
    const other = await run({ kind: 'percent', percent: 10, seed: 8 }, numberedRows(400), 'd')
    expect(capped.valid).toHaveLength(40)
    expect(uncapped.valid).toEqual(capped.valid)
    expect(again.valid).toEqual(capped.valid)
    expect(other.valid).not.toEqual(capped.valid)
    expect(uncapped.train).toEqual(Array.from({ length: 400 }, (_, i) => i + 1).filter((row) => !capped.valid.includes(row)))
  })

  it('caps the held-out rows at maxRows', async () => {
    const { valid } = await run({ kind: 'percent', percent: 20, maxRows: 25 })
    expect(valid).toHaveLength(25)
  })

  it('uses a second file as the validation set', async () => {
    const validationCsv = writeCsv('valid.csv', ['instruction', 'input', 'output'], [['VQ', '', 'VA']])
    const { summary, valid, train } = await run({ kind: 'file', path: validationCsv }, numberedRows(10))
    expect(valid).toEqual([1])
    expect(train).toHaveLength(10)
    expect(summary.split).toMatchObject({ kind: 'file', path: validationCsv, rowCount: 1, droppedCount: 0 })
  })
})

describe('exportTrainingData: output folder and sources', () => {
  it('refuses to overwrite training files it did not write', async () => {
    const out = path.join(dir, 'out')
    fs.mkdirSync(out)
    fs.writeFileSync(path.join(out, 'train.jsonl'), 'mine\n')
    const source = writeCsv('chat.csv', ['instruction', 'input', 'output'], numberedRows(3))
    await expect(exportTrainingData({ source, mapping: chat, outDir: out })).rejects.toThrow(/not written by LocalTune/)
    expect(fs.readFileSync(path.join(out, 'train.jsonl'), 'utf8')).toBe('mine\n')
  })

  it('replaces its own earlier output, including a valid.jsonl the new split does not make', async () => {
    const source = writeCsv('chat.csv', ['instruction', 'input', 'output'], numberedRows(300))
    const out = path.join(dir, 'out')
    await exportTrainingData({ source, mapping: chat, outDir: out })
    expect(fs.existsSync(path.join(out, 'valid.jsonl'))).toBe(true)
    await exportTrainingData({ source, mapping: chat, outDir: out, split: { kind: 'none' } })
    expect(fs.existsSync(path.join(out, 'valid.jsonl'))).toBe(false)
    expect(readJsonl(path.join(out, 'train.jsonl'))).toHaveLength(300)
  })

  it('exports from an ingested dataset, and refuses when its file changed', async () => {
    const source = writeCsv('chat.csv', ['instruction', 'input', 'output'], numberedRows(3))
    const { index } = await ingestCsv(source)
    if (!index) throw new Error('not usable')
    const summary = await exportTrainingData({ source: index, mapping: chat, outDir: path.join(dir, 'out') })
    expect(summary.rows.train).toBe(3)
    fs.appendFileSync(source, 'x,y,z\r\n')
    await expect(exportTrainingData({ source: index, mapping: chat, outDir: path.join(dir, 'out2') })).rejects.toThrow(/changed since LocalTune read it/)
  })

  it('names the missing columns when the mapping does not fit the file', async () => {
    const source = writeCsv('chat.csv', ['question', 'answer'], [['q', 'a']])
    await expect(exportTrainingData({ source, mapping: chat, outDir: path.join(dir, 'out') })).rejects.toThrow(/prompt → "instruction".*"question", "answer"/)
  })
})
