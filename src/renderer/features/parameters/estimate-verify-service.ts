import { ContractCallError, invoke, subscribe } from '../../api/client'
import { datasetDraftNow } from '../../stores/dataset-draft-store'
import { estimateVerificationActions, estimateVerificationNow } from '../../stores/estimate-verification-store'
import { chosenModelNow } from '../../stores/model-choice-store'
import { confirmedRisksNow } from '../../stores/risky-model-settings-store'
import type { EstimateVerification } from '../../../shared/contract'
import { measuredMemoryScale } from '../../../shared/estimate-verify/measured-memory-scale'
import { autoBasisKey, type ReadyEstimate } from './estimate-view'
import { deviceChoiceOf } from './verified-estimate'
import { sendAllowingOutsidePaths } from '../../app/outside-path-confirmation'
import { trainingMethodName } from '../../../shared/run-config'

let nextId = 0
function newVerificationId(): string {
  nextId += 1
  return `verify-${Date.now().toString(36)}-${nextId}`
}

/**
 * Measures the estimate on screen: the core loads the model with these settings and takes a few
 * real steps on the longest examples of the draft training file, on the device the estimate is
 * for. Progress arrives as `estimate.verify-progress` while it runs.
 */
export async function verificationRequested(view: ReadyEstimate): Promise<void> {
  const actions = estimateVerificationActions()
  if (estimateVerificationNow().status === 'running') return
  const model = chosenModelNow()
  const draft = datasetDraftNow().draftExport
  const verificationId = newVerificationId()
  actions.verificationStarted(verificationId, view.signature)
  if (!model || !draft) {
    actions.verificationFailed(verificationId, 'Finish the Data step and choose a model first: the verification trains on the training file with that model.', [], [])
    return
  }
  const unsubscribe = subscribe((event, payload) => {
    if (event === 'estimate.verify-progress') actions.verificationProgressed(payload as Parameters<typeof actions.verificationProgressed>[0])
  })
  // The model loads as training will load it: with the risky settings the user confirmed for it.
  const risks = confirmedRisksNow(model.demo ? null : model.id)
  try {
    const answer = await sendAllowingOutsidePaths((confirmedPaths) =>
      invoke('estimate.verify', {
        verificationId,
        trainJsonlPath: draft.trainPath,
        settings: {
          model: { id: model.id, path: model.path, trust_remote_code: risks.includes('trust_remote_code'), allow_downloads: risks.includes('allow_downloads') },
          method: view.method,
          mode: draft.summary.mode,
          params: view.params,
          merge: false
        },
        confirmedRisks: [...risks],
        device: deviceChoiceOf(view),
        memoryLimitBytes: view.chosen.availableBytes > 0 ? view.chosen.availableBytes : null,
        confirmedPaths
      })
    )
    if (answer.status === 'measured') actions.verificationMeasured(verificationId, answer.verification, scaleForAuto(view, answer.verification))
    else if (answer.status === 'cancelled') actions.verificationCancelled(verificationId)
    else actions.verificationFailed(verificationId, answer.failure.message, answer.failure.advice, answer.failure.outputTail)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    actions.verificationFailed(verificationId, message, error instanceof ContractCallError ? error.details : [], [])
  } finally {
    unsubscribe()
  }
}

/** What this measurement teaches Auto about this model and data on this kind of device. */
function scaleForAuto(view: ReadyEstimate, verification: EstimateVerification): { forBasis: string; factor: number; reason: string } | null {
  const forBasis = autoBasisKey(chosenModelNow(), view.tokenStats, view.chosen.device.kind)
  const what = `${trainingMethodName(view.method)}, micro batch ${view.params.micro_batch_size} × ${view.params.max_length} tokens`
  const scale = measuredMemoryScale(view.chosen.vram, view.chosen.time, verification, what)
  return forBasis && scale ? { forBasis, ...scale } : null
}

/**
 * Cancels the running verification. The cancel may reach the core before the verification's own
 * request does (two requests in flight): while it is still running here, ask again.
 */
export async function verificationCancelRequested(): Promise<void> {
  const current = estimateVerificationNow()
  if (current.status !== 'running') return
  estimateVerificationActions().cancelRequested()
  const { verificationId } = current
  for (let attempt = 0; attempt < 20; attempt++) {
    const { cancelled } = await invoke('estimate.cancel-verify', { verificationId })
    const now = estimateVerificationNow()
    if (cancelled || now.status !== 'running' || now.verificationId !== verificationId) return
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}
