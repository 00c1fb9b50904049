import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { CsvInspection } from '../../../shared/dataset/inspection'
import type { DatasetRecord } from '../../../shared/dataset/record'
import type { IngestOptions } from './csv-ingest'
import { ingestCsv } from './csv-ingest'
import type { DatasetIndex } from './dataset-index'
import { loadDatasetIndex, saveDatasetIndex } from './dataset-index'
import type { DatasetRepository } from './dataset-repository'

export const inspectionFileName = 'inspection.json'

/** `<home>/datasets/<id>`: the row index and inspection of one imported CSV (never the CSV itself). */
export function datasetFolder(home: string, id: string): string {
  if (!/^[A-Za-z0-9-]+$/.test(id)) throw new Error(`Not a dataset id: ${JSON.stringify(id)}`)
  return path.join(home, 'datasets', id)
}

export interface DatasetImport {
  inspection: CsvInspection
  /** Null when the file cannot be used (see inspection.problems); nothing was stored then. */
  record: DatasetRecord | null
  index: DatasetIndex | null
}

/**
 * Reads a CSV once (ingestCsv), stores its row index and inspection under
 * `<home>/datasets/<id>/`, and records it in the datasets table. The CSV stays where it is,
 * untouched.
 */
export async function importDataset(home: string, repository: DatasetRepository, filePath: string, options: IngestOptions = {}): Promise<DatasetImport> {
  const { inspection, index } = await ingestCsv(filePath, options)
  if (!index || !inspection.layout) return { inspection, record: null, index: null }
  const id = crypto.randomUUID()
  const folder = datasetFolder(home, id)
  await saveDatasetIndex(folder, index)
  await fs.promises.writeFile(path.join(folder, inspectionFileName), JSON.stringify(inspection))
  const record = repository.insert({
    id,
    sourcePath: inspection.sourcePath,
    fileName: inspection.fileName,
    sizeBytes: inspection.sizeBytes,
    sha256: index.sha256,
    modifiedMs: inspection.modifiedMs,
    encoding: inspection.layout.encoding,
    delimiter: inspection.layout.delimiter,
    hasHeader: inspection.layout.hasHeader,
    rowCount: inspection.rowCount,
    columns: inspection.columns,
    mapping: null,
    counts: {
      rows: inspection.rowCount,
      blankLines: inspection.blankLineCount,
      parseIssueRows: inspection.parseIssueRows,
      problems: inspection.problemCounts
    }
  })
  return { inspection, record, index }
}

export async function openDatasetIndex(home: string, id: string): Promise<DatasetIndex> {
  return loadDatasetIndex(datasetFolder(home, id))
}

export async function loadInspection(home: string, id: string): Promise<CsvInspection> {
  return JSON.parse(await fs.promises.readFile(path.join(datasetFolder(home, id), inspectionFileName), 'utf8')) as CsvInspection
}

/** Forgets a dataset: its database row and its folder under `<home>/datasets` (never the CSV). */
export async function removeDataset(home: string, repository: DatasetRepository, id: string): Promise<boolean> {
  const removed = repository.remove(id)
  await fs.promises.rm(datasetFolder(home, id), { recursive: true, force: true })
  return removed
}
