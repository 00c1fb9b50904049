import fs from 'node:fs'
import path from 'node:path'
import type { FormattedExample } from '../../../shared/dataset/formatted-example'
import { isChatExample } from '../../../shared/dataset/formatted-example'
import type { DatasetMapping, TrainingFormatOptions } from '../../../shared/dataset/mapping'
import { resolveTrainOnResponseOnly } from '../../../shared/dataset/mapping'
import { describeInvalidRow } from '../../../shared/dataset/row-validation'
import type { DatasetSummary, DatasetValidation, DroppedRow, SplitSummary } from '../../../shared/dataset/summary'
import type { ExampleFormatter } from '../../../shared/dataset/training-format'
import { createExampleFormatter } from '../../../shared/dataset/training-format'
import type { ColumnSummary, CsvLayout } from '../../../shared/dataset/types'
import { rowNumberingNote } from '../../../shared/dataset/types'
import type { ValidationSplit } from '../../../shared/dataset/validation-split'
import {
  defaultValidationMaxRows,
  defaultValidationSeed,
  defaultValidationSplit,
  defaultValidationSplitRule,
  pickValidationPositions,
  ShuffleReservoir,
  validationRowCount
} from '../../../shared/dataset/validation-split'
import { UserFacingError } from '../user-facing-error'
import { ColumnStatsCollector } from './column-stats'
import type { CsvScanOptions, CsvScanResult, ScanProgress } from './csv-scan'
import { scanCsv } from './csv-scan'
import type { DatasetIndex } from './dataset-index'
import type { ExampleFileWriter } from './example-file-writer'
import { ExampleWriterThread, markupJson } from './example-file-writer'
import { InvalidRowsCollector, InvalidRowsError } from './invalid-rows'
import { JsonlWriter, splitLinesByPosition } from './jsonl-files'

export const trainFileName = 'train.jsonl'
export const validationFileName = 'valid.jsonl'
export const summaryFileName = 'dataset-summary.json'
export const droppedRowsFileName = 'dropped-rows.jsonl'

export { InvalidRowsError } from './invalid-rows'

export interface ExportProgress extends ScanProgress {
  /** 'source': reading the training CSV; 'validation-file': the second CSV; 'split': writing valid.jsonl. */
  phase: 'source' | 'validation-file' | 'split'
}

/** A CSV to read: a path (layout detected) or an ingested dataset (its layout, checked unchanged). */
export type DatasetSource = string | DatasetIndex

export interface ValidateOptions {
  source: DatasetSource
  mapping: DatasetMapping
  format?: TrainingFormatOptions
  /** For a path source; undefined: detected. */
  hasHeader?: boolean
  maxCellChars?: number
  onProgress?: (progress: ExportProgress) => void
  signal?: AbortSignal
}

export interface ExportOptions extends ValidateOptions {
  /** Folder for train.jsonl, valid.jsonl and dataset-summary.json (created when missing). */
  outDir: string
  /** Undefined: the default for the number of trainable rows (see defaultValidationSplitRule). */
  split?: ValidationSplit
  /** Required when some rows cannot train: they are then left out and listed in the summary. */
  dropInvalidRows?: boolean
}

/**
 * One line of train.jsonl / valid.jsonl, the fixed contract with the Python runtime. The
 * writer (ExampleFileWriter) produces the same bytes without building this string.
 */
export function jsonLine(example: FormattedExample, row: number): string {
  return isChatExample(example)
    ? `{"prompt":${JSON.stringify(example.prompt)},"response":${JSON.stringify(example.response)}${markupJson(example.markup)},"row":${row}}`
    : `{"text":${JSON.stringify(example.text)},"row":${row}}`
}

interface PassResult {
  scan: CsvScanResult
  layout: CsvLayout
  columns: ColumnSummary[]
  trainable: number
}

/**
 * One read of a CSV through the shared formatter: each row is checked, counted and, when it can
 * train, handed to `onExample` as its JSONL line.
 */
async function formatPass(
  source: DatasetSource,
  options: ValidateOptions,
  file: DroppedRow['file'],
  invalid: InvalidRowsCollector,
  onExample: ((example: FormattedExample, row: number) => void) | null,
  onChunkEnd?: () => Promise<void>
): Promise<PassResult> {
  let formatter: ExampleFormatter | undefined
  let stats: ColumnStatsCollector | undefined
  let trainable = 0
  const scanOptions: CsvScanOptions = {
    onLayout: (layout) => {
      formatter = createExampleFormatter(layout.columns, options.mapping, options.format)
      stats = new ColumnStatsCollector(layout.columns.length)
    }
  }
  if (options.maxCellChars !== undefined) scanOptions.maxCellChars = options.maxCellChars
  if (options.signal) scanOptions.signal = options.signal
  if (onChunkEnd) scanOptions.onChunkEnd = onChunkEnd
  const onProgress = options.onProgress
  if (onProgress) scanOptions.onProgress = (progress) => onProgress({ ...progress, phase: file })
  let sourcePath: string
  if (typeof source === 'string') {
    sourcePath = path.resolve(source)
    if (options.hasHeader !== undefined) scanOptions.hasHeader = options.hasHeader
  } else {
    sourcePath = source.sourcePath
    scanOptions.layout = source.layout
    scanOptions.expect = { sizeBytes: source.sizeBytes, modifiedMs: source.modifiedMs }
    scanOptions.maxCellChars ??= source.maxCellChars
  }
  const scan = await scanCsv(sourcePath, scanOptions, (row) => {
    const rowFormatter = formatter as ExampleFormatter
    ;(stats as ColumnStatsCollector).add(row.cells)
    const reason = rowFormatter.invalidReason(row.cells, row.parseIssue)
    if (reason) {
      invalid.add({ file, row: row.row, line: row.line, reason, message: describeInvalidRow(reason, options.mapping, row.parseIssue) })
      return
    }
    trainable++
    if (onExample) onExample(rowFormatter.format(row.cells), row.row)
  })
  if (scan.fatal || !scan.layout) {
    const fatal = scan.fatal
    throw new UserFacingError(fatal ? fatal.message : `${sourcePath} could not be read as CSV.`, { code: 'invalid_request' })
  }
  const columns = (stats ?? new ColumnStatsCollector(scan.layout.columns.length)).summaries(scan.layout.columns)
  return { scan, layout: scan.layout, columns, trainable }
}

/**
 * Reads the file through the formatter without writing anything: how many rows can train, which
 * cannot and why, and the validation split LocalTune would propose.
 */
export async function validateDataset(options: ValidateOptions): Promise<DatasetValidation> {
  const invalid = new InvalidRowsCollector()
  const pass = await formatPass(options.source, options, 'source', invalid, null)
  return {
    rowCount: pass.scan.rowCount,
    trainableCount: pass.trainable,
    invalid: invalid.report,
    defaultSplit: defaultValidationSplit(pass.trainable),
    defaultSplitRule: defaultValidationSplitRule,
    problems: pass.scan.problems.list(),
    rowNumbering: rowNumberingNote
  }
}

const outputNames = [trainFileName, validationFileName, summaryFileName, droppedRowsFileName]

/** Refuses to overwrite training files in a folder LocalTune did not write them into. */
async function checkOutputFolder(outDir: string): Promise<void> {
  await fs.promises.mkdir(outDir, { recursive: true })
  const present = outputNames.filter((name) => fs.existsSync(path.join(outDir, name)))
  if (present.length === 0) return
  let ours = false
  try {
    const summary = JSON.parse(await fs.promises.readFile(path.join(outDir, summaryFileName), 'utf8')) as Partial<DatasetSummary>
    ours = summary.formatVersion === 1
  } catch {
    ours = false
  }
  if (!ours) {
    throw new UserFacingError(
      `${outDir} already has ${present.join(', ')}, not written by LocalTune. Choose an empty folder, so nothing of yours is overwritten.`,
      { code: 'conflict' }
    )
  }
}

type SplitPlan =
  /** Every example goes to train.jsonl as it is formatted (no split, or a validation file). */
  | { kind: 'direct' }
  /** Up to `capacity` held-out candidates, chosen in the same single pass (see ShuffleReservoir). */
  | { kind: 'reservoir'; reservoir: ShuffleReservoir<number> }
  /** An uncapped percentage: all examples first, then the split once the count is known. */
  | { kind: 'copy' }

function planSplit(split: ValidationSplit | undefined): SplitPlan {
  if (split === undefined) return { kind: 'reservoir', reservoir: new ShuffleReservoir<number>(defaultValidationMaxRows, defaultValidationSeed) }
  if (split.kind !== 'percent') return { kind: 'direct' }
  if (split.maxRows !== undefined) return { kind: 'reservoir', reservoir: new ShuffleReservoir<number>(split.maxRows, split.seed ?? defaultValidationSeed) }
  return { kind: 'copy' }
}

/**
 * Writes `train.jsonl` (and `valid.jsonl` when there is a validation split) through the same
 * formatter as the preview, plus `dataset-summary.json` with counts, dropped rows and the split.
 * One read of the CSV does parse, validation, stats, formatting and writing: held-out rows are
 * chosen during that read (the seeded shuffle keeps the k smallest keys, see shuffleKey), so
 * only an uncapped percentage needs a second pass over the written examples.
 * When rows cannot train and `dropInvalidRows` is not set, nothing is written and
 * InvalidRowsError lists them. Files appear only when everything succeeded (.partial, renamed).
 * train.jsonl keeps file order, except that rows considered for validation and then not held
 * out come at its end; every line carries its `row`.
 */
export async function exportTrainingData(options: ExportOptions): Promise<DatasetSummary> {
  const outDir = path.resolve(options.outDir)
  await checkOutputFolder(outDir)
  const partial = (name: string): string => path.join(outDir, `.${name}.partial`)
  const trainPartial = partial(trainFileName)
  const validationPartial = partial(validationFileName)
  const candidatesPartial = partial('candidates.jsonl')
  const summaryPartial = partial(summaryFileName)
  const created = [trainPartial, validationPartial, candidatesPartial, summaryPartial]
  const invalid = new InvalidRowsCollector()
  const drop = options.dropInvalidRows === true
  const plan = planSplit(options.split)
  const thread = new ExampleWriterThread()
  const train = thread.open(trainPartial)
  const exampleWriters: ExampleFileWriter[] = [train]
  const candidates = plan.kind === 'reservoir' ? thread.open(candidatesPartial) : null
  if (candidates) exampleWriters.push(candidates)
  let droppedWriter: JsonlWriter | null = null
  if (drop) {
    droppedWriter = new JsonlWriter(partial(droppedRowsFileName))
    created.push(droppedWriter.filePath)
    invalid.writer = droppedWriter
  }
  const flushAll = async (): Promise<void> => {
    for (const writer of exampleWriters) await writer.flush()
    await droppedWriter?.flush()
  }
  try {
    let position = 0
    // Once a row cannot train and dropping was not allowed, the files will not be written:
    // keep reading to count and list every invalid row, but stop formatting.
    const pass = await formatPass(
      options.source,
      options,
      'source',
      invalid,
      (example, row) => {
        if (!drop && invalid.report.count > 0) return
        if (plan.kind === 'reservoir' && candidates && plan.reservoir.admits(position)) {
          plan.reservoir.hold(position, candidates.lines)
          candidates.addExample(example, row)
        } else train.addExample(example, row)
        position++
      },
      flushAll
    )
    await train.close()
    await candidates?.close()

    const split = options.split
    let validationFile: { pass: PassResult; dropped: number } | null = null
    if (split?.kind === 'file') {
      const writer = thread.open(validationPartial)
      exampleWriters.push(writer)
      const before = invalid.report.count
      const validationPass = await formatPass(
        split.path,
        { ...options, source: split.path },
        'validation-file',
        invalid,
        (example, row) => {
          if (drop || invalid.report.count === 0) writer.addExample(example, row)
        },
        flushAll
      )
      await writer.close()
      validationFile = { pass: validationPass, dropped: invalid.report.count - before }
    }
    await droppedWriter?.close()

    if (invalid.report.count > 0 && !drop) throw new InvalidRowsError(invalid.report)
    if (pass.trainable === 0) {
      throw new UserFacingError(`No row of ${pass.scan.sourcePath} can be used for training, so there is nothing to write.`, { code: 'invalid_request' })
    }
    if (validationFile && validationFile.pass.trainable === 0) {
      const file = validationFile.pass.scan.sourcePath
      throw new UserFacingError(`No row of the validation file ${file} can be used, so it cannot serve as the validation set.`, { code: 'invalid_request' })
    }

    const chosenBy = split ? 'user' : 'default'
    const effective = split ?? defaultValidationSplit(pass.trainable)
    let validationCount = 0
    let splitSummary: SplitSummary
    if (effective.kind === 'percent') {
      const seed = effective.seed ?? defaultValidationSeed
      const count = validationRowCount(effective, pass.trainable)
      options.onProgress?.({ phase: 'split', bytesRead: 0, totalBytes: 0, rowsRead: pass.trainable })
      if (plan.kind === 'reservoir') {
        const heldOut = new Set(plan.reservoir.first(count).map((entry) => entry.item))
        validationCount = (await splitLinesByPosition(candidatesPartial, trainPartial, validationPartial, (line) => heldOut.has(line), { appendToTrain: true })).validation
      } else if (count > 0) {
        const pick = pickValidationPositions(pass.trainable, count, seed)
        const allExamples = partial('examples.jsonl')
        created.push(allExamples)
        await fs.promises.rename(trainPartial, allExamples)
        validationCount = (await splitLinesByPosition(allExamples, trainPartial, validationPartial, pick.has)).validation
      }
      splitSummary = { kind: 'percent', chosenBy, percent: effective.percent, seed, maxRows: effective.maxRows ?? null, rule: chosenBy === 'default' ? defaultValidationSplitRule : null }
    } else if (effective.kind === 'file' && validationFile) {
      validationCount = validationFile.pass.trainable
      splitSummary = { kind: 'file', chosenBy: 'user', path: validationFile.pass.scan.sourcePath, rowCount: validationFile.pass.scan.rowCount, droppedCount: validationFile.dropped }
    } else {
      // Rows held as candidates while the default split was still open go back to training.
      if (plan.kind === 'reservoir') await splitLinesByPosition(candidatesPartial, trainPartial, validationPartial, () => false, { appendToTrain: true })
      splitSummary = { kind: 'none', chosenBy, rule: chosenBy === 'default' ? defaultValidationSplitRule : null }
    }
    const trainCount = effective.kind === 'file' ? pass.trainable : pass.trainable - validationCount

    const hasValidation = validationCount > 0
    const summary: DatasetSummary = {
      formatVersion: 1,
      createdAt: new Date().toISOString(),
      source: {
        path: pass.scan.sourcePath,
        fileName: path.basename(pass.scan.sourcePath),
        sizeBytes: pass.scan.sizeBytes,
        modifiedMs: pass.scan.modifiedMs,
        encoding: pass.layout.encoding,
        delimiter: pass.layout.delimiter,
        hasHeader: pass.layout.hasHeader,
        columns: pass.columns
      },
      mode: options.mapping.mode,
      mapping: options.mapping,
      style: options.mapping.mode === 'chat' && options.format?.chatTemplate ? 'chat-template' : 'localtune',
      promptStartText: options.format?.promptStartText ?? null,
      ...(options.mapping.mode === 'chat' && options.format?.chatTemplate ? { chatTemplate: options.format.chatTemplate } : {}),
      trainOnResponseOnly: resolveTrainOnResponseOnly(options.mapping.mode, options.format),
      rows: { read: pass.scan.rowCount, trainable: pass.trainable, dropped: invalid.report.count, train: trainCount, validation: validationCount },
      dropped: invalid.report,
      split: splitSummary,
      files: {
        train: trainFileName,
        validation: hasValidation ? validationFileName : null,
        droppedRows: invalid.report.count > 0 ? droppedRowsFileName : null
      },
      problems: pass.scan.problems.list(),
      rowNumbering: rowNumberingNote
    }
    await fs.promises.writeFile(summaryPartial, `${JSON.stringify(summary, null, 2)}\n`)

    await fs.promises.rename(trainPartial, path.join(outDir, trainFileName))
    if (hasValidation) await fs.promises.rename(validationPartial, path.join(outDir, validationFileName))
    else await fs.promises.rm(path.join(outDir, validationFileName), { force: true })
    if (droppedWriter && invalid.report.count > 0) await fs.promises.rename(droppedWriter.filePath, path.join(outDir, droppedRowsFileName))
    else await fs.promises.rm(path.join(outDir, droppedRowsFileName), { force: true })
    await fs.promises.rename(summaryPartial, path.join(outDir, summaryFileName))
    return summary
  } finally {
    await thread.stop()
    droppedWriter?.abandon()
    await Promise.all(created.map((file) => fs.promises.rm(file, { force: true })))
  }
}
