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

// Markers no real cell contains: rendering them in place of each message's content shows
// exactly which characters the template writes itself (its markup) and where each content goes.
const contentMarker = (index: number): string => `\u0000LOCALTUNE-CONTENT-${index}\u0000`
const contentMarkerPattern = /\u0000LOCALTUNE-CONTENT-(\d+)\u0000/g

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

/** Length in Unicode code points, the unit the Python runtime counts string offsets in. */
export function codePointLength(text: string): number {
  let length = text.length
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i)
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        length--
        i++
      }
    }
  }
  return length
}

type SkeletonPiece = { markup: string } | { content: number }

function skeletonOf(rendered: string): SkeletonPiece[] {
  const pieces: SkeletonPiece[] = []
  let at = 0
  for (const match of rendered.matchAll(contentMarkerPattern)) {
    if (match.index > at) pieces.push({ markup: rendered.slice(at, match.index) })
    pieces.push({ content: Number(match[1]) })
    at = match.index + match[0].length
  }
  if (at < rendered.length) pieces.push({ markup: rendered.slice(at) })
  return pieces
}

/**
 * Renders one chat row with the model's own chat template and splits it where the assistant's
 * content begins: `prompt` is everything the model reads, `response` is what it learns to
 * write (including the template's end-of-turn tokens), and prompt + response is the full text.
 * `markup` lists the character ranges (code points, into prompt + response) the template wrote
 * itself: only there may the runtime read special tokens; the cells' text is always text.
 */
export function renderWithChatTemplate(template: string, fields: ChatFields, tokens: ChatTemplateTokens = {}): ChatExample {
  const compiledTemplate = compile(template)
  const messages = chatMessagesFor(fields, fields.response)
  const full = render(compiledTemplate, messages, tokens)
  const skeleton = skeletonOf(render(compiledTemplate, messages.map((message, index) => ({ ...message, content: contentMarker(index) })), tokens))
  const assistant = messages.length - 1
  const responseAt = skeleton.findIndex((piece) => 'content' in piece && piece.content === assistant)
  if (responseAt === -1) {
    throw new Error('The chat template does not write the assistant message, so LocalTune cannot tell which part is the response. Use the LocalTune format instead.')
  }
  // Templates may trim the message text (Llama 3's does); the cells are then their trimmed text.
  for (const contents of [messages.map((m) => m.content), messages.map((m) => m.content.trim())]) {
    const texts = skeleton.map((piece) => ('markup' in piece ? piece.markup : (contents[piece.content] ?? '')))
    if (texts.join('') !== full) continue
    const markup: Array<[number, number]> = []
    let at = 0
    skeleton.forEach((piece, index) => {
      const length = codePointLength(texts[index] ?? '')
      if ('markup' in piece && length > 0) markup.push([at, at + length])
      at += length
    })
    const prompt = texts.slice(0, responseAt).join('')
    return { prompt, response: full.slice(prompt.length), markup }
  }
  throw new Error('The chat template changes the message text in a way LocalTune cannot follow, so it cannot tell the template\'s own tokens from the cells\' text. Use the LocalTune format instead.')
}
