import type { DatasetMapping } from './mapping'

export type MappingConfidence = 'high' | 'medium' | 'low' | 'none'

/** A mapping LocalTune proposes from the column names; the user confirms or changes it. */
export interface MappingSuggestion {
  /** Null when no column name was recognised well enough to propose a complete mapping. */
  mapping: DatasetMapping | null
  confidence: MappingConfidence
  /** One sentence per decision, shown next to the suggestion. */
  explanation: string[]
}

// Names are compared case-, space- and punctuation-insensitively: "System Prompt",
// "system_prompt" and "SYSTEM-PROMPT" are all "systemprompt".
function normalizeName(name: string): string {
  return name.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '')
}

// Earlier names win. "input" is deliberately absent from the prompt lists: in Alpaca-style files
// (instruction, input, output) `input` is the context the instruction refers to.
const vocabulary = {
  promptStrong: ['instruction', 'instructions', 'prompt', 'question'],
  promptWeak: ['query', 'userprompt', 'usermessage', 'user', 'human', 'request', 'task'],
  responseStrong: ['response', 'output', 'answer'],
  responseWeak: ['completion', 'assistant', 'reply', 'target', 'expectedoutput', 'answers', 'responses', 'gpt', 'bot'],
  contextStrong: ['context'],
  contextWeak: ['passage', 'background', 'document', 'reference', 'additionalcontext'],
  promptStartStrong: ['systemprompt', 'system', 'systemmessage'],
  promptStartWeak: ['preamble', 'persona'],
  textStrong: ['text', 'content'],
  textWeak: ['body', 'document', 'sentence']
} as const

export function suggestMapping(headers: readonly string[]): MappingSuggestion {
  const normalized = headers.map(normalizeName)
  const used = new Set<number>()
  const find = (names: readonly string[]): number | undefined => {
    for (const name of names) {
      const index = normalized.findIndex((candidate, i) => candidate === name && !used.has(i))
      if (index !== -1) return index
    }
    return undefined
  }
  const take = (index: number | undefined): number | undefined => {
    if (index !== undefined) used.add(index)
    return index
  }
  const quoted = (index: number): string => `"${headers[index]}"`
  const explanation: string[] = []
  let confidence: MappingConfidence = 'high'

  const responseStrong = take(find(vocabulary.responseStrong))
  const response = responseStrong ?? take(find(vocabulary.responseWeak))
  const promptStrong = take(find(vocabulary.promptStrong))
  let prompt = promptStrong ?? take(find(vocabulary.promptWeak))
  const inputColumn = find(['input'])
  let inputIsPrompt = false
  if (prompt === undefined && response !== undefined && inputColumn !== undefined) {
    prompt = take(inputColumn)
    inputIsPrompt = true
  }

  if (prompt !== undefined && response !== undefined) {
    if (promptStrong === undefined || responseStrong === undefined) confidence = 'medium'
    const context = take(find(vocabulary.contextStrong)) ?? take(find(['input'])) ?? take(find(vocabulary.contextWeak))
    const promptStart = take(find(vocabulary.promptStartStrong)) ?? take(find(vocabulary.promptStartWeak))
    const mapping: DatasetMapping = { mode: 'chat', prompt: headers[prompt] as string, response: headers[response] as string }
    if (promptStart !== undefined) {
      mapping.promptStart = headers[promptStart] as string
      explanation.push(`${quoted(promptStart)} → prompt_start (a per-row system prompt / preamble).`)
    }
    explanation.push(
      inputIsPrompt
        ? `${quoted(prompt)} → prompt (there is no instruction, prompt or question column).`
        : `${quoted(prompt)} → prompt (the instruction or question).`
    )
    if (context !== undefined) {
      mapping.context = headers[context] as string
      explanation.push(
        normalized[context] === 'input'
          ? `${quoted(context)} → context: in Alpaca-style files "input" is extra input the instruction refers to, not the prompt.`
          : `${quoted(context)} → context (extra input for the instruction).`
      )
    }
    explanation.push(`${quoted(response)} → response (what the model learns to write).`)
    const unused = headers.filter((_, index) => !used.has(index))
    if (unused.length > 0) explanation.push(`Not used: ${unused.map((name) => `"${name}"`).join(', ')}.`)
    return { mapping, confidence, explanation }
  }

  used.clear()
  const textStrong = find(vocabulary.textStrong)
  const text = textStrong ?? find(vocabulary.textWeak)
  if (text !== undefined) {
    return {
      mapping: { mode: 'generic', text: headers[text] as string },
      confidence: textStrong !== undefined ? 'high' : 'medium',
      explanation: [`${quoted(text)} → text: each row is one training text (generic mode).`]
    }
  }
  if (headers.length === 1) {
    return {
      mapping: { mode: 'generic', text: headers[0] as string },
      confidence: 'medium',
      explanation: [`The file has one column, ${quoted(0)}: each row is one training text (generic mode).`]
    }
  }
  if (response !== undefined) {
    return {
      mapping: null,
      confidence: 'none',
      explanation: [`${quoted(response)} looks like the response, but no column looks like the prompt (instruction, prompt, question). Choose the prompt column.`]
    }
  }
  return {
    mapping: null,
    confidence: 'none',
    explanation: ['No column name was recognised (instruction/prompt/question, response/output/answer, text/content). Choose the columns yourself.']
  }
}
