import Papa from 'papaparse'
import type { CsvDelimiter, LineEnding } from '../../../shared/dataset/types'
import { newlineFor } from './csv-layout-detection'

/** A quoting error papaparse found in a record, placed on the line where it happened. */
export interface RecordQuoteError {
  kind: 'unterminated-quote' | 'malformed-quote'
  line: number
}

/** One CSV record as split from the text, before it is matched to the columns. */
export interface RawRecord {
  fields: string[]
  /** 1-based line of the file where the record starts. */
  line: number
  quoteErrors: RecordQuoteError[]
}

/** A record start between two chunks: where a later read can begin. */
export interface RecordBoundary {
  byte: number
  line: number
  /** False when the byte offset cannot be trusted (replaced invalid bytes in the pending text). */
  exact: boolean
}

interface PapaError {
  code: string
  row: number
  index: number
}

export interface PushResult {
  /** The consumer asked to stop. */
  stopped: boolean
  /** Where the unparsed remainder starts; absent for the final push. */
  boundary?: RecordBoundary
  /** Characters waiting for the rest of their record (a quoted cell that has not closed yet). */
  pendingChars: number
}

/**
 * Feeds decoded text to papaparse's parser chunk by chunk and hands out whole records with the
 * line each starts on. The parser splits on '\n' even in CRLF files, so a file that mixes line
 * endings still splits into the right rows; the '\r' left at the end of an unquoted last cell
 * is removed here (a quoted last cell never keeps it).
 */
export class CsvRecordSplitter {
  private readonly parser: Papa.Parser
  private readonly byteLength: (text: string) => number
  private readonly newline: '\n' | '\r'
  private readonly stripCarriageReturn: boolean
  private pending = ''
  private sawReplacedBytes = false
  private pendingBytes = 0
  private consumedBytes: number
  private nextLine: number

  constructor(
    options: { delimiter: CsvDelimiter; lineEnding: LineEnding; startByte: number; startLine: number; byteLength: (text: string) => number },
    private readonly onRecord: (record: RawRecord) => boolean | void
  ) {
    this.newline = newlineFor(options.lineEnding)
    this.stripCarriageReturn = this.newline === '\n'
    this.parser = new Papa.Parser({ delimiter: options.delimiter, newline: this.newline })
    this.consumedBytes = options.startByte
    this.nextLine = options.startLine
    this.byteLength = options.byteLength
  }

  /** `textBytes`: how many file bytes `text` stands for. `final`: no more text follows. */
  push(text: string, textBytes: number, final: boolean, replacedInvalidBytes = false): PushResult {
    this.sawReplacedBytes ||= replacedInvalidBytes
    const input = this.pending + text
    const inputBytes = this.pendingBytes + textBytes
    const startLine = this.nextLine
    const result = this.parser.parse(input, 0, !final) as { data: string[][]; errors: PapaError[]; meta: { cursor: number } }
    const records = result.data
    let errorsByRecord: Map<number, RecordQuoteError[]> | undefined
    for (const error of result.errors) {
      if (error.row >= records.length) continue
      errorsByRecord ??= new Map()
      const list = errorsByRecord.get(error.row) ?? []
      list.push({ kind: error.code === 'MissingQuotes' ? 'unterminated-quote' : 'malformed-quote', line: startLine + countChar(input, this.newline, 0, error.index) })
      errorsByRecord.set(error.row, list)
    }
    // The final piece after a trailing line break is not a record.
    const last = records.length - 1
    const dropTrailingEmpty = final && last >= 0 && input.endsWith(this.newline) && (records[last] as string[]).length === 1 && (records[last] as string[])[0] === ''
    const count = dropTrailingEmpty ? last : records.length
    let stopped = false
    for (let i = 0; i < count; i++) {
      const fields = records[i] as string[]
      const lastField = fields.length - 1
      if (this.stripCarriageReturn) {
        const cell = fields[lastField] as string
        if (cell.length > 0 && cell.charCodeAt(cell.length - 1) === 13) fields[lastField] = cell.slice(0, -1)
      }
      const line = this.nextLine
      let lines = 1
      for (let f = 0; f <= lastField; f++) {
        const cell = fields[f] as string
        if (cell.length > 0 && cell.indexOf(this.newline) !== -1) lines += countChar(cell, this.newline, 0, cell.length)
      }
      this.nextLine += lines
      if (this.onRecord({ fields, line, quoteErrors: errorsByRecord?.get(i) ?? [] }) === false) {
        stopped = true
        break
      }
    }
    if (final || stopped) {
      this.pending = ''
      this.pendingBytes = 0
      return { stopped, pendingChars: 0 }
    }
    this.pending = input.slice(result.meta.cursor)
    this.pendingBytes = this.byteLength(this.pending)
    this.consumedBytes += inputBytes - this.pendingBytes
    const exact = !(this.sawReplacedBytes && this.pending.includes('\ufffd'))
    return { stopped, boundary: { byte: this.consumedBytes, line: this.nextLine, exact }, pendingChars: this.pending.length }
  }
}

function countChar(text: string, char: string, from: number, to: number): number {
  let count = 0
  let at = text.indexOf(char, from)
  while (at !== -1 && at < to) {
    count++
    at = text.indexOf(char, at + 1)
  }
  return count
}
