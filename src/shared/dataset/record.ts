import type { DatasetMapping, DatasetMode } from './mapping'
import type { InvalidRowReason } from './row-validation'
import type { ColumnSummary, CsvDelimiter, DatasetProblemKind, TextEncodingName } from './types'

/** Counts kept with a dataset so lists and project pages show them without reading the file. */
export interface DatasetCounts {
  rows: number
  blankLines: number
  parseIssueRows: number
  problems: Partial<Record<DatasetProblemKind, number>>
  /** Set once the user's mapping was validated. */
  trainable?: number
  invalid?: number
  invalidByReason?: Partial<Record<InvalidRowReason, number>>
}

/** A CSV the user imported: where it is, what it looked like then, and how it is mapped. */
export interface DatasetRecord {
  id: string
  sourcePath: string
  fileName: string
  sizeBytes: number
  sha256: string
  modifiedMs: number
  encoding: TextEncodingName
  delimiter: CsvDelimiter
  hasHeader: boolean
  rowCount: number
  columns: ColumnSummary[]
  mode: DatasetMode | null
  mapping: DatasetMapping | null
  counts: DatasetCounts | null
  createdAt: string
  updatedAt: string
}

/** Whether the file on disk is still the one that was imported. */
export type SourceChange =
  | { status: 'unchanged'; checkedBy: 'size-and-time' | 'hash' }
  | { status: 'changed'; reason: 'missing' | 'size' | 'content'; message: string }
