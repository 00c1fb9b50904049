import fs from 'node:fs'
import path from 'node:path'
import { exportRecordSchema, type ExportRecord, type GgufQuant } from '../../../shared/contract/exports'

/**
 * What LocalTune remembers of an export: one JSON record in `<home>/exports/<runId>/<exportId>.json`
 * and a copy beside the exported files, so a folder carried elsewhere still says what it is.
 */

const recordFile = 'localtune-export.json'

export function exportIdOf(options: { format: string; quant?: string }): string {
  return options.format === 'gguf' ? `gguf-${options.quant ?? 'q8_0'}` : options.format
}

export function exportsRoot(home: string, runId: string): string {
  return path.join(home, 'exports', runId)
}

/** A JSON file as an object, or null when it is missing or unreadable. */
export function readJsonObject(file: string): Record<string, unknown> | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>
  } catch {
    return null
  }
}

export interface ExportRecordFields {
  runId: string
  id: string
  format: ExportRecord['format']
  quant: GgufQuant | null
  outDir: string
  files: ExportRecord['files']
  ggufPath: string | null
  modelfile: string | null
  instructions: ExportRecord['instructions']
  verification: ExportRecord['verification']
  notes: string[]
}

/** The record of a finished export, checked against the contract's schema. */
export function buildExportRecord(fields: ExportRecordFields): ExportRecord {
  return exportRecordSchema.parse({
    ...fields,
    createdAt: new Date().toISOString(),
    totalBytes: fields.files.reduce((sum, file) => sum + file.bytes, 0)
  })
}

export function rememberExport(home: string, record: ExportRecord): void {
  const root = exportsRoot(home, record.runId)
  fs.mkdirSync(root, { recursive: true })
  const text = `${JSON.stringify(record, null, 2)}\n`
  fs.writeFileSync(path.join(root, `${record.id}.json`), text)
  fs.writeFileSync(path.join(record.outDir, recordFile), text)
}

/** The run's exports, newest first; records that no longer match the schema are left out. */
export function listExports(home: string, runId: string): ExportRecord[] {
  const root = exportsRoot(home, runId)
  if (!fs.existsSync(root)) return []
  const records: ExportRecord[] = []
  for (const name of fs.readdirSync(root)) {
    if (!name.endsWith('.json')) continue
    const parsed = exportRecordSchema.safeParse(readJsonObject(path.join(root, name)))
    if (parsed.success && parsed.data.runId === runId) records.push(parsed.data)
  }
  return records.sort((a, b) => b.createdAt.localeCompare(a.createdAt))
}
