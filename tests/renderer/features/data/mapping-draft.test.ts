import { describe, expect, it } from 'vitest'
import { draftFromMapping, emptyMappingDraft, mappingFromDraft, missingChoices, repeatedColumns, sameMapping } from '../../../../src/renderer/features/data/mapping-draft'

describe('mapping draft', () => {
  it('round-trips a chat mapping, leaving out the optional roles not chosen', () => {
    const mapping = { mode: 'chat', prompt: 'instruction', context: 'input', response: 'output' } as const
    expect(mappingFromDraft(draftFromMapping(mapping))).toEqual(mapping)
    expect(mappingFromDraft({ ...emptyMappingDraft, prompt: 'q', response: 'a' })).toEqual({ mode: 'chat', prompt: 'q', response: 'a' })
  })

  it('keeps the other mode’s choices when the mode switches', () => {
    const draft = { ...draftFromMapping({ mode: 'chat', prompt: 'q', response: 'a' }), mode: 'generic' as const, text: 'q' }
    expect(mappingFromDraft(draft)).toEqual({ mode: 'generic', text: 'q' })
    expect(mappingFromDraft({ ...draft, mode: 'chat' })).toEqual({ mode: 'chat', prompt: 'q', response: 'a' })
  })

  it('says what is still to choose instead of making a partial mapping', () => {
    expect(missingChoices(emptyMappingDraft)).toEqual(['the prompt column', 'the response column'])
    expect(missingChoices({ ...emptyMappingDraft, mode: 'generic' })).toEqual(['the text column'])
    expect(mappingFromDraft({ ...emptyMappingDraft, prompt: 'q' })).toBeNull()
  })

  it('compares mappings by their roles and notices a column used twice', () => {
    expect(sameMapping({ mode: 'chat', prompt: 'q', response: 'a' }, { mode: 'chat', response: 'a', prompt: 'q' })).toBe(true)
    expect(sameMapping({ mode: 'chat', prompt: 'q', response: 'a' }, { mode: 'chat', prompt: 'q', response: 'a', context: 'c' })).toBe(false)
    expect(sameMapping({ mode: 'generic', text: 'q' }, { mode: 'chat', prompt: 'q', response: 'a' })).toBe(false)
    expect(sameMapping(null, null)).toBe(true)
    expect(repeatedColumns({ mode: 'chat', prompt: 'q', response: 'q' })).toEqual(['q'])
  })
})
