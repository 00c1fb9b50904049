import type { FormattedExample } from './formatted-example'
import { isChatExample } from './formatted-example'
import type { DatasetMapping, TrainingFormatOptions } from './mapping'
import { resolveTrainOnResponseOnly } from './mapping'
import type { InvalidRowReason } from './row-validation'
import { describeInvalidRow } from './row-validation'
import { createExampleFormatter } from './training-format'
import type { DatasetRow } from './types'

/** A piece of the example text and whether training learns from it (carries loss). */
export interface ExampleSegment {
  part: 'prompt' | 'response' | 'text'
  text: string
  carriesLoss: boolean
}

export type ExamplePreview =
  | { row: number; line: number; status: 'ok'; example: FormattedExample; segments: ExampleSegment[] }
  | { row: number; line: number; status: 'invalid'; reason: InvalidRowReason; message: string }
  | { row: number; line: number; status: 'error'; message: string }

/** Splits an example into the parts the UI highlights; prompt + response is the full text. */
export function exampleSegments(example: FormattedExample, trainOnResponseOnly: boolean): ExampleSegment[] {
  if (!isChatExample(example)) return [{ part: 'text', text: example.text, carriesLoss: true }]
  return [
    { part: 'prompt', text: example.prompt, carriesLoss: !trainOnResponseOnly },
    { part: 'response', text: example.response, carriesLoss: true }
  ]
}

/**
 * What each row will train as, through the same formatter the export uses. Rows that cannot
 * train say why instead; a chat template that fails on a row says so for that row.
 */
export function previewExamples(
  rows: readonly DatasetRow[],
  columns: readonly string[],
  mapping: DatasetMapping,
  options: TrainingFormatOptions = {}
): ExamplePreview[] {
  const formatter = createExampleFormatter(columns, mapping, options)
  const trainOnResponseOnly = resolveTrainOnResponseOnly(mapping.mode, options)
  return rows.map((row): ExamplePreview => {
    const reason = formatter.invalidReason(row.cells, row.parseIssue)
    if (reason) return { row: row.row, line: row.line, status: 'invalid', reason, message: describeInvalidRow(reason, mapping, row.parseIssue) }
    try {
      const example = formatter.format(row.cells)
      return { row: row.row, line: row.line, status: 'ok', example, segments: exampleSegments(example, trainOnResponseOnly) }
    } catch (error) {
      return { row: row.row, line: row.line, status: 'error', message: (error as Error).message }
    }
  })
}
