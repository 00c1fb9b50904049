import type { DatasetMapping, DatasetMode } from '../../../shared/dataset/mapping'

/**
 * The mapping as the user is editing it in the wizard: every role is a column name or '' (not
 * chosen), and both modes' choices are kept, so switching mode and back loses nothing.
 */
export interface MappingDraft {
  mode: DatasetMode
  text: string
  prompt: string
  context: string
  response: string
  promptStart: string
}

export const emptyMappingDraft: MappingDraft = { mode: 'chat', text: '', prompt: '', context: '', response: '', promptStart: '' }

export function draftFromMapping(mapping: DatasetMapping | null): MappingDraft {
  if (!mapping) return emptyMappingDraft
  if (mapping.mode === 'generic') return { ...emptyMappingDraft, mode: 'generic', text: mapping.text }
  return {
    mode: 'chat',
    text: '',
    prompt: mapping.prompt,
    response: mapping.response,
    context: mapping.context ?? '',
    promptStart: mapping.promptStart ?? ''
  }
}

/** What the user still has to choose before the draft is a mapping; empty when complete. */
export function missingChoices(draft: MappingDraft): string[] {
  if (draft.mode === 'generic') return draft.text ? [] : ['the text column']
  return [draft.prompt ? null : 'the prompt column', draft.response ? null : 'the response column'].filter((entry): entry is string => entry !== null)
}

/** The mapping the draft describes, or null while a required column is not chosen. */
export function mappingFromDraft(draft: MappingDraft): DatasetMapping | null {
  if (missingChoices(draft).length > 0) return null
  if (draft.mode === 'generic') return { mode: 'generic', text: draft.text }
  const mapping: DatasetMapping = { mode: 'chat', prompt: draft.prompt, response: draft.response }
  if (draft.context) mapping.context = draft.context
  if (draft.promptStart) mapping.promptStart = draft.promptStart
  return mapping
}

/** Column names a mapping uses more than once: allowed by the core, but almost always a slip. */
export function repeatedColumns(mapping: DatasetMapping): string[] {
  const used = mapping.mode === 'generic' ? [mapping.text] : [mapping.prompt, mapping.response, mapping.context, mapping.promptStart]
  const seen = new Set<string>()
  const repeated = new Set<string>()
  for (const name of used) {
    if (name === undefined) continue
    if (seen.has(name)) repeated.add(name)
    seen.add(name)
  }
  return [...repeated]
}

export function sameMapping(a: DatasetMapping | null, b: DatasetMapping | null): boolean {
  if (a === null || b === null) return a === b
  if (a.mode === 'generic' || b.mode === 'generic') return a.mode === b.mode && a.mode === 'generic' && b.mode === 'generic' && a.text === b.text
  return a.prompt === b.prompt && a.response === b.response && a.context === b.context && a.promptStart === b.promptStart
}
