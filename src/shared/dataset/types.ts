/**
 * Plain data that describes a user's CSV as LocalTune read it. Every side (core, CLI, UI) shows
 * these, so they carry what a person needs to find a problem in their own file: a row number,
 * the line of the file, the column name.
 *
 * Row numbering, everywhere: `row` is the 1-based DATA row (the first row after the header is
 * row 1; blank lines are not rows), and `line` is the 1-based physical line of the file where
 * the row starts (a quoted cell with line breaks makes a row span several lines).
 */

export type TextEncodingName = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be' | 'windows-1252'

export type CsvDelimiter = ',' | ';' | '\t' | '|'

export type LineEnding = 'lf' | 'crlf' | 'cr'

export type ProblemSeverity =
  /** The file, or this row, cannot be used as it is. */
  | 'error'
  /** Read, but probably not what the user meant: check it. */
  | 'warning'
  /** A decision LocalTune took that the user may want to change. */
  | 'info'

export type DatasetProblemKind =
  | 'empty-file'
  | 'header-only'
  | 'binary-file'
  | 'encoding-fallback'
  | 'utf16-without-bom'
  | 'invalid-utf8'
  | 'no-header-detected'
  | 'blank-header'
  | 'duplicate-header'
  | 'too-many-fields'
  | 'too-few-fields'
  | 'unterminated-quote'
  | 'malformed-quote'
  | 'record-too-large'
  | 'nul-bytes'
  | 'cell-too-large'
  | 'blank-lines'

export interface DatasetProblem {
  kind: DatasetProblemKind
  severity: ProblemSeverity
  /** A full sentence: what, where, and what to do. */
  message: string
  /** 1-based data row (header not counted). */
  row?: number
  /** 1-based line of the file. */
  line?: number
  /** Column name as LocalTune shows it (after renaming blank/duplicate headers). */
  column?: string
}

/** Why a row, as parsed, cannot be used for training whatever the mapping. */
export type RowParseIssueKind = 'too-many-fields' | 'unterminated-quote' | 'malformed-quote' | 'nul-bytes' | 'cell-too-large'

export interface RowParseIssue {
  kind: RowParseIssueKind
  message: string
}

/** One data row, with its cells aligned to the columns (missing trailing cells read as ''). */
export interface DatasetRow {
  row: number
  line: number
  cells: string[]
  /** Present when the row did not parse cleanly enough to train on. */
  parseIssue?: RowParseIssue
}

/** How the file is laid out: everything needed to read it again from any row. */
export interface CsvLayout {
  encoding: TextEncodingName
  delimiter: CsvDelimiter
  lineEnding: LineEnding
  hasHeader: boolean
  /** Whether `hasHeader` came from the user or from LocalTune looking at the first rows. */
  headerSource: 'user' | 'detected'
  /** Column names as LocalTune uses them: unique and non-blank (column_1..N without a header). */
  columns: string[]
  /** The header cells exactly as in the file, or null when the file has no header row. */
  headerCells: string[] | null
}

export interface ColumnSummary {
  /** 0-based position in the row. */
  index: number
  name: string
  /** Rows where the cell has anything but whitespace. */
  nonEmptyCount: number
  /** Mean length in characters (UTF-16 code units) over non-empty cells; 0 when none. */
  meanLength: number
  maxLength: number
}

export const rowNumberingNote =
  'Rows are numbered from 1 at the first data row (the header is not counted, blank lines are skipped); lines are the lines of the file.'

/** "row 12 (line 14 of the file)": the one way rows are named in messages. */
export function describeRowPosition(row: number, line: number): string {
  return `row ${row} (line ${line} of the file)`
}
