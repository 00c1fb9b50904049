import { renderWithChatTemplate } from '../../../shared/dataset/chat-template'
import type { DatasetMode, TrainingFormatOptions } from '../../../shared/dataset/mapping'
import { defaultPromptStartWithoutContext, formatChatFields } from '../../../shared/dataset/training-format'
import { goTemplateText, renderGoTemplate } from './go-template'

/**
 * How a run's prompts are laid out, in the two template languages exported models carry:
 * Ollama's TEMPLATE (Go text/template) and the GGUF file's `tokenizer.chat_template` (Jinja,
 * read by LM Studio and llama.cpp's server).
 *
 * Both are derived from the shared formatter that wrote the training data, not typed out:
 * formatting an example whose fields are unique markers shows exactly which text the format puts
 * around the system text, the user's text and the response, so the templates reproduce the
 * training prompt character for character, whatever the formatter's current layout is.
 */

export interface PromptLayout {
  kind: 'localtune' | 'chat-template' | 'generic'
  /** Ollama TEMPLATE: one turn of .System, .Prompt and .Response. */
  ollamaTemplate: string
  /** Ollama SYSTEM: the preamble the run trained with; null when the format has none. */
  ollamaSystem: string | null
  /** Jinja for the GGUF metadata; null keeps the tokenizer's own chat template. */
  ggufChatTemplate: string | null
  /** Stop strings beyond the end-of-answer tokens: where the format would start another turn. */
  extraStops: string[]
  /** Splits a training prompt into the fields the templates take; null when it does not fit. */
  fieldsOf(prompt: string): { system: string | null; user: string } | null
}

const systemMark = '\u0001LOCALTUNE-SYSTEM\u0001'
const promptMark = '\u0001LOCALTUNE-PROMPT\u0001'
const responseMark = '\u0001LOCALTUNE-RESPONSE\u0001'

/** Cuts `text` at each marker in order; throws when one is missing (the format dropped a field). */
function cut(text: string, marks: string[]): string[] {
  const parts: string[] = []
  let rest = text
  for (const mark of marks) {
    const at = rest.indexOf(mark)
    if (at === -1) throw new Error(`The training format does not write the ${mark === systemMark ? 'system text' : mark === promptMark ? 'prompt' : 'response'} where LocalTune expects it.`)
    parts.push(rest.slice(0, at))
    rest = rest.slice(at + mark.length)
  }
  parts.push(rest)
  return parts
}

/**
 * Literal text as a Jinja string expression. Chat templates are rendered with trim_blocks and
 * lstrip_blocks (transformers, and llama.cpp and @huggingface/jinja after it), which would eat
 * a newline written right after a `{% … %}` tag; an expression keeps every character.
 */
function jinjaText(text: string): string {
  if (!text) return ''
  const escaped = text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')
  return `{{ '${escaped}' }}`
}

function localTuneLayout(options: TrainingFormatOptions, trainedPreamble: string | null): PromptLayout {
  const plain = { ...options, chatTemplate: undefined }
  const formatted = formatChatFields({ promptStart: systemMark, prompt: promptMark, response: responseMark }, plain)
  const [before = '', between = '', after = ''] = cut(formatted.prompt, [systemMark, promptMark])
  const [responsePrefix = '', responseSuffix = ''] = cut(formatted.response, [responseMark])
  const preamble = options.promptStartText?.trim() ? options.promptStartText : (trainedPreamble ?? defaultPromptStartWithoutContext)
  const ollamaTemplate = `${goTemplateText(before)}{{ .System }}${goTemplateText(between)}{{ .Prompt }}${goTemplateText(after)}{{ .Response }}`
  const ggufChatTemplate =
    `{% if messages|length > 0 and messages[0]['role'] == 'system' %}${jinjaText(before)}{{ messages[0]['content'] }}` +
    `{% else %}${jinjaText(before + preamble)}{% endif %}` +
    `{% for message in messages %}{% if message['role'] == 'user' %}${jinjaText(between)}{{ message['content'] }}${jinjaText(after)}` +
    `{% elif message['role'] == 'assistant' %}${jinjaText(responsePrefix)}{{ message['content'] }}${jinjaText(responseSuffix)}{{ eos_token }}{% endif %}{% endfor %}`
  // A model that misses its EOS goes on with the next example's header: stop there.
  const nextTurn = between.trim()
  return {
    kind: 'localtune',
    ollamaTemplate,
    ollamaSystem: preamble,
    ggufChatTemplate,
    extraStops: nextTurn ? [nextTurn] : [],
    fieldsOf(prompt) {
      if (!prompt.startsWith(before) || !prompt.endsWith(after)) return null
      const middle = prompt.slice(before.length, prompt.length - after.length)
      const at = middle.indexOf(between)
      if (at === -1) return null
      return { system: middle.slice(0, at), user: middle.slice(at + between.length) }
    }
  }
}

function chatTemplateLayout(spec: NonNullable<TrainingFormatOptions['chatTemplate']>): PromptLayout {
  const withSystem = renderWithChatTemplate(spec.template, { promptStart: systemMark, prompt: promptMark, response: responseMark }, spec)
  const withoutSystem = renderWithChatTemplate(spec.template, { prompt: promptMark, response: responseMark }, spec)
  const [systemBefore = '', systemAfter = '', userAfter = ''] = cut(withSystem.prompt, [systemMark, promptMark])
  const [plainBefore = '', plainAfter = ''] = cut(withoutSystem.prompt, [promptMark])
  const [, responseSuffix = ''] = cut(withSystem.response, [responseMark])
  if (userAfter !== plainAfter) {
    throw new Error('The chat template writes the end of the user turn differently with and without a system message; LocalTune cannot express it as one Ollama template.')
  }
  const ollamaTemplate =
    `{{ if .System }}${goTemplateText(systemBefore)}{{ .System }}${goTemplateText(systemAfter)}{{ else }}${goTemplateText(plainBefore)}{{ end }}` +
    `{{ .Prompt }}${goTemplateText(userAfter)}{{ .Response }}`
  // End-of-turn markers the template writes after the answer (<|im_end|>, <|end|>, </s>, …).
  const extraStops = [...new Set(responseSuffix.match(/<\|[^|<>\s]+\|>|<\/s>|<end_of_turn>|<eos>/g) ?? [])]
  return {
    kind: 'chat-template',
    ollamaTemplate,
    ollamaSystem: null,
    ggufChatTemplate: spec.template,
    extraStops,
    fieldsOf(prompt) {
      if (prompt.startsWith(systemBefore) && prompt.endsWith(userAfter)) {
        const middle = prompt.slice(systemBefore.length, prompt.length - userAfter.length)
        const at = systemAfter ? middle.indexOf(systemAfter) : -1
        if (at !== -1) return { system: middle.slice(0, at), user: middle.slice(at + systemAfter.length) }
      }
      if (prompt.startsWith(plainBefore) && prompt.endsWith(plainAfter)) return { system: null, user: prompt.slice(plainBefore.length, prompt.length - plainAfter.length) }
      return null
    }
  }
}

/**
 * The layout of a run: its mode and format options (from its project), and the preamble its
 * first training prompt actually carries (a per-row prompt_start column makes it vary; the
 * first one is the Modelfile's default SYSTEM).
 */
export function promptLayoutFor(mode: DatasetMode, options: TrainingFormatOptions, firstTrainingPrompt: string | null): PromptLayout {
  if (mode === 'generic') {
    return { kind: 'generic', ollamaTemplate: '{{ .Prompt }}{{ .Response }}', ollamaSystem: null, ggufChatTemplate: null, extraStops: [], fieldsOf: (prompt) => ({ system: null, user: prompt }) }
  }
  if (options.chatTemplate) return chatTemplateLayout(options.chatTemplate)
  const layout = localTuneLayout(options, null)
  const trained = firstTrainingPrompt ? layout.fieldsOf(firstTrainingPrompt)?.system ?? null : null
  return trained ? localTuneLayout(options, trained) : layout
}

/** The Ollama template rendered for one prompt, as Ollama sends it to the model. */
export function renderOllamaPrompt(layout: PromptLayout, fields: { system: string | null; user: string }): string {
  return renderGoTemplate(layout.ollamaTemplate, { System: fields.system ?? layout.ollamaSystem ?? '', Prompt: fields.user, Response: '' })
}
