import { Template } from '@huggingface/jinja'
import { describe, expect, it } from 'vitest'
import { renderWithChatTemplate } from '../../../../src/shared/dataset/chat-template'
import { defaultPromptStartWithContext, defaultPromptStartWithoutContext, formatChatFields } from '../../../../src/shared/dataset/training-format'
import { goTemplateText, renderGoTemplate } from '../../../../src/main/core/exports/go-template'
import { modelfileText, ollamaModelName, stopStrings } from '../../../../src/main/core/exports/modelfile'
import { promptLayoutFor, renderOllamaPrompt } from '../../../../src/main/core/exports/prompt-layout'

// Phi-3-mini-4k-instruct's chat_template, as in its tokenizer_config.json (../shared/data/model-configs).
const phi3Template =
  "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}"
const phi3 = { template: phi3Template, bosToken: '<s>', eosToken: '<|endoftext|>' }

function renderJinja(template: string, messages: Array<{ role: string; content: string }>, eos = '</s>'): string {
  return new Template(template).render({ messages, bos_token: '<s>', eos_token: eos, add_generation_prompt: true })
}

describe('the LocalTune format in Ollama and GGUF templates', () => {
  const first = formatChatFields({ prompt: 'What colour is item 0?', response: 'Item 0 is red.' }).prompt
  const layout = promptLayoutFor('chat', {}, first)

  it('the Ollama template writes the formatter prompt for any instruction, the trained preamble as SYSTEM', () => {
    expect(layout.ollamaSystem).toBe(defaultPromptStartWithoutContext)
    for (const instruction of ['Name a colour.', 'Two\nlines', 'Braces {{ .Prompt }} and "quotes"']) {
      const expected = formatChatFields({ prompt: instruction, response: 'x' }).prompt
      expect(renderOllamaPrompt(layout, { system: null, user: instruction })).toBe(expected)
    }
    // A row's own prompt_start is the SYSTEM of that request; an input goes into the prompt.
    const row = formatChatFields({ prompt: 'Sum them.', context: '1, 2', promptStart: 'You add numbers.', response: 'x' }).prompt
    expect(renderOllamaPrompt(layout, { system: 'You add numbers.', user: 'Sum them.\n### Input: 1, 2' })).toBe(row)
    const withContext = formatChatFields({ prompt: 'Sum them.', context: '1, 2', response: 'x' }).prompt
    expect(renderOllamaPrompt(layout, { system: defaultPromptStartWithContext, user: 'Sum them.\n### Input: 1, 2' })).toBe(withContext)
  })

  it('the prompt ends where the response starts: "### Response:" with the space in the response', () => {
    const example = formatChatFields({ prompt: 'Q', response: 'A' })
    expect(layout.ollamaTemplate.endsWith('{{ .Prompt }}\n### Response:{{ .Response }}')).toBe(true)
    expect(example.response.startsWith(' ')).toBe(true)
    expect(layout.extraStops).toEqual(['### Instruction:'])
  })

  it('the GGUF chat template writes the same prompt, with the trained preamble when no system message comes', () => {
    const template = layout.ggufChatTemplate!
    expect(renderJinja(template, [{ role: 'user', content: 'What colour is item 0?' }])).toBe(first)
    expect(renderJinja(template, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Q?' }])).toBe(formatChatFields({ prompt: 'Q?', promptStart: 'Be brief.', response: '' }).prompt)
    // A second turn follows the first example's full text and its EOS, as trained examples end.
    const turn = formatChatFields({ prompt: 'Q1', response: 'A1' })
    const conversation = renderJinja(template, [
      { role: 'user', content: 'Q1' },
      { role: 'assistant', content: 'A1' },
      { role: 'user', content: 'Q2' }
    ])
    expect(conversation).toBe(`${turn.prompt}${turn.response}</s>\n### Instruction: Q2\n### Response:`)
  })

  it('a custom preamble with Jinja and Go delimiters, quotes and backslashes survives both templates', () => {
    const promptStartText = "Answer {{ like }} {% this %} 'quoted' \"twice\" \\ back\tslash\nnext line"
    const custom = promptLayoutFor('chat', { promptStartText }, null)
    const expected = formatChatFields({ prompt: 'Go.', response: 'x' }, { promptStartText }).prompt
    expect(renderJinja(custom.ggufChatTemplate!, [{ role: 'user', content: 'Go.' }])).toBe(expected)
    expect(renderOllamaPrompt(custom, { system: null, user: 'Go.' })).toBe(expected)
  })

  it('splits a training prompt back into its system text and instruction; a prompt of another layout does not split', () => {
    expect(layout.fieldsOf(first)).toEqual({ system: defaultPromptStartWithoutContext, user: 'What colour is item 0?' })
    // The layout before the response's space moved out of the prompt.
    expect(layout.fieldsOf(`${first} `)).toBeNull()
  })
})

describe("a model's chat template in the Ollama template", () => {
  const layout = promptLayoutFor('chat', { chatTemplate: phi3 }, null)

  it('renders exactly what the shared renderer made for training, with and without a system message', () => {
    for (const fields of [{ prompt: 'Hi there', response: 'x' }, { prompt: 'Hi', promptStart: 'Be kind.', response: 'x' }]) {
      const trained = renderWithChatTemplate(phi3Template, fields, phi3).prompt
      expect(renderOllamaPrompt(layout, { system: fields.promptStart ?? null, user: fields.prompt })).toBe(trained)
      expect(layout.fieldsOf(trained)).toEqual({ system: fields.promptStart ?? null, user: fields.prompt })
    }
    expect(layout.ggufChatTemplate).toBe(phi3Template)
    expect(layout.ollamaSystem).toBeNull()
  })

  it('stops at the end-of-turn markers the template writes after an answer', () => {
    expect(layout.extraStops).toEqual(['<|end|>', '<|endoftext|>'])
  })
})

describe('the Modelfile', () => {
  const layout = promptLayoutFor('chat', {}, null)
  const text = modelfileText({ ggufFileName: 'localtune-run-1-q8_0.gguf', layout, stopTexts: ['</s>'], runId: 'Run 1', baseModel: 'TinyLlama/TinyLlama-1.1B-Chat-v1.0' })

  it('names the file, the template, the system text and every stop string', () => {
    const lines = text.split('\n')
    expect(lines).toContain('FROM ./localtune-run-1-q8_0.gguf')
    expect(lines).toContain('# Create the model:  ollama create localtune-run-1 -f Modelfile')
    expect(text).toContain(`TEMPLATE """{{ .System }}\n### Instruction: {{ .Prompt }}\n### Response:{{ .Response }}"""`)
    expect(text).toContain(`SYSTEM """${defaultPromptStartWithoutContext}"""`)
    expect(lines.filter((line) => line.startsWith('PARAMETER stop'))).toEqual(['PARAMETER stop "</s>"', 'PARAMETER stop "### Instruction:"'])
    expect(stopStrings({ layout, stopTexts: ['</s>', '### Instruction:', ''] })).toEqual(['</s>', '### Instruction:'])
  })

  it('refuses text an Ollama Modelfile cannot hold', () => {
    const broken = promptLayoutFor('chat', { promptStartText: 'Say """hi"""' }, null)
    expect(() => modelfileText({ ggufFileName: 'f.gguf', layout: broken, stopTexts: [], runId: 'r', baseModel: 'b' })).toThrow('contains """')
  })

  it('makes model names Ollama accepts', () => {
    expect(ollamaModelName('20261203-105500-20f7')).toBe('localtune-20261203-105500-20f7')
    expect(ollamaModelName('My Run/2')).toBe('localtune-my-run-2')
  })
})

describe('the Go template subset', () => {
  it('renders fields, conditions, literals and trim markers as Go does', () => {
    expect(renderGoTemplate('{{ if .System }}<{{ .System }}>{{ else }}none{{ end }}|{{ .Prompt }}', { System: 'S', Prompt: 'P' })).toBe('<S>|P')
    expect(renderGoTemplate('{{ if .System }}<{{ .System }}>{{ else }}none{{ end }}|{{ .Prompt }}', { Prompt: 'P' })).toBe('none|P')
    expect(renderGoTemplate('a  {{- .X -}}  b', { X: 'x' })).toBe('axb')
    expect(renderGoTemplate(goTemplateText('literal {{ braces }}'), {})).toBe('literal {{ braces }}')
  })

  it('refuses actions it does not understand instead of skipping them', () => {
    expect(() => renderGoTemplate('{{ range .Messages }}x{{ end }}', {})).toThrow('does not understand')
    expect(() => renderGoTemplate('{{ if .X }}open', {})).toThrow('without {{ end }}')
  })
})
