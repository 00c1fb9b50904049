import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ingestCsv } from '../../../../src/main/core/datasets/csv-ingest'
import { loadDatasetIndex, readRows, saveDatasetIndex } from '../../../../src/main/core/datasets/dataset-index'
import { scanCsv } from '../../../../src/main/core/datasets/csv-scan'
import type { DatasetRow } from '../../../../src/shared/dataset/types'

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-'))
})
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

/** ~3 MiB: every 7th row has a quoted cell with line breaks, some rows have non-ASCII text. */
function bigCsv(): string {
  const lines = ['id,prompt,response']
  for (let i = 1; i <= 12_000; i++) {
    const prompt = i % 7 === 0 ? `"Question ${i}\nsecond line\nthird, with ""quotes"""` : `Question ${i} ${'ünïcödé '.repeat(i % 5)}`
    lines.push(`${i},${prompt},Answer ${i} ${'lorem ipsum dolor sit amet '.repeat(8)}`)
  }
  return `${lines.join('\r\n')}\r\n`
}

async function allRows(filePath: string): Promise<DatasetRow[]> {
  const rows: DatasetRow[] = []
  await scanCsv(filePath, {}, (row) => {
    rows.push(row)
  })
  return rows
}

describe('row index and readRows', () => {
  it('pages through the whole file from the sparse index, matching a full read row for row', async () => {
    const target = path.join(dir, 'big.csv')
    fs.writeFileSync(target, bigCsv())
    const { index } = await ingestCsv(target)
    if (!index) throw new Error('not usable')
    expect(index.rowCount).toBe(12_000)
    expect(index.points.length).toBeGreaterThan(2)
    const expected = await allRows(target)
    for (const start of [1, 2, 999, index.points[1]?.row ?? 1, (index.points[1]?.row ?? 2) - 1, 7000, 11_990]) {
      expect(await readRows(index, start, 25), `from row ${start}`).toEqual(expected.slice(start - 1, start - 1 + 25))
    }
    const page = await readRows(index, 11_995, 100)
    expect(page.map((row) => row.row)).toEqual([11_995, 11_996, 11_997, 11_998, 11_999, 12_000])
    expect(await readRows(index, 12_001, 10)).toEqual([])
  })

  it('starts reading at the nearest index point, not at the top of the file', async () => {
    const target = path.join(dir, 'big.csv')
    fs.writeFileSync(target, bigCsv())
    const { index } = await ingestCsv(target)
    if (!index) throw new Error('not usable')
    const point = index.points.at(-1)
    if (!point) throw new Error('expected index points')
    // Spoil the top of the file (same size, same modified time): only a read that starts at the
    // index point can still return the right rows.
    const stat = fs.statSync(target)
    const handle = fs.openSync(target, 'r+')
    fs.writeSync(handle, Buffer.from('#'.repeat(100)), 0, 100, 0)
    fs.closeSync(handle)
    fs.utimesSync(target, stat.atime, (Math.trunc(stat.mtimeMs) + 0.5) / 1000)
    const fromPoint = await readRows(index, point.row + 1, 3)
    expect(fromPoint.map((row) => row.cells[0])).toEqual([String(point.row + 1), String(point.row + 2), String(point.row + 3)])
    await expect(readRows(index, 1, 1)).rejects.toThrow(/header row is different/)
  })

  it('round-trips through row-index.json', async () => {
    const target = path.join(dir, 'small.csv')
    fs.writeFileSync(target, 'a,b\n1,2\n3,4\n')
    const { index } = await ingestCsv(target)
    if (!index) throw new Error('not usable')
    const folder = path.join(dir, 'datasets', 'x1')
    await saveDatasetIndex(folder, index)
    expect(fs.existsSync(path.join(folder, 'row-index.json'))).toBe(true)
    expect(await loadDatasetIndex(folder)).toEqual(index)
  })

  it('refuses to read rows from a file that changed since it was indexed', async () => {
    const target = path.join(dir, 'small.csv')
    fs.writeFileSync(target, 'a,b\n1,2\n3,4\n')
    const { index } = await ingestCsv(target)
    if (!index) throw new Error('not usable')
    fs.appendFileSync(target, '5,6\n')
    await expect(readRows(index, 1, 2)).rejects.toThrow(/changed since LocalTune read it/)
  })

  it('rejects row numbers that do not exist', async () => {
    const target = path.join(dir, 'small.csv')
    fs.writeFileSync(target, 'a,b\n1,2\n')
    const { index } = await ingestCsv(target)
    if (!index) throw new Error('not usable')
    await expect(readRows(index, 0, 1)).rejects.toThrow(/numbered from 1/)
  })
})
