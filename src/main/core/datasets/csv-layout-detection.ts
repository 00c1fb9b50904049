import Papa from 'papaparse'
import type { CsvDelimiter, DatasetProblem, LineEnding } from '../../../shared/dataset/types'

export const delimiterCandidates: readonly CsvDelimiter[] = [',', '\t', ';', '|']

export const delimiterNames: Record<CsvDelimiter, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' }

/** The character records end with while parsing: CRLF files parse on '\n' (see csv-records). */
export function newlineFor(lineEnding: LineEnding): '\n' | '\r' {
  return lineEnding === 'cr' ? '\r' : '\n'
}

/**
 * The line ending of the records: a vote over the first line breaks outside quoted cells (cells
 * often hold plain '\n' even in a CRLF file, so breaks inside quotes say nothing).
 */
export function detectLineEnding(text: string): LineEnding {
  const votes = { lf: 0, crlf: 0, cr: 0 }
  let inQuotes = false
  for (let i = 0; i < text.length && votes.lf + votes.crlf + votes.cr < 50; i++) {
    const code = text.charCodeAt(i)
    if (code === 34) inQuotes = !inQuotes
    else if (inQuotes) continue
    else if (code === 10) votes.lf++
    else if (code === 13) {
      if (text.charCodeAt(i + 1) === 10) {
        votes.crlf++
        i++
      } else if (i + 1 < text.length) votes.cr++
    }
  }
  if (votes.crlf >= votes.lf && votes.crlf >= votes.cr && votes.crlf > 0) return 'crlf'
  if (votes.cr > votes.lf) return 'cr'
  return 'lf'
}

/** Splits a sample into records with one delimiter; the last record is dropped unless the sample is the whole file. */
export function sampleRecords(text: string, delimiter: string, lineEnding: LineEnding, wholeFile: boolean, limit = 200): { records: string[][]; quoteErrors: number } {
  const parser = new Papa.Parser({ delimiter, newline: newlineFor(lineEnding), preview: limit + 1 })
  const result = parser.parse(text, 0, !wholeFile) as { data: string[][]; errors: unknown[] }
  const records: string[][] = []
  for (const fields of result.data) {
    const last = fields.length - 1
    if (lineEnding !== 'cr' && (fields[last] as string).endsWith('\r')) fields[last] = (fields[last] as string).slice(0, -1)
    if (fields.every((field) => field === '')) continue
    records.push(fields)
    if (records.length >= limit) break
  }
  return { records, quoteErrors: result.errors.length }
}

/**
 * The delimiter that splits the sample into the most consistent number of fields (at least two).
 * Ties go to the more common delimiter (comma, tab, semicolon, pipe). A file no candidate
 * splits is read as one column.
 */
export function detectDelimiter(text: string, lineEnding: LineEnding, wholeFile: boolean): CsvDelimiter {
  let best: { delimiter: CsvDelimiter; score: number } | undefined
  for (const delimiter of delimiterCandidates) {
    if (!text.includes(delimiter)) continue
    const { records, quoteErrors } = sampleRecords(text, delimiter, lineEnding, wholeFile)
    if (records.length === 0) continue
    const counts = new Map<number, number>()
    for (const record of records) counts.set(record.length, (counts.get(record.length) ?? 0) + 1)
    let modal = 1
    let modalCount = 0
    for (const [fields, count] of counts) {
      if (count > modalCount || (count === modalCount && fields > modal)) {
        modal = fields
        modalCount = count
      }
    }
    if (modal < 2) continue
    const consistency = modalCount / records.length
    const score = consistency - quoteErrors / records.length
    if (!best || score > best.score + 1e-9) best = { delimiter, score }
  }
  return best?.delimiter ?? ','
}

export interface HeaderDecision {
  hasHeader: boolean
  /** Why, in a sentence, when LocalTune decided the first row is data. */
  reason?: string
}

const numberLike = /^\s*[-+]?(\d+([.,]\d+)?|\.\d+)([eE][-+]?\d+)?\s*$/

/**
 * Most CSVs start with a header, so the first row is one unless it looks like data: a cell
 * with a line break, a long cell, or a number where a column name would be.
 */
export function detectHeader(firstRecord: readonly string[]): HeaderDecision {
  const longCell = firstRecord.find((cell) => cell.length > 120)
  if (longCell !== undefined) return { hasHeader: false, reason: `its first row has a ${longCell.length}-character cell, which looks like data, not a column name` }
  if (firstRecord.some((cell) => cell.includes('\n') || cell.includes('\r'))) {
    return { hasHeader: false, reason: 'its first row has a cell with a line break, which looks like data, not a column name' }
  }
  if (firstRecord.some((cell) => numberLike.test(cell))) {
    return { hasHeader: false, reason: 'its first row has a number where a column name would be' }
  }
  return { hasHeader: true }
}

/** column_1..N, for files without a header. */
export function generatedColumnNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `column_${i + 1}`)
}

/**
 * Unique, non-blank column names from the header cells. A trailing blank cell (the header ends
 * with a delimiter) is not a column. Blank names become column_N and repeated names get _2,
 * _3...; each renaming is reported so the user can find it.
 */
export function columnsFromHeader(headerCells: readonly string[], headerLine: number): { columns: string[]; problems: DatasetProblem[] } {
  let cells = [...headerCells]
  while (cells.length > 1 && (cells[cells.length - 1] as string).trim() === '') cells = cells.slice(0, -1)
  const problems: DatasetProblem[] = []
  const taken = new Set(cells.filter((cell) => cell.trim() !== ''))
  const seen = new Map<string, number>()
  const columns = cells.map((cell, index) => {
    if (cell.trim() === '') {
      let name = `column_${index + 1}`
      for (let n = 2; taken.has(name); n++) name = `column_${index + 1}_${n}`
      taken.add(name)
      problems.push({
        kind: 'blank-header',
        severity: 'warning',
        line: headerLine,
        column: name,
        message: `Column ${index + 1} has no name in the header (line ${headerLine}); LocalTune calls it "${name}". Give it a name in the file if you want another.`
      })
      return name
    }
    const firstAt = seen.get(cell)
    if (firstAt === undefined) {
      seen.set(cell, index)
      return cell
    }
    let name = cell
    for (let n = 2; taken.has(name); n++) name = `${cell}_${n}`
    taken.add(name)
    problems.push({
      kind: 'duplicate-header',
      severity: 'warning',
      line: headerLine,
      column: name,
      message: `Columns ${firstAt + 1} and ${index + 1} are both named "${cell}" in the header (line ${headerLine}); column ${index + 1} is called "${name}". Rename one in the file if you want another name.`
    })
    return name
  })
  return { columns, problems }
}
