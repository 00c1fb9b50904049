import { Template } from '@huggingface/jinja'
import type { ChatTemplateSpec, TrainingFormatOptions } from '../../../shared/dataset/mapping'
import type { TemplateCheck } from './export-verification'
import { renderOllamaPrompt, type PromptLayout } from './prompt-layout'
import type { RuntimeExportResult } from './runtime-export'

/**
 * Whether the templates shipped with a GGUF export (the Ollama TEMPLATE, the chat template in
 * the file) write the run's reference prompts character for character as training wrote them.
 * Generic runs have no template to check.
 */
export function templateChecks(layout: PromptLayout, result: RuntimeExportResult, chatTemplate: string | null, format: TrainingFormatOptions): TemplateCheck[] {
  if (layout.kind === 'generic') return []
  const checks: TemplateCheck[] = []
  const prompts = result.reference.prompts.map((reference) => reference.prompt)
  const describe = (name: string, render: (fields: { system: string | null; user: string }) => string): TemplateCheck => {
    for (const prompt of prompts) {
      const fields = layout.fieldsOf(prompt)
      if (!fields) return { name, matches: false, detail: `The training prompt does not have the layout the current formatter writes, so the template cannot reproduce it: ${JSON.stringify(prompt.slice(-60))}` }
      let rendered: string
      try {
        rendered = render(fields)
      } catch (error) {
        return { name, matches: false, detail: `The template failed to render: ${(error as Error).message}` }
      }
      if (rendered !== prompt) return { name, matches: false, detail: `It writes ${JSON.stringify(rendered.slice(-80))} where training had ${JSON.stringify(prompt.slice(-80))}.` }
    }
    return { name, matches: true, detail: `Renders the ${prompts.length} reference prompts character for character.` }
  }
  checks.push(describe('the Ollama template', (fields) => renderOllamaPrompt(layout, fields)))
  if (chatTemplate) {
    const template = new Template(chatTemplate)
    const tokens: Partial<ChatTemplateSpec> = format.chatTemplate ?? {}
    checks.push(
      describe("the GGUF file's chat template", (fields) =>
        template.render({
          ...tokens.extraVariables,
          messages: [...(fields.system !== null ? [{ role: 'system', content: fields.system }] : []), { role: 'user', content: fields.user }],
          bos_token: tokens.bosToken ?? '',
          eos_token: tokens.eosToken ?? '',
          add_generation_prompt: true
        })
      )
    )
  }
  return checks
}
