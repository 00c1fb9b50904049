import type { DatasetMapping } from '../../../shared/dataset/mapping'
import { datasetMappingSchema } from '../../../shared/dataset/mapping'
import type { DatasetCounts, DatasetRecord } from '../../../shared/dataset/record'
import type { ColumnSummary, CsvDelimiter, TextEncodingName } from '../../../shared/dataset/types'
import type { LocalTuneDatabase } from '../store/database'

interface DatasetRow {
  id: string
  source_path: string
  file_name: string
  size_bytes: number
  sha256: string
  modified_ms: number
  encoding: string
  delimiter: string
  has_header: number
  row_count: number
  columns_json: string
  mode: string | null
  mapping_json: string | null
  counts_json: string | null
  created_at: string
  updated_at: string
}

function toRecord(row: DatasetRow): DatasetRecord {
  // A mapping that no longer validates (hand-edited database) is dropped, not trusted.
  const mapping = row.mapping_json ? datasetMappingSchema.safeParse(JSON.parse(row.mapping_json)) : null
  return {
    id: row.id,
    sourcePath: row.source_path,
    fileName: row.file_name,
    sizeBytes: row.size_bytes,
    sha256: row.sha256,
    modifiedMs: row.modified_ms,
    encoding: row.encoding as TextEncodingName,
    delimiter: row.delimiter as CsvDelimiter,
    hasHeader: row.has_header === 1,
    rowCount: row.row_count,
    columns: JSON.parse(row.columns_json) as ColumnSummary[],
    mode: mapping?.success ? mapping.data.mode : null,
    mapping: mapping?.success ? mapping.data : null,
    counts: row.counts_json ? (JSON.parse(row.counts_json) as DatasetCounts) : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at
  }
}

export type NewDatasetRecord = Omit<DatasetRecord, 'createdAt' | 'updatedAt' | 'mode'>

/** The `datasets` table (migration 1): one row per imported CSV. */
export interface DatasetRepository {
  insert(record: NewDatasetRecord): DatasetRecord
  get(id: string): DatasetRecord | null
  /** Newest first. */
  list(): DatasetRecord[]
  findBySourcePath(sourcePath: string): DatasetRecord[]
  /** Stores the user's confirmed mapping (and the counts its validation found). */
  saveMapping(id: string, mapping: DatasetMapping, counts?: DatasetCounts): DatasetRecord
  /** Replaces what was learned from the file after it was read again. */
  replaceSource(id: string, record: Omit<NewDatasetRecord, 'id' | 'mapping'>): DatasetRecord
  remove(id: string): boolean
}

export function createDatasetRepository(db: LocalTuneDatabase, now: () => Date = () => new Date()): DatasetRepository {
  const byId = db.prepare<[string], DatasetRow>('SELECT * FROM datasets WHERE id = ?')
  const get = (id: string): DatasetRecord | null => {
    const row = byId.get(id)
    return row ? toRecord(row) : null
  }
  const mustGet = (id: string): DatasetRecord => {
    const record = get(id)
    if (!record) throw new Error(`No dataset with id ${id}.`)
    return record
  }
  return {
    insert(record) {
      const at = now().toISOString()
      db.prepare(
        `INSERT INTO datasets (id, source_path, file_name, size_bytes, sha256, modified_ms, encoding, delimiter, has_header,
           row_count, columns_json, mode, mapping_json, counts_json, created_at, updated_at)
         VALUES (@id, @sourcePath, @fileName, @sizeBytes, @sha256, @modifiedMs, @encoding, @delimiter, @hasHeader,
           @rowCount, @columnsJson, @mode, @mappingJson, @countsJson, @at, @at)`
      ).run({
        id: record.id,
        sourcePath: record.sourcePath,
        fileName: record.fileName,
        sizeBytes: record.sizeBytes,
        sha256: record.sha256,
        modifiedMs: record.modifiedMs,
        encoding: record.encoding,
        delimiter: record.delimiter,
        hasHeader: record.hasHeader ? 1 : 0,
        rowCount: record.rowCount,
        columnsJson: JSON.stringify(record.columns),
        mode: record.mapping?.mode ?? null,
        mappingJson: record.mapping ? JSON.stringify(datasetMappingSchema.parse(record.mapping)) : null,
        countsJson: record.counts ? JSON.stringify(record.counts) : null,
        at
      })
      return mustGet(record.id)
    },
    get,
    list() {
      return db.prepare<[], DatasetRow>('SELECT * FROM datasets ORDER BY created_at DESC, rowid DESC').all().map(toRecord)
    },
    findBySourcePath(sourcePath) {
      return db.prepare<[string], DatasetRow>('SELECT * FROM datasets WHERE source_path = ? ORDER BY created_at DESC, rowid DESC').all(sourcePath).map(toRecord)
    },
    saveMapping(id, mapping, counts) {
      const valid = datasetMappingSchema.parse(mapping)
      const current = mustGet(id)
      const missing = [valid.mode === 'generic' ? [valid.text] : [valid.prompt, valid.response, valid.context, valid.promptStart]]
        .flat()
        .filter((name): name is string => name !== undefined && !current.columns.some((column) => column.name === name))
      if (missing.length > 0) throw new Error(`The dataset has no column ${missing.map((name) => `"${name}"`).join(', ')}.`)
      db.prepare('UPDATE datasets SET mode = ?, mapping_json = ?, counts_json = ?, updated_at = ? WHERE id = ?').run(
        valid.mode,
        JSON.stringify(valid),
        JSON.stringify(counts ?? current.counts),
        now().toISOString(),
        id
      )
      return mustGet(id)
    },
    replaceSource(id, record) {
      mustGet(id)
      db.prepare(
        `UPDATE datasets SET source_path = ?, file_name = ?, size_bytes = ?, sha256 = ?, modified_ms = ?, encoding = ?, delimiter = ?,
           has_header = ?, row_count = ?, columns_json = ?, counts_json = ?, updated_at = ? WHERE id = ?`
      ).run(
        record.sourcePath,
        record.fileName,
        record.sizeBytes,
        record.sha256,
        record.modifiedMs,
        record.encoding,
        record.delimiter,
        record.hasHeader ? 1 : 0,
        record.rowCount,
        JSON.stringify(record.columns),
        record.counts ? JSON.stringify(record.counts) : null,
        now().toISOString(),
        id
      )
      return mustGet(id)
    },
    remove(id) {
      return db.prepare('DELETE FROM datasets WHERE id = ?').run(id).changes > 0
    }
  }
}
