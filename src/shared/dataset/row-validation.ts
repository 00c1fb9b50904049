import type { ChatFields } from './formatted-example'
import { isBlank } from './formatted-example'
import type { DatasetMapping } from './mapping'
import type { RowParseIssue } from './types'

/** Why a row cannot become a training example. */
export type InvalidRowReason = 'parse-error' | 'empty-prompt' | 'empty-response' | 'empty-text'

export type MappedFields = { mode: 'chat'; fields: ChatFields } | { mode: 'generic'; text: string }

/** The rule for chat rows: a prompt and a response are required; a parse issue wins. */
export function chatRowInvalidReason(prompt: string | undefined, response: string | undefined, parseIssue?: RowParseIssue): InvalidRowReason | null {
  if (parseIssue) return 'parse-error'
  if (isBlank(prompt)) return 'empty-prompt'
  if (isBlank(response)) return 'empty-response'
  return null
}

/** The rule for generic rows: the text is required; a parse issue wins. */
export function textRowInvalidReason(text: string | undefined, parseIssue?: RowParseIssue): InvalidRowReason | null {
  if (parseIssue) return 'parse-error'
  return isBlank(text) ? 'empty-text' : null
}

/** A sentence for one invalid row that names the column the user has to fill in. */
export function describeInvalidRow(reason: InvalidRowReason, mapping: DatasetMapping, parseIssue?: RowParseIssue): string {
  switch (reason) {
    case 'parse-error':
      return parseIssue ? parseIssue.message : 'the row could not be read as CSV'
    case 'empty-prompt':
      return mapping.mode === 'chat' ? `the prompt cell (column "${mapping.prompt}") is empty` : 'the prompt cell is empty'
    case 'empty-response':
      return mapping.mode === 'chat' ? `the response cell (column "${mapping.response}") is empty` : 'the response cell is empty'
    case 'empty-text':
      return mapping.mode === 'generic' ? `the text cell (column "${mapping.text}") is empty` : 'the text cell is empty'
  }
}
