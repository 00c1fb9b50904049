import crypto from 'node:crypto'
import fs from 'node:fs'
import type { CsvLayout, DatasetProblem, DatasetRow, TextEncodingName } from '../../../shared/dataset/types'
import { columnsFromHeader, detectDelimiter, detectHeader, detectLineEnding, generatedColumnNames, sampleRecords } from './csv-layout-detection'
import type { RawRecord } from './csv-records'
import { CsvRecordSplitter } from './csv-records'
import { ProblemLog } from './problem-log'
import type { RowCheckContext } from './row-problems'
import { checkRow, rowNeedsCheck } from './row-problems'
import { SourceChangedError, statSource } from './source-file'
import type { DecoderNotice } from './text-encoding'
import { byteLengthIn, createChunkDecoder, guessEncoding } from './text-encoding'

/** A place in the file where reading can start: the record at `byte` is data row `row`, on `line`. */
export interface RowIndexPoint {
  row: number
  byte: number
  line: number
}

export interface ScanProgress {
  bytesRead: number
  totalBytes: number
  rowsRead: number
}

export interface CsvScanOptions {
  /** Undefined: LocalTune decides from the first row. */
  hasHeader?: boolean
  /** A layout read before (from the dataset index): no detection, and the header must still match. */
  layout?: CsvLayout
  /** Start at an index point instead of the top of the file (needs `layout`). */
  start?: RowIndexPoint
  /** Fail instead of reading a file whose size or modified time differ from these. */
  expect?: { sizeBytes: number; modifiedMs: number }
  /** A cell longer than this many characters makes its row unusable. */
  maxCellChars?: number
  /** A record still open after this many characters is treated as an unterminated quote. */
  maxRecordChars?: number
  chunkBytes?: number
  /** Record an index point at a chunk boundary whenever this many bytes passed since the last one. */
  indexEveryBytes?: number
  /** Compute the SHA-256 of the whole file while reading (full scans only). */
  hash?: boolean
  onProgress?: (progress: ScanProgress) => void
  /** Called once, before the first row, when the columns are known. */
  onLayout?: (layout: CsvLayout) => void
  /** Awaited after each chunk: where a consumer flushes output with backpressure. */
  onChunkEnd?: () => Promise<void> | void
  signal?: AbortSignal
}

export interface CsvScanResult {
  sourcePath: string
  sizeBytes: number
  modifiedMs: number
  sha256: string | null
  /** Null when the file could not be read as CSV at all (empty, binary). */
  layout: CsvLayout | null
  rowCount: number
  blankLineCount: number
  /** Rows with a parse issue (ragged with extra cells, broken quotes, NUL bytes, oversized cells). */
  parseIssueRows: number
  problems: ProblemLog
  indexPoints: RowIndexPoint[]
  /** Why the file, as a whole, cannot be used; reading stopped there. */
  fatal: DatasetProblem | null
  /** The row consumer asked to stop before the end. */
  stoppedByConsumer: boolean
}

export const defaultMaxCellChars = 1_000_000
export const defaultMaxRecordChars = 64 * 1024 * 1024
const headBytes = 64 * 1024

/** The BOM the file really starts with for this encoding: UTF-16 can also come without one. */
async function bomLengthIn(filePath: string, encoding: TextEncodingName): Promise<number> {
  const head = await readHead(filePath, 3)
  if (encoding === 'utf-8-bom') return head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0
  if (encoding === 'utf-16le') return head[0] === 0xff && head[1] === 0xfe ? 2 : 0
  if (encoding === 'utf-16be') return head[0] === 0xfe && head[1] === 0xff ? 2 : 0
  return 0
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

function plural(count: number, word: string): string {
  return `${count.toLocaleString('en-US')} ${word}${count === 1 ? '' : 's'}`
}

async function readHead(filePath: string, length: number): Promise<Buffer> {
  const handle = await fs.promises.open(filePath, 'r')
  try {
    const buffer = Buffer.alloc(length)
    const { bytesRead } = await handle.read(buffer, 0, length, 0)
    return buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

/**
 * Reads a CSV file once, start to end (or from an index point), in chunks, and hands each data
 * row to `onRow` (return false to stop). Detects encoding, line endings, delimiter and header
 * when no layout is given; reports every problem with its row and line; never holds more than
 * a chunk and one open record in memory, and yields to the event loop between chunks.
 */
export async function scanCsv(filePath: string, options: CsvScanOptions, onRow: (row: DatasetRow) => boolean | void): Promise<CsvScanResult> {
  const source = await statSource(filePath)
  if (options.expect && (options.expect.sizeBytes !== source.sizeBytes || options.expect.modifiedMs !== source.modifiedMs)) {
    const what = options.expect.sizeBytes !== source.sizeBytes ? `size ${options.expect.sizeBytes} → ${source.sizeBytes} bytes` : 'modified time'
    throw new SourceChangedError(filePath, what)
  }
  const problems = new ProblemLog()
  const result: CsvScanResult = {
    sourcePath: filePath,
    sizeBytes: source.sizeBytes,
    modifiedMs: source.modifiedMs,
    sha256: null,
    layout: null,
    rowCount: 0,
    blankLineCount: 0,
    parseIssueRows: 0,
    problems,
    indexPoints: [],
    fatal: null,
    stoppedByConsumer: false
  }
  const fail = (problem: DatasetProblem): CsvScanResult => {
    problems.add(problem)
    result.fatal = problem
    return result
  }
  const emptyFile = (): DatasetProblem => ({
    kind: 'empty-file',
    severity: 'error',
    message: `${filePath} has no rows: it is empty or has only blank lines. Choose the file that has your data.`
  })
  if (source.sizeBytes === 0) return fail(emptyFile())

  let layout: CsvLayout
  let bomLength: number
  if (options.layout) {
    layout = { ...options.layout, columns: [...options.layout.columns] }
    bomLength = await bomLengthIn(filePath, layout.encoding)
  } else {
    const head = await readHead(filePath, Math.min(source.sizeBytes, headBytes))
    const guess = guessEncoding(head)
    if (guess.kind === 'binary') {
      return fail({
        kind: 'binary-file',
        severity: 'error',
        message: `${filePath} is not a CSV text file: it looks like ${guess.description}.`
      })
    }
    const wholeFile = head.length === source.sizeBytes
    bomLength = guess.bomLength
    const headText = createChunkDecoder(guess.encoding, guess.bomLength).decode(head.subarray(guess.bomLength), wholeFile).text
    if (wholeFile && headText.trim() === '') return fail(emptyFile())
    if (guess.withoutBom) {
      problems.add({
        kind: 'utf16-without-bom',
        severity: 'info',
        message: `The file has no byte-order mark but its bytes look like ${guess.encoding === 'utf-16le' ? 'UTF-16 LE' : 'UTF-16 BE'}, so LocalTune reads it that way. If the text looks wrong, save the file as UTF-8.`
      })
    }
    const lineEnding = detectLineEnding(headText)
    const delimiter = detectDelimiter(headText, lineEnding, wholeFile)
    let hasHeader = options.hasHeader
    if (hasHeader === undefined) {
      const first = sampleRecords(headText, delimiter, lineEnding, wholeFile, 1).records[0]
      const decision = first ? detectHeader(first) : { hasHeader: true }
      hasHeader = decision.hasHeader
      if (!decision.hasHeader) {
        problems.add({
          kind: 'no-header-detected',
          severity: 'info',
          message: `LocalTune reads the file as having no header row because ${decision.reason}; the columns are named column_1, column_2, ... If the first row is a header, say the file has a header.`
        })
      }
    }
    layout = {
      encoding: guess.encoding,
      delimiter,
      lineEnding,
      hasHeader,
      headerSource: options.hasHeader === undefined ? 'detected' : 'user',
      columns: [],
      headerCells: null
    }
  }
  result.layout = layout

  const maxCellChars = options.maxCellChars ?? defaultMaxCellChars
  const maxRecordChars = options.maxRecordChars ?? defaultMaxRecordChars
  const startByte = options.start?.byte ?? 0
  const decodeFrom = Math.max(startByte, bomLength)
  let rowNumber = options.start ? options.start.row - 1 : 0
  let headerDone = Boolean(options.start)
  let columnCount = layout.columns.length
  let checkReplacement = false
  // Checking every cell for NUL would cost a pass over all text; only files that have one pay it.
  let nulSeen = false
  let headerMismatch = false
  const blankLines: number[] = []

  const onNotice = (notice: DecoderNotice): void => {
    if (notice.kind === 'fallback-to-windows-1252') {
      problems.add({
        kind: 'encoding-fallback',
        severity: 'warning',
        message:
          `The file is not valid UTF-8 (the first byte that is not is at byte offset ${notice.byteOffset} from the start of the file), so LocalTune reads it as Windows-1252 ` +
          '(Western European), the usual encoding of CSVs saved by Excel on Windows. If accented letters look wrong, save the file as "CSV UTF-8" and import it again.'
      })
    } else {
      checkReplacement = true
      if (problems.count('invalid-utf8') === 0) {
        problems.add({
          kind: 'invalid-utf8',
          severity: 'warning',
          message: `The file is UTF-8 but has bytes that are not valid UTF-8 (the first at byte offset ${notice.byteOffset} from the start of the file); they are read as "\ufffd". Save the file as UTF-8 to keep those characters.`
        })
      }
    }
  }
  const decoder = createChunkDecoder(layout.encoding, decodeFrom, onNotice, Boolean(options.layout))

  let stopRequested = false
  let layoutAnnounced = false
  const onRecord = (raw: RawRecord): boolean | void => {
    const fields = raw.fields
    let blank = true
    for (let i = 0; i < fields.length; i++) {
      if ((fields[i] as string).length !== 0) {
        blank = false
        break
      }
    }
    if (blank) {
      result.blankLineCount++
      if (blankLines.length < 10) blankLines.push(raw.line)
      return
    }
    if (!headerDone) {
      headerDone = true
      if (layout.hasHeader) {
        if (options.layout) {
          const expected = options.layout.headerCells ?? []
          if (expected.length !== fields.length || expected.some((cell, i) => cell !== fields[i])) {
            headerMismatch = true
            return false
          }
        } else {
          for (const error of raw.quoteErrors) {
            problems.add({
              kind: error.kind,
              severity: 'error',
              line: error.line,
              message:
                error.kind === 'unterminated-quote'
                  ? `A quote in the header row (line ${error.line}) never closes, so the rest of the file was read as part of the header. Add the missing closing quote (") in the file.`
                  : `The header row has a quoted name with text after its closing quote (line ${error.line}). Inside a quoted name, write a quote as two quotes ("").`
            })
          }
          const named = columnsFromHeader(fields, raw.line)
          layout.columns = named.columns
          layout.headerCells = [...fields]
          columnCount = named.columns.length
          for (const problem of named.problems) problems.add(problem)
        }
        return
      }
      if (!options.layout) {
        layout.columns = generatedColumnNames(fields.length)
        columnCount = fields.length
      }
    }
    if (!layoutAnnounced) {
      layoutAnnounced = true
      options.onLayout?.(layout)
    }
    const row = ++rowNumber
    let cells = fields
    if (fields.length > columnCount) cells = fields.slice(0, columnCount)
    else if (fields.length < columnCount) {
      cells = fields.slice()
      while (cells.length < columnCount) cells.push('')
    }
    const context: RowCheckContext = { columns: layout.columns, delimiter: layout.delimiter, maxCellChars, lookForNul: nulSeen, lookForReplacement: checkReplacement }
    const issue = rowNeedsCheck(raw, cells, context) ? checkRow(raw, row, cells, context, problems) : undefined
    result.rowCount++
    const datasetRow: DatasetRow = { row, line: raw.line, cells }
    if (issue) {
      datasetRow.parseIssue = issue
      result.parseIssueRows++
    }
    if (onRow(datasetRow) === false) {
      stopRequested = true
      return false
    }
  }

  const splitter = new CsvRecordSplitter(
    { delimiter: layout.delimiter, lineEnding: layout.lineEnding, startByte: decodeFrom, startLine: options.start?.line ?? 1, byteLength: (text) => byteLengthIn(decoder.encoding)(text) },
    onRecord
  )
  const hash = options.hash && !options.start ? crypto.createHash('sha256') : null
  const stream = fs.createReadStream(filePath, { start: startByte, highWaterMark: options.chunkBytes ?? 1024 * 1024 })
  let bytesRead = startByte
  let lastPointByte = 0
  let fatalOpenRecord: DatasetProblem | null = null
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      options.signal?.throwIfAborted()
      hash?.update(chunk)
      const chunkStart = bytesRead
      bytesRead += chunk.length
      const textBytes = chunkStart < bomLength ? chunk.subarray(Math.min(bomLength - chunkStart, chunk.length)) : chunk
      const decoded = decoder.decode(textBytes, false)
      nulSeen ||= decoded.text.indexOf('\u0000') !== -1
      const pushed = splitter.push(decoded.text, decoded.bytes, false, decoded.replaced)
      if (pushed.stopped) break
      if (pushed.boundary && options.indexEveryBytes && headerDone && pushed.boundary.exact && pushed.boundary.byte - lastPointByte >= options.indexEveryBytes) {
        result.indexPoints.push({ row: rowNumber + 1, byte: pushed.boundary.byte, line: pushed.boundary.line })
        lastPointByte = pushed.boundary.byte
      }
      if (pushed.pendingChars > maxRecordChars && pushed.boundary) {
        const line = pushed.boundary.line
        fatalOpenRecord = {
          kind: 'record-too-large',
          severity: 'error',
          row: rowNumber + 1,
          line,
          message:
            `The row that starts on line ${line} (row ${rowNumber + 1}) is still open after ${plural(pushed.pendingChars, 'character')}: a quote there almost certainly never closes. ` +
            `LocalTune stopped reading at that point, so the rows after it are not counted. Add the missing closing quote (") in the file.`
        }
        break
      }
      options.onProgress?.({ bytesRead, totalBytes: source.sizeBytes, rowsRead: result.rowCount })
      await options.onChunkEnd?.()
      await yieldToEventLoop()
    }
    if (!stopRequested && !fatalOpenRecord && !headerMismatch) {
      const decoded = decoder.decode(Buffer.alloc(0), true)
      splitter.push(decoded.text, decoded.bytes, true, decoded.replaced)
      options.onProgress?.({ bytesRead, totalBytes: source.sizeBytes, rowsRead: result.rowCount })
      await options.onChunkEnd?.()
    }
  } finally {
    stream.destroy()
  }
  if (headerMismatch) throw new SourceChangedError(filePath, 'its header row is different')
  result.stoppedByConsumer = stopRequested
  layout.encoding = decoder.encoding
  if (hash && !stopRequested && !fatalOpenRecord) result.sha256 = hash.digest('hex')
  if (result.blankLineCount > 0) {
    const more = result.blankLineCount > blankLines.length ? ', ...' : ''
    problems.add({
      kind: 'blank-lines',
      severity: 'info',
      message: `${plural(result.blankLineCount, 'empty line')} (or lines with only delimiters) were skipped and are not counted as rows: line ${blankLines.join(', ')}${more}.`
    })
  }
  if (fatalOpenRecord) return fail(fatalOpenRecord)
  if (!options.start && !stopRequested && result.rowCount === 0) {
    if (layout.headerCells) {
      return fail({
        kind: 'header-only',
        severity: 'error',
        message: `${filePath} has a header (${layout.headerCells.map((cell) => `"${cell}"`).join(', ')}) but no data rows. Add rows under the header, or choose the file that has them.`
      })
    }
    return fail(emptyFile())
  }
  return result
}
