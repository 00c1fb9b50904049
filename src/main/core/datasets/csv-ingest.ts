import path from 'node:path'
import type { CsvInspection } from '../../../shared/dataset/inspection'
import { suggestMapping } from '../../../shared/dataset/mapping-suggestion'
import { rowNumberingNote } from '../../../shared/dataset/types'
import { ColumnStatsCollector } from './column-stats'
import type { ScanProgress } from './csv-scan'
import { defaultMaxCellChars, scanCsv } from './csv-scan'
import type { DatasetIndex } from './dataset-index'

export interface IngestOptions {
  /** Undefined: LocalTune decides from the first row (and says so in the problems). */
  hasHeader?: boolean
  maxCellChars?: number
  onProgress?: (progress: ScanProgress) => void
  signal?: AbortSignal
}

export interface IngestResult {
  inspection: CsvInspection
  /** Null when the file cannot be used (inspection.usable is false). */
  index: DatasetIndex | null
}

/** About one index point per chunk: a page read parses at most ~1 MiB wherever it starts. */
const indexEveryBytes = 512 * 1024

/**
 * Reads the whole file once: layout, row count, per-column stats, every problem with its row,
 * the SHA-256 of the bytes, and a sparse row index for paging. Never modifies the file.
 */
export async function ingestCsv(filePath: string, options: IngestOptions = {}): Promise<IngestResult> {
  const sourcePath = path.resolve(filePath)
  const maxCellChars = options.maxCellChars ?? defaultMaxCellChars
  let stats: ColumnStatsCollector | undefined
  const scan = await scanCsv(
    sourcePath,
    {
      maxCellChars,
      hash: true,
      indexEveryBytes,
      ...(options.hasHeader !== undefined ? { hasHeader: options.hasHeader } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {})
    },
    (row) => {
      stats ??= new ColumnStatsCollector(row.cells.length)
      stats.add(row.cells)
    }
  )
  const columns = scan.layout ? (stats ?? new ColumnStatsCollector(scan.layout.columns.length)).summaries(scan.layout.columns) : []
  const usable = scan.fatal === null && scan.layout !== null
  const inspection: CsvInspection = {
    sourcePath,
    fileName: path.basename(sourcePath),
    sizeBytes: scan.sizeBytes,
    modifiedMs: scan.modifiedMs,
    sha256: scan.sha256,
    layout: scan.layout,
    rowCount: scan.rowCount,
    blankLineCount: scan.blankLineCount,
    parseIssueRows: scan.parseIssueRows,
    columns,
    problems: scan.problems.list(),
    problemCounts: scan.problems.countsByKind(),
    usable,
    suggestion: scan.layout && scan.layout.columns.length > 0 ? suggestMapping(scan.layout.columns) : null,
    rowNumbering: rowNumberingNote
  }
  const index: DatasetIndex | null =
    usable && scan.layout && scan.sha256
      ? {
          version: 1,
          sourcePath,
          sizeBytes: scan.sizeBytes,
          modifiedMs: scan.modifiedMs,
          sha256: scan.sha256,
          layout: scan.layout,
          rowCount: scan.rowCount,
          maxCellChars,
          points: scan.indexPoints
        }
      : null
  return { inspection, index }
}
