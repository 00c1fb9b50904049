import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ingestCsv } from '../../../../src/main/core/datasets/csv-ingest'
import type { DatasetIndex } from '../../../../src/main/core/datasets/dataset-index'
import { readRows } from '../../../../src/main/core/datasets/dataset-index'
import { exportTrainingData } from '../../../../src/main/core/datasets/training-export'
import { previewExamples } from '../../../../src/shared/dataset/example-preview'
import { exampleText } from '../../../../src/shared/dataset/formatted-example'
import type { CsvInspection } from '../../../../src/shared/dataset/inspection'
import type { DatasetMapping } from '../../../../src/shared/dataset/mapping'

// Real third-party data: GPTeacher roleplay in Alpaca column names (instruction,input,output).
const source = fileURLToPath(new URL('../../../../../shared/data/gpteacher-roleplay.csv', import.meta.url))

const row1 =
  'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n' +
  '### Instruction: Imagine you are a detective trying to solve a murder mystery in a fictional Victorian-era town. Describe the scene of the crime, the main suspects, and your plan to investigate the case.\n' +
  "### Response: The scene of the crime is a dimly lit study inside a grand, Victorian-era mansion. There's a large oak desk at the center of the room, and the deceased, Lord Barrington, lies slumped over it with a gunshot wound to the chest. A shattered windowpane hints at the possible point of entry for the assailant. The three main suspects are: 1) Lady Barrington, the victim's wife, who had increasing disputes with her husband; 2) Randall, the family's loyal butler, who recently discovered he was going to be replaced; and 3) Edgar, a distant cousin, who expected a large inheritance if Lord Barrington passed away. My plan to investigate the case includes: interviewing each suspect about their whereabouts during the crime; examining the broken window for any fingerprints or signs of forced entry; and analyzing the murder weapon, a pistol, to trace its ownership and look for any additional evidence like partial fingerprints or other traces left by the culprit."

const row4Prompt =
  'Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n' +
  '### Instruction: Pretend you are a detective in the 1920s interviewing a witness to a crime. Ask 5 questions to gather information about the suspect.\n' +
  '### Input: The witness claims to have seen the suspect fleeing the scene with a stolen item.\n' +
  '### Response:'
// The space after "Response:" starts the response (the full text is unchanged).
const row4Response =
  " 1. Can you describe the suspect's appearance, such as their clothing, hair, and any distinguishing features?\n" +
  '2. Did you notice anything particular about the stolen item? Can you provide any details about its size or shape?\n' +
  '3. How did the suspect leave the scene? Were they on foot or did they utilize a vehicle?\n' +
  '4. Was the suspect alone or did they have any accomplices?\n' +
  "5. What was the suspect's behavior? Were they trying to remain unnoticed, or did they seem to be in a hurry?"

let inspection: CsvInspection
let index: DatasetIndex
let out: string
beforeAll(async () => {
  const result = await ingestCsv(source)
  inspection = result.inspection
  if (!result.index) throw new Error('gpteacher-roleplay.csv should be usable')
  index = result.index
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-'))
})
afterAll(() => {
  fs.rmSync(out, { recursive: true, force: true })
})

describe('gpteacher-roleplay.csv (3,146 Alpaca-style rows)', () => {
  it('is read as UTF-8, comma, CRLF, with a header and 3,146 rows and no problems', () => {
    expect(inspection.layout).toMatchObject({ encoding: 'utf-8', delimiter: ',', lineEnding: 'crlf', hasHeader: true, columns: ['instruction', 'input', 'output'] })
    expect(inspection.rowCount).toBe(3146)
    expect(inspection.problems).toEqual([])
    expect(inspection.columns.map((column) => column.nonEmptyCount)).toEqual([3146, 814, 3146])
  })

  it('maps automatically to chat with input as the context', () => {
    expect(inspection.suggestion?.mapping).toEqual({ mode: 'chat', prompt: 'instruction', context: 'input', response: 'output' })
    expect(inspection.suggestion?.confidence).toBe('high')
  })

  it('previews rows 1 (no input) and 4 (with input) exactly as specified', async () => {
    const rows = await readRows(index, 1, 4)
    expect(rows.map((row) => [row.row, row.line])).toEqual([
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 5]
    ])
    const mapping = inspection.suggestion?.mapping as DatasetMapping
    const [first, , , fourth] = previewExamples(rows, index.layout.columns, mapping)
    if (first?.status !== 'ok' || fourth?.status !== 'ok') throw new Error('rows 1 and 4 should format')
    expect(exampleText(first.example)).toBe(row1)
    expect(first.example).toEqual({ prompt: row1.slice(0, row1.indexOf('### Response: ') + '### Response:'.length), response: row1.slice(row1.indexOf('### Response: ') + '### Response:'.length) })
    expect(fourth.example).toEqual({ prompt: row4Prompt, response: row4Response })
    expect(fourth.segments.map((segment) => segment.carriesLoss)).toEqual([false, true])
  })

  it('writes the same text to train.jsonl / valid.jsonl that the preview showed', async () => {
    const summary = await exportTrainingData({ source: index, mapping: inspection.suggestion?.mapping as DatasetMapping, outDir: out })
    expect(summary.rows).toEqual({ read: 3146, trainable: 3146, dropped: 0, train: 2989, validation: 157 })
    const lines = ['train.jsonl', 'valid.jsonl'].flatMap((name) =>
      fs
        .readFileSync(path.join(out, name), 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as { prompt: string; response: string; row: number })
    )
    expect(lines).toHaveLength(3146)
    const byRow = new Map(lines.map((line) => [line.row, line]))
    expect((byRow.get(1)?.prompt ?? '') + (byRow.get(1)?.response ?? '')).toBe(row1)
    expect(byRow.get(4)).toEqual({ prompt: row4Prompt, response: row4Response, row: 4 })
    expect(lines.filter((line) => line.prompt.includes('\n### Input: ')).length).toBe(814)
  })
})
