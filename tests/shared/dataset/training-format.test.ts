import { describe, expect, it } from 'vitest'
import { exampleText } from '../../../src/shared/dataset/formatted-example'
import {
  createExampleFormatter,
  defaultPromptStartWithContext,
  defaultPromptStartWithoutContext,
  formatChatFields,
  formatExample
} from '../../../src/shared/dataset/training-format'

describe('formatChatFields (the LocalTune chat format)', () => {
  it('renders the documented example exactly', () => {
    const example = formatChatFields({
      prompt: 'Evaluate this sentence for spelling and grammar mistakes',
      context: 'He finnished his meal and left the resturant',
      response: 'He finished his meal and left the restaurant.'
    })
    expect(exampleText(example)).toBe(
      'Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n' +
        '### Instruction: Evaluate this sentence for spelling and grammar mistakes\n' +
        '### Input: He finnished his meal and left the resturant\n' +
        '### Response: He finished his meal and left the restaurant.'
    )
    // The space after "Response:" starts the response, so the prompt's tokens are the same in training and at inference.
    expect(example.prompt.endsWith('### Response:')).toBe(true)
    expect(example.response).toBe(' He finished his meal and left the restaurant.')
  })

  it('leaves out the Input line and uses the no-input preamble when the context is empty or blank', () => {
    for (const context of [undefined, '', '   \n']) {
      const example = formatChatFields({ prompt: 'Say hi', response: 'Hi!', ...(context === undefined ? {} : { context }) })
      expect(example).toEqual({ prompt: `${defaultPromptStartWithoutContext}\n### Instruction: Say hi\n### Response:`, response: ' Hi!' })
    }
  })

  it('uses a non-empty prompt_start cell, and the default when that cell is empty', () => {
    expect(formatChatFields({ promptStart: 'You are a pirate.', prompt: 'Greet me', context: 'in English', response: 'Ahoy!' }).prompt).toBe(
      'You are a pirate.\n### Instruction: Greet me\n### Input: in English\n### Response:'
    )
    expect(formatChatFields({ promptStart: ' ', prompt: 'Greet me', context: 'in English', response: 'Ahoy!' }).prompt).toBe(
      `${defaultPromptStartWithContext}\n### Instruction: Greet me\n### Input: in English\n### Response:`
    )
  })

  it('uses promptStartText for rows without a prompt_start cell, with or without context', () => {
    const options = { promptStartText: 'Answer briefly.' }
    expect(formatChatFields({ prompt: 'Q', response: 'A' }, options).prompt).toBe('Answer briefly.\n### Instruction: Q\n### Response:')
    expect(formatChatFields({ prompt: 'Q', context: 'C', response: 'A' }, options).prompt).toBe('Answer briefly.\n### Instruction: Q\n### Input: C\n### Response:')
    expect(formatChatFields({ promptStart: 'Row preamble', prompt: 'Q', response: 'A' }, options).prompt).toBe('Row preamble\n### Instruction: Q\n### Response:')
  })

  it('keeps cell text exactly as written (no trimming inside the example)', () => {
    const example = formatChatFields({ prompt: '  two  spaces ', context: 'line 1\nline 2', response: ' answer\n' })
    expect(example.prompt).toContain('### Instruction:   two  spaces \n### Input: line 1\nline 2\n')
    expect(example.response).toBe('  answer\n')
  })
})

describe('createExampleFormatter', () => {
  const columns = ['system', 'instruction', 'input', 'output', 'notes']

  it('maps cells by column name and formats rows the same way as formatChatFields', () => {
    const formatter = createExampleFormatter(columns, { mode: 'chat', prompt: 'instruction', context: 'input', response: 'output', promptStart: 'system' })
    const cells = ['', 'Translate', 'Bonjour', 'Hello', 'ignored']
    expect(formatter.format(cells)).toEqual(formatChatFields({ promptStart: '', prompt: 'Translate', context: 'Bonjour', response: 'Hello' }))
    expect(formatter.invalidReason(cells)).toBeNull()
  })

  it('says why a row cannot train', () => {
    const chat = createExampleFormatter(columns, { mode: 'chat', prompt: 'instruction', response: 'output' })
    expect(chat.invalidReason(['', ' ', 'x', 'Hello', ''])).toBe('empty-prompt')
    expect(chat.invalidReason(['', 'Do it', 'x', '\t', ''])).toBe('empty-response')
    expect(chat.invalidReason(['', 'Do it', 'x', 'Done', ''], { kind: 'too-many-fields', message: 'extra cells' })).toBe('parse-error')
    const generic = createExampleFormatter(columns, { mode: 'generic', text: 'notes' })
    expect(generic.invalidReason(['a', 'b', 'c', 'd', ''])).toBe('empty-text')
    expect(generic.format(['a', 'b', 'c', 'd', 'Some text'])).toEqual({ text: 'Some text' })
  })

  it('refuses a mapping that names a column the file does not have, listing the real ones', () => {
    expect(() => createExampleFormatter(columns, { mode: 'chat', prompt: 'question', response: 'output' })).toThrow(
      /prompt → "question".*"system", "instruction", "input", "output", "notes"/
    )
  })
})

describe('formatExample', () => {
  it('formats a row given as column name → cell', () => {
    expect(formatExample({ q: 'Why?', a: 'Because.' }, { mode: 'chat', prompt: 'q', response: 'a' })).toEqual({
      prompt: `${defaultPromptStartWithoutContext}\n### Instruction: Why?\n### Response:`,
      response: ' Because.'
    })
    expect(formatExample({ body: 'Plain text.' }, { mode: 'generic', text: 'body' })).toEqual({ text: 'Plain text.' })
  })
})
