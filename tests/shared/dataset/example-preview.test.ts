import { describe, expect, it } from 'vitest'
import { previewExamples } from '../../../src/shared/dataset/example-preview'
import { exampleText } from '../../../src/shared/dataset/formatted-example'
import { formatChatFields } from '../../../src/shared/dataset/training-format'
import type { DatasetRow } from '../../../src/shared/dataset/types'

const columns = ['instruction', 'input', 'output']
const rows: DatasetRow[] = [
  { row: 1, line: 2, cells: ['Add', '2 and 2', '4'] },
  { row: 2, line: 3, cells: ['Add', '', ''] },
  { row: 3, line: 4, cells: ['Add', '1', '1'], parseIssue: { kind: 'too-many-fields', message: 'it has 4 cells but the file has 3 columns' } }
]
const mapping = { mode: 'chat', prompt: 'instruction', context: 'input', response: 'output' } as const

describe('previewExamples', () => {
  it('shows each row as it will train, with the prompt/response split and which part carries loss', () => {
    const [first] = previewExamples(rows, columns, mapping)
    if (first?.status !== 'ok') throw new Error('row 1 should be ok')
    const expected = formatChatFields({ prompt: 'Add', context: '2 and 2', response: '4' })
    expect(first.example).toEqual(expected)
    expect(first.segments).toEqual([
      { part: 'prompt', text: expected.prompt, carriesLoss: false },
      { part: 'response', text: ' 4', carriesLoss: true }
    ])
    expect(first.segments.map((segment) => segment.text).join('')).toBe(exampleText(expected))
  })

  it('marks the prompt as carrying loss when training on the whole text', () => {
    const [first] = previewExamples(rows, columns, mapping, { trainOnResponseOnly: false })
    expect(first?.status === 'ok' && first.segments.every((segment) => segment.carriesLoss)).toBe(true)
  })

  it('says why a row cannot train instead of formatting it', () => {
    const [, second, third] = previewExamples(rows, columns, mapping)
    expect(second).toMatchObject({ status: 'invalid', reason: 'empty-response', message: 'the response cell (column "output") is empty' })
    expect(third).toMatchObject({ status: 'invalid', reason: 'parse-error', message: 'it has 4 cells but the file has 3 columns' })
  })

  it('shows generic rows as one text that carries loss', () => {
    const [first] = previewExamples([{ row: 1, line: 2, cells: ['Hello world'] }], ['text'], { mode: 'generic', text: 'text' })
    expect(first).toMatchObject({ status: 'ok', example: { text: 'Hello world' }, segments: [{ part: 'text', text: 'Hello world', carriesLoss: true }] })
  })
})
