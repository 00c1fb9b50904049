import type { EventPayloadOf, PlaygroundInput } from '../../../shared/contract'
import { invoke, subscribe } from '../../api/client'
import { exportActions } from '../../stores/export-store'
import { messageOf } from '../runs/run-labels'

/** The run's exports as remembered by the core (they survive a restart). */
export async function loadExports(runId: string): Promise<void> {
  exportActions().exportsOpened(runId)
  try {
    exportActions().exportsLoaded(runId, await invoke('exports.list', { runId }))
  } catch (error) {
    exportActions().exportFinished(null, messageOf(error))
  }
}

/** Size estimate, free space and refusals for the current choice, before anything starts. */
export async function planExport(runId: string): Promise<void> {
  const { choice } = exportActions()
  try {
    const plan = await invoke('exports.plan', { runId, options: choice })
    // The choice may have changed while the plan was computed: only the current one counts.
    const now = exportActions().choice
    if (now.format === choice.format && now.quant === choice.quant) exportActions().planLoaded(plan, null)
  } catch (error) {
    exportActions().planLoaded(null, messageOf(error))
  }
}

/** Exports and verifies; the progress bar follows exports.progress until the answer comes. */
export async function startExport(runId: string): Promise<void> {
  const { choice } = exportActions()
  const exportId = choice.format === 'gguf' ? `gguf-${choice.quant}` : choice.format
  exportActions().exportStarted(exportId)
  const unsubscribe = subscribe((event, payload) => {
    if (event !== 'exports.progress') return
    const progress = payload as EventPayloadOf<'exports.progress'>
    if (progress.runId === runId) exportActions().progressReported(progress)
  })
  try {
    const record = await invoke('exports.start', { runId, options: choice })
    exportActions().exportFinished(record, null)
  } catch (error) {
    exportActions().exportFinished(null, messageOf(error))
  } finally {
    unsubscribe()
    void planExport(runId)
  }
}

/** The GGUF export's answer in llama.cpp, streamed as playground.output deltas. */
export async function answerWithExport(runId: string, exportId: string, input: PlaygroundInput, maxNewTokens: number): Promise<void> {
  const requestId = crypto.randomUUID()
  exportActions().answerStarted(requestId)
  const unsubscribe = subscribe((event, payload) => {
    if (event !== 'playground.output') return
    const output = payload as EventPayloadOf<'playground.output'>
    if (output.requestId === requestId && output.text) exportActions().answerStreamed(requestId, output.text)
  })
  try {
    const answer = await invoke('exports.generate', { runId, exportId, input, maxNewTokens, temperature: 0, requestId })
    exportActions().answerFinished(requestId, { text: answer.text, tokens: answer.tokens, seconds: answer.seconds, stop: answer.stop, error: null })
  } catch (error) {
    exportActions().answerFinished(requestId, { text: '', tokens: null, seconds: null, stop: null, error: messageOf(error) })
  } finally {
    unsubscribe()
  }
}

/** The run's settings as an AutoTrain Advanced config, with the texts it trained on as train.csv. */
export async function saveAutoTrainConfig(runId: string): Promise<void> {
  try {
    const saved = await invoke('exports.autotrain-config', { runId })
    exportActions().autoTrainSaved({ configPath: saved.configPath, csvPath: saved.csvPath, yaml: saved.yaml, notes: saved.notes }, null)
  } catch (error) {
    exportActions().autoTrainSaved(null, messageOf(error))
  }
}
