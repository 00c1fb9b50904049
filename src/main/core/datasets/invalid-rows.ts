import type { InvalidRowReason } from '../../../shared/dataset/row-validation'
import type { DroppedRow, InvalidRowsReport } from '../../../shared/dataset/summary'
import { describeRowPosition } from '../../../shared/dataset/types'
import { UserFacingError } from '../user-facing-error'
import type { JsonlWriter } from './jsonl-files'

/** Rows listed in a report (all are counted, and written to dropped-rows.jsonl when dropped). */
const listedRows = 1000

/** Rows that cannot train and the user has not agreed to drop; nothing was written. */
export class InvalidRowsError extends UserFacingError {
  readonly invalid: InvalidRowsReport

  constructor(invalid: InvalidRowsReport) {
    const describe = (row: DroppedRow): string =>
      `${row.file === 'validation-file' ? 'validation file, ' : ''}${describeRowPosition(row.row, row.line)}: ${row.message}`
    const shown = invalid.rows.slice(0, 10).map(describe)
    const more = invalid.count > shown.length ? [`... and ${invalid.count - shown.length} more.`] : []
    const firstRows = invalid.rows.slice(0, 5).map((row) => `  - ${describe(row)}`)
    const notShown = invalid.count - firstRows.length
    super(
      [
        `${invalid.count} row${invalid.count === 1 ? '' : 's'} cannot be used for training (${describeReasons(invalid.byReason)}), so nothing was written:`,
        ...firstRows,
        ...(notShown > 0 ? [`  ... and ${notShown} more.`] : []),
        'Fix them in the file, or leave them out: choose "Drop these rows" in the app, or run `localtune format` again with --drop-invalid.'
      ].join('\n'),
      { code: 'invalid_request', details: [...shown, ...more] }
    )
    this.name = 'InvalidRowsError'
    this.invalid = invalid
  }
}

const reasonNames: Record<InvalidRowReason, string> = {
  'parse-error': 'did not parse',
  'empty-prompt': 'empty prompt',
  'empty-response': 'empty response',
  'empty-text': 'empty text'
}

export function describeReasons(byReason: Partial<Record<InvalidRowReason, number>>): string {
  return Object.entries(byReason)
    .map(([reason, count]) => `${count} ${reasonNames[reason as InvalidRowReason]}`)
    .join(', ')
}

/** Counts the rows that cannot train by reason, lists the first ones, and writes all to dropped-rows.jsonl when asked. */
export class InvalidRowsCollector {
  readonly report: InvalidRowsReport = { count: 0, byReason: {}, rows: [], listTruncated: false }
  writer: JsonlWriter | null = null

  add(row: DroppedRow): void {
    this.report.count++
    this.report.byReason[row.reason] = (this.report.byReason[row.reason] ?? 0) + 1
    if (this.report.rows.length < listedRows) this.report.rows.push(row)
    else this.report.listTruncated = true
    this.writer?.add(JSON.stringify(row))
  }
}
