import type { CsvDelimiter, DatasetProblem, RowParseIssue } from '../../../shared/dataset/types'
import { describeRowPosition } from '../../../shared/dataset/types'
import { delimiterNames } from './csv-layout-detection'
import type { RawRecord } from './csv-records'
import type { ProblemLog } from './problem-log'

export interface RowCheckContext {
  columns: readonly string[]
  delimiter: CsvDelimiter
  maxCellChars: number
  /** Searching every cell for NUL or U+FFFD costs a pass over all text: only files that have them pay it. */
  lookForNul: boolean
  lookForReplacement: boolean
}

/** Whether a row needs the full check: the common clean row costs a few length comparisons. */
export function rowNeedsCheck(raw: RawRecord, cells: readonly string[], context: RowCheckContext): boolean {
  if (raw.quoteErrors.length > 0 || raw.fields.length !== context.columns.length || context.lookForReplacement) return true
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i] as string
    if (cell.length > context.maxCellChars || (context.lookForNul && cell.indexOf('\u0000') !== -1)) return true
  }
  return false
}

/**
 * Reports what is wrong with one data row (each problem with its row, line and column) and
 * returns why the row cannot train, if it cannot: broken quotes, cells past the last column,
 * NUL bytes, oversized cells. Too few cells or replaced bytes are warnings: the row still trains.
 */
export function checkRow(raw: RawRecord, row: number, cells: readonly string[], context: RowCheckContext, problems: ProblemLog): RowParseIssue | undefined {
  const { columns, delimiter, maxCellChars } = context
  const columnCount = columns.length
  const where = describeRowPosition(row, raw.line)
  let issue: RowParseIssue | undefined
  const report = (problem: DatasetProblem, rowMessage: string): void => {
    problems.add(problem)
    if (problem.severity === 'error') issue ??= { kind: problem.kind as RowParseIssue['kind'], message: rowMessage }
  }
  for (const error of raw.quoteErrors) {
    if (error.kind === 'unterminated-quote') {
      const column = columns[Math.min(raw.fields.length, columnCount) - 1]
      const inColumn = column ? ` in column "${column}"` : ''
      report(
        {
          kind: 'unterminated-quote',
          severity: 'error',
          row,
          line: error.line,
          ...(column ? { column } : {}),
          message: `${where}: the quote that opens a cell${inColumn} on line ${error.line} never closes, so everything after it, to the end of the file, was read as one cell. Add the missing closing quote (") in the file.`
        },
        `a quote opened on line ${error.line}${inColumn} never closes, so the rest of the file was read as one cell`
      )
    } else {
      report(
        {
          kind: 'malformed-quote',
          severity: 'error',
          row,
          line: error.line,
          message: `${where}: a quoted cell has text right after its closing quote (line ${error.line}), so the row's cells may be split wrongly. Inside a quoted cell, write a quote as two quotes ("").`
        },
        `a quoted cell has text after its closing quote (line ${error.line})`
      )
    }
  }
  if (raw.fields.length > columnCount) {
    const extra = raw.fields.slice(columnCount)
    // Cells past the last column that are empty are trailing delimiters, not data.
    if (extra.some((cell) => cell !== '')) {
      const shown = extra.map((cell) => JSON.stringify(cell.length > 40 ? `${cell.slice(0, 40)}…` : cell)).join(', ')
      report(
        {
          kind: 'too-many-fields',
          severity: 'error',
          row,
          line: raw.line,
          message: `${where} has ${raw.fields.length} cells but the file has ${columnCount} columns; the extra cells (${shown}) belong to no column. Usually a cell contains the delimiter (${delimiterNames[delimiter]}) without quotes around it: put that cell in quotes.`
        },
        `it has ${raw.fields.length} cells but the file has ${columnCount} columns`
      )
    }
  } else if (raw.fields.length < columnCount && raw.quoteErrors.length === 0) {
    const missing = columns.slice(raw.fields.length).map((name) => `"${name}"`).join(', ')
    report(
      {
        kind: 'too-few-fields',
        severity: 'warning',
        row,
        line: raw.line,
        message: `${where} has ${raw.fields.length} of ${columnCount} cells; the missing ones (${missing}) are read as empty.`
      },
      ''
    )
  }
  for (let c = 0; c < cells.length; c++) {
    const cell = cells[c] as string
    const column = columns[c] as string
    if (cell.length > maxCellChars) {
      const size = cell.length.toLocaleString('en-US')
      const limit = maxCellChars.toLocaleString('en-US')
      report(
        {
          kind: 'cell-too-large',
          severity: 'error',
          row,
          line: raw.line,
          column,
          message: `${where}, column "${column}": the cell has ${size} characters, more than the limit of ${limit}. This is usually a quote that closes much later than it should; check the quotes from line ${raw.line} on, or drop the row.`
        },
        `the cell in column "${column}" has ${size} characters (the limit is ${limit})`
      )
    }
    if (context.lookForNul && cell.indexOf('\u0000') !== -1) {
      report(
        {
          kind: 'nul-bytes',
          severity: 'error',
          row,
          line: raw.line,
          column,
          message: `${where}, column "${column}": the cell contains NUL bytes (character 0), which text never has; the file may be damaged. Remove them in the file or drop the row.`
        },
        `the cell in column "${column}" contains NUL bytes`
      )
    }
    if (context.lookForReplacement && cell.indexOf('\ufffd') !== -1) {
      report(
        {
          kind: 'invalid-utf8',
          severity: 'warning',
          row,
          line: raw.line,
          column,
          message: `${where}, column "${column}": bytes that are not valid UTF-8 are read as "\ufffd". Save the file as UTF-8 to keep those characters.`
        },
        ''
      )
    }
  }
  return issue
}
