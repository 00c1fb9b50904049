import { renderWithChatTemplate } from './chat-template'
import type { ChatExample, ChatFields, FormattedExample } from './formatted-example'
import { isBlank } from './formatted-example'
import type { DatasetMapping, DatasetMode, TrainingFormatOptions } from './mapping'
import { missingMappedColumns } from './mapping'
import type { InvalidRowReason, MappedFields } from './row-validation'
import { chatRowInvalidReason, textRowInvalidReason } from './row-validation'
import type { RowParseIssue } from './types'

/**
 * The one formatter: the preview, `localtune format` and the JSONL export all call these
 * functions, so what the user previews is exactly what trains.
 */

export const defaultPromptStartWithContext =
  'Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.'

export const defaultPromptStartWithoutContext =
  'Below is an instruction that describes a task. Write a response that appropriately completes the request.'

/**
 * The LocalTune chat format, one example per row:
 *
 *     {prompt_start}
 *     ### Instruction: {prompt}
 *     ### Input: {context}
 *     ### Response: {response}
 *
 * The `### Input:` line is left out when the context is empty. prompt_start falls back to
 * `promptStartText`, then to the built-in preamble that matches whether there is a context.
 */
export function formatChatFields(fields: ChatFields, options: TrainingFormatOptions = {}): ChatExample {
  if (options.chatTemplate) {
    const withPromptStart = isBlank(fields.promptStart) && !isBlank(options.promptStartText) ? { ...fields, promptStart: options.promptStartText } : fields
    return renderWithChatTemplate(options.chatTemplate.template, withPromptStart, options.chatTemplate)
  }
  const hasContext = !isBlank(fields.context)
  const promptStart = !isBlank(fields.promptStart)
    ? (fields.promptStart as string)
    : !isBlank(options.promptStartText)
      ? (options.promptStartText as string)
      : hasContext
        ? defaultPromptStartWithContext
        : defaultPromptStartWithoutContext
  const input = hasContext ? `### Input: ${fields.context as string}\n` : ''
  // The space after "Response:" belongs to the response: byte-level BPE tokenizers merge it into
  // the answer's first word (" Sure"), so a prompt ending in a lone space would tokenize one way
  // in training and another at inference. The full text is the same either way.
  return { prompt: `${promptStart}\n### Instruction: ${fields.prompt}\n${input}### Response:`, response: ` ${fields.response}` }
}

export interface ExampleFormatter {
  mode: DatasetMode
  /** The cells the mapping picks from a row (cells aligned to the columns). */
  mappedFields(cells: readonly string[]): MappedFields
  /** Null when the row can train. */
  invalidReason(cells: readonly string[], parseIssue?: RowParseIssue): InvalidRowReason | null
  format(cells: readonly string[]): FormattedExample
}

/**
 * Binds a mapping to a file's columns once, so formatting a row is a few array reads.
 * Throws when the mapping names a column the file does not have.
 */
export function createExampleFormatter(columns: readonly string[], mapping: DatasetMapping, options: TrainingFormatOptions = {}): ExampleFormatter {
  const missing = missingMappedColumns(mapping, columns)
  if (missing.length > 0) {
    const names = missing.map((entry) => `${entry.role} → "${entry.column}"`).join(', ')
    throw new Error(`The mapping names columns the file does not have: ${names}. The file's columns are: ${columns.map((c) => `"${c}"`).join(', ')}.`)
  }
  const at = (name: string | undefined): number => (name === undefined ? -1 : columns.indexOf(name))
  const cell = (cells: readonly string[], index: number): string | undefined => (index === -1 ? undefined : (cells[index] ?? ''))

  if (mapping.mode === 'generic') {
    const textAt = at(mapping.text)
    const mappedFields = (cells: readonly string[]): MappedFields => ({ mode: 'generic', text: cell(cells, textAt) ?? '' })
    return {
      mode: 'generic',
      mappedFields,
      invalidReason: (cells, parseIssue) => textRowInvalidReason(cells[textAt], parseIssue),
      format: (cells) => ({ text: cell(cells, textAt) ?? '' })
    }
  }

  const promptAt = at(mapping.prompt)
  const responseAt = at(mapping.response)
  const contextAt = at(mapping.context)
  const promptStartAt = at(mapping.promptStart)
  const chatFields = (cells: readonly string[]): ChatFields => {
    const fields: ChatFields = { prompt: cell(cells, promptAt) ?? '', response: cell(cells, responseAt) ?? '' }
    const context = cell(cells, contextAt)
    if (context !== undefined) fields.context = context
    const promptStart = cell(cells, promptStartAt)
    if (promptStart !== undefined) fields.promptStart = promptStart
    return fields
  }
  const mappedFields = (cells: readonly string[]): MappedFields => ({ mode: 'chat', fields: chatFields(cells) })
  return {
    mode: 'chat',
    mappedFields,
    invalidReason: (cells, parseIssue) => chatRowInvalidReason(cells[promptAt], cells[responseAt], parseIssue),
    format: (cells) => formatChatFields(chatFields(cells), options)
  }
}

/** Formats one row given as column name → cell (what a UI table row usually is). */
export function formatExample(row: Readonly<Record<string, string>>, mapping: DatasetMapping, options: TrainingFormatOptions = {}): FormattedExample {
  const columns = Object.keys(row)
  return createExampleFormatter(columns, mapping, options).format(columns.map((name) => row[name] ?? ''))
}
