import { z } from 'zod'
import { chatTemplateSpecSchema, datasetMappingSchema, trainingFormatOptionsSchema } from '../dataset/mapping'
import { validationSplitSchema } from '../dataset/validation-split'
import {
  csvInspectionSchema,
  csvPreviewSchema,
  datasetRecordSchema,
  datasetRowSchema,
  datasetSummarySchema,
  datasetValidationSchema,
  sourceChangeSchema
} from './dataset-schemas'
import { confirmedPathsSchema } from './confirmed-paths'
import { defineChannel, defineEventStream } from './define'

export * from './dataset-schemas'

// Dataset ids name folders under <home>/datasets, so only uuid-like ids get through.
export const datasetIdSchema = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'Not a dataset id (letters, digits and dashes).')

const csvPath = z.string().min(1, 'Give the path of a CSV file.')

/** Undefined: LocalTune decides from the first row and says why in the problems. */
const hasHeader = z.boolean().optional()

export const datasetsChannels = {
  'datasets.peek': defineChannel({
    summary: 'The first rows of a CSV, read from the start of the file only, to show something at once',
    request: z.object({
      path: csvPath,
      hasHeader,
      count: z.number().int().min(1).max(500).default(50),
      confirmedPaths: confirmedPathsSchema
    }),
    response: csvPreviewSchema
  }),
  'datasets.import': defineChannel({
    summary: 'Read a whole CSV once: layout, row count, column stats, problems; index its rows and remember it as a dataset',
    request: z.object({
      path: csvPath,
      hasHeader,
      /** Echoed in datasets.import-progress so the caller can tell its import from another. */
      importId: z.string().min(1).max(100).optional(),
      confirmedPaths: confirmedPathsSchema
    }),
    response: z.object({
      /** Null when the file cannot be used at all (inspection.usable is false; see its problems). */
      datasetId: datasetIdSchema.nullable(),
      inspection: csvInspectionSchema,
      record: datasetRecordSchema.nullable()
    })
  }),
  'datasets.rows': defineChannel({
    summary: 'A page of rows of an imported dataset, by 1-based data row number',
    request: z.object({
      datasetId: datasetIdSchema,
      start: z.number().int().min(1, 'Rows are numbered from 1.'),
      count: z.number().int().min(1).max(1000, 'Ask for at most 1,000 rows at a time.')
    }),
    response: z.object({ rows: z.array(datasetRowSchema) })
  }),
  'datasets.get': defineChannel({
    summary: 'An imported dataset: its record, what reading it found, and whether the file changed since',
    request: z.object({ datasetId: datasetIdSchema }),
    response: z.object({ record: datasetRecordSchema, inspection: csvInspectionSchema, sourceChange: sourceChangeSchema })
  }),
  'datasets.validate': defineChannel({
    summary: 'Check every row of a dataset against a mapping: how many can train, which cannot and why',
    request: z.object({
      datasetId: datasetIdSchema,
      mapping: datasetMappingSchema,
      format: trainingFormatOptionsSchema.default({}),
      /** The user confirmed this mapping: remember it (and the counts found) on the dataset. */
      saveMapping: z.boolean().default(false)
    }),
    response: z.object({ validation: datasetValidationSchema, record: datasetRecordSchema })
  }),
  'datasets.export': defineChannel({
    summary: 'Write train.jsonl (and valid.jsonl) through the shared formatter, with dataset-summary.json',
    request: z.object({
      datasetId: datasetIdSchema,
      mapping: datasetMappingSchema,
      format: trainingFormatOptionsSchema.default({}),
      /** Absent: LocalTune's default for the number of trainable rows. */
      split: validationSplitSchema.optional(),
      /** Required when rows cannot train: they are left out and listed in the summary. */
      dropInvalidRows: z.boolean().default(false),
      /** Absent: the dataset's draft folder, <home>/drafts/<datasetId>/. */
      outDir: z.string().min(1).optional(),
      confirmedPaths: confirmedPathsSchema
    }),
    response: z.object({
      outDir: z.string(),
      trainPath: z.string(),
      /** Null when there is no validation split. */
      validationPath: z.string().nullable(),
      summaryPath: z.string(),
      summary: datasetSummarySchema
    })
  }),
  'datasets.chat-template': defineChannel({
    summary: "A model's own chat template, from its folder's tokenizer_config.json",
    request: z.object({ modelPath: z.string().min(1, 'Give the model folder.'), confirmedPaths: confirmedPathsSchema }),
    response: z.object({ spec: chatTemplateSpecSchema, sourceFile: z.string() })
  })
}

export const datasetsEventStreams = {
  'datasets.import-progress': defineEventStream({
    summary: 'How far datasets.import has read a file',
    payload: z.object({
      importId: z.string().nullable(),
      path: z.string(),
      bytesRead: z.number(),
      totalBytes: z.number(),
      rowsRead: z.number().int()
    })
  })
}
