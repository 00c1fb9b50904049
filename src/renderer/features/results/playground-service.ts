import type { EventPayloadOf } from '../../../shared/contract'
import { invoke, subscribe } from '../../api/client'
import { playgroundActions, type PlaygroundSide } from '../../stores/playground-store'
import { messageOf } from '../runs/run-labels'

/** The playground's max-new-tokens input, if it is a number the core accepts. */
export function parseMaxNewTokens(text: string): number | null {
  const value = Number(text.trim())
  return Number.isInteger(value) && value >= 1 && value <= 4096 ? value : null
}

async function generateOne(runId: string, side: PlaygroundSide, prompt: string, maxNewTokens: number): Promise<void> {
  const requestId = crypto.randomUUID()
  const actions = playgroundActions()
  actions.generationStarted(side, requestId)
  try {
    const result = await invoke('runs.generate', { runId, prompt, base: side === 'base', maxNewTokens, requestId })
    const error = result.failure ? [result.failure.message, ...result.failure.advice].join('\n') : null
    actions.generationFinished(requestId, { text: result.text, error })
  } catch (error) {
    actions.generationFinished(requestId, { text: '', error: messageOf(error) })
  }
}

/**
 * Generates with the finetuned model and with its base model side by side, each streaming its
 * text as `playground.output` deltas; the final answer replaces the streamed one (same text,
 * complete even if a delta was missed).
 */
export async function generateSideBySide(runId: string): Promise<void> {
  const { prompt, maxNewTokens } = playgroundActions()
  const tokens = parseMaxNewTokens(maxNewTokens) ?? 128
  if (!prompt.trim()) return
  const unsubscribe = subscribe((event, payload) => {
    if (event !== 'playground.output') return
    const output = payload as EventPayloadOf<'playground.output'>
    if (output.runId === runId && output.text) playgroundActions().textStreamed(output.requestId, output.text)
  })
  try {
    await Promise.all([generateOne(runId, 'tuned', prompt, tokens), generateOne(runId, 'base', prompt, tokens)])
  } finally {
    unsubscribe()
  }
}
