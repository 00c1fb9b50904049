import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { renderWithChatTemplate } from '../../../src/shared/dataset/chat-template'
import { formatChatFields } from '../../../src/shared/dataset/training-format'

const configs = fileURLToPath(new URL('../../../../shared/data/model-configs/', import.meta.url))

function tokenizerConfig(model: string): { chat_template: string; bos_token: string | null; eos_token: string } {
  return JSON.parse(fs.readFileSync(path.join(configs, model, 'tokenizer_config.json'), 'utf8'))
}

describe('renderWithChatTemplate with real model templates', () => {
  it('Phi-3-mini: system from prompt_start, user = prompt + blank line + context, response carries the end tokens', () => {
    const config = tokenizerConfig('microsoft--Phi-3-mini-4k-instruct')
    const example = renderWithChatTemplate(
      config.chat_template,
      { promptStart: 'You are a careful proofreader.', prompt: 'Fix the spelling.', context: 'He finnished.', response: 'He finished.' },
      { bosToken: config.bos_token ?? '', eosToken: config.eos_token }
    )
    expect(example.prompt).toBe('<|system|>\nYou are a careful proofreader.<|end|>\n<|user|>\nFix the spelling.\n\nHe finnished.<|end|>\n<|assistant|>\n')
    expect(example.response).toBe('He finished.<|end|>\n<|endoftext|>')
  })

  it('Phi-3-mini: no system message without prompt_start, no blank line without context', () => {
    const config = tokenizerConfig('microsoft--Phi-3-mini-4k-instruct')
    const example = renderWithChatTemplate(config.chat_template, { prompt: 'Say hi.', response: 'Hi!' }, { eosToken: config.eos_token })
    expect(example.prompt).toBe('<|user|>\nSay hi.<|end|>\n<|assistant|>\n')
    expect(example.response).toBe('Hi!<|end|>\n<|endoftext|>')
  })

  it('Qwen2.5-0.5B: its default system prompt when there is no prompt_start, the given one otherwise', () => {
    const config = tokenizerConfig('Qwen--Qwen2.5-0.5B')
    const tokens = { eosToken: config.eos_token }
    expect(renderWithChatTemplate(config.chat_template, { prompt: 'What is 2+2?', context: '', response: '4' }, tokens)).toEqual({
      prompt: '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n',
      response: '4<|im_end|>\n',
      // what the template wrote (its default system prompt too); the cells "What is 2+2?" and "4" are not markup
      markup: [
        [0, 75],
        [87, 120],
        [121, 132]
      ]
    })
    expect(renderWithChatTemplate(config.chat_template, { promptStart: 'Be terse.', prompt: 'Sum', context: '2 and 2', response: '4' }, tokens)).toEqual({
      prompt: '<|im_start|>system\nBe terse.<|im_end|>\n<|im_start|>user\nSum\n\n2 and 2<|im_end|>\n<|im_start|>assistant\n',
      response: '4<|im_end|>\n',
      markup: [
        [0, 19],
        [28, 56],
        [68, 101],
        [102, 113]
      ]
    })
  })

  it('is what the shared formatter produces when a chat template is chosen', () => {
    const config = tokenizerConfig('Qwen--Qwen2.5-0.5B')
    const fields = { prompt: 'Q', response: 'A' }
    const spec = { template: config.chat_template, eosToken: config.eos_token }
    expect(formatChatFields(fields, { chatTemplate: spec, promptStartText: 'Sys' })).toEqual(renderWithChatTemplate(spec.template, { ...fields, promptStart: 'Sys' }, spec))
  })

  it('marks only what the template wrote: a cell holding a special token stays text, offsets count code points', () => {
    const config = tokenizerConfig('microsoft--Phi-3-mini-4k-instruct')
    const example = renderWithChatTemplate(config.chat_template, { prompt: 'Is <|end|> 🙂?', response: 'Yes' }, { eosToken: config.eos_token })
    const codePoints = Array.from(example.prompt + example.response)
    const marked = (example.markup ?? []).map(([start, end]) => codePoints.slice(start, end).join(''))
    expect(marked).toEqual(['<|user|>\n', '<|end|>\n<|assistant|>\n', '<|end|>\n<|endoftext|>'])
  })

  it('follows a template that trims the message text (Llama 3 style)', () => {
    const template = "{% for m in messages %}<|start|>{{ m.role }}\n{{ m.content | trim }}<|eot|>{% endfor %}"
    const example = renderWithChatTemplate(template, { prompt: '  Q  ', response: ' A ' })
    expect(example).toEqual({ prompt: '<|start|>user\nQ<|eot|><|start|>assistant\n', response: 'A<|eot|>', markup: [[0, 14], [15, 41], [42, 49]] })
  })

  it('refuses a template that never writes the assistant message', () => {
    expect(() => renderWithChatTemplate('{% for m in messages %}{% if m.role == "user" %}{{ m.content }}{% endif %}{% endfor %}', { prompt: 'Q', response: 'A' })).toThrow(
      /does not write the assistant message/
    )
  })

  it('reports a template that cannot be parsed', () => {
    expect(() => renderWithChatTemplate('{% for m in messages %}', { prompt: 'Q', response: 'A' })).toThrow(/cannot be read/)
  })
})
