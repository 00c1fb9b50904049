import type { MappingSuggestion } from './mapping-suggestion'
import type { ColumnSummary, CsvLayout, DatasetProblem, DatasetProblemKind, DatasetRow } from './types'

/** What reading a whole CSV found: how it is laid out, its columns, and every problem. */
export interface CsvInspection {
  sourcePath: string
  fileName: string
  sizeBytes: number
  modifiedMs: number
  /** SHA-256 of the file's bytes; null when reading stopped early. */
  sha256: string | null
  /** Null when the file is not a usable CSV at all (empty, binary); see problems. */
  layout: CsvLayout | null
  /** Data rows, including rows that did not parse cleanly; blank lines are not rows. */
  rowCount: number
  blankLineCount: number
  /** Rows that cannot train whatever the mapping (broken quotes, extra cells, NUL bytes, huge cells). */
  parseIssueRows: number
  columns: ColumnSummary[]
  /** The first problems of each kind, file-wide ones first; `problemCounts` has the exact totals. */
  problems: DatasetProblem[]
  problemCounts: Partial<Record<DatasetProblemKind, number>>
  /** False when the file as a whole cannot be used (see the error in problems). */
  usable: boolean
  suggestion: MappingSuggestion | null
  rowNumbering: string
}

/** The first rows of a file, read from its start only, for showing something at once. */
export interface CsvPreview {
  sourcePath: string
  sizeBytes: number
  layout: CsvLayout | null
  rows: DatasetRow[]
  /** True when the whole file was read (it has no more rows than these). */
  endOfFile: boolean
  /** Problems in the part that was read. */
  problems: DatasetProblem[]
  suggestion: MappingSuggestion | null
  rowNumbering: string
}
