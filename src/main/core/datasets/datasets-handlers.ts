import path from 'node:path'
import type { ContractHandlers } from '../../../shared/contract'
import type { datasetsChannels } from '../../../shared/contract/datasets'
import type { CsvInspection } from '../../../shared/dataset/inspection'
import type { DatasetMapping } from '../../../shared/dataset/mapping'
import { missingMappedColumns } from '../../../shared/dataset/mapping'
import type { DatasetCounts, DatasetRecord } from '../../../shared/dataset/record'
import type { DatasetValidation } from '../../../shared/dataset/summary'
import type { EventHub } from '../event-hub'
import type { LocalTuneDatabase } from '../store/database'
import { UserFacingError } from '../user-facing-error'
import { loadModelChatTemplate } from './chat-template-file'
import { previewFirstRows } from './csv-preview'
import type { ScanProgress } from './csv-scan'
import { importDataset, loadInspection, openDatasetIndex } from './dataset-import'
import type { DatasetIndex } from './dataset-index'
import { readRows } from './dataset-index'
import { createDatasetRepository } from './dataset-repository'
import { findChangedSource } from './source-change'
import { exportTrainingData, summaryFileName, trainFileName, validateDataset, validationFileName } from './training-export'

export type DatasetsHandlers = Pick<ContractHandlers, keyof typeof datasetsChannels>

export interface DatasetsHandlerContext {
  home: string
  db: LocalTuneDatabase
  events: EventHub
}

/** `<home>/drafts/<datasetId>/`: where the Data screen's training files go before a project exists. */
export function draftFolder(home: string, datasetId: string): string {
  return path.join(home, 'drafts', datasetId)
}

// A progress bar needs a few updates a second, not one per 1 MiB chunk of a fast disk.
const progressEveryMs = 100

function throttledProgress(publish: (progress: ScanProgress) => void): (progress: ScanProgress) => void {
  let last = 0
  return (progress) => {
    const now = Date.now()
    if (now - last < progressEveryMs && progress.bytesRead < progress.totalBytes) return
    last = now
    publish(progress)
  }
}

function countsAfterValidation(base: DatasetCounts, validation: DatasetValidation): DatasetCounts {
  return { ...base, trainable: validation.trainableCount, invalid: validation.invalid.count, invalidByReason: validation.invalid.byReason }
}

/**
 * The `datasets.*` channels over the dataset core: import and page through a CSV, check a
 * mapping against every row, and write the training files. Payloads were validated by contract
 * dispatch; what is left to check here is what only the core knows (ids, columns, files).
 */
export function datasetsHandlers({ home, db, events }: DatasetsHandlerContext): DatasetsHandlers {
  const repository = createDatasetRepository(db)
  // Row indexes never change for an id (a re-import gets a new id), so they can be kept; the
  // bound keeps a long session that imported many files from holding every index.
  const indexes = new Map<string, Promise<DatasetIndex>>()
  const maxCachedIndexes = 8

  const recordFor = (datasetId: string): DatasetRecord => {
    const record = repository.get(datasetId)
    if (!record) throw new UserFacingError(`There is no imported dataset ${datasetId}. Choose the CSV file again.`, { code: 'not_found' })
    return record
  }

  const indexFor = (datasetId: string): Promise<DatasetIndex> => {
    recordFor(datasetId)
    let index = indexes.get(datasetId)
    if (!index) {
      index = openDatasetIndex(home, datasetId)
      index.catch(() => indexes.delete(datasetId))
      if (indexes.size >= maxCachedIndexes) indexes.delete(indexes.keys().next().value as string)
      indexes.set(datasetId, index)
    }
    return index
  }

  const inspectionFor = async (datasetId: string): Promise<CsvInspection> => {
    try {
      return await loadInspection(home, datasetId)
    } catch {
      throw new UserFacingError(`What LocalTune learned from dataset ${datasetId} is missing from ${path.join(home, 'datasets', datasetId)}. Choose the CSV file again.`, {
        code: 'not_found'
      })
    }
  }

  const checkColumns = (mapping: DatasetMapping, index: DatasetIndex): void => {
    const missing = missingMappedColumns(mapping, index.layout.columns)
    if (missing.length === 0) return
    throw new UserFacingError(`The mapping names columns that ${path.basename(index.sourcePath)} does not have. Choose one of its columns for each part.`, {
      code: 'invalid_request',
      details: [
        ...missing.map((entry) => `${entry.role}: there is no column "${entry.column}"`),
        `columns of the file: ${index.layout.columns.map((name) => `"${name}"`).join(', ')}`
      ]
    })
  }

  return {
    'datasets.peek': async ({ path: filePath, hasHeader, count }) => previewFirstRows(filePath, count, hasHeader === undefined ? {} : { hasHeader }),

    'datasets.import': async ({ path: filePath, hasHeader, importId }) => {
      const onProgress = throttledProgress((progress) =>
        events.publish('datasets.import-progress', {
          importId: importId ?? null,
          path: filePath,
          bytesRead: progress.bytesRead,
          totalBytes: progress.totalBytes,
          rowsRead: progress.rowsRead
        })
      )
      const imported = await importDataset(home, repository, filePath, { onProgress, ...(hasHeader === undefined ? {} : { hasHeader }) })
      return { datasetId: imported.record?.id ?? null, inspection: imported.inspection, record: imported.record }
    },

    'datasets.rows': async ({ datasetId, start, count }) => ({ rows: await readRows(await indexFor(datasetId), start, count) }),

    'datasets.get': async ({ datasetId }) => {
      const record = recordFor(datasetId)
      const [inspection, sourceChange] = await Promise.all([inspectionFor(datasetId), findChangedSource(record)])
      return { record, inspection, sourceChange }
    },

    'datasets.validate': async ({ datasetId, mapping, format, saveMapping }) => {
      const index = await indexFor(datasetId)
      checkColumns(mapping, index)
      const validation = await validateDataset({ source: index, mapping, format })
      let record = recordFor(datasetId)
      if (saveMapping) {
        const base = record.counts ?? (await baseCounts(datasetId))
        record = repository.saveMapping(datasetId, mapping, countsAfterValidation(base, validation))
      }
      return { validation, record }
    },

    'datasets.export': async ({ datasetId, mapping, format, split, dropInvalidRows, outDir }) => {
      const index = await indexFor(datasetId)
      checkColumns(mapping, index)
      const folder = path.resolve(outDir ?? draftFolder(home, datasetId))
      const summary = await exportTrainingData({ source: index, mapping, format, outDir: folder, dropInvalidRows, ...(split ? { split } : {}) })
      return {
        outDir: folder,
        trainPath: path.join(folder, trainFileName),
        validationPath: summary.files.validation ? path.join(folder, validationFileName) : null,
        summaryPath: path.join(folder, summaryFileName),
        summary
      }
    },

    // chat_template.jinja or tokenizer_config.json, found as the catalog finds it (chat-template-file.ts).
    'datasets.chat-template': async ({ modelPath }) => loadModelChatTemplate(modelPath)
  }

  async function baseCounts(datasetId: string): Promise<DatasetCounts> {
    const inspection = await inspectionFor(datasetId)
    return { rows: inspection.rowCount, blankLines: inspection.blankLineCount, parseIssueRows: inspection.parseIssueRows, problems: inspection.problemCounts }
  }
}
