import type { EventPayloadOf, PlaygroundInput } from '../../../shared/contract'
import { invoke, subscribe } from '../../api/client'
import { playgroundActions } from '../../stores/playground-store'
import { messageOf } from '../runs/run-labels'

/** The playground's max-new-tokens input, if it is a number the core accepts. */
export function parseMaxNewTokens(text: string): number | null {
  const value = Number(text.trim())
  return Number.isInteger(value) && value >= 1 && value <= 4096 ? value : null
}

/** The question as the core takes it, or null while it is incomplete. */
export function playgroundInput(): PlaygroundInput | null {
  const { askMode, instruction, context, text, rawPrompt } = playgroundActions()
  if (askMode === 'fields') return instruction.trim() ? { kind: 'fields', instruction, context } : null
  if (askMode === 'text') return text ? { kind: 'text', text } : null
  return rawPrompt ? { kind: 'raw', prompt: rawPrompt } : null
}

/**
 * Asks the finetuned model, then the base model, in one request (one runtime process, one model
 * load when the finetuned weights are an adapter). Each answer streams as `playground.output`
 * deltas; the final answers replace the streamed text (same text, complete even if a delta was
 * missed).
 */
export async function generateSideBySide(runId: string): Promise<void> {
  const input = playgroundInput()
  const tokens = parseMaxNewTokens(playgroundActions().maxNewTokens) ?? 128
  if (!input) return
  const requestId = crypto.randomUUID()
  const actions = playgroundActions()
  actions.generationStarted(requestId)
  const unsubscribe = subscribe((event, payload) => {
    if (event !== 'playground.output') return
    const output = payload as EventPayloadOf<'playground.output'>
    if (output.requestId === requestId && output.text && output.model) playgroundActions().textStreamed(requestId, output.model, output.text)
  })
  try {
    const result = await invoke('runs.generate', { runId, input, models: ['finetuned', 'base'], maxNewTokens: tokens, requestId })
    const error = result.failure ? [result.failure.message, ...result.failure.advice].join('\n') : null
    actions.generationFinished(requestId, { prompt: result.prompt, notice: result.notice, answers: result.answers, error })
  } catch (error) {
    actions.generationFinished(requestId, { prompt: null, notice: null, answers: [], error: messageOf(error) })
  } finally {
    unsubscribe()
  }
}
