import type { ChatTemplateSpec, DatasetMapping, DatasetMode } from './mapping'
import type { InvalidRowReason } from './row-validation'
import type { ColumnSummary, CsvDelimiter, DatasetProblem, TextEncodingName } from './types'
import type { ValidationSplit } from './validation-split'

/** A row left out of the training files, and why. */
export interface DroppedRow {
  /** 'source': the training CSV; 'validation-file': the second CSV given as validation set. */
  file: 'source' | 'validation-file'
  row: number
  line: number
  reason: InvalidRowReason
  message: string
}

export interface InvalidRowsReport {
  count: number
  byReason: Partial<Record<InvalidRowReason, number>>
  /** The first rows (up to 1,000); `count` is exact. */
  rows: DroppedRow[]
  listTruncated: boolean
}

/** What validating a dataset against a mapping found, before anything is written. */
export interface DatasetValidation {
  rowCount: number
  trainableCount: number
  invalid: InvalidRowsReport
  /** The split LocalTune proposes for this many trainable rows, and the rule behind it. */
  defaultSplit: ValidationSplit
  defaultSplitRule: string
  problems: DatasetProblem[]
  rowNumbering: string
}

export type SplitSummary =
  | { kind: 'none'; chosenBy: 'default' | 'user'; rule: string | null }
  | { kind: 'percent'; chosenBy: 'default' | 'user'; percent: number; seed: number; maxRows: number | null; rule: string | null }
  | { kind: 'file'; chosenBy: 'user'; path: string; rowCount: number; droppedCount: number }

/** `dataset-summary.json`, written next to train.jsonl / valid.jsonl. */
export interface DatasetSummary {
  formatVersion: 1
  createdAt: string
  source: {
    path: string
    fileName: string
    sizeBytes: number
    modifiedMs: number
    encoding: TextEncodingName
    delimiter: CsvDelimiter
    hasHeader: boolean
    columns: ColumnSummary[]
  }
  mode: DatasetMode
  mapping: DatasetMapping
  /** 'localtune': the built-in ### Instruction / ### Response format; 'chat-template': the model's own template. */
  style: 'localtune' | 'chat-template'
  promptStartText: string | null
  /** The chat template the examples were rendered with (style 'chat-template'): the playground formats prompts with it. */
  chatTemplate?: ChatTemplateSpec
  trainOnResponseOnly: boolean
  rows: {
    /** Data rows read from the source CSV. */
    read: number
    trainable: number
    dropped: number
    train: number
    validation: number
  }
  dropped: InvalidRowsReport
  split: SplitSummary
  files: { train: string; validation: string | null; droppedRows: string | null }
  problems: DatasetProblem[]
  rowNumbering: string
}
