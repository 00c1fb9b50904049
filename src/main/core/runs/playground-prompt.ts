import fs from 'node:fs'
import path from 'node:path'
import type { PlaygroundInput } from '../../../shared/contract/runs'
import { codePointLength } from '../../../shared/dataset/chat-template'
import type { ChatTemplateSpec } from '../../../shared/dataset/mapping'
import { formatChatFields } from '../../../shared/dataset/training-format'
import { UserFacingError } from '../user-facing-error'
import { datasetSummaryFile } from './run-folder'

/** How a run's examples were formatted: what the playground needs to format a prompt the same way. */
export interface RunPromptFormat {
  mode: 'chat' | 'generic'
  promptStartText: string | null
  chatTemplate: ChatTemplateSpec | null
}

/** The prompt the runtime feeds the model, with the ranges a chat template wrote (code points). */
export interface PlaygroundPrompt {
  prompt: string
  markup: Array<[number, number]>
}

/**
 * The run's format from the dataset summary copied into its folder. A run made before the summary
 * was copied there formats with the LocalTune defaults of its mode.
 */
export function readRunPromptFormat(runDir: string, mode: 'chat' | 'generic'): RunPromptFormat {
  try {
    const summary = JSON.parse(fs.readFileSync(path.join(runDir, datasetSummaryFile), 'utf8')) as {
      mode?: unknown
      promptStartText?: unknown
      chatTemplate?: ChatTemplateSpec
    }
    return {
      mode,
      promptStartText: typeof summary.promptStartText === 'string' ? summary.promptStartText : null,
      chatTemplate: summary.chatTemplate && typeof summary.chatTemplate.template === 'string' ? summary.chatTemplate : null
    }
  } catch {
    return { mode, promptStartText: null, chatTemplate: null }
  }
}

/**
 * Formats what the person typed with the shared formatter, exactly as a training example's
 * prompt: the answer is what follows it. A raw prompt is used as typed.
 */
export function formatPlaygroundPrompt(format: RunPromptFormat, input: PlaygroundInput): PlaygroundPrompt {
  if (input.kind === 'raw') return { prompt: input.prompt, markup: [] }
  if (input.kind === 'text') {
    if (format.mode === 'chat') throw new UserFacingError('This run trained on instructions and responses: ask with an instruction (and an input), or use a raw prompt.', { code: 'invalid_request' })
    return { prompt: input.text, markup: [] }
  }
  if (format.mode === 'generic') throw new UserFacingError('This run trained on plain text: ask with text the model continues, or use a raw prompt.', { code: 'invalid_request' })
  const example = formatChatFields(
    { prompt: input.instruction, context: input.context, response: '' },
    { ...(format.promptStartText ? { promptStartText: format.promptStartText } : {}), ...(format.chatTemplate ? { chatTemplate: format.chatTemplate } : {}) }
  )
  const promptLength = codePointLength(example.prompt)
  const markup = (example.markup ?? []).filter(([start]) => start < promptLength).map(([start, end]): [number, number] => [start, Math.min(end, promptLength)])
  return { prompt: example.prompt, markup }
}

/** The instruction and input of a LocalTune-format prompt, to fill the playground's fields. */
export function fieldsOfLocalTunePrompt(prompt: string): { instruction: string; context: string } | null {
  const match = /\n### Instruction: ([\s\S]*?)\n(?:### Input: ([\s\S]*?)\n)?### Response:\s*$/.exec(prompt)
  return match ? { instruction: match[1] ?? '', context: match[2] ?? '' } : null
}
