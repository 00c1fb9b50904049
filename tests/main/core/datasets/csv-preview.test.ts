import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { previewFirstRows } from '../../../../src/main/core/datasets/csv-preview'

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-'))
})
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('previewFirstRows', () => {
  it('returns the first rows, layout and suggestion from the start of the file only', async () => {
    const target = path.join(dir, 'data.csv')
    const good = Array.from({ length: 5000 }, (_, i) => `Question ${i + 1},Answer ${i + 1}`).join('\n')
    // A broken quote far down the file: the preview does not read that far, so it does not see it.
    fs.writeFileSync(target, `question;answer\n`.replace(';', ',') + good + '\nbroken,"never closes\n' + 'x,y\n'.repeat(200_000))
    const preview = await previewFirstRows(target, 10)
    expect(preview.rows.map((row) => row.cells)).toEqual(Array.from({ length: 10 }, (_, i) => [`Question ${i + 1}`, `Answer ${i + 1}`]))
    expect(preview.rows[0]).toMatchObject({ row: 1, line: 2 })
    expect(preview.endOfFile).toBe(false)
    expect(preview.layout?.columns).toEqual(['question', 'answer'])
    expect(preview.suggestion?.mapping).toEqual({ mode: 'chat', prompt: 'question', response: 'answer' })
    expect(preview.problems).toEqual([])
  })

  it('says when the file has no more rows than asked for, and shows its problems', async () => {
    const target = path.join(dir, 'short.csv')
    fs.writeFileSync(target, 'a,b\n1,2,3\n')
    const preview = await previewFirstRows(target, 50)
    expect(preview.endOfFile).toBe(true)
    expect(preview.rows).toHaveLength(1)
    expect(preview.problems[0]?.kind).toBe('too-many-fields')
  })
})
