import path from 'node:path'
import type { CsvPreview } from '../../../shared/dataset/inspection'
import { suggestMapping } from '../../../shared/dataset/mapping-suggestion'
import type { DatasetRow } from '../../../shared/dataset/types'
import { rowNumberingNote } from '../../../shared/dataset/types'
import { scanCsv } from './csv-scan'

/**
 * The first `count` rows, read from the start of the file only (a few hundred KiB for typical
 * rows), so the UI shows the data while the full ingest is still running.
 */
export async function previewFirstRows(filePath: string, count: number, options: { hasHeader?: boolean } = {}): Promise<CsvPreview> {
  const sourcePath = path.resolve(filePath)
  const rows: DatasetRow[] = []
  const wanted = Math.max(0, Math.floor(count))
  const scan = await scanCsv(
    sourcePath,
    { chunkBytes: 256 * 1024, ...(options.hasHeader !== undefined ? { hasHeader: options.hasHeader } : {}) },
    (row) => {
      if (rows.length >= wanted) return false
      rows.push(row)
    }
  )
  return {
    sourcePath,
    sizeBytes: scan.sizeBytes,
    layout: scan.layout,
    rows,
    endOfFile: !scan.stoppedByConsumer,
    problems: scan.problems.list(),
    suggestion: scan.layout && scan.layout.columns.length > 0 ? suggestMapping(scan.layout.columns) : null,
    rowNumbering: rowNumberingNote
  }
}
