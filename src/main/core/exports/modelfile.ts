import type { PromptLayout } from './prompt-layout'

/**
 * The Ollama Modelfile written beside a GGUF export: FROM the file, the TEMPLATE and SYSTEM that
 * reproduce the training prompt, and a `PARAMETER stop` for every string that ends an answer
 * (the end-of-answer tokens and the format's next-turn header). Ollama's own stop at EOS would
 * already end most answers; the stop lines are what keeps a model that emits a different end
 * token (or none) from running on, the most common complaint about exported models.
 */

export interface ModelfileInput {
  ggufFileName: string
  layout: PromptLayout
  /** Text of the end-of-answer tokens in the GGUF file (EOS, EOT). */
  stopTexts: string[]
  runId: string
  baseModel: string
}

/** Ollama's triple-quoted strings end at the first `"""`; nothing inside can escape one. */
function tripleQuoted(name: string, text: string): string {
  if (text.includes('"""')) throw new Error(`The ${name} contains """, which an Ollama Modelfile cannot hold.`)
  return `"""${text}"""`
}

function quoted(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`
}

/** A model name Ollama accepts: lower case letters, digits, `-`, `_`, `.`. */
export function ollamaModelName(runId: string): string {
  const slug = runId.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '')
  return `localtune-${slug || 'model'}`
}

export function stopStrings(input: Pick<ModelfileInput, 'layout' | 'stopTexts'>): string[] {
  return [...new Set([...input.stopTexts, ...input.layout.extraStops].filter((text) => text.length > 0))]
}

export function modelfileText(input: ModelfileInput): string {
  const lines = [
    `# Ollama Modelfile written by LocalTune for run ${input.runId} (finetuned from ${input.baseModel}).`,
    `# Create the model:  ollama create ${ollamaModelName(input.runId)} -f Modelfile`,
    `# The template writes prompts exactly as the training examples were written.`,
    `FROM ./${input.ggufFileName}`,
    `TEMPLATE ${tripleQuoted('template', input.layout.ollamaTemplate)}`
  ]
  if (input.layout.ollamaSystem !== null) lines.push(`SYSTEM ${tripleQuoted('system text', input.layout.ollamaSystem)}`)
  for (const stop of stopStrings(input)) lines.push(`PARAMETER stop ${quoted(stop)}`)
  return `${lines.join('\n')}\n`
}
