import type { CsvDelimiter, LineEnding, TextEncodingName } from '../../../shared/dataset/types'

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

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(1)} ${units[unit]}`
}

export const formatCount = (value: number): string => value.toLocaleString('en-US')

export function plural(count: number, word: string, words = `${word}s`): string {
  return `${formatCount(count)} ${count === 1 ? word : words}`
}
