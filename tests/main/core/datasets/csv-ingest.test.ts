import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ingestCsv } from '../../../../src/main/core/datasets/csv-ingest'
import type { CsvInspection } from '../../../../src/shared/dataset/inspection'
import type { DatasetProblemKind } from '../../../../src/shared/dataset/types'

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-'))
})
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

function file(name: string, content: string | Buffer): string {
  const target = path.join(dir, name)
  fs.writeFileSync(target, content)
  return target
}

function problems(inspection: CsvInspection, kind: DatasetProblemKind) {
  return inspection.problems.filter((problem) => problem.kind === kind)
}

function utf16(text: string, endian: 'le' | 'be'): Buffer {
  const body = Buffer.from(text, 'utf16le')
  if (endian === 'be') body.swap16()
  return Buffer.concat([Buffer.from(endian === 'le' ? [0xff, 0xfe] : [0xfe, 0xff]), body])
}

async function rowsOf(filePath: string, options: { hasHeader?: boolean } = {}) {
  const { index } = await ingestCsv(filePath, options)
  if (!index) throw new Error('not usable')
  const { readRows } = await import('../../../../src/main/core/datasets/dataset-index')
  return { index, rows: await readRows(index, 1, index.rowCount) }
}

describe('ingestCsv: encodings', () => {
  const text = 'prompt,response\r\n"Café, naïve",Süß – “quoted” €\r\n'

  it('reads UTF-8, UTF-8 with BOM, UTF-16 LE and BE with BOM to the same cells', async () => {
    const variants = [
      { name: 'utf8.csv', bytes: Buffer.from(text, 'utf8'), encoding: 'utf-8' },
      { name: 'bom.csv', bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]), encoding: 'utf-8-bom' },
      { name: 'le.csv', bytes: utf16(text, 'le'), encoding: 'utf-16le' },
      { name: 'be.csv', bytes: utf16(text, 'be'), encoding: 'utf-16be' }
    ]
    for (const variant of variants) {
      const { index, rows } = await rowsOf(file(variant.name, variant.bytes))
      expect(index.layout.encoding, variant.name).toBe(variant.encoding)
      expect(index.layout.columns, variant.name).toEqual(['prompt', 'response'])
      expect(rows.map((row) => row.cells), variant.name).toEqual([['Café, naïve', 'Süß – “quoted” €']])
    }
  })

  it('falls back to Windows-1252 when the bytes are not UTF-8, and says so', async () => {
    // "Caf\xe9" and curly quotes / euro sign as Excel on Windows writes them.
    const bytes = Buffer.concat([
      Buffer.from('prompt,response\r\n'),
      Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x2c, 0x93, 0x48, 0x69, 0x94, 0x20, 0x80, 0x35, 0x0d, 0x0a])
    ])
    const target = file('cp1252.csv', bytes)
    const { inspection } = await ingestCsv(target)
    expect(inspection.layout?.encoding).toBe('windows-1252')
    expect(problems(inspection, 'encoding-fallback')[0]?.message).toMatch(/not valid UTF-8 .*byte offset 20 .*Windows-1252/)
    const { rows } = await rowsOf(target)
    expect(rows[0]?.cells).toEqual(['Café', '“Hi” €5'])
  })

  it('keeps a UTF-8 file as UTF-8 when one bad byte follows real UTF-8 text, and names the row', async () => {
    const bytes = Buffer.concat([Buffer.from('a,b\nrésumé,ok\nbad,'), Buffer.from([0xff]), Buffer.from('x\n')])
    const { inspection } = await ingestCsv(file('bad-utf8.csv', bytes))
    expect(inspection.layout?.encoding).toBe('utf-8')
    const rowProblem = problems(inspection, 'invalid-utf8').find((problem) => problem.row !== undefined)
    expect(rowProblem).toMatchObject({ row: 2, line: 3, column: 'b', severity: 'warning' })
  })

  it('does not change the file it reads, and hashes exactly its bytes', async () => {
    const target = file('keep.csv', text)
    const before = fs.statSync(target)
    const { inspection } = await ingestCsv(target)
    expect(fs.readFileSync(target, 'utf8')).toBe(text)
    expect(fs.statSync(target).mtimeMs).toBe(before.mtimeMs)
    expect(inspection.sha256).toBe(crypto.createHash('sha256').update(text).digest('hex'))
  })
})

describe('ingestCsv: delimiters, quotes and line endings', () => {
  it.each([
    [',', 'comma'],
    [';', 'semicolon'],
    ['\t', 'tab'],
    ['|', 'pipe']
  ])('detects the %s delimiter', async (delimiter) => {
    const content = ['q', 'a', 'n'].join(delimiter) + '\n' + ['Why, though?', '1,5', 'x'].map((cell) => (cell.includes(',') && delimiter === ',' ? `"${cell}"` : cell)).join(delimiter) + '\n' + ['b', 'c', 'd'].join(delimiter) + '\n'
    const { index, rows } = await rowsOf(file('d.csv', content))
    expect(index.layout.delimiter).toBe(delimiter)
    expect(rows.map((row) => row.cells)).toEqual([
      ['Why, though?', '1,5', 'x'],
      ['b', 'c', 'd']
    ])
  })

  it('reads quoted cells with line breaks and doubled quotes, CRLF, and numbers rows and lines', async () => {
    const content = 'instruction,output\r\n"Say ""hi""\r\nthen stop",Hi\r\nSecond,"Line 1\nLine 2\nLine 3"\r\nThird,Done\r\n'
    const { index, rows } = await rowsOf(file('q.csv', content))
    expect(index.layout.lineEnding).toBe('crlf')
    expect(rows).toEqual([
      { row: 1, line: 2, cells: ['Say "hi"\r\nthen stop', 'Hi'] },
      { row: 2, line: 4, cells: ['Second', 'Line 1\nLine 2\nLine 3'] },
      { row: 3, line: 7, cells: ['Third', 'Done'] }
    ])
  })

  it('skips blank lines (not counted as rows) and says which lines', async () => {
    const { inspection } = await ingestCsv(file('blank.csv', 'a,b\n\n1,2\n,\n\n3,4\n'))
    expect(inspection.rowCount).toBe(2)
    expect(inspection.blankLineCount).toBe(3)
    expect(problems(inspection, 'blank-lines')[0]?.message).toMatch(/3 empty lines .*line 2, 4, 5/)
  })

  it('treats trailing delimiters as no data: no problem, no extra column', async () => {
    const target = file('trail.csv', 'a,b,\n1,2,\n3,4,\n')
    const { inspection } = await ingestCsv(target)
    expect(inspection.layout?.columns).toEqual(['a', 'b'])
    expect(inspection.problems).toEqual([])
    expect((await rowsOf(target)).rows.map((row) => row.cells)).toEqual([
      ['1', '2'],
      ['3', '4']
    ])
  })
})

describe('ingestCsv: header', () => {
  it('names columns column_1..N when the user says there is no header, and the first row is data', async () => {
    const target = file('nohead.csv', 'hello,world\nfoo,bar\n')
    const { index, rows } = await rowsOf(target, { hasHeader: false })
    expect(index.layout).toMatchObject({ hasHeader: false, headerSource: 'user', columns: ['column_1', 'column_2'], headerCells: null })
    expect(rows[0]).toEqual({ row: 1, line: 1, cells: ['hello', 'world'] })
  })

  it('decides the first row is data when it looks like data, and says how to change that', async () => {
    const long = 'x'.repeat(200)
    const { inspection } = await ingestCsv(file('datafirst.csv', `${long},1\n${long},2\n`))
    expect(inspection.layout).toMatchObject({ hasHeader: false, headerSource: 'detected', columns: ['column_1', 'column_2'] })
    expect(problems(inspection, 'no-header-detected')[0]?.message).toMatch(/200-character cell.*say the file has a header/)
  })

  it('renames blank and duplicate header names and reports each renaming', async () => {
    const { inspection } = await ingestCsv(file('dup.csv', 'text,,text,id\n1,2,3,4\n'))
    expect(inspection.layout?.columns).toEqual(['text', 'column_2', 'text_2', 'id'])
    expect(problems(inspection, 'blank-header')[0]).toMatchObject({ line: 1, column: 'column_2' })
    expect(problems(inspection, 'blank-header')[0]?.message).toMatch(/Column 2 has no name.*"column_2"/)
    expect(problems(inspection, 'duplicate-header')[0]?.message).toMatch(/Columns 1 and 3 are both named "text".*column 3 is called "text_2"/)
  })
})

describe('ingestCsv: problems with row and line', () => {
  it('reports rows with too many cells (cannot train) and too few (read as empty)', async () => {
    const target = file('ragged.csv', 'a,b,c\n1,2,3\n1,2,3,4,5\n1,2\n')
    const { inspection } = await ingestCsv(target)
    expect(inspection.parseIssueRows).toBe(1)
    expect(problems(inspection, 'too-many-fields')[0]).toMatchObject({ row: 2, line: 3, severity: 'error' })
    expect(problems(inspection, 'too-many-fields')[0]?.message).toMatch(/^row 2 \(line 3 of the file\) has 5 cells but the file has 3 columns; the extra cells \("4", "5"\)/)
    expect(problems(inspection, 'too-few-fields')[0]).toMatchObject({ row: 3, line: 4, severity: 'warning' })
    const { rows } = await rowsOf(target)
    expect(rows[1]?.parseIssue?.kind).toBe('too-many-fields')
    expect(rows[2]).toEqual({ row: 3, line: 4, cells: ['1', '2', ''] })
  })

  it('says where an unterminated quote starts (row and line)', async () => {
    const { inspection } = await ingestCsv(file('open.csv', 'a,b\n1,ok\n2,"never\ncloses\n3,x\n'))
    const problem = problems(inspection, 'unterminated-quote')[0]
    expect(problem).toMatchObject({ row: 2, line: 3, column: 'b', severity: 'error' })
    expect(problem?.message).toMatch(/^row 2 \(line 3 of the file\): the quote that opens a cell in column "b" on line 3 never closes/)
    expect(inspection.rowCount).toBe(2)
  })

  it('stops at a quote that stays open for too long and says where it started', async () => {
    const { scanCsv } = await import('../../../../src/main/core/datasets/csv-scan')
    const body = `a,b\n1,ok\n2,"${'long text '.repeat(2000)}\n`
    const result = await scanCsv(file('runaway.csv', body), { maxRecordChars: 5000, chunkBytes: 1024 }, () => {})
    expect(result.fatal).toMatchObject({ kind: 'record-too-large', row: 2, line: 3 })
  })

  it('reports a quoted cell with text after its closing quote', async () => {
    const { inspection } = await ingestCsv(file('malformed.csv', 'a,b\n1,"x"y\n'))
    expect(problems(inspection, 'malformed-quote')[0]).toMatchObject({ row: 1, line: 2 })
  })

  it('reports NUL bytes with row and column', async () => {
    const { inspection } = await ingestCsv(file('nul.csv', Buffer.from('a,b\n1,ok\n2,bro\u0000ken\n')))
    expect(problems(inspection, 'nul-bytes')[0]).toMatchObject({ row: 2, line: 3, column: 'b', severity: 'error' })
  })

  it('reports cells over the size limit', async () => {
    const { inspection } = await ingestCsv(file('big.csv', `a,b\n1,${'y'.repeat(50)}\n`), { maxCellChars: 20 })
    expect(problems(inspection, 'cell-too-large')[0]).toMatchObject({ row: 1, line: 2, column: 'b' })
    expect(problems(inspection, 'cell-too-large')[0]?.message).toMatch(/50 characters, more than the limit of 20/)
  })

  it('refuses an empty file, a blank file and a header-only file', async () => {
    for (const [name, content, kind] of [
      ['empty.csv', '', 'empty-file'],
      ['blank.csv', '\n\r\n  \n', 'empty-file'],
      ['header.csv', 'instruction,input,output\r\n', 'header-only']
    ] as const) {
      const { inspection, index } = await ingestCsv(file(name, content))
      expect(inspection.usable, name).toBe(false)
      expect(index, name).toBeNull()
      expect(inspection.problems[0]?.kind, name).toBe(kind)
    }
  })

  it('refuses files that are not text', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])
    const xlsx = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(100)])
    const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))
    for (const [name, bytes, pattern] of [
      ['image.csv', png, /PNG image/],
      ['sheet.csv', xlsx, /Excel \.xlsx.*save it as CSV/],
      ['noise.csv', random, /not a text file/]
    ] as const) {
      const { inspection } = await ingestCsv(file(name, bytes))
      expect(inspection.usable, name).toBe(false)
      expect(inspection.problems[0]?.kind, name).toBe('binary-file')
      expect(inspection.problems[0]?.message, name).toMatch(pattern)
    }
  })
})

describe('ingestCsv: stats, progress, suggestion', () => {
  it('counts non-empty cells and their mean and max length per column', async () => {
    const { inspection } = await ingestCsv(file('stats.csv', 'instruction,input,output\nab,,abcd\nabcd,  ,ab\n'))
    expect(inspection.columns).toEqual([
      { index: 0, name: 'instruction', nonEmptyCount: 2, meanLength: 3, maxLength: 4 },
      { index: 1, name: 'input', nonEmptyCount: 0, meanLength: 0, maxLength: 0 },
      { index: 2, name: 'output', nonEmptyCount: 2, meanLength: 3, maxLength: 4 }
    ])
    expect(inspection.suggestion?.mapping).toEqual({ mode: 'chat', prompt: 'instruction', context: 'input', response: 'output' })
  })

  it('reports progress in bytes up to the file size', async () => {
    const rows = Array.from({ length: 40_000 }, (_, i) => `row ${i},"some text, with a comma"`).join('\n')
    const target = file('progress.csv', `a,b\n${rows}\n`)
    const seen: { bytesRead: number; totalBytes: number }[] = []
    await ingestCsv(target, { onProgress: (progress) => seen.push(progress) })
    const size = fs.statSync(target).size
    expect(seen.length).toBeGreaterThan(1)
    expect(seen.every((progress, i) => progress.totalBytes === size && (i === 0 || progress.bytesRead >= (seen[i - 1]?.bytesRead ?? 0)))).toBe(true)
    expect(seen.at(-1)?.bytesRead).toBe(size)
  })

  it('stops when asked to', async () => {
    const target = file('abort.csv', `a,b\n${'x,y\n'.repeat(300_000)}`)
    const abort = new AbortController()
    abort.abort()
    await expect(ingestCsv(target, { signal: abort.signal })).rejects.toThrow()
  })

  it('says clearly when the file is not there', async () => {
    await expect(ingestCsv(path.join(dir, 'missing.csv'))).rejects.toThrow(/missing\.csv does not exist/)
  })
})

describe('ingestCsv: more layouts', () => {
  it('reads UTF-16 without a byte-order mark, including pages from the row index', async () => {
    const target = file('utf16-nobom.csv', Buffer.from('prompt,response\nQ1,A1\nQ2,Ä2\n', 'utf16le'))
    const { index, rows } = await rowsOf(target)
    expect(index.layout.encoding).toBe('utf-16le')
    expect(rows.map((row) => row.cells)).toEqual([
      ['Q1', 'A1'],
      ['Q2', 'Ä2']
    ])
  })

  it('says when the header itself has a quote that never closes', async () => {
    const { inspection } = await ingestCsv(file('badheader.csv', 'a,"b\n1,2\n3,4\n'), { hasHeader: true })
    expect(inspection.problems.map((problem) => problem.kind)).toContain('unterminated-quote')
    expect(problems(inspection, 'unterminated-quote')[0]?.message).toMatch(/header row \(line 1\) never closes/)
  })
})
