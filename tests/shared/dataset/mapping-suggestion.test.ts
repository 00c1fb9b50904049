import { describe, expect, it } from 'vitest'
import { suggestMapping } from '../../../src/shared/dataset/mapping-suggestion'

describe('suggestMapping', () => {
  it("maps Alpaca columns with input as the CONTEXT, not the prompt", () => {
    const suggestion = suggestMapping(['instruction', 'input', 'output'])
    expect(suggestion.mapping).toEqual({ mode: 'chat', prompt: 'instruction', context: 'input', response: 'output' })
    expect(suggestion.confidence).toBe('high')
    expect(suggestion.explanation.join(' ')).toMatch(/"input" → context/)
  })

  it('is case, whitespace and punctuation insensitive and keeps the names as written', () => {
    const suggestion = suggestMapping([' System Prompt ', 'QUESTION', 'Answer', 'Context', 'id'])
    expect(suggestion.mapping).toEqual({ mode: 'chat', promptStart: ' System Prompt ', prompt: 'QUESTION', context: 'Context', response: 'Answer' })
    expect(suggestion.explanation.at(-1)).toBe('Not used: "id".')
  })

  it('maps question/answer and system → prompt_start', () => {
    expect(suggestMapping(['system', 'question', 'answer']).mapping).toEqual({ mode: 'chat', promptStart: 'system', prompt: 'question', response: 'answer' })
    expect(suggestMapping(['query', 'response']).mapping).toEqual({ mode: 'chat', prompt: 'query', response: 'response' })
    expect(suggestMapping(['query', 'response']).confidence).toBe('medium')
  })

  it('uses input as the prompt only when nothing else can be the prompt', () => {
    const suggestion = suggestMapping(['input', 'output'])
    expect(suggestion.mapping).toEqual({ mode: 'chat', prompt: 'input', response: 'output' })
    expect(suggestion.confidence).toBe('medium')
  })

  it('suggests generic mode for a text or content column, or a single column', () => {
    expect(suggestMapping(['id', 'text']).mapping).toEqual({ mode: 'generic', text: 'text' })
    expect(suggestMapping(['Content']).confidence).toBe('high')
    expect(suggestMapping(['column_1'])).toMatchObject({ mapping: { mode: 'generic', text: 'column_1' }, confidence: 'medium' })
  })

  it('proposes nothing when no name is recognised, and says what is missing', () => {
    expect(suggestMapping(['a', 'b'])).toMatchObject({ mapping: null, confidence: 'none' })
    const onlyResponse = suggestMapping(['foo', 'output'])
    expect(onlyResponse.mapping).toBeNull()
    expect(onlyResponse.explanation[0]).toMatch(/"output" looks like the response/)
  })
})
