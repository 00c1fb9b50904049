import type { CsvDelimiter, LineEnding, TextEncodingName } from '../../../shared/dataset/types'
import { formatBytes } from '../../../shared/units'

// How the file's layout reads to a person (the CLI's `localtune inspect` uses the same words).
export const encodingLabels: Record<TextEncodingName, string> = {
  'utf-8': 'UTF-8',
  'utf-8-bom': 'UTF-8 with BOM',
  'utf-16le': 'UTF-16 LE',
  'utf-16be': 'UTF-16 BE',
  'windows-1252': 'Windows-1252 (Western European)'
}

export const delimiterLabels: Record<CsvDelimiter, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' }

export const lineEndingLabels: Record<LineEnding, string> = { lf: 'LF (Unix)', crlf: 'CRLF (Windows)', cr: 'CR (old Mac)' }

export { formatBytes }

export const formatCount = (value: number): string => value.toLocaleString('en-US')

export function plural(count: number, word: string, words = `${word}s`): string {
  return `${formatCount(count)} ${count === 1 ? word : words}`
}
