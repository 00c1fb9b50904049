import { z } from 'zod'
import type { CsvInspection, CsvPreview } from '../dataset/inspection'
import { chatTemplateSpecSchema, datasetMappingSchema, datasetModeSchema } from '../dataset/mapping'
import type { MappingSuggestion } from '../dataset/mapping-suggestion'
import type { DatasetRecord, SourceChange } from '../dataset/record'
import type { DatasetSummary, DatasetValidation } from '../dataset/summary'
import type { ColumnSummary, CsvLayout, DatasetProblem, DatasetRow } from '../dataset/types'
import { validationSplitSchema } from '../dataset/validation-split'

/**
 * Runtime schemas for what the dataset core answers. The core's types (src/shared/dataset) are
 * plain interfaces; these mirror them so contract dispatch can check every answer, and the
 * `sameShape` lines at the end make the typecheck fail when the two drift apart.
 */

export const textEncodingSchema = z.enum(['utf-8', 'utf-8-bom', 'utf-16le', 'utf-16be', 'windows-1252'])
export const csvDelimiterSchema = z.enum([',', ';', '\t', '|'])
export const lineEndingSchema = z.enum(['lf', 'crlf', 'cr'])
export const problemSeveritySchema = z.enum(['error', 'warning', 'info'])
export const datasetProblemKindSchema = z.enum([
  'empty-file',
  'header-only',
  'binary-file',
  'encoding-fallback',
  'utf16-without-bom',
  'invalid-utf8',
  'no-header-detected',
  'blank-header',
  'duplicate-header',
  'too-many-fields',
  'too-few-fields',
  'unterminated-quote',
  'malformed-quote',
  'record-too-large',
  'nul-bytes',
  'cell-too-large',
  'blank-lines'
])
export const invalidRowReasonSchema = z.enum(['parse-error', 'empty-prompt', 'empty-response', 'empty-text'])

export const datasetProblemSchema = z.object({
  kind: datasetProblemKindSchema,
  severity: problemSeveritySchema,
  message: z.string(),
  row: z.number().int().optional(),
  line: z.number().int().optional(),
  column: z.string().optional()
})

export const csvLayoutSchema = z.object({
  encoding: textEncodingSchema,
  delimiter: csvDelimiterSchema,
  lineEnding: lineEndingSchema,
  hasHeader: z.boolean(),
  headerSource: z.enum(['user', 'detected']),
  columns: z.array(z.string()),
  headerCells: z.array(z.string()).nullable()
})

export const columnSummarySchema = z.object({
  index: z.number().int(),
  name: z.string(),
  nonEmptyCount: z.number().int(),
  meanLength: z.number(),
  maxLength: z.number().int()
})

export const datasetRowSchema = z.object({
  row: z.number().int(),
  line: z.number().int(),
  cells: z.array(z.string()),
  parseIssue: z
    .object({
      kind: z.enum(['too-many-fields', 'unterminated-quote', 'malformed-quote', 'nul-bytes', 'cell-too-large']),
      message: z.string()
    })
    .optional()
})

export const mappingSuggestionSchema = z.object({
  mapping: datasetMappingSchema.nullable(),
  confidence: z.enum(['high', 'medium', 'low', 'none']),
  explanation: z.array(z.string())
})

export const csvInspectionSchema = z.object({
  sourcePath: z.string(),
  fileName: z.string(),
  sizeBytes: z.number(),
  modifiedMs: z.number(),
  sha256: z.string().nullable(),
  layout: csvLayoutSchema.nullable(),
  rowCount: z.number().int(),
  blankLineCount: z.number().int(),
  parseIssueRows: z.number().int(),
  columns: z.array(columnSummarySchema),
  problems: z.array(datasetProblemSchema),
  problemCounts: z.partialRecord(datasetProblemKindSchema, z.number().int()),
  usable: z.boolean(),
  suggestion: mappingSuggestionSchema.nullable(),
  rowNumbering: z.string()
})

export const csvPreviewSchema = z.object({
  sourcePath: z.string(),
  sizeBytes: z.number(),
  layout: csvLayoutSchema.nullable(),
  rows: z.array(datasetRowSchema),
  endOfFile: z.boolean(),
  problems: z.array(datasetProblemSchema),
  suggestion: mappingSuggestionSchema.nullable(),
  rowNumbering: z.string()
})

export const datasetCountsSchema = z.object({
  rows: z.number().int(),
  blankLines: z.number().int(),
  parseIssueRows: z.number().int(),
  problems: z.partialRecord(datasetProblemKindSchema, z.number().int()),
  trainable: z.number().int().optional(),
  invalid: z.number().int().optional(),
  invalidByReason: z.partialRecord(invalidRowReasonSchema, z.number().int()).optional()
})

export const datasetRecordSchema = z.object({
  id: z.string(),
  sourcePath: z.string(),
  fileName: z.string(),
  sizeBytes: z.number(),
  sha256: z.string(),
  modifiedMs: z.number(),
  encoding: textEncodingSchema,
  delimiter: csvDelimiterSchema,
  hasHeader: z.boolean(),
  rowCount: z.number().int(),
  columns: z.array(columnSummarySchema),
  mode: datasetModeSchema.nullable(),
  mapping: datasetMappingSchema.nullable(),
  counts: datasetCountsSchema.nullable(),
  createdAt: z.string(),
  updatedAt: z.string()
})

export const sourceChangeSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('unchanged'), checkedBy: z.enum(['size-and-time', 'hash']) }),
  z.object({ status: z.literal('changed'), reason: z.enum(['missing', 'size', 'content']), message: z.string() })
])

export const droppedRowSchema = z.object({
  file: z.enum(['source', 'validation-file']),
  row: z.number().int(),
  line: z.number().int(),
  reason: invalidRowReasonSchema,
  message: z.string()
})

export const invalidRowsReportSchema = z.object({
  count: z.number().int(),
  byReason: z.partialRecord(invalidRowReasonSchema, z.number().int()),
  rows: z.array(droppedRowSchema),
  listTruncated: z.boolean()
})

export const datasetValidationSchema = z.object({
  rowCount: z.number().int(),
  trainableCount: z.number().int(),
  invalid: invalidRowsReportSchema,
  defaultSplit: validationSplitSchema,
  defaultSplitRule: z.string(),
  problems: z.array(datasetProblemSchema),
  rowNumbering: z.string()
})

export const splitSummarySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none'), chosenBy: z.enum(['default', 'user']), rule: z.string().nullable() }),
  z.object({
    kind: z.literal('percent'),
    chosenBy: z.enum(['default', 'user']),
    percent: z.number(),
    seed: z.number().int(),
    maxRows: z.number().int().nullable(),
    rule: z.string().nullable()
  }),
  z.object({ kind: z.literal('file'), chosenBy: z.literal('user'), path: z.string(), rowCount: z.number().int(), droppedCount: z.number().int() })
])

export const datasetSummarySchema = z.object({
  formatVersion: z.literal(1),
  createdAt: z.string(),
  source: z.object({
    path: z.string(),
    fileName: z.string(),
    sizeBytes: z.number(),
    modifiedMs: z.number(),
    encoding: textEncodingSchema,
    delimiter: csvDelimiterSchema,
    hasHeader: z.boolean(),
    columns: z.array(columnSummarySchema)
  }),
  mode: datasetModeSchema,
  mapping: datasetMappingSchema,
  style: z.enum(['localtune', 'chat-template']),
  promptStartText: z.string().nullable(),
  chatTemplate: chatTemplateSpecSchema.optional(),
  trainOnResponseOnly: z.boolean(),
  rows: z.object({
    read: z.number().int(),
    trainable: z.number().int(),
    dropped: z.number().int(),
    train: z.number().int(),
    validation: z.number().int()
  }),
  dropped: invalidRowsReportSchema,
  split: splitSummarySchema,
  files: z.object({ train: z.string(), validation: z.string().nullable(), droppedRows: z.string().nullable() }),
  problems: z.array(datasetProblemSchema),
  rowNumbering: z.string()
})

// Compile-time proof that each schema describes exactly the core's type (both directions).
type SameShape<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
type Expect<T extends true> = T
type _SchemasMatchCoreTypes = [
  Expect<SameShape<z.output<typeof datasetProblemSchema>, DatasetProblem>>,
  Expect<SameShape<z.output<typeof csvLayoutSchema>, CsvLayout>>,
  Expect<SameShape<z.output<typeof columnSummarySchema>, ColumnSummary>>,
  Expect<SameShape<z.output<typeof datasetRowSchema>, DatasetRow>>,
  Expect<SameShape<z.output<typeof mappingSuggestionSchema>, MappingSuggestion>>,
  Expect<SameShape<z.output<typeof csvInspectionSchema>, CsvInspection>>,
  Expect<SameShape<z.output<typeof csvPreviewSchema>, CsvPreview>>,
  Expect<SameShape<z.output<typeof datasetRecordSchema>, DatasetRecord>>,
  Expect<SameShape<z.output<typeof sourceChangeSchema>, SourceChange>>,
  Expect<SameShape<z.output<typeof datasetValidationSchema>, DatasetValidation>>,
  Expect<SameShape<z.output<typeof datasetSummarySchema>, DatasetSummary>>
]
