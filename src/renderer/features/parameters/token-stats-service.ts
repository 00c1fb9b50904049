import { ContractCallError, invoke } from '../../api/client'
import type { DraftExport } from '../../stores/dataset-draft-store'
import { datasetDraftNow } from '../../stores/dataset-draft-store'
import { estimateActions, tokenStatsNow } from '../../stores/estimate-store'
import type { ChosenModel } from '../../stores/model-choice-store'
import { chosenModelNow } from '../../stores/model-choice-store'
import { draftExportRequested } from '../data/mapping-service'
import { sendAllowingOutsidePaths } from '../../app/outside-path-confirmation'

/** Which export and model token statistics belong to. A new export (any changed choice) is a new key. */
export function tokenStatsKey(draft: Pick<DraftExport, 'trainPath' | 'summary'>, model: Pick<ChosenModel, 'id' | 'path'>): string {
  return JSON.stringify([draft.trainPath, draft.summary.createdAt, model.id, model.path])
}

/** Stands for "writing the draft training files" until an export exists to key the result by. */
export const draftExportKey = 'draft-export'

function failure(error: unknown): { message: string; details: string[] } {
  if (error instanceof ContractCallError) return { message: error.message, details: error.details }
  return { message: error instanceof Error ? error.message : String(error), details: [] }
}

/**
 * Token statistics of the current draft train.jsonl with the chosen model's tokenizer: writes
 * the draft first when no export is current (the Data screen usually did), then counts unless
 * a count for exactly this export and model is done or under way. `retry` counts again after a
 * failure.
 */
export async function tokenStatsRequested(options: { retry?: boolean } = {}): Promise<void> {
  const model = chosenModelNow()
  if (!model) return
  const actions = estimateActions()
  let draft = datasetDraftNow().draftExport
  if (!draft) {
    const current = tokenStatsNow()
    if (current.status === 'counting' && current.forKey === draftExportKey) return
    if (current.status === 'failed' && current.forKey === draftExportKey && !options.retry) return
    actions.tokenCountStarted(draftExportKey)
    try {
      draft = await draftExportRequested()
    } catch (error) {
      const { message, details } = failure(error)
      actions.tokenCountFailed(draftExportKey, `The training file could not be written, so its tokens cannot be counted: ${message}`, details)
      return
    }
  }
  const key = tokenStatsKey(draft, model)
  const current = tokenStatsNow()
  if ((current.status === 'ready' || current.status === 'counting') && current.forKey === key) return
  if (current.status === 'failed' && current.forKey === key && !options.retry) return
  actions.tokenCountStarted(key)
  try {
    const answer = await sendAllowingOutsidePaths((confirmedPaths) => invoke('tokens.stats', { trainJsonlPath: draft.trainPath, model: { id: model.id, path: model.path }, confirmedPaths }))
    actions.tokenStatsCounted(key, answer.trainPath, answer.stats)
  } catch (error) {
    const { message, details } = failure(error)
    actions.tokenCountFailed(key, message, details)
  }
}
