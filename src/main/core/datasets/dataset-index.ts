import fs from 'node:fs'
import path from 'node:path'
import type { CsvLayout, DatasetRow } from '../../../shared/dataset/types'
import { UserFacingError } from '../user-facing-error'
import type { RowIndexPoint } from './csv-scan'
import { scanCsv } from './csv-scan'

/**
 * Everything needed to read any row of an ingested file again without reading it all: the
 * layout found at ingest and a sparse list of record starts (about one per MiB of file).
 * Stored as `<home>/datasets/<id>/row-index.json`.
 */
export interface DatasetIndex {
  version: 1
  sourcePath: string
  sizeBytes: number
  modifiedMs: number
  sha256: string
  layout: CsvLayout
  rowCount: number
  maxCellChars: number
  points: RowIndexPoint[]
}

export const rowIndexFileName = 'row-index.json'

export async function saveDatasetIndex(folder: string, index: DatasetIndex): Promise<string> {
  await fs.promises.mkdir(folder, { recursive: true })
  const file = path.join(folder, rowIndexFileName)
  const temporary = `${file}.partial`
  await fs.promises.writeFile(temporary, JSON.stringify(index))
  await fs.promises.rename(temporary, file)
  return file
}

export async function loadDatasetIndex(folder: string): Promise<DatasetIndex> {
  const file = path.join(folder, rowIndexFileName)
  let text: string
  try {
    text = await fs.promises.readFile(file, 'utf8')
  } catch {
    throw new UserFacingError(`The row index ${file} is missing. Import the CSV file again.`, { code: 'not_found' })
  }
  const index = JSON.parse(text) as DatasetIndex
  if (index.version !== 1) throw new UserFacingError(`The row index ${file} was written by another LocalTune version. Import the CSV file again.`, { code: 'conflict' })
  return index
}

/** The last index point at or before `row` (undefined: read from the top of the file). */
function pointBefore(points: readonly RowIndexPoint[], row: number): RowIndexPoint | undefined {
  let low = 0
  let high = points.length - 1
  let found: RowIndexPoint | undefined
  while (low <= high) {
    const middle = (low + high) >> 1
    const point = points[middle] as RowIndexPoint
    if (point.row <= row) {
      found = point
      low = middle + 1
    } else high = middle - 1
  }
  return found
}

/**
 * Rows `startRow`..`startRow + count - 1` (1-based data rows), read from the file starting at
 * the nearest index point, so a page costs about the same anywhere in a large file. Fails with
 * a clear message when the file changed since it was indexed.
 */
export async function readRows(index: DatasetIndex, startRow: number, count: number): Promise<DatasetRow[]> {
  if (!Number.isInteger(startRow) || startRow < 1) throw new UserFacingError(`Rows are numbered from 1; got ${startRow}.`, { code: 'invalid_request' })
  if (!Number.isInteger(count) || count < 0) throw new UserFacingError(`The number of rows to read must be a whole number ≥ 0; got ${count}.`, { code: 'invalid_request' })
  const last = Math.min(index.rowCount, startRow + count - 1)
  if (count === 0 || startRow > last) return []
  const rows: DatasetRow[] = []
  const start = pointBefore(index.points, startRow)
  await scanCsv(
    index.sourcePath,
    {
      layout: index.layout,
      expect: { sizeBytes: index.sizeBytes, modifiedMs: index.modifiedMs },
      maxCellChars: index.maxCellChars,
      chunkBytes: 256 * 1024,
      ...(start ? { start } : {})
    },
    (row) => {
      if (row.row < startRow) return
      rows.push(row)
      if (row.row >= last) return false
    }
  )
  return rows
}
