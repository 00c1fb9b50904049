import path from 'node:path'
import { parseArgs } from 'node:util'
import type { CsvInspection } from '../../../shared/dataset/inspection'
import { mappedColumns } from '../../../shared/dataset/mapping'
import type { ScanProgress } from '../../core/datasets/csv-scan'
import { ingestCsv } from '../../core/datasets/csv-ingest'
import { delimiterNames } from '../../core/datasets/csv-layout-detection'
import type { CliCommand, CliIo } from '../command'
import { UsageError } from '../command'
import { formatBytes } from '../../../shared/units'

const encodingNames = {
  'utf-8': 'UTF-8',
  'utf-8-bom': 'UTF-8 with BOM',
  'utf-16le': 'UTF-16 LE',
  'utf-16be': 'UTF-16 BE',
  'windows-1252': 'Windows-1252 (Western European)'
} as const

const severityMarks = { error: 'ERROR', warning: 'warn ', info: 'info ' } as const

const count = (value: number): string => value.toLocaleString('en-US')

/** Progress lines on stderr, only for a person watching a terminal: every 10%. */
export function progressPrinter(io: CliIo, label: string): ((progress: ScanProgress) => void) | undefined {
  if (!io.isTty) return undefined
  let lastTenth = -1
  return (progress) => {
    if (progress.totalBytes === 0) return
    const tenth = Math.floor((progress.bytesRead / progress.totalBytes) * 10)
    if (tenth === lastTenth || tenth >= 10) return
    lastTenth = tenth
    io.err(`${label} ${tenth * 10}% (${formatBytes(progress.bytesRead)} of ${formatBytes(progress.totalBytes)}, ${count(progress.rowsRead)} rows)`)
  }
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? []
  return rows.map((row) => `  ${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ')}`.trimEnd())
}

/** The inspection as a person reads it in a terminal. */
export function renderInspection(inspection: CsvInspection): string {
  const lines: string[] = []
  lines.push(`File        ${inspection.sourcePath}`)
  lines.push(`Size        ${formatBytes(inspection.sizeBytes)}${inspection.sha256 ? `  (sha256 ${inspection.sha256.slice(0, 16)}…)` : ''}`)
  const layout = inspection.layout
  if (layout) {
    lines.push(`Encoding    ${encodingNames[layout.encoding]}`)
    lines.push(`Delimiter   ${delimiterNames[layout.delimiter]} (${JSON.stringify(layout.delimiter)}), line endings ${layout.lineEnding.toUpperCase()}`)
    const header = layout.hasHeader
      ? `yes (${layout.headerSource === 'user' ? 'as you said' : 'detected; use --no-header if the first row is data'})`
      : `no (${layout.headerSource === 'user' ? 'as you said' : 'detected; use --header if the first row is a header'}): columns are named column_1..${layout.columns.length}`
    lines.push(`Header      ${header}`)
    lines.push(`Rows        ${count(inspection.rowCount)} data rows${inspection.blankLineCount > 0 ? `, ${count(inspection.blankLineCount)} blank lines skipped` : ''}`)
    lines.push(`            ${inspection.rowNumbering}`)
    lines.push('')
    lines.push('Columns')
    lines.push(
      ...table([
        ['#', 'name', 'non-empty', 'mean length', 'max length'],
        ...inspection.columns.map((column) => [
          String(column.index + 1),
          column.name,
          `${count(column.nonEmptyCount)} of ${count(inspection.rowCount)}`,
          column.meanLength.toFixed(1),
          count(column.maxLength)
        ])
      ])
    )
  }
  const suggestion = inspection.suggestion
  if (suggestion) {
    lines.push('')
    if (suggestion.mapping) {
      const roles = mappedColumns(suggestion.mapping).map((entry) => `${entry.role}=${entry.column}`)
      lines.push(`Suggested mapping (${suggestion.confidence} confidence): --mode ${suggestion.mapping.mode} --map ${roles.join(',')}`)
    } else {
      lines.push('Suggested mapping: none')
    }
    for (const line of suggestion.explanation) lines.push(`  ${line}`)
  }
  lines.push('')
  if (inspection.problems.length === 0) {
    lines.push('Problems    none found')
  } else {
    const total = Object.values(inspection.problemCounts).reduce((sum, value) => sum + (value ?? 0), 0)
    lines.push(`Problems    ${count(total)}`)
    for (const problem of inspection.problems) lines.push(`  ${severityMarks[problem.severity]} ${problem.message}`)
    for (const [kind, number] of Object.entries(inspection.problemCounts)) {
      const shown = inspection.problems.filter((problem) => problem.kind === kind).length
      if ((number ?? 0) > shown) lines.push(`  ... and ${count((number ?? 0) - shown)} more "${kind}" problems not listed.`)
    }
  }
  if (!inspection.usable) {
    lines.push('')
    lines.push('This file cannot be used for training as it is (see the ERROR above).')
  }
  return lines.join('\n')
}

export const inspectCommand: CliCommand = {
  name: 'inspect',
  summary: 'Read a CSV and show its encoding, delimiter, header, rows, column stats, suggested mapping and problems',
  usage: [
    'localtune inspect <file.csv> [--json] [--no-header | --header]',
    '',
    '  --json        print the full inspection as JSON',
    '  --no-header   the first row is data (columns are named column_1..N)',
    '  --header      the first row is a header (default: LocalTune decides from the first row)',
    '',
    'The file is only read, never changed. Exit code 1 when it cannot be used at all.'
  ].join('\n'),
  async run(args, io, ctx) {
    const { values, positionals } = parseArgs({
      args,
      options: { json: { type: 'boolean', default: false }, 'no-header': { type: 'boolean', default: false }, header: { type: 'boolean', default: false } },
      allowPositionals: true,
      strict: true
    })
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'Which CSV file? Give its path.' : `Give one CSV file, not ${positionals.length}.`)
    if (values['no-header'] && values.header) throw new UsageError('Choose either --header or --no-header.')
    const file = path.resolve(ctx.cwd, positionals[0] as string)
    const abort = new AbortController()
    void ctx.interrupted.then(() => abort.abort())
    const onProgress = progressPrinter(io, 'Reading')
    try {
      const { inspection } = await ingestCsv(file, {
        signal: abort.signal,
        ...(values['no-header'] ? { hasHeader: false } : values.header ? { hasHeader: true } : {}),
        ...(onProgress ? { onProgress } : {})
      })
      io.out(values.json ? JSON.stringify(inspection, null, 2) : renderInspection(inspection))
      return inspection.usable ? 0 : 1
    } catch (error) {
      if (abort.signal.aborted) {
        io.err('Stopped.')
        return 130
      }
      throw error
    }
  }
}
