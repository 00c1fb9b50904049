import { Template } from '@huggingface/jinja'
import type { ChatExample, ChatFields } from './formatted-example'
import { isBlank } from './formatted-example'

export interface ChatTemplateTokens {
  bosToken?: string
  eosToken?: string
  /** Other variables the template reads (e.g. `pad_token`). */
  extraVariables?: Record<string, string>
}

interface ChatMessage {
  role: 'system' | 'user' | 'assistant'
  content: string
}

// A marker no real cell contains: rendering it in place of the response shows exactly where
// the template starts the assistant's content, whatever the template does around it.
const responseMarker = '\u0000LOCALTUNE-ASSISTANT-CONTENT\u0000'

const compiled = new Map<string, Template>()

function compile(template: string): Template {
  let result = compiled.get(template)
  if (!result) {
    try {
      result = new Template(template)
    } catch (error) {
      throw new Error(`The chat template cannot be read: ${(error as Error).message}. Use the LocalTune format instead, or fix the template.`)
    }
    // A handful of models per session at most; keep the cache from growing without bound anyway.
    if (compiled.size >= 16) compiled.clear()
    compiled.set(template, result)
  }
  return result
}

/** system: prompt_start when given; user: prompt plus the context after a blank line; assistant: response. */
export function chatMessagesFor(fields: ChatFields, response: string): ChatMessage[] {
  const messages: ChatMessage[] = []
  if (!isBlank(fields.promptStart)) messages.push({ role: 'system', content: fields.promptStart as string })
  const user = isBlank(fields.context) ? fields.prompt : `${fields.prompt}\n\n${fields.context as string}`
  messages.push({ role: 'user', content: user })
  messages.push({ role: 'assistant', content: response })
  return messages
}

function render(template: Template, messages: ChatMessage[], tokens: ChatTemplateTokens): string {
  try {
    return template.render({
      ...tokens.extraVariables,
      messages,
      bos_token: tokens.bosToken ?? '',
      eos_token: tokens.eosToken ?? '',
      add_generation_prompt: false
    })
  } catch (error) {
    throw new Error(`The chat template failed to render a row: ${(error as Error).message}`)
  }
}

/**
 * Renders one chat row with the model's own chat template and splits it where the assistant's
 * content begins: `prompt` is everything the model reads, `response` is what it learns to
 * write (including the template's end-of-turn tokens), and prompt + response is the full text.
 */
export function renderWithChatTemplate(template: string, fields: ChatFields, tokens: ChatTemplateTokens = {}): ChatExample {
  const compiledTemplate = compile(template)
  const withMarker = render(compiledTemplate, chatMessagesFor(fields, responseMarker), tokens)
  const at = withMarker.indexOf(responseMarker)
  if (at === -1) {
    throw new Error('The chat template does not write the assistant message, so LocalTune cannot tell which part is the response. Use the LocalTune format instead.')
  }
  const prompt = withMarker.slice(0, at)
  const full = render(compiledTemplate, chatMessagesFor(fields, fields.response), tokens)
  if (!full.startsWith(prompt)) {
    throw new Error('The chat template changes the conversation depending on the response, so the prompt/response split is not stable. Use the LocalTune format instead.')
  }
  return { prompt, response: full.slice(prompt.length) }
}
